/**
 * Small binary floating-point formats (F16, BF16 and the FP8 family), described by their bit layout, with exact
 * scalar encode/decode. Decoding tables for whole tensors are built from these (see dtype.ts); the safetensors
 * writer uses `encodeMinifloat`.
 *
 * NaN conventions differ by format and are the usual source of bugs:
 * - `ieee`: the all-ones exponent is reserved (mantissa 0 = ±Inf, else NaN): F16, BF16, F8_E5M2.
 * - `fn` ("finite, NaN"): no infinities; only S.1111.111 is NaN, so the top exponent holds normal values:
 *   F8_E4M3 (OCP E4M3FN, max 448).
 * - `fnuz` ("finite, NaN, unsigned zero"): no infinities, no negative zero; the code 0x80 alone is NaN:
 *   F8_E4M3FNUZ (bias 8, max 240), F8_E5M2FNUZ (bias 16, max 57344).
 */

export interface MinifloatFormat {
  name: string;
  expBits: number;
  manBits: number;
  bias: number;
  nan: 'ieee' | 'fn' | 'fnuz';
}

export const F16: MinifloatFormat = { name: 'F16', expBits: 5, manBits: 10, bias: 15, nan: 'ieee' };
export const BF16: MinifloatFormat = { name: 'BF16', expBits: 8, manBits: 7, bias: 127, nan: 'ieee' };
export const F8_E4M3: MinifloatFormat = { name: 'F8_E4M3', expBits: 4, manBits: 3, bias: 7, nan: 'fn' };
export const F8_E5M2: MinifloatFormat = { name: 'F8_E5M2', expBits: 5, manBits: 2, bias: 15, nan: 'ieee' };
export const F8_E4M3FNUZ: MinifloatFormat = { name: 'F8_E4M3FNUZ', expBits: 4, manBits: 3, bias: 8, nan: 'fnuz' };
export const F8_E5M2FNUZ: MinifloatFormat = { name: 'F8_E5M2FNUZ', expBits: 5, manBits: 2, bias: 16, nan: 'fnuz' };

function totalBits(f: MinifloatFormat): number {
  return 1 + f.expBits + f.manBits;
}

/** Exact value of one code (as a JS number; every such value is representable in float32 too). */
export function decodeMinifloat(code: number, f: MinifloatFormat): number {
  const signBit = 1 << (totalBits(f) - 1);
  if (f.nan === 'fnuz' && code === signBit) return NaN;
  const sign = code & signBit ? -1 : 1;
  const expField = (code >> f.manBits) & ((1 << f.expBits) - 1);
  const man = code & ((1 << f.manBits) - 1);
  const expMax = (1 << f.expBits) - 1;
  if (f.nan === 'ieee' && expField === expMax) return man === 0 ? sign * Infinity : NaN;
  if (f.nan === 'fn' && expField === expMax && man === (1 << f.manBits) - 1) return NaN;
  if (expField === 0) return sign * man * 2 ** (1 - f.bias - f.manBits);
  return sign * (1 + man / 2 ** f.manBits) * 2 ** (expField - f.bias);
}

/** Round half to even; exact for |q| < 2^52. */
function roundHalfEven(q: number): number {
  const fl = Math.floor(q);
  const diff = q - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/**
 * Nearest code to `x` (round to nearest, ties to even), computed from the float64 value directly so there is no
 * double rounding through float32. Overflow gives ±Inf for `ieee` formats and NaN for the finite-only FP8 formats
 * (the non-saturating behaviour of PyTorch's casts).
 */
export function encodeMinifloat(x: number, f: MinifloatFormat): number {
  const bits = totalBits(f);
  const signBit = 1 << (bits - 1);
  const expMax = (1 << f.expBits) - 1;
  const manOnes = (1 << f.manBits) - 1;
  const nanCode = f.nan === 'fnuz' ? signBit : f.nan === 'fn' ? signBit - 1 : (expMax << f.manBits) | (1 << (f.manBits - 1));
  if (Number.isNaN(x)) return nanCode;
  const negative = x < 0 || Object.is(x, -0);
  const sign = negative ? signBit : 0;
  const zero = f.nan === 'fnuz' ? 0 : sign; // fnuz has no negative zero (0x80 is NaN)
  const overflow = f.nan === 'ieee' ? sign | (expMax << f.manBits) : nanCode;
  const a = Math.abs(x);
  if (a === Infinity) return overflow;
  if (a === 0) return zero;

  const emin = 1 - f.bias;
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  if (e < emin) e = emin;
  let m = roundHalfEven(a * 2 ** (f.manBits - e));
  if (m === 2 ** (f.manBits + 1)) {
    m /= 2;
    e += 1;
  }
  if (m === 0) return zero; // underflow
  let expField: number;
  let man: number;
  if (m >= 2 ** f.manBits) {
    expField = e + f.bias;
    man = m - 2 ** f.manBits;
  } else {
    expField = 0;
    man = m;
  }
  const maxField = f.nan === 'ieee' ? expMax - 1 : expMax;
  if (expField > maxField) return overflow;
  if (f.nan === 'fn' && expField === expMax && man === manOnes) return overflow;
  return sign | (expField << f.manBits) | man;
}
