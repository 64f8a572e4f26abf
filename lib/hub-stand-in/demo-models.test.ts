import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { layerUnits, openLocalSource } from '../checkpoint';
import { openLocalCheckpoint, type LocalCheckpoint } from '../safetensors/checkpoint';
import { analyzeMatrix } from '../spectral/analyze-matrix';
import { parseCardData } from './model-card';
import {
  DEMO_CONVERSION_BOT, DEMO_CONVERSION_TITLE, DEMO_DENSE_REPO_IDS, DEMO_REPO_IDS, DEMO_SERIES, generateDemoCheckpoints, type DemoRepoSummary,
} from './demo-models';
import type { RepoManifest } from './repo-store';
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

const files = (dir: string) => import('node:fs/promises').then((fs) => fs.readdir(dir)).then((names) => names.sort());
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const manifest = async (id: string) => JSON.parse(await readFile(path.join(root, id, 'repo.json'), 'utf8')) as RepoManifest;

describe('demo checkpoints in other formats and layouts', () => {
  it('keeps the six dense safetensors repos first, and adds the pickle, PR, MoE, mirror, fine-tune and adapter repos', () => {
    expect(DEMO_DENSE_REPO_IDS).toEqual(['demo/llama-mini-trained', 'demo/llama-mini-random', 'demo/llama-mini-chat', 'demo/falcon-mini', 'demo/gpt2-mini', 'demo/pythia-mini']);
    expect(DEMO_REPO_IDS.slice(6)).toEqual([
      'demo/opt-mini-bin', 'demo/gptj-mini-legacy', 'demo/neox-mini-pickle-pr', 'demo/mixtral-mini-moe', 'demo/llama4-mini-moe', 'demo/llama-mini-trained-mirror',
      'demo/llama-mini-ft-planted', 'demo/llama-mini-ft-frozen', 'demo/llama-mini-lora', 'demo/llama-mini-ft-cls',
    ]);
    expect(repos.map((r) => [r.id, r.storage]).filter(([, s]) => s !== 'safetensors')).toEqual([
      ['demo/opt-mini-bin', 'pytorch-zip'], ['demo/gptj-mini-legacy', 'pytorch-legacy'], ['demo/neox-mini-pickle-pr', 'pytorch-zip'],
    ]);
  });

  it('stores the OPT-style model only as sharded PyTorch zip .bin files with their index', async () => {
    expect(await files(snapshot('demo/opt-mini-bin'))).toEqual([
      'README.md', 'config.json', 'pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin', 'pytorch_model.bin.index.json',
    ]);
    const src = await openLocalSource(snapshot('demo/opt-mini-bin'));
    expect(src.format).toBe('pytorch-zip');
    expect(src.files.map((f) => f.path)).toEqual(['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']);
    expect(src.tensors.find((t) => t.name === 'model.decoder.layers.2.fc1.weight')).toMatchObject({ dtype: 'F16', shape: [1024, 256] });
    expect(src.tensors.find((t) => t.name === 'model.decoder.embed_positions.weight')?.shape).toEqual([258, 256]);
    const w = src.tensors.find((t) => t.name === 'model.decoder.layers.0.self_attn.q_proj.weight')!;
    const m = await src.read(w);
    expect([m.rows, m.cols]).toEqual([256, 256]);
    let sum = 0;
    for (const v of m.data) sum += v * v;
    const rms = Math.sqrt(sum / m.data.length);
    expect(rms).toBeCloseTo(0.02, 3);
  });

  it('stores the GPT-J-style model as one legacy-format pytorch_model.bin, buffers included', async () => {
    expect(await files(snapshot('demo/gptj-mini-legacy'))).toEqual(['README.md', 'config.json', 'pytorch_model.bin']);
    const src = await openLocalSource(snapshot('demo/gptj-mini-legacy'));
    expect(src.format).toBe('pytorch-legacy');
    expect(src.tensors.find((t) => t.name === 'transformer.h.1.mlp.fc_in.weight')).toMatchObject({ dtype: 'F32', shape: [1024, 256] });
    expect(src.tensors.find((t) => t.name === 'transformer.h.0.attn.bias')).toMatchObject({ dtype: 'BOOL', shape: [1, 1, 256, 256] });
    const analysed = layerUnits(src.tensors).filter((u) => !u.skipReason).map((u) => u.name);
    expect(analysed).toContain('lm_head');
    expect(analysed).not.toContain('transformer.h.0.attn');
  });

  it('opens the conversion bot\'s PR on the pickle-only GPT-NeoX: same weights as safetensors, parent = main', async () => {
    const repo = byId('demo/neox-mini-pickle-pr');
    const main = repo.revisions[0].sha;
    expect(await files(snapshot(repo.id))).toEqual(['README.md', 'config.json', 'pytorch_model.bin']);
    expect(repo.pullRequest).toEqual({ ref: 'refs/pr/1', num: 1, sha: expect.stringMatching(/^[0-9a-f]{40}$/), parent: main });
    const m = await manifest(repo.id);
    expect(m.pullRequests).toEqual([
      expect.objectContaining({ num: 1, ref: 'refs/pr/1', title: DEMO_CONVERSION_TITLE, author: DEMO_CONVERSION_BOT, status: 'open', sha: repo.pullRequest!.sha }),
    ]);
    expect(m.commits[repo.pullRequest!.sha]).toMatchObject({ parent: main, author: DEMO_CONVERSION_BOT, title: DEMO_CONVERSION_TITLE });
    expect(m.refs.branches.main).toBe(main);
    const prDir = path.join(root, repo.id, 'snapshots', repo.pullRequest!.sha);
    expect(await files(prDir)).toEqual(['README.md', 'config.json', 'model.safetensors', 'pytorch_model.bin']);
    expect(await sha256(path.join(prDir, 'pytorch_model.bin'))).toBe(await sha256(path.join(snapshot(repo.id), 'pytorch_model.bin')));
    const converted = await openLocalSource(prDir);
    const pickled = await openLocalSource(path.join(snapshot(repo.id), 'pytorch_model.bin'));
    expect(converted.format).toBe('safetensors');
    expect(pickled.format).toBe('pytorch-zip');
    expect(converted.tensors.map((t) => t.name)).toEqual(pickled.tensors.map((t) => t.name));
    const name = 'gpt_neox.layers.1.attention.query_key_value.weight';
    const a = await converted.read(converted.tensors.find((t) => t.name === name)!);
    const b = await pickled.read(pickled.tensors.find((t) => t.name === name)!);
    expect([a.rows, a.cols]).toEqual([768, 256]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('writes Mixtral-style per-expert tensors and a router; one expert is random-like', async () => {
    const src = await openLocalSource(snapshot('demo/mixtral-mini-moe'));
    expect(src.format).toBe('safetensors');
    expect(byId('demo/mixtral-mini-moe').experts).toBe(4);
    const experts = src.tensors.filter((t) => t.name.includes('.block_sparse_moe.experts.'));
    expect(experts).toHaveLength(2 * 4 * 3);
    expect(src.tensors.find((t) => t.name === 'model.layers.1.block_sparse_moe.experts.3.w2.weight')).toMatchObject({ dtype: 'BF16', shape: [256, 512] });
    expect(src.tensors.find((t) => t.name === 'model.layers.0.block_sparse_moe.gate.weight')?.shape).toEqual([4, 256]);
    const units = layerUnits(src.tensors).filter((u) => u.tensor.name.startsWith('model.layers.0.block_sparse_moe.experts.') && u.tensor.name.endsWith('.w2.weight'));
    expect(units.map((u) => [u.expert, u.slice])).toEqual([[0, false], [1, false], [2, false], [3, false]]);
    const alpha = async (u: (typeof units)[number]) => {
      const d = await src.read(u.tensor);
      return (await analyzeMatrix(d.data, d.rows, d.cols, { subject: u.name })).metrics.alpha;
    };
    const [a0, a3] = [await alpha(units[0]), await alpha(units[3])];
    expect(a0).toBeLessThan(5);
    expect(a3).toBeGreaterThan(a0 + 2);
  }, 30_000);

  it('writes Llama-4-style 3-D expert stacks, a shared expert and a router', async () => {
    const src = await openLocalSource(snapshot('demo/llama4-mini-moe'));
    const get = (name: string) => src.tensors.find((t) => t.name === name);
    expect(get('model.layers.0.feed_forward.experts.gate_up_proj')).toMatchObject({ dtype: 'BF16', shape: [4, 256, 1024] });
    expect(get('model.layers.1.feed_forward.experts.down_proj')).toMatchObject({ dtype: 'BF16', shape: [4, 512, 256] });
    expect(get('model.layers.0.feed_forward.shared_expert.down_proj.weight')?.shape).toEqual([256, 512]);
    expect(get('model.layers.0.feed_forward.router.weight')?.shape).toEqual([4, 256]);
    const slices = layerUnits(src.tensors).filter((u) => u.slice);
    expect(slices).toHaveLength(2 * 2 * 4);
    expect(slices.slice(0, 4).map((u) => [u.name, u.expert, u.shape])).toEqual(
      [0, 1, 2, 3].map((e) => [`model.layers.0.feed_forward.experts.gate_up_proj[${e}]`, e, [256, 1024]]),
    );
    const d = await src.read(slices[1].tensor, { expert: 1 });
    expect([d.rows, d.cols]).toEqual([256, 1024]);
  });

  it('mirrors demo/llama-mini-trained byte for byte under another name, and says so', async () => {
    const mirror = byId('demo/llama-mini-trained-mirror');
    expect(mirror.mirrorOf).toBe('demo/llama-mini-trained');
    expect(mirror.revisions[0].sha).not.toBe(byId('demo/llama-mini-trained').revisions[0].sha);
    for (const f of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'config.json']) {
      expect(await sha256(path.join(snapshot(mirror.id), f)), f).toBe(await sha256(path.join(snapshot('demo/llama-mini-trained'), f)));
    }
    expect(await readFile(path.join(snapshot(mirror.id), 'README.md'), 'utf8')).toMatch(/mirrors \[demo\/llama-mini-trained\]/);
    // generated alone, the mirror still gets the original's bytes
    const other = await mkdtemp(path.join(tmpdir(), 'alphaboard-demo-'));
    try {
      await generateDemoCheckpoints(other, { seed: 42, only: [mirror.id] });
      const file = 'model-00002-of-00002.safetensors';
      expect(await sha256(path.join(other, mirror.id, 'snapshots', mirror.revisions[0].sha, file))).toBe(await sha256(path.join(snapshot(mirror.id), file)));
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
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
