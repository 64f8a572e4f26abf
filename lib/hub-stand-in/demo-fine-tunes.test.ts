/**
 * The fine-tune and adapter demo repos, analysed as the CLI analyses them (`analyze <ft> --base <base> --json` →
 * openLocalSource + analyzeDelta; `analyze <adapter folder>` → localLocation + openAdapter + analyzeAdapter): the
 * planted spectra of ΔW come back, frozen layers read "unchanged", a resized embedding and an added head are
 * reported as such, and the adapter's rsLoRA scaling and rank_pattern are applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localLocation, openLocalSource, type TensorSource } from '../checkpoint';
import { isAdapterLocation, loraEigenvalues, openAdapter } from '../delta/adapter';
import { analyzeAdapter, analyzeDelta, type DeltaLayer, type DeltaReport } from '../delta/run-delta';
import { eigenvalues } from '../spectral/eigen';
import { parseCardData } from './model-card';
import { DEMO_ADAPTER_REPO_IDS, DEMO_FINE_TUNE_REPO_IDS, DEMO_PLANTED, generateDemoCheckpoints, type DemoRepoSummary } from './demo-models';
import type { RepoManifest } from './repo-store';

const BASE = 'demo/llama-mini-trained';
const { delta: P, frozen: F, cls: C, adapter: A } = DEMO_PLANTED;

let root: string;
let repos: DemoRepoSummary[];
const dir = (id: string) => {
  const repo = repos.find((r) => r.id === id)!;
  return path.join(root, id, 'snapshots', repo.revisions[0].sha);
};
const card = async (id: string) => parseCardData(await readFile(path.join(dir(id), 'README.md'), 'utf8'));
const rowOf = (report: DeltaReport, tensor: string) => {
  const row = report.layers.find((l) => l.tensor === tensor);
  if (!row) throw new Error(`no row for ${tensor}`);
  return row;
};
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Descending singular values of W_ft − W_base for one tensor, read through the same sources as analyzeDelta. */
async function deltaSingularValues(ft: TensorSource, base: TensorSource, name: string): Promise<{ sv: number[]; rows: number; cols: number }> {
  const m = await ft.read(ft.tensors.find((t) => t.name === name)!);
  const b = await base.read(base.tensors.find((t) => t.name === name)!);
  const d = Float64Array.from(m.data, (x, i) => x - b.data[i]);
  const evals = await eigenvalues(d, m.rows, m.cols);
  return { sv: Array.from(evals, (v) => Math.sqrt(Math.max(0, v))).reverse(), rows: m.rows, cols: m.cols };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'alphaboard-demo-ft-'));
  repos = await generateDemoCheckpoints(root, { seed: 42, only: [BASE, P.repo, F.repo, A.repo, C.repo] });
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('fine-tune and adapter demo repos', () => {
  it('lists the full fine-tunes and the adapter; every card names the base', async () => {
    expect(DEMO_FINE_TUNE_REPO_IDS).toEqual(['demo/llama-mini-chat', P.repo, F.repo, C.repo]);
    expect(DEMO_ADAPTER_REPO_IDS).toEqual([A.repo]);
    for (const id of [P.repo, F.repo, C.repo, A.repo]) {
      expect((await card(id)).base_model, id).toBe(BASE);
      expect(repos.find((r) => r.id === id)!.baseModel).toBe(BASE);
    }
    expect(repos.find((r) => r.id === A.repo)!.adapter).toBe(true);
    expect(repos.find((r) => r.id === P.repo)!.adapter).toBeUndefined();
  });

  it('writes the adapter as PEFT saves it: config, factors, a card with library_name peft', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir(A.repo))).sort()).toEqual(['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(await readFile(path.join(dir(A.repo), 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA', base_model_name_or_path: BASE, r: 16, lora_alpha: 32, use_rslora: true,
      target_modules: ['q_proj', 'v_proj', 'down_proj'], rank_pattern: { down_proj: 12 },
      alpha_pattern: { 'model.layers.1.self_attn.v_proj': 64 }, use_dora: false,
    });
    const c = await card(A.repo);
    expect(c.library_name).toBe('peft');
    expect(c.tags).toEqual(expect.arrayContaining(['synthetic', 'peft', 'lora']));
    const manifest = JSON.parse(await readFile(path.join(root, A.repo, 'repo.json'), 'utf8')) as RepoManifest;
    expect(manifest.library_name).toBe('peft');
    const src = await openLocalSource(path.join(dir(A.repo), 'adapter_model.safetensors'));
    expect(src.tensors.find((t) => t.name === 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')).toMatchObject({ dtype: 'F32', shape: [16, 256] });
    expect(src.tensors.find((t) => t.name === 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')?.shape).toEqual([256, 16]);
    expect(src.tensors.find((t) => t.name === 'base_model.model.model.layers.3.mlp.down_proj.lora_A.weight')?.shape).toEqual([12, 688]);
    expect(src.tensors.find((t) => t.name === 'base_model.model.model.layers.3.mlp.down_proj.lora_B.weight')?.shape).toEqual([256, 12]);
    expect(src.tensors).toHaveLength(2 * A.modules.length);
  });

  it('recovers the planted singular values of the full fine-tune\'s ΔW', async () => {
    const ft = await openLocalSource(dir(P.repo));
    const base = await openLocalSource(dir(BASE));
    const report = await analyzeDelta(ft, base, {});
    expect(report.errors).toBe(0);
    // Tolerance. The measured ΔW is D + N: D the planted rank-8 update, N the added Gaussian noise (std
    // P.noiseStd = 2e-4) plus the BF16 rounding of both checkpoints (half an ulp is at most 2^-8·|w|, entries have
    // RMS ≈ 0.02, so rounding adds an RMS of at most ≈ 0.02·2^-8/√3 ≈ 4.5e-5 per side). So N's entries have RMS
    // below σ_N = 2.5e-4, and for such a random matrix ||N||_2 ≈ σ_N·(√rows + √cols) (Bai–Yin edge). By Weyl's
    // inequality every singular value of D + N lies within ||N||_2 of D's: we allow 1.5 times that edge. For a
    // 256 × 256 weight this is 0.012 against planted values 0.64 … 0.064; the 9th singular value (pure noise) must
    // stay under it too, so the rank-8 structure is visible.
    const sigmaN = 2.5e-4;
    const blocks = report.layers.filter((l) => /^model\.layers\.\d+\.(self_attn|mlp)\.\w+\.weight$/.test(l.tensor));
    expect(blocks).toHaveLength(4 * 7);
    let worstTop = 0;
    for (const row of blocks) {
      expect(row.status, row.tensor).toMatch(/success|failed/);
      const { sv, rows, cols } = await deltaSingularValues(ft, base, row.tensor);
      const scale = P.layerScale(rows, cols);
      const planted = P.singularValues.map((s) => s * scale);
      const tol = 1.5 * sigmaN * (Math.sqrt(rows) + Math.sqrt(cols));
      planted.forEach((s, i) => expect(Math.abs(sv[i] - s), `${row.tensor} σ${i + 1}`).toBeLessThan(tol));
      expect(sv[P.rank], `${row.tensor} σ9 (noise)`).toBeLessThan(tol);
      // the analysis row: sv_max is the top singular value, lambda_max its square (the top eigenvalue)
      expect(Math.abs(row.sv_max! - planted[0]), row.tensor).toBeLessThan(tol);
      expect(relErr(row.sv_max!, sv[0])).toBeLessThan(1e-9);
      expect(Math.abs(row.lambda_max! - planted[0] ** 2), row.tensor).toBeLessThan(tol * (2 * planted[0] + tol));
      worstTop = Math.max(worstTop, relErr(row.sv_max!, planted[0]));
    }
    // the top value stands far above the noise: it comes back to well under a percent
    expect(worstTop).toBeLessThan(0.01);
    // embeddings and lm_head moved by the noise only: ΔW is a Gaussian bulk whose top is near σ·(√2048 + √256)
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const row = rowOf(report, name);
      const edge = P.noiseStd * (Math.sqrt(2048) + Math.sqrt(256));
      expect(row.sv_max!, name).toBeGreaterThan(0.9 * edge);
      expect(row.sv_max!, name).toBeLessThan(1.25 * edge);
    }
  }, 120_000);

  it('reports the frozen fine-tune\'s attention, embeddings and head as unchanged, its MLP as changed', async () => {
    const report = await analyzeDelta(await openLocalSource(dir(F.repo)), await openLocalSource(dir(BASE)), {});
    expect(report.errors).toBe(0);
    const weights = report.layers.filter((l) => l.tensor.endsWith('.weight') && l.shape.length === 2);
    const unchanged = weights.filter((l) => F.unchanged.some((u) => l.tensor.includes(u)));
    const changed = weights.filter((l) => F.changed.some((c) => l.tensor.includes(c)));
    expect(unchanged).toHaveLength(4 * 4 + 2);
    expect(changed).toHaveLength(4 * 3);
    for (const l of unchanged) expect(l, l.tensor).toMatchObject({ status: 'unchanged', delta_rel_frobenius: 0 });
    for (const l of changed) {
      expect(l.status, l.tensor).toMatch(/success|failed/);
      expect(l.delta_rel_frobenius!, l.tensor).toBeGreaterThan(0.05);
    }
  }, 60_000);

  it('pairs the classification fine-tune\'s resized embeddings and head, and leaves score.weight unmatched', async () => {
    const ft = await openLocalSource(dir(C.repo));
    const vocab = C.baseVocab + C.addedTokens;
    expect(ft.tensors.find((t) => t.name === 'model.embed_tokens.weight')?.shape).toEqual([vocab, 256]);
    expect(ft.tensors.find((t) => t.name === 'score.weight')?.shape).toEqual([C.labels.length, 256]);
    const config = JSON.parse(await readFile(path.join(dir(C.repo), 'config.json'), 'utf8'));
    expect(config).toMatchObject({ vocab_size: vocab, id2label: { 0: 'negative', 1: 'neutral', 2: 'positive' } });
    const report = await analyzeDelta(ft, await openLocalSource(dir(BASE)), {});
    expect(report.errors).toBe(0);
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      const row = rowOf(report, name) as DeltaLayer;
      expect(row.shape).toEqual([vocab, 256]);
      expect(row.base_shape).toEqual([C.baseVocab, 256]);
      expect(row.rows_compared).toBe(C.baseVocab);
      expect(row.resized).toMatch(new RegExp(`rows ${C.baseVocab} \\(base\\) vs ${vocab} \\(fine-tune\\)`));
      expect(row.status).toMatch(/success|failed/);
    }
    expect(rowOf(report, 'score.weight')).toMatchObject({ status: 'unmatched', side: 'model' });
    expect(rowOf(report, 'score.weight').alpha).toBeUndefined();
    expect(report.layers.filter((l) => l.status === 'unmatched').map((l) => l.tensor)).toEqual(['score.weight']);
  }, 60_000);

  it('applies rsLoRA scaling and rank_pattern to the adapter: ΔW = s·B·A has the planted values times s', async () => {
    const location = await localLocation(dir(A.repo));
    expect(await isAdapterLocation(location)).toBe(true);
    const adapter = await openAdapter(location);
    const report = await analyzeAdapter(adapter, {});
    expect(report.mode).toBe('adapter');
    expect(report.errors).toBe(0);
    expect(report.adapter).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: BASE, r: 16, lora_alpha: 32, use_rslora: true, rank_pattern: { down_proj: 12 } });
    expect(report.layers).toHaveLength(A.modules.length);
    for (const m of A.modules) {
      const row = report.layers.find((l) => l.name === m.module)!;
      expect(row, m.module).toMatchObject({ shape: [m.dOut, m.dIn], lora_r: m.r, lora_alpha: m.loraAlpha, status: expect.stringMatching(/success|failed/) });
      // rslora: s = lora_alpha / √r (not lora_alpha / r), with r and lora_alpha from the patterns where they match
      expect(row.lora_scale!).toBeCloseTo(m.loraAlpha / Math.sqrt(m.r), 12);
      expect(row.matrix_rank).toBe(m.r);
      // the factors are stored as F32: values agree to float32 rounding (relative ~1e-7), 1e-5 leaves room
      expect(relErr(row.sv_max!, m.scale * m.singularValues[0])).toBeLessThan(1e-5);
      const sumSq = m.singularValues.reduce((a, s) => a + (m.scale * s) ** 2, 0);
      expect(relErr(row.norm!, sumSq)).toBeLessThan(1e-5);
      const mod = adapter.source.tensors;
      const a = await adapter.source.read(mod.find((t) => t.name === `base_model.model.${m.module}.lora_A.weight`)!);
      const b = await adapter.source.read(mod.find((t) => t.name === `base_model.model.${m.module}.lora_B.weight`)!);
      const evals = await loraEigenvalues(a.data, b.data, { r: m.r, dIn: m.dIn, dOut: m.dOut }, row.lora_scale!);
      const sv = Array.from(evals, (v) => Math.sqrt(Math.max(0, v))).reverse();
      m.singularValues.forEach((s, i) => expect(relErr(sv[i], m.scale * s), `${m.module} σ${i + 1}`).toBeLessThan(1e-5));
      expect(sv[m.r] ?? 0).toBe(0);
    }
    const scales = Object.fromEntries(A.modules.map((m) => [m.module, m.scale]));
    expect(scales['model.layers.0.self_attn.q_proj']).toBeCloseTo(32 / 4, 12);
    expect(scales['model.layers.0.mlp.down_proj']).toBeCloseTo(32 / Math.sqrt(12), 12);
    expect(scales['model.layers.1.self_attn.v_proj']).toBeCloseTo(64 / 4, 12);
    expect(scales['model.layers.2.self_attn.v_proj']).toBeCloseTo(32 / 4, 12);
  }, 60_000);
});
