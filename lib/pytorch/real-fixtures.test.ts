/**
 * Real torch.save files written by torch 1.13 (__fixtures__/real/make_fixtures.py): legacy and zip formats, tied
 * weights and views at offsets into one storage, transposed / sliced / permuted / stepped / expanded views,
 * nested training checkpoints, BF16/F16/F64, Parameters, integer and bool tensors. Every layout and every value
 * must equal what torch itself reported for the loaded tensor (expected.json).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fileSource, UnsupportedDtypeError } from '@/lib/safetensors';
import { asFloat, Bf16Matrix } from '@/lib/spectral/bf16-matrix';
import { openLocalSource } from '@/lib/checkpoint/open';
import { decodePytorchTensorForAnalysis, readPytorchIndex, readPytorchTensor, readPytorchTensors, type PytorchMatrix } from './index';

const DIR = fileURLToPath(new URL('./__fixtures__/real/', import.meta.url));

interface Expected {
  format: string;
  tensors: Record<string, {
    dtype: string; shape: number[]; stride: number[]; storage_offset: number; storage: string; values: number[]; sum: number;
  }>;
}

const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as Record<string, Expected>;
const FLOAT = new Set(['F32', 'F64', 'F16', 'BF16']);

describe.each(Object.entries(expected))('%s', (file, want) => {
  it('layout, storage sharing and every value as torch loads them', async () => {
    const source = await fileSource(DIR + file);
    const index = await readPytorchIndex(source);
    expect(index.format).toBe(want.format);
    expect(index.tensors.map((t) => t.name).sort()).toEqual(Object.keys(want.tensors).sort());
    const keyOfLabel = new Map<string, string>();
    for (const entry of index.tensors) {
      const w = want.tensors[entry.name];
      expect({ dtype: entry.dtype, shape: entry.shape, stride: entry.stride, offset: entry.storageOffset }).toEqual({
        dtype: w.dtype, shape: w.shape, stride: w.stride, offset: w.storage_offset,
      });
      // Same torch storage <=> same storage key.
      const k = keyOfLabel.get(w.storage);
      if (k === undefined) {
        expect([...keyOfLabel.values()]).not.toContain(entry.storageKey);
        keyOfLabel.set(w.storage, entry.storageKey);
      } else {
        expect(entry.storageKey).toBe(k);
      }
      if (!FLOAT.has(entry.dtype)) {
        await expect(readPytorchTensor(source, entry)).rejects.toBeInstanceOf(UnsupportedDtypeError);
        continue;
      }
      const m = await readPytorchTensor(source, entry);
      expect(Array.from(m.data)).toEqual(w.values);
      const rows = w.shape.length ? w.shape[0] : 1;
      expect(m.rows).toBe(rows);
      expect(m.cols).toBe(rows === 0 ? 0 : w.values.length / rows);
    }
  });

  it('reading all tensors at once gives the same matrices, one read per storage', async () => {
    const inner = await fileSource(DIR + file);
    const index = await readPytorchIndex(inner);
    let reads = 0;
    const counting = { ...inner, read: (s: number, e: number, sig?: AbortSignal) => { reads++; return inner.read(s, e, sig); } };
    const all = await readPytorchTensors(counting, index.tensors);
    const floatKeys = new Set(index.tensors.filter((t) => FLOAT.has(t.dtype)).map((t) => t.storageKey));
    expect(reads).toBe(floatKeys.size);
    index.tensors.forEach((entry, i) => {
      const r = all[i];
      if (!FLOAT.has(entry.dtype)) {
        expect(r).toBeInstanceOf(UnsupportedDtypeError);
        return;
      }
      expect(Array.from((r as PytorchMatrix).data)).toEqual(want.tensors[entry.name].values);
    });
  });
});

describe('checkpoint shapes', () => {
  it('nested checkpoints are named by their keys inside the state dict', async () => {
    const idx = await readPytorchIndex(await fileSource(DIR + 'nested-model.pt'));
    expect(idx.statePath).toEqual(['model']);
    expect(idx.tensors.map((t) => t.name)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect((await readPytorchIndex(await fileSource(DIR + 'nested-state-dict.pt'))).statePath).toEqual(['state_dict']);
    expect((await readPytorchIndex(await fileSource(DIR + 'nested-legacy.pt'))).statePath).toEqual(['module']);
  });

  it('tied weights: each name is its own entry over the same bytes', async () => {
    const idx = await readPytorchIndex(await fileSource(DIR + 'tied.pt'));
    const [a, b] = ['embed.weight', 'lm_head.weight'].map((n) => idx.tensors.find((t) => t.name === n)!);
    expect(a.storageKey).toBe(b.storageKey);
    expect([a.start, a.end]).toEqual([b.start, b.end]);
  });
});

describe('BF16 kept as its bits for the spectral core (real torch files)', () => {
  const withBf16 = Object.entries(expected).filter(([, want]) => Object.values(want.tensors).some((t) => t.dtype === 'BF16'));

  it('has BF16 tensors to test, contiguous and strided', () => {
    const all = withBf16.flatMap(([, want]) => Object.values(want.tensors).filter((t) => t.dtype === 'BF16'));
    expect(all.some((t) => t.stride[t.stride.length - 1] === 1)).toBe(true);
    expect(all.some((t) => t.stride[t.stride.length - 1] !== 1)).toBe(true);
  });

  it.each(withBf16.map(([file]) => file))('%s: contiguous BF16 comes back as bits, strided BF16 decoded; every value as torch loads it', async (file) => {
    const want = expected[file];
    const source = await fileSource(DIR + file);
    const index = await readPytorchIndex(source);
    for (const entry of index.tensors.filter((t) => t.dtype === 'BF16')) {
      const bytes = await source.read(entry.start, entry.end);
      const m = decodePytorchTensorForAnalysis(bytes, { ...entry, file });
      const contiguous = entry.stride.every((s, i) => s === entry.shape.slice(i + 1).reduce((a, b) => a * b, 1));
      expect(m.data instanceof Bf16Matrix, entry.name).toBe(contiguous && entry.shape.reduce((a, b) => a * b, 1) > 0);
      expect(Array.from(asFloat(m.data)), entry.name).toEqual(want.tensors[entry.name].values);
    }
    // through the tensor-source seam, as the pipeline and the CLI read it
    const seam = await openLocalSource(DIR + file);
    for (const t of seam.tensors.filter((x) => x.dtype === 'BF16')) {
      const kept = await seam.read(t, { keepBf16: true });
      const decoded = await seam.read(t);
      expect(Array.from(asFloat(kept.data)), t.name).toEqual(Array.from(decoded.data));
      expect(kept.contentHash).toBe(decoded.contentHash);
    }
  });
});
