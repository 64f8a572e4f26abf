/**
 * Degenerate layers through the analyze CLI with each option (what the issue reproduced: `--fit TPL` on a float32
 * orthogonal matrix never returned). One file holds an orthogonal 128×128 matrix, an identity, an exact rank-1
 * matrix, an all-zero matrix, a 10×100 matrix at the min_evals edge and a 9×100 one below it. Every run must finish
 * and report every tensor, with WeightWatcher's numbers or failed-fit sentinels (its own output for the same
 * matrices: lib/spectral/__fixtures__/degenerate/weightwatcher.json; JSON writes ∞ as null).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '@/lib/safetensors';
import { degenerateCases } from '@/lib/spectral/testing/degenerate-spectra';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

type Row = Record<string, number | string | null>;
const FIXTURE = JSON.parse(
  await readFile(path.join(ROOT, 'lib/spectral/__fixtures__/degenerate/weightwatcher.json'), 'utf8'),
) as { cases: Record<string, Record<string, Row>> };

/** tensor → degenerate case name (testing/degenerate-spectra.ts). */
const TENSORS: Record<string, string> = {
  'orth.weight': 'orthogonal 128x128 (float32)',
  'eye.weight': 'identity 64x96',
  'rank1.weight': 'exact rank 1, 48x64',
  'zero.weight': 'all zero 16x32',
  'edge.weight': 'min_evals edge: 10x100 all equal',
};

/** CLI flags → the WeightWatcher run whose fit columns they must give. */
const RUNS: Array<{ flags: string[]; fit: string }> = [
  { flags: [], fit: 'default' },
  { flags: ['--mp-fit'], fit: 'default' },
  { flags: ['--detx'], fit: 'default' },
  { flags: ['--randomize', '--seed', '3'], fit: 'default' },
  { flags: ['--fix-fingers', 'clip_xmax'], fit: 'clip_xmax' },
  { flags: ['--xmax', '-1'], fit: 'xmax-1' },
  { flags: ['--fit', 'TPL'], fit: 'TPL' },
];

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['lib/cli/analyze.ts', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** WeightWatcher's value as the CLI's JSON writes it (non-finite → null). */
function asJson(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'string' ? Number(v) : v;
  return Number.isFinite(n) ? n : null;
}

function expectNear(got: unknown, want: number | string | null | undefined, rel: number, what: string): void {
  const w = asJson(want);
  if (w === null) {
    expect(got, what).toBeNull();
    return;
  }
  expect(Math.abs((got as number) - w), `${what}: got ${String(got)}, WeightWatcher ${w}`).toBeLessThanOrEqual(rel * Math.abs(w));
}

describe('analyze CLI on degenerate layers, every option', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-degenerate-'));
    file = path.join(dir, 'degenerate.safetensors');
    const cases = new Map(degenerateCases().map((c) => [c.name, c]));
    const tensors = Object.entries(TENSORS).map(([name, caseName]) => {
      const c = cases.get(caseName)!;
      return { name, dtype: c.data instanceof Float32Array ? ('F32' as const) : ('F64' as const), shape: [c.rows, c.cols], data: c.data };
    });
    tensors.push({ name: 'small.weight', dtype: 'F32', shape: [9, 100], data: new Float32Array(900).fill(0.5) });
    await writeSafetensorsFile(file, tensors);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(RUNS)('$flags finishes and matches WeightWatcher', { timeout: 120_000 }, async ({ flags, fit }) => {
    const run = await runCli([file, '--json', ...flags]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { layers: Row[] };
    expect(report.layers.map((l) => l.tensor)).toEqual([...Object.keys(TENSORS), 'small.weight']);
    const small = report.layers.find((l) => l.tensor === 'small.weight')!;
    expect(small.status).toBe('skipped');
    expect(small.skip_reason).toMatch(/min_evals/);

    for (const [tensor, caseName] of Object.entries(TENSORS)) {
      const layer = report.layers.find((l) => l.tensor === tensor)!;
      const want = FIXTURE.cases[caseName][fit];
      const what = `${tensor} ${flags.join(' ')}`;
      expect(layer.status, what).toBe(want.status);
      if (want.status === 'failed') {
        for (const k of ['alpha', 'D', 'xmin', 'num_pl_spikes']) expect(layer[k], `${what} ${k}`).toBe(-1);
        expect(layer.xmax, what).toBeNull();
        continue;
      }
      // the orthogonal matrix's α (~8e7) follows the eigenvalues' rounding (spec §9.5): compared loosely
      const orth = tensor === 'orth.weight';
      const rel = orth ? 1e-6 : fit === 'TPL' ? 1e-6 : 1e-9;
      expectNear(layer.alpha, want.alpha, rel, `${what} alpha`);
      expectNear(layer.D, want.D, orth ? 1e-4 : rel, `${what} D`);
      expectNear(layer.xmin, want.xmin, 1e-12, `${what} xmin`);
      if (!(orth && fit === 'clip_xmax')) expect(layer.num_pl_spikes, what).toBe(want.num_pl_spikes);
      if (fit === 'TPL') expectNear(layer.Lambda, want.Lambda, 1e-6, `${what} Lambda`);
    }
  });
});
