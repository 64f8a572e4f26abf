import { describe, expect, it } from 'vitest';

import { decodeElements } from './dtype';
import type { TensorEntry } from './header';
import { BF16, decodeMinifloat, encodeMinifloat, F16, F8_E4M3, F8_E4M3FNUZ, F8_E5M2, F8_E5M2FNUZ } from './minifloat';

/**
 * Decode raw codes with the bulk decoder decodeTensor uses (decodeTensor itself rejects the NaN/Inf codes these
 * exhaustive tables contain; its finiteness check is tested in decode.test.ts).
 */
function decodeTensorNoCheck(bytes: Uint8Array, entry: TensorEntry): Float32Array {
  return decodeElements(bytes, entry.dtype, entry.shape[0], { file: 't', tensor: entry.name }) as Float32Array;
}

/** Every code of a 16-bit dtype, decoded from an odd (unaligned) byte offset to exercise the copy path. */
function decodeAll16(dtype: 'F16' | 'BF16'): Float32Array {
  const u16 = new Uint16Array(65536).map((_, i) => i);
  const padded = new Uint8Array(131073);
  padded.set(new Uint8Array(u16.buffer), 1);
  const entry: TensorEntry = { name: 'all', dtype, shape: [65536], start: 0, end: 131072 };
  return decodeTensorNoCheck(padded.subarray(1), entry);
}

/** IEEE-style reference: (-1)^s 2^(e-bias) (1 + m/2^p), subnormal 2^(1-bias) m/2^p, top exponent Inf/NaN. */
function ieeeReference(code: number, e: number, p: number, bias: number): number {
  const s = code >> (e + p) ? -1 : 1;
  const ex = (code >> p) & ((1 << e) - 1);
  const m = code & ((1 << p) - 1);
  if (ex === (1 << e) - 1) return m === 0 ? s * Infinity : NaN;
  if (ex === 0) return s * (m / 2 ** p) * 2 ** (1 - bias);
  return s * (1 + m / 2 ** p) * 2 ** (ex - bias);
}

function sameValue(a: number, b: number): boolean {
  return Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b);
}

describe('16-bit decoding is exact for all 65536 bit patterns', () => {
  it('F16 matches the IEEE binary16 formula', () => {
    const got = decodeAll16('F16');
    let mismatches = 0;
    for (let c = 0; c < 65536; c++) if (!sameValue(got[c], ieeeReference(c, 5, 10, 15))) mismatches++;
    expect(mismatches).toBe(0);
    expect(got[0x3c00]).toBe(1);
    expect(got[0x7bff]).toBe(65504);
    expect(got[0x0001]).toBe(2 ** -24);
    expect(Object.is(got[0x8000], -0)).toBe(true);
  });

  it('BF16 matches the bfloat16 formula (u16 << 16)', () => {
    const got = decodeAll16('BF16');
    let mismatches = 0;
    for (let c = 0; c < 65536; c++) if (!sameValue(got[c], ieeeReference(c, 8, 7, 127))) mismatches++;
    expect(mismatches).toBe(0);
    expect(got[0x3f80]).toBe(1);
    expect(got[0xc000]).toBe(-2);
  });
});

describe('FP8 tables (all 256 codes)', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const table = (dtype: TensorEntry['dtype']) => decodeTensorNoCheck(all, { name: 'fp8', dtype, shape: [256], start: 0, end: 256 });

  it('F8_E4M3 (E4M3FN): bias 7, no infinities, NaN only at 0x7f/0xff, max 448', () => {
    const t = table('F8_E4M3');
    for (let c = 0; c < 256; c++) {
      const s = c & 0x80 ? -1 : 1;
      const e = (c >> 3) & 15;
      const m = c & 7;
      const ref = e === 15 && m === 7 ? NaN : e === 0 ? s * (m / 8) * 2 ** -6 : s * (1 + m / 8) * 2 ** (e - 7);
      expect(sameValue(t[c], ref), `code ${c}`).toBe(true);
    }
    expect(t[0x7e]).toBe(448);
    expect(t[0x78]).toBe(256); // top exponent holds normal values in the fn variant
    expect(t[0x01]).toBe(2 ** -9);
    expect(t[0x38]).toBe(1);
    expect(t[0xb8]).toBe(-1);
    expect(Number.isNaN(t[0x7f]) && Number.isNaN(t[0xff])).toBe(true);
    expect(Array.from(t).filter(Number.isNaN)).toHaveLength(2);
    expect(Array.from(t).some((v) => !Number.isFinite(v) && !Number.isNaN(v))).toBe(false);
  });

  it('F8_E5M2: IEEE-like, bias 15, ±Inf at 0x7c/0xfc, max 57344', () => {
    const t = table('F8_E5M2');
    for (let c = 0; c < 256; c++) expect(sameValue(t[c], ieeeReference(c, 5, 2, 15)), `code ${c}`).toBe(true);
    expect(t[0x7b]).toBe(57344);
    expect(t[0x7c]).toBe(Infinity);
    expect(t[0xfc]).toBe(-Infinity);
    expect(t[0x01]).toBe(2 ** -16);
    expect(t[0x3c]).toBe(1);
    expect(Array.from(t).filter(Number.isNaN)).toHaveLength(6);
  });

  it('FNUZ variants: NaN only at 0x80, bias 8 / 16', () => {
    const a = table('F8_E4M3FNUZ');
    expect(Number.isNaN(a[0x80])).toBe(true);
    expect(Array.from(a).filter(Number.isNaN)).toHaveLength(1);
    expect(a[0x40]).toBe(1);
    expect(a[0x7f]).toBe(240);
    const b = table('F8_E5M2FNUZ');
    expect(Number.isNaN(b[0x80])).toBe(true);
    expect(b[0x40]).toBe(1);
    expect(b[0x7f]).toBe(57344);
    expect(Array.from(b).some((v) => v === Infinity)).toBe(false);
  });
});

describe('encodeMinifloat rounds to nearest, ties to even', () => {
  const formats = [F16, BF16, F8_E4M3, F8_E5M2, F8_E4M3FNUZ, F8_E5M2FNUZ];
  for (const f of formats) {
    const bits = 1 + f.expBits + f.manBits;
    it(`${f.name}: every code round-trips and every midpoint goes to the even neighbour`, () => {
      const codes = 1 << bits;
      const half = codes / 2;
      for (let c = 0; c < codes; c++) {
        const v = decodeMinifloat(c, f);
        if (Number.isNaN(v)) continue;
        const expected = f.nan === 'fnuz' && c === half ? 0 : c;
        if (encodeMinifloat(v, f) !== expected) throw new Error(`${f.name}: code ${c} (${v}) re-encodes to ${encodeMinifloat(v, f)}`);
      }
      // Positive finite codes are ordered; check the midpoint between each consecutive pair.
      for (let c = 0; c + 1 < half; c++) {
        const lo = decodeMinifloat(c, f);
        const hi = decodeMinifloat(c + 1, f);
        if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
        if (!(hi > lo)) throw new Error(`${f.name}: codes ${c},${c + 1} not increasing`);
        const mid = (lo + hi) / 2;
        const even = c % 2 === 0 ? c : c + 1;
        if (encodeMinifloat(mid, f) !== even) throw new Error(`${f.name}: midpoint ${mid} of codes ${c},${c + 1}`);
        const eps = (hi - lo) / 1024;
        if (encodeMinifloat(mid - eps, f) !== c || encodeMinifloat(mid + eps, f) !== c + 1) {
          throw new Error(`${f.name}: values near midpoint ${mid} of codes ${c},${c + 1}`);
        }
        if (encodeMinifloat(-(mid + eps), f) !== c + 1 + half) {
          throw new Error(`${f.name}: negative value near ${-mid}`);
        }
      }
    });
  }

  it('handles overflow per format', () => {
    expect(encodeMinifloat(65519, F16)).toBe(0x7bff);
    expect(encodeMinifloat(65520, F16)).toBe(0x7c00); // tie with 65536 rounds to even: Inf
    expect(decodeMinifloat(encodeMinifloat(464, F8_E4M3), F8_E4M3)).toBe(448); // tie -> even mantissa 6
    expect(Number.isNaN(decodeMinifloat(encodeMinifloat(465, F8_E4M3), F8_E4M3))).toBe(true);
    expect(decodeMinifloat(encodeMinifloat(1e9, F8_E5M2), F8_E5M2)).toBe(Infinity);
    expect(encodeMinifloat(2 ** -25, F16)).toBe(0); // half the smallest subnormal: tie to even zero
    expect(encodeMinifloat(-0, F8_E4M3FNUZ)).toBe(0); // fnuz has no negative zero
  });

  it('BF16 agrees with the bit-level float32 rounding rule', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    let seed = 12345;
    let mismatches = 0;
    for (let i = 0; i < 20000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      u32[0] = seed;
      if (Number.isNaN(f32[0])) continue;
      const b = u32[0];
      const expected = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
      if (encodeMinifloat(f32[0], BF16) !== expected) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});
