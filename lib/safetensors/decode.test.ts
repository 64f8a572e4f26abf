import { describe, expect, it } from 'vitest';

import { decodeTensor, inferBlockSize } from './decode';
import { NonFiniteTensorError, SafetensorsError } from './errors';
import type { TensorEntry } from './header';
import { encodeTensorData } from './write';

function fp8Entry(name: string, shape: number[]): { entry: TensorEntry; bytes: Uint8Array; values: number[] } {
  const count = shape.reduce((a, b) => a * b, 1);
  // Codes cycling through exact E4M3 values (multiples of 1/8 in [-2, 2]).
  const values = Array.from({ length: count }, (_, i) => ((i * 7) % 33) / 8 - 2);
  const bytes = encodeTensorData({ name, dtype: 'F8_E4M3', shape, data: values });
  return { entry: { name, dtype: 'F8_E4M3', shape, start: 0, end: bytes.length, file: 'fp8.safetensors' }, bytes, values };
}

describe('FP8 dequantisation', () => {
  it('applies a per-tensor scalar scale', () => {
    const { entry, bytes, values } = fp8Entry('w.weight', [4, 6]);
    const got = decodeTensor(bytes, entry, { data: new Float32Array([0.5]), shape: [] });
    expect(Array.from(got)).toEqual(values.map((v) => v * 0.5));
  });

  it('applies 128x128 block scales with partial edge blocks (DeepSeek-V3 layout, 300x200 weight)', () => {
    const rows = 300;
    const cols = 200;
    const { entry, bytes, values } = fp8Entry('model.layers.0.mlp.up_proj.weight', [rows, cols]);
    const sr = Math.ceil(rows / 128); // 3
    const sc = Math.ceil(cols / 128); // 2
    const scales = Float32Array.from({ length: sr * sc }, (_, i) => 2 ** (i - 2));
    const got = decodeTensor(bytes, entry, { data: scales, shape: [sr, sc], name: 'model.layers.0.mlp.up_proj.weight_scale_inv' });
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const expected = values[r * cols + c] * scales[Math.floor(r / 128) * sc + Math.floor(c / 128)];
        if (got[r * cols + c] !== expected) throw new Error(`(${r},${c}): ${got[r * cols + c]} != ${expected}`);
      }
    }
    // 300 rows in 3 blocks must be read as 128-row blocks, not ceil(300/3) = 100.
    expect(inferBlockSize(300, 3)).toBe(128);
    expect(inferBlockSize(200, 2)).toBe(128);
    expect(inferBlockSize(256, 256)).toBe(1);
    expect(inferBlockSize(7, 1)).toBe(7);
  });

  it('applies per-row scales given as [rows, 1] or [rows]', () => {
    const { entry, bytes, values } = fp8Entry('w', [3, 4]);
    const scales = new Float32Array([1, 10, 100]);
    for (const shape of [[3, 1], [3]]) {
      const got = decodeTensor(bytes, entry, { data: scales, shape });
      expect(Array.from(got)).toEqual(values.map((v, i) => v * scales[Math.floor(i / 4)]));
    }
  });

  it('honours an explicit block size and rejects scales that do not tile the weight', () => {
    const { entry, bytes } = fp8Entry('w.weight', [8, 8]);
    const ok = decodeTensor(bytes, entry, { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2], blockSize: [4, 4] });
    expect(ok[7 * 8 + 7]).not.toBe(0);
    expect(() => decodeTensor(bytes, entry, { data: new Float32Array(6), shape: [2, 3], blockSize: [4, 4] })).toThrow(
      /tensor "w.weight": scale shape \[2,3\] does not tile weight 8x8/,
    );
    expect(() => decodeTensor(bytes, entry, { data: new Float32Array(5), shape: [2, 2] })).toThrow(/has 5 values for shape \[2,2\]/);
  });
});

describe('decodeTensor checks', () => {
  it('rejects NaN/Inf after decoding, naming the tensor and the count', () => {
    const bytes = encodeTensorData({ name: 'x', dtype: 'BF16', shape: [2, 3], data: [1, NaN, 2, Infinity, -Infinity, 0] });
    const entry: TensorEntry = { name: 'h.0.attn.c_attn.weight', dtype: 'BF16', shape: [2, 3], start: 100, end: 112, file: 'm.safetensors' };
    let error: unknown;
    try {
      decodeTensor(bytes, entry);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteTensorError);
    expect((error as NonFiniteTensorError).count).toBe(3);
    expect((error as Error).message).toBe('m.safetensors: tensor "h.0.attn.c_attn.weight": contains 3 non-finite values (NaN/Inf) out of 6');
  });

  it('rejects NaN produced by FP8 codes and by an infinite scale', () => {
    const bytes = new Uint8Array([0x38, 0x7f]); // 1.0, NaN in E4M3
    expect(() => decodeTensor(bytes, { name: 'q', dtype: 'F8_E4M3', shape: [2], start: 0, end: 2 })).toThrow(NonFiniteTensorError);
    const fine = new Uint8Array([0x38, 0x38]);
    expect(() =>
      decodeTensor(fine, { name: 'q', dtype: 'F8_E4M3', shape: [1, 2], start: 0, end: 2 }, { data: new Float32Array([Infinity]), shape: [1] }),
    ).toThrow(/2 non-finite values/);
  });

  it('rejects a byte count that does not match the entry (truncated read)', () => {
    const entry: TensorEntry = { name: 'w', dtype: 'F32', shape: [4], start: 8, end: 24, file: 'f' };
    expect(() => decodeTensor(new Uint8Array(12), entry)).toThrow(SafetensorsError);
    expect(() => decodeTensor(new Uint8Array(12), entry)).toThrow('f: tensor "w": read 12 bytes, expected 16 (truncated read?)');
    expect(() => decodeTensor(new Uint8Array(16), { ...entry, shape: [5] })).toThrow(/16 bytes do not match F32 x \[5\]/);
  });

  it('does not mutate the source bytes when scaling F32 data', () => {
    const bytes = encodeTensorData({ name: 'w', dtype: 'F32', shape: [2], data: [1, 2] });
    const copy = bytes.slice();
    const got = decodeTensor(bytes, { name: 'w', dtype: 'F32', shape: [2], start: 0, end: 8 }, { data: new Float32Array([3]), shape: [] });
    expect(Array.from(got)).toEqual([3, 6]);
    expect(bytes).toEqual(copy);
  });
});

describe('BF16 decoding (one pass: values and the NaN/Inf count)', () => {
  it('gives every code the float32 with those high bits, at any alignment and odd counts, and counts non-finite codes', () => {
    const codes = new Uint16Array(65_537);
    for (let i = 0; i < codes.length; i++) codes[i] = (i * 40503) & 0xffff; // every 16-bit code, odd length
    const nonFinite = Array.from(codes).filter((c) => (c & 0x7f80) === 0x7f80).length;
    expect(nonFinite).toBeGreaterThan(0);
    for (const offset of [0, 2, 4, 6]) {
      const buf = new Uint8Array(offset + codes.length * 2);
      buf.set(new Uint8Array(codes.buffer), offset);
      const bytes = buf.subarray(offset);
      const entry: TensorEntry = { name: 'w', dtype: 'BF16', shape: [codes.length], start: 0, end: bytes.length };
      let error: unknown;
      try {
        decodeTensor(bytes, entry);
      } catch (e) {
        error = e;
      }
      expect((error as NonFiniteTensorError).count, `offset ${offset}`).toBe(nonFinite);
      // finite codes only: the values come back bit for bit
      const finite = Uint16Array.from(codes, (c) => ((c & 0x7f80) === 0x7f80 ? c & 0x807f : c));
      const buf2 = new Uint8Array(offset + finite.length * 2);
      buf2.set(new Uint8Array(finite.buffer), offset);
      const got = decodeTensor(buf2.subarray(offset), entry);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(Uint32Array.from(finite, (c) => c << 16).buffer))).toBe(true);
    }
  });
});
