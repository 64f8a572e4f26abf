/**
 * Real torch.save files (lib/pytorch/__fixtures__/conformance, a copy of the shared torch conformance set): every
 * tensor decodes bit-identical to the same tensor of the reference safetensors files, its layout matches what
 * torch recorded, and WeightWatcher's default columns hold for every analysed layer.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileSource, openLocalCheckpoint, type ByteSource, type LocalCheckpoint } from '@/lib/safetensors';
import { analyzeMatrix } from '@/lib/spectral/analyze-matrix';
import { CONFORMANCE_DIR, compareDefaultColumns } from '@/lib/spectral/testing/conformance-cases';
import { readPytorchIndex, readPytorchTensor, type PytorchIndex } from './index';

const TORCH_DIR = fileURLToPath(new URL('./__fixtures__/conformance/', import.meta.url));

interface TorchExpected {
  key: string;
  file: string;
  tensor: string;
  source: { file: string; tensor: string };
  layout: { dtype: string; shape: number[]; stride: number[]; storage_offset: number };
  analyzed: boolean;
  default?: Record<string, unknown>;
}

const raw = JSON.parse(readFileSync(TORCH_DIR + 'expected.json', 'utf8')) as Record<string, unknown>;
const cases: TorchExpected[] = Object.entries(raw)
  .filter(([k]) => !k.startsWith('_'))
  .map(([key, v]) => ({ key, ...(v as Omit<TorchExpected, 'key'>) }));

/** The checkpoint file holding `tensor` (the sharded folder resolves through pytorch_model.bin.index.json). */
function fileFor(t: TorchExpected): string {
  if (!t.file.endsWith('.bin')) {
    const index = JSON.parse(readFileSync(`${TORCH_DIR}${t.file}/pytorch_model.bin.index.json`, 'utf8')) as {
      weight_map: Record<string, string>;
    };
    return `${TORCH_DIR}${t.file}/${index.weight_map[t.tensor]}`;
  }
  return TORCH_DIR + t.file;
}

const opened = new Map<string, { source: ByteSource; index: PytorchIndex }>();
const references = new Map<string, LocalCheckpoint>();

beforeAll(async () => {
  for (const t of cases) {
    const path = fileFor(t);
    if (!opened.has(path)) {
      const source = await fileSource(path);
      opened.set(path, { source, index: await readPytorchIndex(source) });
    }
    if (!references.has(t.source.file)) {
      references.set(t.source.file, await openLocalCheckpoint(CONFORMANCE_DIR + t.source.file));
    }
  }
});

async function readBoth(t: TorchExpected) {
  const { source, index } = opened.get(fileFor(t))!;
  const entry = index.tensors.find((e) => e.name === t.tensor);
  if (!entry) throw new Error(`${t.tensor} not in ${fileFor(t)}`);
  const ref = references.get(t.source.file)!;
  const refEntry = ref.get(t.source.tensor)!;
  return { entry, got: await readPytorchTensor(source, entry), want: await ref.read(refEntry) };
}

describe('torch conformance files', () => {
  it('covers every tensor of the reference list', () => {
    expect(cases.length).toBe(51);
    const names = new Set<string>();
    for (const { index } of opened.values()) for (const e of index.tensors) names.add(e.name);
    for (const t of cases) expect(names.has(t.tensor)).toBe(true);
  });

  it.each(cases.map((t) => [t.key, t] as const))('%s: layout as torch stored it, bits identical', async (_k, t) => {
    const { entry, got, want } = await readBoth(t);
    expect(entry.dtype).toBe(t.layout.dtype);
    expect(entry.shape).toEqual(t.layout.shape);
    expect(entry.stride).toEqual(t.layout.stride);
    expect(entry.storageOffset).toBe(t.layout.storage_offset);
    expect([got.rows, got.cols]).toEqual([want.rows, want.cols]);
    expect(got.data.constructor).toBe(want.data.constructor);
    const a = new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength);
    const b = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
  });

  it('WeightWatcher default columns hold for every analysed layer', async () => {
    const failures: string[] = [];
    for (const t of cases.filter((c) => c.analyzed)) {
      const { got } = await readBoth(t);
      const { metrics } = await analyzeMatrix(got.data, got.rows, got.cols, { subject: t.key });
      const { problems } = compareDefaultColumns(metrics as unknown as Record<string, unknown>, t.default!);
      failures.push(...problems.map((p) => `${t.key} ${p}`));
    }
    expect(failures).toEqual([]);
  });

  it('reads only the tail, directory, pickle and local headers for the index, then exactly each tensor span', async () => {
    const path = TORCH_DIR + 'mp.bin';
    const inner = await fileSource(path);
    const reads: Array<[number, number]> = [];
    const counting: ByteSource = {
      size: inner.size,
      label: inner.label,
      read: (s, e, signal) => {
        reads.push([s, e]);
        return inner.read(s, e, signal);
      },
    };
    const index = await readPytorchIndex(counting);
    const indexBytes = reads.reduce((n, [s, e]) => n + (e - s), 0);
    expect(indexBytes).toBeLessThan(100 * 1024); // of a 4 MB file
    for (const [s, e] of reads) expect(e - s).toBeLessThan(64 * 1024);
    reads.length = 0;
    const entry = index.tensors[3];
    await readPytorchTensor(counting, entry);
    expect(reads).toEqual([[entry.start, entry.end]]);
  });
});
