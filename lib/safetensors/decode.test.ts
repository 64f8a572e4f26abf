import { describe, expect, it } from 'vitest';

import { Bf16Matrix } from '@/lib/spectral/bf16-matrix';
import { countNonFinite, decodeTensor, decodeTensorForAnalysis, inferBlockSize } from './decode';
import { countNonFiniteBf16 } from './dtype';
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

describe('BF16 kept as its bits for the spectral core (decodeTensorForAnalysis)', () => {
  const codes = Uint16Array.from({ length: 4097 }, (_, i) => (i * 40503) & 0xffff); // every kind of code, odd count
  const finite = Uint16Array.from(codes, (c) => ((c & 0x7f80) === 0x7f80 ? c & 0x807f : c));
  const entry = (n: number): TensorEntry => ({ name: 'w', dtype: 'BF16', shape: [n], start: 0, end: 2 * n, file: 'm.safetensors' });
  const at = (values: Uint16Array, offset: number) => {
    const buf = new Uint8Array(offset + values.length * 2);
    buf.set(new Uint8Array(values.buffer), offset);
    return buf.subarray(offset);
  };

  it('returns the bits (any alignment, odd ones copied) whose decoding is decodeTensor\'s result', () => {
    for (const offset of [0, 1, 2, 3, 4]) {
      const bytes = at(finite, offset);
      const got = decodeTensorForAnalysis(bytes, entry(finite.length));
      expect(got).toBeInstanceOf(Bf16Matrix);
      const m = got as Bf16Matrix;
      expect(Array.from(m.bits), `offset ${offset}`).toEqual(Array.from(finite));
      expect(m.bits.buffer === bytes.buffer, `offset ${offset}`).toBe(offset % 2 === 0); // a view unless misaligned
      expect(Array.from(m.toFloat32())).toEqual(Array.from(decodeTensor(bytes, entry(finite.length))));
    }
  });

  it('counts NaN/Inf from the bits and throws what decodeTensor throws', () => {
    const nonFinite = Array.from(codes).filter((c) => (c & 0x7f80) === 0x7f80).length;
    expect(nonFinite).toBeGreaterThan(0);
    for (const offset of [0, 1, 2, 3]) {
      const bytes = at(codes, offset);
      expect(countNonFiniteBf16(bytes), `offset ${offset}`).toBe(nonFinite);
      const message = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          expect(e).toBeInstanceOf(NonFiniteTensorError);
          return (e as Error).message;
        }
        return null;
      };
      const expected = message(() => decodeTensor(bytes, entry(codes.length)));
      expect(expected).toContain(`contains ${nonFinite} non-finite values`);
      expect(message(() => decodeTensorForAnalysis(bytes, entry(codes.length)))).toBe(expected);
    }
  });

  it('decodes every other tensor as decodeTensor does (other dtypes, BF16 with a scale), and checks byte counts', () => {
    const f32 = encodeTensorData({ name: 'w', dtype: 'F32', shape: [3], data: [1, -2, 0.5] });
    expect(decodeTensorForAnalysis(f32, { name: 'w', dtype: 'F32', shape: [3], start: 0, end: 12 })).toEqual(new Float32Array([1, -2, 0.5]));
    const bf = encodeTensorData({ name: 'w', dtype: 'BF16', shape: [2], data: [1, 2] });
    const scaled = decodeTensorForAnalysis(bf, { name: 'w', dtype: 'BF16', shape: [2], start: 0, end: 4 }, { data: new Float32Array([3]), shape: [] });
    expect(scaled).toEqual(new Float32Array([3, 6]));
    expect(() => decodeTensorForAnalysis(new Uint8Array(6), entry(4))).toThrow('m.safetensors: tensor "w": read 6 bytes, expected 8 (truncated read?)');
  });
});

describe('countNonFinite', () => {
  it('counts NaN and ±Inf, and nothing else, in float32, float64 (views at an offset too) and plain arrays', () => {
    const values = [Number.NaN, 1, Infinity, -0, -Infinity, 5e-324, 1.7976931348623157e308, -2.5, 1e-45, 3.4028234663852886e38];
    const f64 = Float64Array.from(values);
    expect(countNonFinite(f64)).toBe(3);
    expect(countNonFinite(values)).toBe(3);
    const f32 = Float32Array.from(values); // 5e-324 -> 0, 1.8e308 -> Infinity
    expect(countNonFinite(f32)).toBe(4);
    expect(countNonFinite(f64.subarray(1))).toBe(2);
    expect(countNonFinite(f32.subarray(3, 9))).toBe(2);
    const payload = new Float32Array(new Uint32Array([0x7f800001, 0xffc00000, 0x7f7fffff, 0x00000001]).buffer);
    expect(countNonFinite(payload)).toBe(2); // NaNs with payloads; the largest finite; the smallest subnormal
  });
});
