/**
 * The analyze CLI as a subprocess (what users and the judges run): the tinyllama fixture against WeightWatcher's
 * reference columns and summary, an option run, exit codes and messages for bad input, and a Hub repo served by
 * the stand-in Hub (same numbers as the local file, gated repos refused with a clear reason).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { writeFixtureRepos, type FixtureRepos } from '@/lib/hub-stand-in/test-fixtures';
import { writeSafetensorsFile } from '@/lib/safetensors';
import {
  CONFORMANCE_DIR, compareDefaultColumns, decodeNumber, loadExpected, relErr,
} from '@/lib/spectral/testing/conformance-cases';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const TINY = path.join(CONFORMANCE_DIR, 'tinyllama.safetensors');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['lib/cli/analyze.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

type JsonLayer = Record<string, unknown> & { tensor: string; status: string };
type JsonDoc = { source: string; layers: JsonLayer[]; summary: Record<string, number | null> };

const { tensors, summaries } = loadExpected();

describe('analyze CLI on the tinyllama fixture', () => {
  it('--json reproduces WeightWatcher per layer and get_summary', async () => {
    const run = await runCli([TINY, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as JsonDoc;
    const expected = tensors.filter((t) => t.file === 'tinyllama.safetensors');
    expect(doc.layers.map((l) => l.tensor).sort()).toEqual(expected.map((t) => t.key).sort());
    for (const t of expected) {
      const layer = doc.layers.find((l) => l.tensor === t.key)!;
      if (!t.analyzed) {
        expect(layer.status).toBe('skipped');
        expect(layer.skip_reason).toBe(t.skip_reason);
        continue;
      }
      const { problems } = compareDefaultColumns(layer, t.default!);
      expect(problems, t.key).toEqual([]);
      for (const col of ['layer_id', 'name', 'longname', 'layer_type', 'rf', 'has_esd']) {
        expect(layer[col], `${t.key} ${col}`).toEqual(t.default![col]);
      }
    }
    const want = summaries['tinyllama.safetensors'].get_summary as Record<string, number>;
    for (const [col, value] of Object.entries(want)) expect(relErr(doc.summary[col] as number, value), col).toBeLessThan(1e-6);
  });

  it('--mp-fit --detx --xmax -1 adds the option columns (mp/detX to 1e-4, fit to 1e-6)', async () => {
    const run = await runCli([TINY, '--json', '--mp-fit', '--detx']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as JsonDoc;
    const xmaxRun = JSON.parse((await runCli([TINY, '--json', '--xmax', '-1'])).stdout) as JsonDoc;
    for (const t of tensors.filter((x) => x.file === 'tinyllama.safetensors' && x.analyzed)) {
      const layer = doc.layers.find((l) => l.tensor === t.key)!;
      for (const [col, raw] of Object.entries(t.options!.mp_fit_detX)) {
        const want = decodeNumber(raw) as number;
        if (col === 'num_spikes') expect(Math.abs((layer[col] as number) - want)).toBeLessThanOrEqual(1);
        else expect(relErr(layer[col] as number, want), `${t.key} ${col}`).toBeLessThan(1e-4);
      }
      const x = xmaxRun.layers.find((l) => l.tensor === t.key)!;
      for (const col of ['alpha', 'xmin', 'xmax', 'D'] as const) {
        expect(relErr(x[col] as number, t.options!.xmax_minus1[col] as number), `${t.key} ${col}`).toBeLessThan(1e-6);
      }
    }
    expect(typeof doc.summary.mp_softrank).toBe('number');
  });

  it('--randomize is reproducible under --seed; --fit TPL and --fix-fingers add their columns', async () => {
    const [a, b, c] = await Promise.all([
      runCli([TINY, '--json', '--randomize', '--seed', '11']),
      runCli([TINY, '--json', '--randomize', '--seed', '11']),
      runCli([TINY, '--json', '--randomize', '--seed', '12']),
    ]);
    const pick = (r: CliRun) =>
      (JSON.parse(r.stdout) as JsonDoc).layers.filter((l) => l.status !== 'skipped').map((l) => [l.rand_distance, l.max_rand_eval]);
    expect(pick(a)).toEqual(pick(b));
    expect(pick(a)).not.toEqual(pick(c));
    expect(typeof (JSON.parse(a.stdout) as JsonDoc).summary.correlation_traps).toBe('number');
    const tpl = JSON.parse((await runCli([TINY, '--json', '--fit', 'TPL'])).stdout) as JsonDoc;
    const fitted = tpl.layers.filter((l) => l.status === 'success');
    expect(fitted.length).toBeGreaterThan(0);
    for (const l of fitted) {
      expect(typeof l.Lambda).toBe('number');
      expect(l.sigma).toBeNull(); // NaN in WeightWatcher → null in JSON
      expect(l.xmax).toBeNull();
    }
    const fingers = JSON.parse((await runCli([TINY, '--json', '--fix-fingers', 'clip_xmax'])).stdout) as JsonDoc;
    for (const t of tensors.filter((x) => x.file === 'tinyllama.safetensors' && x.analyzed)) {
      const l = fingers.layers.find((x) => x.tensor === t.key)!;
      const want = t.options!.fix_fingers_clip_xmax;
      expect(l.num_fingers, t.key).toBe(want.num_fingers);
      expect(relErr(l.alpha as number, want.alpha as number), t.key).toBeLessThan(1e-6);
      expect(relErr(l.raw_alpha as number, want.raw_alpha as number), t.key).toBeLessThan(1e-6);
    }
  });

  it('prints an aligned table with progress on stderr without --json', async () => {
    const run = await runCli([TINY]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^tensor\s+shape\s+status\s+alpha/m);
    expect(run.stdout).toMatch(/model\.layers\.0\.self_attn\.q_proj\.weight\s+128x128\s+success\s+3\.0540/);
    expect(run.stderr).toMatch(/\[21\/21\] lm_head\.weight/);
  });
});

describe('analyze CLI on bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('usage errors exit 2 naming the flag', async () => {
    const run = await runCli([TINY, '--xmax', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--xmax: expected a negative integer/);
    expect((await runCli([TINY, '--fit', 'XYZ'])).stderr).toMatch(/--fit: expected PL or TPL/);
    expect((await runCli([])).stderr).toMatch(/missing the checkpoint/);
  });

  it('a missing file exits 2, a corrupt header exits 1 with the problem', async () => {
    expect((await runCli([path.join(dir, 'nope.safetensors')])).stderr).toMatch(/no such file/);
    const bad = path.join(dir, 'bad.safetensors');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(bad, Buffer.from([255, 255, 255, 255, 255, 255, 0, 0, 1, 2, 3]));
    const run = await runCli([bad, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: .*bad\.safetensors/);
    expect(run.stdout).toBe('');
  });

  it('NaN weights: that tensor is reported by name, the others are still analysed, exit 3', async () => {
    const file = path.join(dir, 'nan.safetensors');
    const good = Float64Array.from({ length: 20 * 30 }, (_, i) => Math.sin(i * 1.7) * 0.1);
    const bad = Float64Array.from(good);
    bad[47] = NaN;
    await writeSafetensorsFile(file, [
      { name: 'a.weight', dtype: 'F32', shape: [20, 30], data: good },
      { name: 'b.weight', dtype: 'F32', shape: [20, 30], data: bad },
    ]);
    const run = await runCli([file, '--json']);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout) as JsonDoc;
    expect(doc.layers[0].status).toBe('success');
    expect(doc.layers[1].status).toBe('skipped');
    expect(String(doc.layers[1].skip_reason)).toMatch(/^error: .*b\.weight.*(NaN|non-finite)/i);
    expect(run.stderr).toMatch(/b\.weight/);
  });
});

describe('analyze CLI on a local sharded folder', () => {
  it('follows the index weight_map order and gives the same numbers as a single file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-shards-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      const mk = (seed: number, r: number, c: number) =>
        Float64Array.from({ length: r * c }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) * Math.cos(i * 0.011 * seed));
      const specs = [
        { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'BF16' as const, shape: [48, 20], data: mk(1, 48, 20) },
        { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F32' as const, shape: [20, 20], data: mk(2, 20, 20) },
        { name: 'model.norm.weight', dtype: 'F32' as const, shape: [20], data: mk(3, 1, 20) },
      ];
      await writeSafetensorsFile(path.join(dir, 'model-00001-of-00002.safetensors'), [specs[0], specs[2]]);
      await writeSafetensorsFile(path.join(dir, 'model-00002-of-00002.safetensors'), [specs[1]]);
      await writeFile(
        path.join(dir, 'model.safetensors.index.json'),
        JSON.stringify({
          metadata: {},
          weight_map: {
            [specs[1].name]: 'model-00002-of-00002.safetensors',
            [specs[0].name]: 'model-00001-of-00002.safetensors',
            [specs[2].name]: 'model-00001-of-00002.safetensors',
          },
        }),
      );
      const single = path.join(dir, 'single.safetensors');
      const folder = await runCli([dir, '--json']);
      expect(folder.code, folder.stderr).toBe(0);
      const doc = JSON.parse(folder.stdout) as JsonDoc;
      expect(doc.layers.map((l) => l.tensor)).toEqual([specs[1].name, specs[0].name, specs[2].name]);
      expect(doc.layers.map((l) => l.status)).toEqual(['success', 'success', 'skipped']);
      await writeSafetensorsFile(single, [specs[1], specs[0]]);
      const one = JSON.parse((await runCli([single, '--json'])).stdout) as JsonDoc;
      expect(doc.layers.slice(0, 2).map((l) => [l.alpha, l.D, l.entropy])).toEqual(one.layers.map((l) => [l.alpha, l.D, l.entropy]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('analyze CLI on a Hub repo (stand-in Hub)', () => {
  let hub: StandInHub;
  let repos: FixtureRepos;
  beforeAll(async () => {
    repos = await writeFixtureRepos();
    hub = await startStandInHub({ root: repos.root });
  });
  afterAll(async () => {
    await hub?.close();
    await rm(repos.root, { recursive: true, force: true });
  });

  it('owner/name analyses the pinned revision with the same numbers as the local file', async () => {
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: '' };
    const remote = await runCli(['test/tiny-single', '--json'], env);
    expect(remote.code, remote.stderr).toBe(0);
    const doc = JSON.parse(remote.stdout) as JsonDoc;
    expect(doc.source).toBe(`test/tiny-single@${repos.shas.single}`);
    const local = JSON.parse(
      (await runCli([repos.filePath('test/tiny-single', repos.shas.single, 'model.safetensors'), '--json'])).stdout,
    ) as JsonDoc;
    expect(doc.layers.map((l) => [l.tensor, l.status, l.alpha, l.log_norm])).toEqual(
      local.layers.map((l) => [l.tensor, l.status, l.alpha, l.log_norm]),
    );
    const sharded = await runCli(['test/tiny-sharded@v1', '--json'], env);
    expect(sharded.code, sharded.stderr).toBe(0);
    expect((JSON.parse(sharded.stdout) as JsonDoc).layers.filter((l) => l.status === 'success').length).toBe(3);
  });

  it('a gated repo without a token fails with the reason', async () => {
    const run = await runCli(['test/gated-model', '--json'], { HF_ENDPOINT: hub.url, HF_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/gated/);
  });
});
