import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openLocalCheckpoint, type LocalCheckpoint } from '../safetensors/checkpoint';
import { analyzeMatrix } from '../spectral/analyze-matrix';
import { parseCardData } from './model-card';
import { DEMO_REPO_IDS, DEMO_SERIES, generateDemoCheckpoints, type DemoRepoSummary } from './demo-models';
import { createRng, heavyTailedMatrix, paretoEigenvalues, matrixWithEigenvalues } from './planted-spectra';

let root: string;
let repos: DemoRepoSummary[];
const byId = (id: string) => repos.find((r) => r.id === id)!;
const snapshot = (id: string, ref = 'main') => {
  const repo = byId(id);
  const sha = repo.revisions.find((r) => r.ref === ref)?.sha ?? repo.revisions[repo.revisions.length - 1].sha;
  return path.join(root, id, 'snapshots', sha);
};
const open = (id: string, ref = 'main') => openLocalCheckpoint(snapshot(id, ref));

/** Mean WeightWatcher alpha over the checkpoint's 2-D block weights (embeddings excluded). */
async function meanAlpha(ck: LocalCheckpoint, filter: RegExp): Promise<number> {
  const alphas: number[] = [];
  for (const t of ck.tensors.filter((t) => t.shape.length === 2 && filter.test(t.name))) {
    const d = await ck.read(t);
    alphas.push((await analyzeMatrix(d.data, d.rows, d.cols, { subject: t.name })).metrics.alpha);
  }
  return alphas.reduce((a, b) => a + b, 0) / alphas.length;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'alphaboard-demo-'));
  repos = await generateDemoCheckpoints(root, { seed: 42 });
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('generateDemoCheckpoints', () => {
  it('writes every demo repo under owner demo, marked synthetic', async () => {
    expect(repos.map((r) => r.id)).toEqual(DEMO_REPO_IDS);
    for (const repo of repos) {
      expect(repo.id.startsWith('demo/')).toBe(true);
      const card = await readFile(path.join(snapshot(repo.id), 'README.md'), 'utf8');
      expect(card).toMatch(/\*\*Synthetic checkpoint\*\*/);
      expect(parseCardData(card).tags).toContain('synthetic');
    }
  });

  it('is deterministic under the seed and skips work already done', async () => {
    const again = await generateDemoCheckpoints(root, { seed: 42 });
    expect(again).toEqual(repos);
    const other = await mkdtemp(path.join(tmpdir(), 'alphaboard-demo-'));
    try {
      const [same] = await generateDemoCheckpoints(other, { seed: 42, only: ['demo/llama-mini-random'] });
      const [different] = await generateDemoCheckpoints(other, { seed: 43, only: ['demo/llama-mini-random'] });
      expect(same.revisions).toEqual(byId('demo/llama-mini-random').revisions);
      expect(different.revisions[0].sha).not.toBe(same.revisions[0].sha);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('lays out a sharded BF16 Llama with an index, and a fine-tune naming its base', async () => {
    const trained = await open('demo/llama-mini-trained');
    expect(trained.files.map((f) => path.basename(f.path))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(trained.tensors).toHaveLength(39);
    expect(trained.get('model.layers.3.mlp.down_proj.weight')).toMatchObject({ dtype: 'BF16', shape: [256, 688] });
    expect(trained.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([128, 256]);
    const card = parseCardData(await readFile(path.join(snapshot('demo/llama-mini-chat'), 'README.md'), 'utf8'));
    expect(card.base_model).toBe('demo/llama-mini-trained');
    expect(byId('demo/llama-mini-chat').baseModel).toBe('demo/llama-mini-trained');
  });

  it('uses each family\'s real naming: Falcon fused query_key_value, GPT-2 transposed c_attn and its mask buffer', async () => {
    const falcon = await open('demo/falcon-mini');
    expect(falcon.get('transformer.h.0.self_attention.query_key_value.weight')).toMatchObject({ dtype: 'F32', shape: [384, 256] });
    const gpt2 = await open('demo/gpt2-mini');
    expect(gpt2.get('h.0.attn.c_attn.weight')).toMatchObject({ dtype: 'F32', shape: [256, 768] });
    expect(gpt2.get('h.0.attn.bias')?.shape).toEqual([1, 1, 256, 256]);
    expect(gpt2.get('wpe.weight')?.shape).toEqual([256, 256]);
    expect((gpt2.config as { model_type: string }).model_type).toBe('gpt2');
  });

  it('plants spectra that rank: trained heavier-tailed than random, and a training series whose alpha falls', async () => {
    const blocks = /layers\.0\.(self_attn|mlp\.down)/;
    const trained = await meanAlpha(await open('demo/llama-mini-trained'), blocks);
    const random = await meanAlpha(await open('demo/llama-mini-random'), blocks);
    expect(trained).toBeGreaterThan(2);
    expect(trained).toBeLessThan(4.5);
    expect(random).toBeGreaterThan(trained + 2);

    expect(byId(DEMO_SERIES.repo).revisions.map((r) => r.ref)).toEqual(DEMO_SERIES.refs);
    const series: number[] = [];
    for (const ref of [DEMO_SERIES.refs[0], DEMO_SERIES.refs[DEMO_SERIES.refs.length - 1]]) {
      series.push(await meanAlpha(await open(DEMO_SERIES.repo, ref), /layers\.0\.attention/));
    }
    expect(series[0]).toBeGreaterThan(series[1] + 2);
  }, 60_000);
});

describe('planted spectra', () => {
  it('gives WᵀW exactly the planted eigenvalues', () => {
    const rng = createRng(5);
    const lambdas = paretoEigenvalues(24, 2.5, rng);
    for (const [rows, cols] of [[40, 24], [24, 40]]) {
      const w = matrixWithEigenvalues(rows, cols, lambdas, 0.02, rng);
      // the Gram matrix of the short side is diagonal with the (rescaled) eigenvalues: compare sorted ratios
      const gram: number[] = [];
      const m = Math.min(rows, cols);
      for (let k = 0; k < m; k++) {
        let s = 0;
        for (let i = 0; i < Math.max(rows, cols); i++) {
          const v = rows >= cols ? w[i * cols + k] : w[k * cols + i];
          s += v * v;
        }
        gram.push(s);
      }
      gram.sort((a, b) => b - a);
      const scale = gram[0] / lambdas[0];
      gram.forEach((g, k) => expect(g / scale).toBeCloseTo(lambdas[k], 10));
    }
  });

  it('rescales to the requested entry RMS', () => {
    const w = heavyTailedMatrix(64, 32, 3, 0.02, createRng(1));
    const rms = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(rms).toBeCloseTo(0.02, 12);
  });
});
