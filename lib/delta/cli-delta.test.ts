/**
 * `npm run analyze -- <model> --base <base>` and `npm run analyze -- <adapter folder>` as a subprocess: the JSON
 * document (one row per paired tensor with ΔW's columns and the delta columns, unmatched / unchanged rows), the
 * table, and the errors for a base that is missing or of another architecture.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { commitFiles, writeStandInRepo } from '@/lib/hub-stand-in/repo-store';
import { simpleStateDict, writeTorchZip } from '@/lib/pytorch/testing/write-torch';
import { encodeSafetensors, writeSafetensorsFile } from '@/lib/safetensors';
import { gaussian, seededRandom } from '@/lib/spectral/testing/planted';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['lib/cli/analyze.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

function randn(n: number, seed: number, scale = 1): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length: n }, () => gaussian(rand) * scale);
}

type Row = Record<string, unknown> & { tensor: string; status: string };

let dir: string;
let base: string;
let ft: string;
let adapter: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-delta-cli-'));
  base = path.join(dir, 'base');
  ft = path.join(dir, 'ft.safetensors');
  adapter = path.join(dir, 'adapter');
  await mkdir(base);
  await mkdir(adapter);
  const q = randn(40 * 32, 1, 0.05);
  const k = randn(40 * 32, 2, 0.05);
  await writeSafetensorsFile(path.join(base, 'model.safetensors'), [
    { name: 'model.layers.0.q_proj.weight', dtype: 'F32', shape: [40, 32], data: q },
    { name: 'model.layers.0.k_proj.weight', dtype: 'F32', shape: [40, 32], data: k },
  ]);
  await writeSafetensorsFile(ft, [
    { name: 'model.layers.0.q_proj.weight', dtype: 'F32', shape: [40, 32], data: q.map((x, i) => x + 0.01 * Math.sin(i)) },
    { name: 'model.layers.0.k_proj.weight', dtype: 'F32', shape: [40, 32], data: k },
    { name: 'score.weight', dtype: 'F32', shape: [2, 32], data: randn(64, 3) },
  ]);
  await writeFile(path.join(adapter, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 10, lora_alpha: 20, target_modules: ['q_proj'] }));
  await writeSafetensorsFile(path.join(adapter, 'adapter_model.safetensors'), [
    { name: 'base_model.model.model.layers.0.q_proj.lora_A.weight', dtype: 'F32', shape: [10, 32], data: randn(320, 4, 0.2) },
    { name: 'base_model.model.model.layers.0.q_proj.lora_B.weight', dtype: 'F32', shape: [40, 10], data: randn(400, 5, 0.1) },
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyze --base', () => {
  it('--json: ΔW rows with the delta columns, unchanged and unmatched rows; a table without --json', async () => {
    const [run, table] = await Promise.all([runCli([ft, '--base', base, '--json']), runCli([ft, '--base', base])]);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { source: string; base: string; mode: string; layers: Row[]; summary: Record<string, unknown> };
    expect(doc.mode).toBe('delta');
    expect(doc.base).toBe(base);
    const q = doc.layers.find((l) => l.tensor === 'model.layers.0.q_proj.weight')!;
    expect(q.status).toMatch(/success|failed/);
    for (const col of ['alpha', 'D', 'norm', 'stable_rank', 'delta_rel_frobenius', 'delta_spectral_ratio', 'delta_stable_rank', 'delta_effective_rank']) {
      expect(typeof q[col], col).toBe('number');
    }
    expect(doc.layers.find((l) => l.tensor === 'model.layers.0.k_proj.weight')!.status).toBe('unchanged');
    const head = doc.layers.find((l) => l.tensor === 'score.weight')!;
    expect(head).toMatchObject({ status: 'unmatched', reason: expect.stringMatching(/only in the fine-tune/) });
    expect(head.alpha).toBeUndefined();
    expect(typeof doc.summary.alpha).toBe('number');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^base: /m);
    expect(table.stdout).toMatch(/rel_F\s+spec_ratio\s+eff_rank\s+d_alpha/);
    expect(table.stdout).toMatch(/unmatched \(1\):\n {2}score\.weight/);
  });

  it('a missing base exits 2 naming --base; a base of another architecture exits 1 with the reason', async () => {
    const missing = await runCli([ft, '--base', path.join(dir, 'nope'), '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--base .*nope.*no such file/);
    const other = path.join(dir, 'other.safetensors');
    await writeSafetensorsFile(other, [{ name: 'transformer.h.0.attn.c_attn.weight', dtype: 'F32', shape: [16, 32], data: randn(512, 6) }]);
    const run = await runCli([ft, '--base', other, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no tensor pairs .*different architectures/);
    expect(run.stdout).toBe('');
  });
});

describe('analyze <adapter folder>', () => {
  it('detects adapter_config.json and analyses ΔW = s·B·A per module', async () => {
    const run = await runCli([adapter, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { mode: string; adapter: Record<string, unknown>; layers: Row[] };
    expect(doc.mode).toBe('adapter');
    expect(doc.adapter).toMatchObject({ peft_type: 'LORA', r: 10, lora_alpha: 20 });
    expect(doc.layers).toHaveLength(1);
    expect(doc.layers[0]).toMatchObject({ tensor: 'model.layers.0.q_proj.weight', name: 'model.layers.0.q_proj', lora_r: 10, lora_scale: 2, matrix_rank: 10, N: 40, M: 32 });
    // With --base, each module is matched to the base matrix of its name and W_base + ΔW is analysed too.
    const withBase = await runCli([adapter, '--base', base, '--json']);
    expect(withBase.code, withBase.stderr).toBe(0);
    const withBaseRow = (JSON.parse(withBase.stdout) as { layers: Row[] }).layers[0];
    expect(withBaseRow.lora_r).toBe(10);
    expect(withBaseRow).toMatchObject({ base_tensor: 'model.layers.0.q_proj.weight', base_shape: [40, 32] });
    expect(typeof withBaseRow.delta_alpha).toBe('number');
    expect(withBaseRow.delta_rel_frobenius).toBeGreaterThan(0);
  });
});

describe('repo ids (stand-in Hub), mixed with local paths', () => {
  let hub: StandInHub;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'alphaboard-delta-hub-'));
    const a = randn(10 * 32, 4, 0.2);
    const b = randn(40 * 10, 5, 0.1);
    await writeStandInRepo(root, { id: 'test/lora-bin', downloads: 1, likes: 0 });
    await commitFiles(root, 'test/lora-bin', {
      files: {
        'adapter_config.json': JSON.stringify({ peft_type: 'LORA', r: 10, lora_alpha: 20, base_model_name_or_path: 'test/base' }),
        'adapter_model.bin': writeTorchZip(simpleStateDict([
          { name: 'base_model.model.model.layers.0.q_proj.lora_A.weight', dtype: 'F32', shape: [10, 32], values: a },
          { name: 'base_model.model.model.layers.0.q_proj.lora_B.weight', dtype: 'F32', shape: [40, 10], values: b },
        ])),
      },
    });
    await writeStandInRepo(root, { id: 'test/ft-hub', downloads: 1, likes: 0 });
    const q = randn(40 * 32, 1, 0.05);
    await commitFiles(root, 'test/ft-hub', {
      files: {
        'model.safetensors': encodeSafetensors([
          { name: 'model.layers.0.q_proj.weight', dtype: 'F32', shape: [40, 32], data: q.map((x, i) => x + 0.01 * Math.cos(i)) },
        ]),
      },
    });
    hub = await startStandInHub({ root });
  });
  afterAll(async () => {
    await hub?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('an adapter repo with adapter_model.bin, and a Hub fine-tune against a local base folder', async () => {
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: '' };
    const [ad, delta] = await Promise.all([runCli(['test/lora-bin', '--json'], env), runCli(['test/ft-hub', '--base', base, '--json'], env)]);
    expect(ad.code, ad.stderr).toBe(0);
    const adDoc = JSON.parse(ad.stdout) as { mode: string; format: string; adapter: Record<string, unknown>; layers: Row[] };
    expect(adDoc).toMatchObject({ mode: 'adapter', format: 'pytorch-zip', adapter: { base_model_name_or_path: 'test/base' } });
    expect(adDoc.layers[0]).toMatchObject({ name: 'model.layers.0.q_proj', matrix_rank: 10 });
    expect(delta.code, delta.stderr).toBe(0);
    const dDoc = JSON.parse(delta.stdout) as { source: string; layers: Row[] };
    expect(dDoc.source).toMatch(/^test\/ft-hub@/);
    expect(dDoc.layers.find((l) => l.tensor === 'model.layers.0.q_proj.weight')!.status).toMatch(/success|failed/);
    expect(dDoc.layers.find((l) => l.tensor === 'model.layers.0.k_proj.weight')).toMatchObject({ status: 'unmatched', side: 'base' });
  });
});
