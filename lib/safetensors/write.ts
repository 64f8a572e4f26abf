/**
 * A small safetensors writer for tests and generated (demo) checkpoints.
 * Floats are rounded to nearest, ties to even, straight from float64 (no double rounding via float32);
 * FP8 overflow gives NaN as in PyTorch's non-saturating casts. The header is padded with spaces so tensor data
 * starts 8-byte aligned, as the reference writer does.
 */
import { open } from 'node:fs/promises';

import { byteLength, DTYPE_BITS, type SafetensorsDtype } from './dtype';
import { numel } from './header';
import {
  BF16,
  encodeMinifloat,
  F16,
  F8_E4M3,
  F8_E4M3FNUZ,
  F8_E5M2,
  F8_E5M2FNUZ,
  type MinifloatFormat,
} from './minifloat';

export interface TensorSpec {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Row-major values; encoded to `dtype` (float and integer dtypes). */
  data?: ArrayLike<number>;
  /** Already-encoded little-endian bytes (any dtype, incl. packed ones); used when `data` is absent. */
  raw?: Uint8Array;
}

const MINIFLOATS: Partial<Record<SafetensorsDtype, MinifloatFormat>> = {
  F16,
  BF16,
  F8_E4M3,
  F8_E5M2,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
};

/** Encode one tensor's values to its dtype's little-endian bytes. */
export function encodeTensorData(spec: TensorSpec): Uint8Array {
  const count = numel(spec.shape);
  const size = byteLength(spec.dtype, count);
  if (size === null) throw new RangeError(`${spec.name}: ${count} x ${spec.dtype} is not a whole number of bytes`);
  if (!spec.data) {
    if (!spec.raw || spec.raw.length !== size) {
      throw new RangeError(`${spec.name}: needs ${size} raw bytes, got ${spec.raw ? spec.raw.length : 'none'}`);
    }
    return spec.raw;
  }
  if (spec.data.length !== count) {
    throw new RangeError(`${spec.name}: shape ${JSON.stringify(spec.shape)} needs ${count} values, got ${spec.data.length}`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const values = spec.data;
  const format = MINIFLOATS[spec.dtype];
  if (format) {
    const bytes = DTYPE_BITS[spec.dtype] / 8;
    for (let i = 0; i < count; i++) {
      const code = encodeMinifloat(values[i], format);
      if (bytes === 1) out[i] = code;
      else view.setUint16(i * 2, code, true);
    }
    return out;
  }
  const setters: Partial<Record<SafetensorsDtype, (i: number, v: number) => void>> = {
    F32: (i, v) => view.setFloat32(i * 4, v, true),
    F64: (i, v) => view.setFloat64(i * 8, v, true),
    BOOL: (i, v) => view.setUint8(i, v ? 1 : 0),
    U8: (i, v) => view.setUint8(i, v),
    I8: (i, v) => view.setInt8(i, v),
    U16: (i, v) => view.setUint16(i * 2, v, true),
    I16: (i, v) => view.setInt16(i * 2, v, true),
    U32: (i, v) => view.setUint32(i * 4, v, true),
    I32: (i, v) => view.setInt32(i * 4, v, true),
    U64: (i, v) => view.setBigUint64(i * 8, BigInt(v), true),
    I64: (i, v) => view.setBigInt64(i * 8, BigInt(v), true),
  };
  const set = setters[spec.dtype];
  if (!set) throw new RangeError(`${spec.name}: cannot encode values as ${spec.dtype}; pass raw bytes`);
  for (let i = 0; i < count; i++) set(i, values[i]);
  return out;
}

/** The 8-byte length prefix plus the space-padded JSON header for tensors of the given byte sizes, in order. */
export function encodeHeader(
  tensors: Array<{ name: string; dtype: string; shape: number[]; byteLength: number }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** A complete safetensors file in memory. */
export function encodeSafetensors(tensors: TensorSpec[], metadata?: Record<string, string>): Uint8Array {
  const datas = tensors.map(encodeTensorData);
  const head = encodeHeader(
    tensors.map((t, i) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: datas[i].length })),
    metadata,
  );
  const out = new Uint8Array(head.length + datas.reduce((s, d) => s + d.length, 0));
  out.set(head, 0);
  let pos = head.length;
  for (const d of datas) {
    out.set(d, pos);
    pos += d.length;
  }
  return out;
}

/**
 * Write a safetensors file, encoding one tensor at a time (memory: one tensor's bytes). Specs may supply values
 * lazily through `data` getters; only the shapes and dtypes are needed up front for the header.
 */
export async function writeSafetensorsFile(path: string, tensors: TensorSpec[], metadata?: Record<string, string>): Promise<void> {
  const sizes = tensors.map((t) => {
    const size = byteLength(t.dtype, numel(t.shape));
    if (size === null) throw new RangeError(`${t.name}: ${t.dtype} x ${JSON.stringify(t.shape)} is not a whole number of bytes`);
    return size;
  });
  const handle = await open(path, 'w');
  try {
    await handle.write(encodeHeader(tensors.map((t, i) => ({ ...t, byteLength: sizes[i] })), metadata));
    for (const t of tensors) await handle.write(encodeTensorData(t));
  } finally {
    await handle.close();
  }
}
