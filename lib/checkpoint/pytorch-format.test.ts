import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCheckpoint } from '@/lib/cli/run-analysis';
import { localLocation, openCheckpoint, openLocalSource } from '.';

/**
 * PyTorch checkpoints through the tensor-source seam: real torch.save files (torch 1.13) analysed exactly as
 * WeightWatcher analysed the same tensors, tied storages read once, every value torch saved read back.
 */

const CONFORMANCE = join(__dirname, '../pytorch/__fixtures__/conformance');
const REAL = join(__dirname, '../pytorch/__fixtures__/real');

type Expected = Record<string, { analyzed?: boolean; default?: Record<string, unknown> }>;

describe('PyTorch checkpoints through the seam', () => {
  it.each(['mp.bin', 'tinyllama.bin', 'tinyllama-sharded'])('%s: every analysed layer equals WeightWatcher', async (file) => {
    const expected = JSON.parse(await readFile(join(CONFORMANCE, 'expected.json'), 'utf8')) as Expected;
    const report = await analyzeCheckpoint(await openLocalSource(join(CONFORMANCE, file)), {});
    expect(report.format).toBe('pytorch-zip');
    let compared = 0;
    for (const layer of report.layers) {
      const ref = expected[`${file}::${layer.tensor}`];
      if (!ref) continue;
      if (!ref.analyzed) {
        expect(layer.status).toBe('skipped');
        continue;
      }
      compared++;
      for (const [col, v] of Object.entries(ref.default ?? {})) {
        const got = (layer as unknown as Record<string, unknown>)[col];
        if (typeof v !== 'number' || typeof got !== 'number') continue;
        expect(Math.abs(got - v), `${layer.tensor} ${col}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(v), 1e-9));
      }
    }
    expect(compared).toBeGreaterThanOrEqual(8);
  });

  it('a sharded .bin is read shard by shard in each shard\'s own order (layer_id as WeightWatcher numbers it)', async () => {
    const report = await analyzeCheckpoint(await openLocalSource(join(CONFORMANCE, 'tinyllama-sharded')), {});
    const ids = Object.fromEntries(report.layers.filter((l) => l.layer_id).map((l) => [l.tensor, l.layer_id]));
    expect(ids['model.embed_tokens.weight']).toBe(1);
    expect(ids['lm_head.weight']).toBe(21);
  });

  it('tied weights: one storage read once, each name its own layer with the same values', async () => {
    const location = await localLocation(join(REAL, 'tied.pt'));
    const reads: Array<[number, number]> = [];
    const counting = {
      ...location,
      async open(path: string) {
        const source = await location.open(path);
        return { ...source, read: (a: number, b: number, s?: AbortSignal) => (reads.push([a, b]), source.read(a, b, s)) };
      },
    };
    const src = await openCheckpoint(counting);
    const expected = JSON.parse(await readFile(join(REAL, 'expected.json'), 'utf8'))['tied.pt'].tensors as Record<
      string,
      { storage: string; values: number[] }
    >;
    const tied = Object.entries(expected).filter(([, t]) => t.storage === expected['embed.weight'].storage).map(([n]) => n);
    expect(tied.length).toBeGreaterThan(1);
    reads.length = 0;
    for (const name of tied) {
      const m = await src.read(src.tensors.find((t) => t.name === name)!);
      expect(Array.from(m.data)).toEqual(expected[name].values.map((v) => Math.fround(v)));
    }
    expect(reads.length).toBe(1);
  });

  it.each(['strided.pt', 'strided-legacy.pt', 'nested-state-dict.pt', 'nested-model.pt', 'nested-legacy.pt', 'tied-legacy.pt', 'params.pt'])(
    '%s: every float tensor reads back as torch saved it',
    async (file) => {
      const expected = JSON.parse(await readFile(join(REAL, 'expected.json'), 'utf8'))[file] as {
        format: string;
        tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
      };
      const src = await openLocalSource(join(REAL, file));
      expect(src.format).toBe(expected.format);
      expect(src.tensors.map((t) => t.name).sort()).toEqual(Object.keys(expected.tensors).sort());
      for (const t of src.tensors) {
        if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) continue;
        const m = await src.read(t);
        const want = expected.tensors[t.name].values;
        expect(Array.from(m.data), t.name).toEqual(t.dtype === 'F64' ? want : want.map((v) => Math.fround(v)));
      }
    },
  );
});
