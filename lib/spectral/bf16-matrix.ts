/**
 * A bfloat16 weight matrix kept as its stored bits.
 *
 * Most large checkpoints on the Hub are BF16. Decoding one to float32 before the analysis costs a pass over it on
 * the reading thread (~155 ms for a 4096x11008 layer) and twice its bytes in memory, while every value the spectral
 * core needs from it is read in the WebAssembly kernels, which convert BF16 as they load it (exactly: a bfloat16 is
 * the upper half of a float32): the Gram matrix's slab packing and the outlier scan's pass. So the reader can hand
 * over the bits, and the rarer consumers that want float entries in JS (the SVD route, deflation's correction, the
 * pure-JS backend, randomization) call `toFloat32()`, which decodes once and keeps the result.
 *
 * A `WeightMatrix` is what the spectral core accepts as W: float32, float64 or BF16 bits, row-major.
 */
import { decodeBf16Into } from '@/lib/safetensors/dtype';

export class Bf16Matrix {
  readonly bits: Uint16Array;
  private decoded: Float32Array | null = null;

  constructor(bits: Uint16Array) {
    this.bits = bits;
  }

  /** The BF16 values stored in `bytes` (little-endian, an even count): a view, or an aligned copy at an odd offset. */
  static ofBytes(bytes: Uint8Array): Bf16Matrix {
    const even = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
    return new Bf16Matrix(new Uint16Array(even.buffer, even.byteOffset, even.length >>> 1));
  }

  /** Number of entries. */
  get length(): number {
    return this.bits.length;
  }

  /** The float32 values the bits denote (decoded on the first call, then kept). */
  toFloat32(): Float32Array {
    this.decoded ??= decodeBf16Bits(this.bits);
    return this.decoded;
  }
}

export type WeightMatrix = Float32Array | Float64Array | Bf16Matrix;

/** W's entries as a float array (decoding BF16 bits once). */
export function asFloat(data: WeightMatrix): Float32Array | Float64Array {
  return data instanceof Bf16Matrix ? data.toFloat32() : data;
}

/** float32 values of bfloat16 bits (each shifted into the upper half of a float32: exact). */
function decodeBf16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  decodeBf16Into(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), out, 0);
  return out;
}
