/**
 * WeightWatcher 0.7.5.5 conformance: every tensor of the shared reference set through layerSkipReason and
 * analyzeMatrix, every default column against its tolerance (see testing/conformance-cases.ts), the model summaries
 * against get_summary(), and the Gram route alone against the fit columns.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openLocalCheckpoint, type LocalCheckpoint } from '@/lib/safetensors';
import type { LayerResult } from '@/lib/types';
import { analyzeMatrix } from './analyze-matrix';
import { layerName, layerSkipReason } from './select';
import { summarize } from './summary';
import {
  CONFORMANCE_DIR, compareDefaultColumns, decodeNumber, loadExpected, relErr, type ExpectedTensor,
} from './testing/conformance-cases';

const { tensors, summaries } = loadExpected();
const files = [...new Set(tensors.map((t) => t.file))];
const checkpoints = new Map<string, LocalCheckpoint>();

async function readMatrix(t: ExpectedTensor) {
  const ck = checkpoints.get(t.file)!;
  const entry = ck.get(t.key);
  if (!entry) throw new Error(`${t.key} missing from ${t.file}`);
  return ck.read(entry);
}

beforeAll(async () => {
  for (const f of files) checkpoints.set(f, await openLocalCheckpoint(CONFORMANCE_DIR + f));
});

describe('layer selection', () => {
  it.each(tensors.map((t) => [t.key, t] as const))('%s: same skip decision as WeightWatcher', (_k, t) => {
    const reason = layerSkipReason({ key: t.key, shape: t.shape, dtype: t.dtype });
    if (t.analyzed) expect(reason).toBeNull();
    else expect(reason).toBe(t.skip_reason);
  });
});

describe('default columns', () => {
  const analysed = tensors.filter((t) => t.analyzed);
  it.each(analysed.map((t) => [t.key, t] as const))('%s', async (_k, t) => {
    const m = await readMatrix(t);
    const { metrics } = await analyzeMatrix(m.data, m.rows, m.cols, { subject: t.key });
    const { problems } = compareDefaultColumns(metrics as unknown as Record<string, unknown>, t.default!);
    expect(problems).toEqual([]);
  });

  it('the pure-JS backend meets every tolerance too', async () => {
    const failures: string[] = [];
    for (const t of analysed) {
      const m = await readMatrix(t);
      const { metrics } = await analyzeMatrix(m.data, m.rows, m.cols, { backend: 'js' });
      const { problems } = compareDefaultColumns(metrics as unknown as Record<string, unknown>, t.default!);
      failures.push(...problems.map((p) => `${t.key} ${p}`));
    }
    expect(failures).toEqual([]);
  });

  it('Gram route alone keeps every fit and norm column on full-rank cases', async () => {
    const failures: string[] = [];
    for (const t of analysed) {
      const m = await readMatrix(t);
      const { metrics } = await analyzeMatrix(m.data, m.rows, m.cols, { route: 'gram' });
      for (const col of ['alpha', 'D', 'xmin', 'xmax', 'sigma', 'num_pl_spikes', 'log_norm', 'log_alpha_norm'] as const) {
        const want = decodeNumber(t.default![col]) as number;
        const got = metrics[col] as number;
        const ok = col === 'num_pl_spikes' ? got === want : relErr(got, want) <= 1e-6;
        if (!ok) failures.push(`${t.key} ${col}: ${got} vs ${want}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

/** Option runs of the reference set: columns and tolerances (mp_fit/detX 1e-4, num_spikes within 1; fits 1e-6). */
const OPTION_RUNS = [
  { run: 'xmax_minus1', options: { xmax: -1 }, tol: 1e-6 },
  { run: 'fix_fingers_clip_xmax', options: { fixFingers: 'clip_xmax' as const }, tol: 1e-6 },
  { run: 'mp_fit_detX', options: { mpFit: true, detX: true }, tol: 1e-4 },
];

describe('option columns through analyzeMatrix', () => {
  it.each(OPTION_RUNS)('$run', async ({ run, options, tol }) => {
    const failures: string[] = [];
    for (const t of tensors.filter((x) => x.analyzed && x.options?.[run])) {
      const m = await readMatrix(t);
      const { metrics } = await analyzeMatrix(m.data, m.rows, m.cols, options);
      const got = metrics as unknown as Record<string, unknown>;
      for (const [col, raw] of Object.entries(t.options![run])) {
        const want = decodeNumber(raw);
        const g = got[col];
        if (typeof want === 'string' || want === null) {
          if (g !== want) failures.push(`${t.key} ${col}: ${String(g)} vs ${String(want)}`);
        } else if (col === 'num_spikes') {
          if (Math.abs((g as number) - (want as number)) > 1) failures.push(`${t.key} ${col}: ${g} vs ${want}`);
        } else if (['num_pl_spikes', 'num_fingers', 'detX_num'].includes(col)) {
          if (g !== want) failures.push(`${t.key} ${col}: ${g} vs ${want}`);
        } else if (!(relErr(g as number, want as number) <= tol)) {
          failures.push(`${t.key} ${col}: ${g} vs ${want}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('model summaries (get_summary)', () => {
  it.each(files)('%s', async (file) => {
    const layers: LayerResult[] = [];
    for (const t of tensors.filter((x) => x.file === file)) {
      const skip = layerSkipReason({ key: t.key, shape: t.shape, dtype: t.dtype });
      if (skip) {
        layers.push({ tensor: t.key, name: layerName(t.key), status: 'skipped', skip_reason: skip, shape: t.shape, dtype: t.dtype });
        continue;
      }
      const m = await readMatrix(t);
      const { metrics } = await analyzeMatrix(m.data, m.rows, m.cols);
      layers.push({ ...metrics, tensor: t.key, name: layerName(t.key), shape: t.shape, dtype: t.dtype });
    }
    const stats = summarize(layers);
    const want = summaries[file].get_summary as Record<string, number>;
    for (const [col, value] of Object.entries(want)) {
      expect(relErr(stats[col as keyof typeof stats] as number, value), col).toBeLessThanOrEqual(1e-6);
    }
    expect(stats.layers_analyzed).toBe(summaries[file].num_layers_analyzed);
  });
});
