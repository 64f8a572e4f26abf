import { describe, expect, it } from 'vitest';

import { decodeMxfp4, mxfp4DecodedShape } from './mxfp4';

describe('decodeMxfp4', () => {
  it('decodes every FP4 code, low nibble first, with the E8M0 scale 2^(s-127)', () => {
    // One block: byte i holds code 2i (low) and code 2i+1 (high) for i < 8, so the first 16 values are codes 0..15.
    const blocks = new Uint8Array(16);
    for (let i = 0; i < 8; i++) blocks[i] = (2 * i) | ((2 * i + 1) << 4);
    blocks[8] = 0x71; // low 1 -> 0.5, high 7 -> 6
    blocks[15] = 0xf9; // low 9 -> -0.5, high 15 -> -6
    const out = decodeMxfp4(blocks, new Uint8Array([127]), [1, 16]);
    expect(Array.from(out.subarray(0, 16))).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6]);
    expect(Object.is(out[8], -0)).toBe(true);
    expect(out[16]).toBe(0.5);
    expect(out[17]).toBe(6);
    expect(Array.from(out.subarray(18, 30))).toEqual(new Array(12).fill(0));
    expect(out[30]).toBe(-0.5);
    expect(out[31]).toBe(-6);
  });

  it('lays out [E, rows, G, 16] as [E, rows, G*32] with one scale per block', () => {
    // E = 2 experts, 1 row, G = 2 blocks per row: four blocks, scales 2^0, 2^1, 2^-2, 2^3.
    const blocks = new Uint8Array(4 * 16);
    for (let b = 0; b < 4; b++) blocks[b * 16] = 0x32; // values 1 (code 2) then 1.5 (code 3)
    const scales = new Uint8Array([127, 128, 125, 130]);
    const shape = [2, 1, 2, 16];
    expect(mxfp4DecodedShape(shape)).toEqual([2, 1, 64]);
    const out = decodeMxfp4(blocks, scales, shape);
    expect(out.length).toBe(2 * 1 * 64);
    // Block b starts at b*32: 1 * scale, 1.5 * scale, then zeros.
    expect([out[0], out[1], out[2]]).toEqual([1, 1.5, 0]);
    expect([out[32], out[33]]).toEqual([2, 3]);
    expect([out[64], out[65]]).toEqual([0.25, 0.375]);
    expect([out[96], out[97]]).toEqual([8, 12]);
  });

  it('handles the extreme exponents as float32 ldexp would', () => {
    const blocks = new Uint8Array(32);
    blocks[0] = 0x02; // 1.0
    blocks[16] = 0x07; // 6.0
    const out = decodeMxfp4(blocks, new Uint8Array([0, 254]), [2, 16]);
    expect(out[0]).toBe(Math.fround(2 ** -127));
    expect(out[32]).toBe(Infinity); // 6 * 2^127 is past float32's range
  });

  it('rejects mismatched shapes and lengths', () => {
    expect(() => decodeMxfp4(new Uint8Array(16), new Uint8Array(1), [1, 8])).toThrow(RangeError);
    expect(() => decodeMxfp4(new Uint8Array(15), new Uint8Array(1), [1, 16])).toThrow(RangeError);
    expect(() => decodeMxfp4(new Uint8Array(16), new Uint8Array(2), [1, 16])).toThrow(RangeError);
    expect(() => decodeMxfp4(new Uint8Array(0), new Uint8Array(0), [16])).toThrow(RangeError);
    expect(decodeMxfp4(new Uint8Array(0), new Uint8Array(0), [0, 3, 16]).length).toBe(0);
  });
});
