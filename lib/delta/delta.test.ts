/**
 * Delta analysis and LoRA adapters on generated checkpoints (small safetensors files in a tmp folder):
 * a fine-tune with a planted low-rank ΔW of known singular values, a frozen layer, a resized embedding, an extra
 * classification head, a shape mismatch and a `model.` wrapper difference; an adapter with rslora, rank_pattern and
 * alpha_pattern whose r × r route must agree with the dense route on every WeightWatcher column.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localLocation, openLocalSource, type SourceTensor } from '@/lib/checkpoint';
import { writeSafetensorsFile } from '@/lib/safetensors';
import { analyzeEigenvalues, analyzeMatrix } from '@/lib/spectral/analyze-matrix';
import { gaussian, seededRandom } from '@/lib/spectral/testing/planted';
import {
  AdapterError, checkLoraShapes, isAdapterLocation, loraEigenvalues, matchPatternKey, moduleScaling, openAdapter,
  parseAdapterConfig,
} from './adapter';
import { effectiveRankFromEvals, stableRankFromEvals } from './delta-metrics';
import { normaliseTensorName, pairUnits } from './pairing';
import { analyzeAdapter, analyzeDelta, DeltaError, type DeltaLayer } from './run-delta';

function randn(n: number, seed: number, scale = 1): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length: n }, () => gaussian(rand) * scale);
}

/** k orthonormal vectors of length n (Gram–Schmidt on Gaussian vectors), as columns of an n × k row-major matrix. */
function orthonormal(n: number, k: number, seed: number): Float64Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = randn(n, seed * 1000 + j);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of cols) {
        let d = 0;
        for (let i = 0; i < n; i++) d += u[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * u[i];
      }
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i * k + j] = cols[j][i];
  return out;
}

/** U·diag(σ)·Vᵀ, rows × cols. */
function lowRank(rows: number, cols: number, sigma: number[], seed: number): Float64Array {
  const k = sigma.length;
  const u = orthonormal(rows, k, seed);
  const v = orthonormal(cols, k, seed + 1);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += u[i * k + t] * sigma[t] * v[j * k + t];
      out[i * cols + j] = s;
    }
  }
  return out;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return Float64Array.from(a, (x, i) => x + b[i]);
}

function relErr(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

const PLANTED = [6, 4, 3, 2.5, 2, 1.6, 1.3, 1.1, 0.9, 0.7, 0.5, 0.4];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'alphaboard-delta-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pairing rules', () => {
  const t = (name: string, shape: number[]): SourceTensor => ({ name, dtype: 'F32', shape, file: 'x', start: 0, end: 0 });

  it('strips wrapper prefixes repeatedly', () => {
    expect(normaliseTensorName('base_model.model.model.layers.0.q_proj.weight')).toBe('layers.0.q_proj.weight');
    expect(normaliseTensorName('module._orig_mod.model.embed_tokens.weight')).toBe('embed_tokens.weight');
    expect(normaliseTensorName('lm_head.weight')).toBe('lm_head.weight');
  });

  it('exact names first, then unique normalised names; one-sided, resized and mismatched tensors', () => {
    const entries = pairUnits(
      [
        t('model.layers.0.q.weight', [32, 32]),
        t('model.embed.weight', [104, 32]),
        t('model.layers.0.up.weight', [64, 20]),
        t('score.weight', [3, 32]),
      ],
      [t('layers.0.q.weight', [32, 32]), t('embed.weight', [100, 32]), t('layers.0.up.weight', [64, 32]), t('lm_head.weight', [100, 32])],
    );
    const byName = new Map(entries.map((e) => [`${e.kind === 'unmatched' ? e.side : 'pair'}:${e.kind === 'pair' ? e.model.tensor.name : e.unit.tensor.name}`, e]));
    expect(byName.get('pair:model.layers.0.q.weight')).toMatchObject({ kind: 'pair', rows: 32, cols: 32, resized: null });
    expect(byName.get('pair:model.embed.weight')).toMatchObject({ rows: 100, cols: 32, resized: { modelRows: 104, baseRows: 100 } });
    expect(byName.get('model:model.layers.0.up.weight')).toMatchObject({ reason: 'shape mismatch: fine-tune [64, 20] vs base [64, 32]' });
    expect(byName.get('model:score.weight')).toMatchObject({ reason: expect.stringMatching(/only in the fine-tune/) });
    expect(byName.get('base:lm_head.weight')).toMatchObject({ reason: expect.stringMatching(/only in the base/) });
    expect(entries.map((e) => e.kind)).toEqual(['pair', 'pair', 'unmatched', 'unmatched', 'unmatched']);
  });
});

describe('delta columns', () => {
  it('stable rank and effective rank from eigenvalues', () => {
    expect(stableRankFromEvals([0, 1, 4])).toBeCloseTo(5 / 4, 15);
    // two equal singular values (and zeros): effective rank 2
    expect(effectiveRankFromEvals([0, 0, 9, 9])).toBeCloseTo(2, 12);
    expect(effectiveRankFromEvals([0, 0, 0, 7])).toBeCloseTo(1, 12);
    expect(Number.isNaN(effectiveRankFromEvals([0, 0]))).toBe(true);
  });
});

describe('analyzeDelta on a generated fine-tune', () => {
  let ftPath: string;
  let basePath: string;
  const rows = 64;
  const cols = 48;
  const baseQ = randn(rows * cols, 1, 0.05);
  const baseK = randn(rows * cols, 2, 0.05);
  const baseEmbed = randn(100 * cols, 3, 0.02);
  const plantedDelta = lowRank(rows, cols, PLANTED, 7);

  beforeAll(async () => {
    basePath = path.join(dir, 'base.safetensors');
    ftPath = path.join(dir, 'ft.safetensors');
    await writeSafetensorsFile(basePath, [
      { name: 'embed_tokens.weight', dtype: 'F64', shape: [100, cols], data: baseEmbed },
      { name: 'layers.0.self_attn.q_proj.weight', dtype: 'F64', shape: [rows, cols], data: baseQ },
      { name: 'layers.0.self_attn.k_proj.weight', dtype: 'F64', shape: [rows, cols], data: baseK },
      { name: 'layers.0.input_layernorm.weight', dtype: 'F32', shape: [cols], data: new Float64Array(cols).fill(1) },
      { name: 'lm_head.weight', dtype: 'F64', shape: [100, cols], data: randn(100 * cols, 4, 0.02) },
    ]);
    const ftEmbed = new Float64Array(104 * cols);
    ftEmbed.set(add(baseEmbed, randn(100 * cols, 5, 0.001)));
    ftEmbed.set(randn(4 * cols, 6, 0.02), 100 * cols);
    await writeSafetensorsFile(ftPath, [
      { name: 'model.embed_tokens.weight', dtype: 'F64', shape: [104, cols], data: ftEmbed },
      { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F64', shape: [rows, cols], data: add(baseQ, plantedDelta) },
      { name: 'model.layers.0.self_attn.k_proj.weight', dtype: 'F64', shape: [rows, cols], data: baseK },
      { name: 'model.layers.0.input_layernorm.weight', dtype: 'F32', shape: [cols], data: new Float64Array(cols).fill(1.5) },
      { name: 'score.weight', dtype: 'F64', shape: [3, cols], data: randn(3 * cols, 8) },
    ]);
  });

  it('recovers the planted singular values and reports frozen, resized, one-sided tensors', async () => {
    const report = await analyzeDelta(await openLocalSource(ftPath), await openLocalSource(basePath), {});
    const row = (name: string) => report.layers.find((l) => l.tensor === name) as DeltaLayer;
    expect(report.mode).toBe('delta');
    expect(report.errors).toBe(0);

    const q = row('model.layers.0.self_attn.q_proj.weight');
    expect(q.status).toMatch(/success|failed/);
    expect(q.base_tensor).toBe('layers.0.self_attn.q_proj.weight');
    const sum2 = PLANTED.reduce((a, s) => a + s * s, 0);
    expect(relErr(q.sv_max!, PLANTED[0])).toBeLessThan(1e-9);
    expect(relErr(q.norm!, sum2)).toBeLessThan(1e-9);
    expect(q.matrix_rank).toBe(PLANTED.length);
    expect(q.rank_loss).toBe(cols - PLANTED.length);
    expect(relErr(q.delta_stable_rank!, sum2 / 36)).toBeLessThan(1e-9);
    const total = PLANTED.reduce((a, b) => a + b, 0);
    const erank = Math.exp(-PLANTED.reduce((h, s) => h + (s / total) * Math.log(s / total), 0));
    expect(relErr(q.delta_effective_rank!, erank)).toBeLessThan(1e-9);
    const baseF = Math.sqrt(baseQ.reduce((a, x) => a + x * x, 0));
    expect(relErr(q.delta_rel_frobenius!, Math.sqrt(sum2) / baseF)).toBeLessThan(1e-12);
    const baseAlone = await analyzeMatrix(baseQ, rows, cols);
    expect(relErr(q.delta_spectral_ratio!, PLANTED[0] / Math.sqrt(baseAlone.metrics.spectral_norm))).toBeLessThan(1e-9);
    const ftAlone = await analyzeMatrix(add(baseQ, plantedDelta), rows, cols);
    expect(q.delta_alpha).toBeCloseTo(ftAlone.metrics.alpha - baseAlone.metrics.alpha, 12);

    const k = row('model.layers.0.self_attn.k_proj.weight');
    expect(k.status).toBe('unchanged');
    expect(k.alpha).toBeUndefined();
    expect(k.delta_rel_frobenius).toBe(0);

    const e = row('model.embed_tokens.weight');
    expect(e.rows_compared).toBe(100);
    expect(e.resized).toMatch(/rows 100 \(base\) vs 104 \(fine-tune\)/);
    expect(e.N).toBe(100);
    expect(e.M).toBe(cols);

    expect(row('model.layers.0.input_layernorm.weight').status).toBe('skipped');
    expect(row('score.weight')).toMatchObject({ status: 'unmatched', side: 'model' });
    expect(row('lm_head.weight')).toMatchObject({ status: 'unmatched', side: 'base' });
    expect(row('score.weight').alpha).toBeUndefined();
  });

  it('two models with no tensor name in common: a clear error', async () => {
    const other = path.join(dir, 'other.safetensors');
    await writeSafetensorsFile(other, [{ name: 'transformer.h.0.attn.c_attn.weight', dtype: 'F32', shape: [16, 48], data: randn(16 * 48, 9) }]);
    await expect(analyzeDelta(await openLocalSource(other), await openLocalSource(basePath), {})).rejects.toThrow(DeltaError);
    await expect(analyzeDelta(await openLocalSource(other), await openLocalSource(basePath), {})).rejects.toThrow(/no tensor pairs .*different architectures/);
  });
});

describe('LoRA adapters', () => {
  it('config: types, defaults, rslora and pattern overrides matched on the module suffix', () => {
    expect(() => parseAdapterConfig({ peft_type: 'IA3' })).toThrow('unsupported adapter type IA3');
    expect(() => parseAdapterConfig({ peft_type: 'PROMPT_TUNING' })).toThrow('unsupported adapter type PROMPT_TUNING');
    expect(() => parseAdapterConfig({ peft_type: 'LORA', use_dora: true, r: 8 })).toThrow(/unsupported adapter type DORA/);
    expect(() => parseAdapterConfig({ peft_type: 'LORA', r: 0 })).toThrow(/r must be a positive integer/);
    const c = parseAdapterConfig({
      peft_type: 'LORA', r: 16, lora_alpha: 32, use_rslora: true, base_model_name_or_path: 'org/base',
      target_modules: ['q_proj', 'v_proj'], rank_pattern: { v_proj: 64 }, alpha_pattern: { 'layers.1.self_attn.v_proj': 8 },
    });
    expect(moduleScaling(c, 'model.layers.0.self_attn.q_proj')).toEqual({ r: 16, alpha: 32, scale: 32 / 4 });
    expect(moduleScaling(c, 'model.layers.0.self_attn.v_proj')).toEqual({ r: 64, alpha: 32, scale: 32 / 8 });
    expect(moduleScaling(c, 'model.layers.1.self_attn.v_proj')).toEqual({ r: 64, alpha: 8, scale: 1 });
    const plain = parseAdapterConfig({ peft_type: 'LORA', r: 8, lora_alpha: 16 });
    expect(moduleScaling(plain, 'x.q_proj').scale).toBe(2);
    expect(matchPatternKey(['proj'], 'model.layers.0.self_attn.v_proj')).toBeNull();
    expect(matchPatternKey(['v_proj'], 'v_proj')).toBe('v_proj');
  });

  it('shape checks: r mismatch, transposed factors, r too large', () => {
    expect(checkLoraShapes('m', [12, 40], [56, 12], 12)).toEqual({ r: 12, dIn: 40, dOut: 56 });
    expect(() => checkLoraShapes('m', [12, 40], [56, 10], 12)).toThrow(/rank mismatch/);
    expect(() => checkLoraShapes('m', [40, 12], [12, 56], 12)).toThrow(/look transposed/);
    expect(() => checkLoraShapes('m', [64, 40], [56, 64], 64)).toThrow(/exceeds min\(d_in, d_out\)=40/);
    expect(() => checkLoraShapes('m', [4096, 9000], [9000, 4096], 4096)).toThrow(/above the cap/);
    expect(() => checkLoraShapes('m', [8, 40], [56, 8], 12)).toThrow(/adapter_config.json says r=12/);
  });

  it('the r × r route agrees with the dense route on every WeightWatcher column', async () => {
    const r = 12;
    const dIn = 40;
    const dOut = 56;
    const a = randn(r * dIn, 21, 0.3);
    const b = randn(dOut * r, 22, 0.2);
    const scale = 24 / Math.sqrt(r);
    const dense = new Float64Array(dOut * dIn);
    for (let i = 0; i < dOut; i++) {
      for (let j = 0; j < dIn; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += b[i * r + k] * a[k * dIn + j];
        dense[i * dIn + j] = scale * s;
      }
    }
    const evals = await loraEigenvalues(a, b, { r, dIn, dOut }, scale);
    expect(evals.length).toBe(dIn);
    expect(Array.from(evals.subarray(0, dIn - r))).toEqual(new Array(dIn - r).fill(0));
    for (const options of [{}, { mpFit: true, detX: true }, { fit: 'TPL' as const }, { fixFingers: 'clip_xmax' as const }]) {
      const d = (await analyzeMatrix(dense, dOut, dIn, options)).metrics as unknown as Record<string, unknown>;
      const l = (await analyzeEigenvalues(evals, dOut, dIn, options)).metrics as unknown as Record<string, unknown>;
      expect(Object.keys(l).sort()).toEqual(Object.keys(d).sort());
      for (const [col, want] of Object.entries(d)) {
        const got = l[col];
        if (typeof want !== 'number' || !Number.isFinite(want)) {
          expect(got, `${JSON.stringify(options)} ${col}`).toEqual(want);
        } else if (got === 0 && Math.abs(want) < 1e-12 * Math.max(d.lambda_max as number, 1)) {
          // zero in exact arithmetic (sv_min, a detX value at a zero eigenvalue): an exact 0 here, the dense
          // route's rounding residue there
          expect(Math.abs(want), col).toBeLessThan(1e-12 * (d.lambda_max as number));
        } else {
          expect(relErr(got as number, want), `${JSON.stringify(options)} ${col}: ${got} vs ${want}`).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('an adapter folder: rslora, rank_pattern, alpha_pattern, old key names, a small-r module and a transposed one', async () => {
    const folder = path.join(dir, 'adapter');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(folder, { recursive: true });
    const config = {
      peft_type: 'LORA', base_model_name_or_path: 'org/base', r: 12, lora_alpha: 24, use_rslora: true,
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], rank_pattern: { v_proj: 16, k_proj: 4 }, alpha_pattern: { v_proj: 8 },
    };
    await writeFile(path.join(folder, 'adapter_config.json'), JSON.stringify(config));
    const d = 48;
    const pre = 'base_model.model.model.layers.0.self_attn';
    const qa = randn(12 * d, 31, 0.3);
    const qb = randn(64 * 12, 32, 0.2);
    await writeSafetensorsFile(path.join(folder, 'adapter_model.safetensors'), [
      { name: `${pre}.q_proj.lora_A.weight`, dtype: 'F32', shape: [12, d], data: qa },
      { name: `${pre}.q_proj.lora_B.weight`, dtype: 'F32', shape: [64, 12], data: qb },
      { name: `${pre}.v_proj.lora_A.default.weight`, dtype: 'F32', shape: [16, d], data: randn(16 * d, 33) },
      { name: `${pre}.v_proj.lora_B.default.weight`, dtype: 'F32', shape: [d, 16], data: randn(d * 16, 34) },
      { name: `${pre}.k_proj.lora_A.weight`, dtype: 'F32', shape: [4, d], data: randn(4 * d, 35) },
      { name: `${pre}.k_proj.lora_B.weight`, dtype: 'F32', shape: [d, 4], data: randn(d * 4, 36) },
      { name: `${pre}.o_proj.lora_A.weight`, dtype: 'F32', shape: [d, 12], data: randn(d * 12, 37) },
      { name: `${pre}.o_proj.lora_B.weight`, dtype: 'F32', shape: [12, d], data: randn(d * 12, 38) },
    ]);
    const location = await localLocation(folder);
    expect(await isAdapterLocation(location)).toBe(true);
    const report = await analyzeAdapter(await openAdapter(location), {});
    const row = (m: string) => report.layers.find((l) => l.name === `model.layers.0.self_attn.${m}`) as DeltaLayer;
    expect(report.mode).toBe('adapter');
    expect(report.adapter).toMatchObject({ peft_type: 'LORA', r: 12, use_rslora: true, base_model_name_or_path: 'org/base' });

    const q = row('q_proj');
    expect(q).toMatchObject({ tensor: 'model.layers.0.self_attn.q_proj.weight', shape: [64, d], lora_r: 12, lora_alpha: 24 });
    expect(q.lora_scale).toBeCloseTo(24 / Math.sqrt(12), 14);
    // dense check: s·B·A formed from the float32-rounded factors
    const fa = Float32Array.from(qa);
    const fb = Float32Array.from(qb);
    const dense = new Float64Array(64 * d);
    for (let i = 0; i < 64; i++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < 12; k++) s += fb[i * 12 + k] * fa[k * d + j];
      dense[i * d + j] = q.lora_scale! * s;
    }
    const want = (await analyzeMatrix(dense, 64, d)).metrics;
    for (const col of ['alpha', 'D', 'xmin', 'norm', 'spectral_norm', 'stable_rank', 'entropy', 'log_alpha_norm', 'lambda_max'] as const) {
      expect(relErr(q[col] as number, want[col] as number), col).toBeLessThan(1e-9);
    }
    expect(q.matrix_rank).toBe(12);
    expect(q.rank_loss).toBe(d - 12);
    expect(q.delta_alpha).toBeNull();
    expect(q.delta_rel_frobenius).toBeNull();

    expect(row('v_proj')).toMatchObject({ lora_r: 16, lora_alpha: 8, lora_scale: 2, status: expect.stringMatching(/success|failed/) });
    expect(row('k_proj')).toMatchObject({ status: 'skipped', skip_reason: 'rank 4 below min_evals 10' });
    expect(row('o_proj').status).toBe('skipped');
    expect(row('o_proj').skip_reason).toMatch(/^error: .*o_proj.*look transposed/);
    expect(report.errors).toBe(1);
  });

  it('with its base: each module must fit, and W_base + ΔW is analysed (Δα and ΔW relative to W_base, as dense)', async () => {
    const { mkdir } = await import('node:fs/promises');
    const folder = path.join(dir, 'adapter-with-base');
    const baseDir = path.join(dir, 'adapter-base');
    await mkdir(folder, { recursive: true });
    await mkdir(baseDir, { recursive: true });
    const d = 48;
    const rows = 64;
    const wq = randn(rows * d, 41, 0.1);
    await writeSafetensorsFile(path.join(baseDir, 'model.safetensors'), [
      { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F32', shape: [rows, d], data: wq },
      { name: 'model.layers.0.self_attn.v_proj.weight', dtype: 'F32', shape: [d + 8, d], data: randn((d + 8) * d, 42) },
    ]);
    await writeFile(path.join(folder, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 12, lora_alpha: 24, target_modules: ['q_proj', 'v_proj'] }));
    const pre = 'base_model.model.model.layers.0.self_attn';
    const qa = randn(12 * d, 43, 0.3);
    const qb = randn(rows * 12, 44, 0.2);
    await writeSafetensorsFile(path.join(folder, 'adapter_model.safetensors'), [
      { name: `${pre}.q_proj.lora_A.weight`, dtype: 'F32', shape: [12, d], data: qa },
      { name: `${pre}.q_proj.lora_B.weight`, dtype: 'F32', shape: [rows, 12], data: qb },
      { name: `${pre}.v_proj.lora_A.weight`, dtype: 'F32', shape: [12, d], data: randn(12 * d, 45) },
      { name: `${pre}.v_proj.lora_B.weight`, dtype: 'F32', shape: [d, 12], data: randn(d * 12, 46) },
    ]);
    const base = await openLocalSource(baseDir);
    const report = await analyzeAdapter(await openAdapter(await localLocation(folder)), {}, undefined, { base });
    const q = report.layers.find((l) => l.name === 'model.layers.0.self_attn.q_proj') as DeltaLayer;
    // dense reference from the float32-rounded stored values
    const w = Float64Array.from(Float32Array.from(wq));
    const fa = Float32Array.from(qa);
    const fb = Float32Array.from(qb);
    const delta = new Float64Array(rows * d);
    for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < 12; k++) s += fb[i * 12 + k] * fa[k * d + j];
      delta[i * d + j] = 2 * s;
    }
    const baseRes = (await analyzeMatrix(Float32Array.from(wq), rows, d)).metrics;
    const mergedRes = (await analyzeMatrix(add(w, delta), rows, d)).metrics;
    const frob = (x: Float64Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0));
    expect(q.base_tensor).toBe('model.layers.0.self_attn.q_proj.weight');
    expect(relErr(q.delta_alpha!, (mergedRes.alpha as number) - (baseRes.alpha as number))).toBeLessThan(1e-6);
    expect(relErr(q.delta_rel_frobenius!, frob(delta) / frob(w))).toBeLessThan(1e-9);
    expect(relErr(q.delta_spectral_ratio!, Math.sqrt((q.lambda_max as number) / (baseRes.spectral_norm as number)))).toBeLessThan(1e-9);
    // v_proj's ΔW is [48, 48] but the base's v_proj is [56, 48]: that module is an error row naming both shapes.
    const v = report.layers.find((l) => l.name === 'model.layers.0.self_attn.v_proj') as DeltaLayer;
    expect(v.status).toBe('skipped');
    expect(v.skip_reason).toMatch(/ΔW \[48, 48\] does not fit the base .*model\.layers\.0\.self_attn\.v_proj\.weight \[56, 48\]/);
  });

  it('a folder without adapter weights, or with an unsupported type, is a clear error', async () => {
    const folder = path.join(dir, 'ia3');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 8 }));
    await expect(openAdapter(await localLocation(folder))).rejects.toThrow(/no adapter_model\.safetensors or adapter_model\.bin/);
    await writeFile(path.join(folder, 'adapter_config.json'), JSON.stringify({ peft_type: 'IA3' }));
    await expect(openAdapter(await localLocation(folder))).rejects.toThrow(AdapterError);
  });
});
