/**
 * safetensors dtypes: storage sizes, which ones this project can analyse, and bulk decoding to float arrays.
 *
 * Decoding is exact: every F16/BF16/FP8 value is representable in float32, F64 stays float64.
 * Source bytes may sit at any offset (a slice of a larger buffer), so unaligned input is copied before typed
 * array views are taken. Little-endian hosts only (every platform Node ships on for this project).
 */
import { UnsupportedDtypeError } from './errors';
import {
  F8_E4M3,
  F8_E4M3FNUZ,
  F8_E5M2,
  F8_E5M2FNUZ,
  decodeMinifloat,
  type MinifloatFormat,
} from './minifloat';

/** Bits per element of every dtype the safetensors format defines (incl. sub-byte MX formats). */
export const DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  I16: 16,
  U16: 16,
  I32: 32,
  U32: 32,
  I64: 64,
  U64: 64,
  F16: 16,
  BF16: 16,
  F32: 32,
  F64: 64,
  C64: 64,
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  F8_E8M0: 8,
  F6_E2M3: 6,
  F6_E3M2: 6,
  F4: 4,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BITS;

const FP8_FORMATS: Record<string, MinifloatFormat> = {
  F8_E4M3,
  F8_E5M2,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
};

/** Dtypes `decodeTensor` turns into floats; anything else known raises UnsupportedDtypeError. */
export const DECODABLE_DTYPES: readonly SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16', ...(Object.keys(FP8_FORMATS) as SafetensorsDtype[])];

export function isKnownDtype(dtype: unknown): dtype is SafetensorsDtype {
  return typeof dtype === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BITS, dtype);
}

export function isDecodableDtype(dtype: string): boolean {
  return (DECODABLE_DTYPES as readonly string[]).includes(dtype);
}

export function isFp8Dtype(dtype: string): boolean {
  return dtype in FP8_FORMATS;
}

/** Bytes taken by `numel` elements, or null when that is not a whole number of bytes (packed formats). */
export function byteLength(dtype: SafetensorsDtype, numel: number): number | null {
  const bits = numel * DTYPE_BITS[dtype];
  return bits % 8 === 0 ? bits / 8 : null;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `bytes` itself if its offset is a multiple of `align`, else an aligned copy. */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

let f16Table: Float32Array | null = null;

/** All 65536 F16 values as float32, by bit manipulation (re-biasing exponent 15 -> 127). */
export function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const man = h & 0x3ff;
    if (exp === 0) {
      table[h] = (sign ? -1 : 1) * man * 2 ** -24; // zero or subnormal: exact in float32
    } else if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (man << 13); // Inf, or NaN keeping its payload
    } else {
      bits[h] = sign | ((exp + 112) << 23) | (man << 13);
    }
  }
  f16Table = table;
  return table;
}

const fp8Tables = new Map<string, Float32Array>();

/** All 256 values of an FP8 dtype as float32. */
export function fp8Table(dtype: string): Float32Array {
  let table = fp8Tables.get(dtype);
  if (!table) {
    const format = FP8_FORMATS[dtype];
    if (!format) throw new RangeError(`${dtype} is not an FP8 dtype`);
    table = new Float32Array(256);
    for (let c = 0; c < 256; c++) table[c] = decodeMinifloat(c, format);
    fp8Tables.set(dtype, table);
  }
  return table;
}

/**
 * BF16 -> float32 (exact: the 16 bits are the float32's high half) with the count of non-finite values (exponent
 * bits all ones: NaN or ±Inf) taken from the bits in the same pass, two elements per 32-bit load. About twice as fast
 * as decoding and then scanning the float32 result, which matters because a pipeline decodes the next tensor while
 * the kernels run on both cores.
 */
export function decodeBf16Counting(bytes: Uint8Array, numel: number): { data: Float32Array; nonFinite: number } {
  const out = new Float32Array(numel);
  const nonFinite = decodeBf16Into(bytes.subarray(0, numel * 2), out, 0);
  return { data: out, nonFinite };
}

/**
 * Decode the BF16 elements of `bytes` (an even byte count) into `out` from element `at` on; returns how many are
 * NaN or ±Inf. Lets a large tensor be decoded piece by piece as its bytes arrive.
 */
export function decodeBf16Into(bytes: Uint8Array, out: Float32Array, at: number): number {
  if (!LITTLE_ENDIAN) throw new Error('safetensors decoding needs a little-endian host');
  const numel = bytes.length >>> 1;
  if (at < 0 || at + numel > out.length) throw new RangeError(`${numel} BF16 values do not fit at ${at} in ${out.length}`);
  const o32 = new Uint32Array(out.buffer, out.byteOffset + at * 4, numel);
  let bad = 0;
  if (bytes.byteOffset & 3) {
    // not 4-aligned (a tensor inside a larger buffer): element by element, without copying the bytes
    const src2 = aligned(bytes, 2);
    const u16 = new Uint16Array(src2.buffer, src2.byteOffset, numel);
    for (let i = 0; i < numel; i++) {
      const u = u16[i];
      if ((u & 0x7f80) === 0x7f80) bad++;
      o32[i] = u << 16;
    }
    return bad;
  }
  const pairs = numel >>> 1;
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, pairs);
  for (let i = 0; i < pairs; i++) {
    const x = w[i];
    if ((x & 0x7f80) === 0x7f80) bad++;
    if ((x & 0x7f800000) === 0x7f800000) bad++;
    o32[2 * i] = x << 16;
    o32[2 * i + 1] = x & 0xffff0000;
  }
  if (numel & 1) {
    const u = bytes[2 * numel - 2] | (bytes[2 * numel - 1] << 8);
    if ((u & 0x7f80) === 0x7f80) bad++;
    o32[numel - 1] = u << 16;
  }
  return bad;
}

/**
 * How many of the BF16 values in `bytes` (an even byte count) are NaN or ±Inf: the check decodeBf16Into makes, for a
 * tensor kept as its bits (lib/spectral/bf16-matrix.ts), two elements per 32-bit load.
 */
export function countNonFiniteBf16(bytes: Uint8Array): number {
  const numel = bytes.length >>> 1;
  let bad = 0;
  if (bytes.byteOffset & 3) {
    for (let i = 0; i < numel; i++) if ((bytes[2 * i + 1] & 0x7f) === 0x7f && (bytes[2 * i] & 0x80) === 0x80) bad++;
    return bad;
  }
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, numel >>> 1);
  for (let i = 0; i < w.length; i++) {
    const x = w[i];
    if ((x & 0x7f80) === 0x7f80) bad++;
    if ((x & 0x7f800000) === 0x7f800000) bad++;
  }
  if (numel & 1 && (bytes[2 * numel - 1] & 0x7f) === 0x7f && (bytes[2 * numel - 2] & 0x80) === 0x80) bad++;
  return bad;
}

/**
 * Decode `numel` little-endian elements of `dtype`. The result may share memory with `bytes` (F32/F64 when
 * aligned); it never reads past `numel` elements. The byte length must already have been checked.
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: string,
  numel: number,
  where: { file: string; tensor: string },
): Float32Array | Float64Array {
  if (!LITTLE_ENDIAN) throw new Error('safetensors decoding needs a little-endian host');
  switch (dtype) {
    case 'F32': {
      const src = aligned(bytes, 4);
      return new Float32Array(src.buffer, src.byteOffset, numel);
    }
    case 'F64': {
      const src = aligned(bytes, 8);
      return new Float64Array(src.buffer, src.byteOffset, numel);
    }
    case 'BF16': {
      const src = aligned(bytes, 2);
      const u16 = new Uint16Array(src.buffer, src.byteOffset, numel);
      const out = new Float32Array(numel);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) u32[i] = u16[i] << 16;
      return out;
    }
    case 'F16': {
      const src = aligned(bytes, 2);
      const u16 = new Uint16Array(src.buffer, src.byteOffset, numel);
      const table = float16Table();
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = table[u16[i]];
      return out;
    }
    default: {
      if (!isFp8Dtype(dtype)) throw new UnsupportedDtypeError({ ...where, dtype });
      const table = fp8Table(dtype);
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = table[bytes[i]];
      return out;
    }
  }
}
