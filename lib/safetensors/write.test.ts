import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { bufferSource, fileSource } from './byte-source';
import { decodeTensor } from './decode';
import { UnsupportedDtypeError } from './errors';
import { readHeader } from './header';
import { encodeSafetensors, writeSafetensorsFile, type TensorSpec } from './write';

/** Values exactly representable in every float dtype tested (small dyadic rationals, zero, signs). */
const EXACT = [0, 1, -1, 0.5, -0.25, 1.5, 2, -3, 0.125, 6, -0.375, 12];

async function readAll(bytes: Uint8Array) {
  const source = bufferSource(bytes, 'rt.safetensors');
  const header = await readHeader(source);
  const out: Record<string, Float32Array | Float64Array> = {};
  for (const t of header.tensors) out[t.name] = decodeTensor(await source.read(t.start, t.end), t);
  return { header, out };
}

describe('safetensors round trip through encodeSafetensors and readHeader/decodeTensor', () => {
  const floatDtypes = ['F32', 'F64', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ'] as const;

  it('decodes exactly representable values unchanged for every float dtype', async () => {
    const specs: TensorSpec[] = floatDtypes.map((dtype) => ({ name: `t.${dtype}.weight`, dtype, shape: [3, 4], data: EXACT }));
    const { header, out } = await readAll(encodeSafetensors(specs, { format: 'pt' }));
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.dataStart % 8).toBe(0);
    expect(header.tensors.map((t) => t.name)).toEqual(specs.map((s) => s.name));
    for (const dtype of floatDtypes) {
      expect(Array.from(out[`t.${dtype}.weight`]), dtype).toEqual(EXACT);
      expect(out[`t.${dtype}.weight`]).toBeInstanceOf(dtype === 'F64' ? Float64Array : Float32Array);
    }
  });

  it('rounds inexact values to nearest-even and decodes to the rounded value', async () => {
    const third = 1 / 3;
    const { out } = await readAll(
      encodeSafetensors([
        { name: 'f32', dtype: 'F32', shape: [1], data: [third] },
        { name: 'f64', dtype: 'F64', shape: [1], data: [third] },
        { name: 'f16', dtype: 'F16', shape: [2], data: [third, 1 + 2 ** -11] },
        { name: 'bf16', dtype: 'BF16', shape: [2], data: [third, 1 + 2 ** -8] },
        { name: 'e4m3', dtype: 'F8_E4M3', shape: [2], data: [third, 300] },
        { name: 'e5m2', dtype: 'F8_E5M2', shape: [1], data: [third] },
      ]),
    );
    expect(out.f32[0]).toBe(Math.fround(third));
    expect(out.f64[0]).toBe(third);
    expect(out.f16[0]).toBe(0.333251953125); // 0x3555
    expect(out.f16[1]).toBe(1); // tie -> even
    expect(out.bf16[0]).toBe(0.333984375); // 0x3eab
    expect(out.bf16[1]).toBe(1); // tie -> even
    expect(out.e4m3[0]).toBe(0.34375);
    expect(out.e4m3[1]).toBe(288);
    expect(out.e5m2[0]).toBe(0.3125);
  });

  it('stores integer dtypes, which the decoder then refuses with the dtype named', async () => {
    const bytes = encodeSafetensors([
      { name: 'ids', dtype: 'I32', shape: [2, 2], data: [1, -2, 3, -4] },
      { name: 'mask', dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
      { name: 'big', dtype: 'I64', shape: [1], data: [2 ** 40] },
    ]);
    const source = bufferSource(bytes, 'ints.safetensors');
    const header = await readHeader(source);
    expect(header.tensors.map((t) => [t.dtype, t.end - t.start])).toEqual([
      ['I32', 16],
      ['BOOL', 3],
      ['I64', 8],
    ]);
    const ids = header.tensors[0];
    const raw = await source.read(ids.start, ids.end);
    expect(Array.from(new Int32Array(raw.slice().buffer))).toEqual([1, -2, 3, -4]);
    expect(() => decodeTensor(raw, ids)).toThrow(UnsupportedDtypeError);
    expect(() => decodeTensor(raw, ids)).toThrow('ints.safetensors: tensor "ids": dtype I32 cannot be decoded');
  });

  describe('on disk', () => {
    let dir = '';
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('writeSafetensorsFile produces the same bytes as encodeSafetensors and reads back by position', async () => {
      dir = await mkdtemp(join(tmpdir(), 'st-write-'));
      const specs: TensorSpec[] = [
        { name: 'a.weight', dtype: 'BF16', shape: [5, 3], data: Array.from({ length: 15 }, (_, i) => i - 7) },
        { name: 'b.weight', dtype: 'F32', shape: [2, 3], data: [0.1, 0.2, 0.3, -0.1, -0.2, -0.3] },
      ];
      const path = join(dir, 'w.safetensors');
      await writeSafetensorsFile(path, specs, { note: 'x' });
      const source = await fileSource(path);
      const inMemory = encodeSafetensors(specs, { note: 'x' });
      expect(source.size).toBe(inMemory.length);
      expect(Buffer.from(await source.read(0, source.size)).equals(Buffer.from(inMemory))).toBe(true);
      const header = await readHeader(source);
      const b = header.tensors[1];
      // a.weight is 30 bytes, so b.weight starts at an offset that is not 4-aligned relative to the data start
      expect((b.start - header.dataStart) % 4).toBe(2);
      expect(Array.from(decodeTensor(await source.read(b.start, b.end), b))).toEqual([0.1, 0.2, 0.3, -0.1, -0.2, -0.3].map(Math.fround));
    });
  });
});
