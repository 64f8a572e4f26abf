/**
 * MXFP4 (OCP microscaling FP4) as gpt-oss stores its expert weights: `X_blocks` (U8, shape [...prefix, G, 16]) holds
 * 32 FP4 E2M1 values per block, two per byte with the low nibble first; `X_scales` (U8, shape [...prefix, G]) holds
 * one E8M0 exponent per block, the block's scale being 2^(s - 127). The dequantized tensor is [...prefix, G * 32]
 * (for gpt-oss experts [E, rows, G * 32]). Pure: shape or length mismatches throw a RangeError, which the reader
 * wraps with the file and tensor names.
 */
/** E2M1 magnitudes by the low three bits; bit 3 is the sign. */
const FP4_MAGNITUDES = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
const FP4_VALUES = new Float32Array(16);
for (let code = 0; code < 16; code++) FP4_VALUES[code] = (code & 8 ? -1 : 1) * FP4_MAGNITUDES[code & 7];

export const MXFP4_BLOCK_BYTES = 16;
export const MXFP4_BLOCK_VALUES = 32;

/** Shape of the dequantized tensor for a blocks tensor of the given shape: the last two dimensions [G, 16] become G*32. */
export function mxfp4DecodedShape(shapeOfBlocks: readonly number[]): number[] {
  if (shapeOfBlocks.length < 2 || shapeOfBlocks[shapeOfBlocks.length - 1] !== MXFP4_BLOCK_BYTES) {
    throw new RangeError(`MXFP4 blocks must have shape [..., G, ${MXFP4_BLOCK_BYTES}], got [${shapeOfBlocks.join(', ')}]`);
  }
  return [...shapeOfBlocks.slice(0, -2), shapeOfBlocks[shapeOfBlocks.length - 2] * MXFP4_BLOCK_VALUES];
}

/**
 * Dequantize MXFP4: blocks (U8, shape [...prefix, G, 16]) and scales (U8, shape [...prefix, G]) to a Float32Array of
 * shape [...prefix, G * 32] in row-major order. Exact: every value is an FP4 value times a power of two, which
 * Float32 holds exactly for exponents in its range (scales past it give 0 or Infinity, as ldexp in float32 would).
 */
export function decodeMxfp4(blocks: Uint8Array, scales: Uint8Array, shapeOfBlocks: number[]): Float32Array {
  mxfp4DecodedShape(shapeOfBlocks);
  for (const d of shapeOfBlocks) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`MXFP4 blocks shape has an invalid dimension: [${shapeOfBlocks.join(', ')}]`);
  }
  const blockCount = shapeOfBlocks.slice(0, -1).reduce((a, b) => a * b, 1);
  if (blocks.length !== blockCount * MXFP4_BLOCK_BYTES) {
    throw new RangeError(`MXFP4 blocks: expected ${blockCount * MXFP4_BLOCK_BYTES} bytes for [${shapeOfBlocks.join(', ')}], got ${blocks.length}`);
  }
  if (scales.length !== blockCount) throw new RangeError(`MXFP4 scales: expected ${blockCount} bytes (one per block), got ${scales.length}`);

  const out = new Float32Array(blockCount * MXFP4_BLOCK_VALUES);
  for (let b = 0; b < blockCount; b++) {
    const scale = 2 ** (scales[b] - 127);
    const inBase = b * MXFP4_BLOCK_BYTES;
    const outBase = b * MXFP4_BLOCK_VALUES;
    for (let i = 0; i < MXFP4_BLOCK_BYTES; i++) {
      const byte = blocks[inBase + i];
      out[outBase + 2 * i] = FP4_VALUES[byte & 0x0f] * scale;
      out[outBase + 2 * i + 1] = FP4_VALUES[byte >> 4] * scale;
    }
  }
  return out;
}
