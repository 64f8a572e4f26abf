/**
 * The demo repos in other layouts through the stand-in Hub, as the board and the CLI open them: which files of a
 * revision are read (the conversion bot's PR for a pickle-only commit, sharded zip .bin, a legacy file), the mirror's
 * LFS hashes equal to its original's, and one CLI row per expert for both MoE layouts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoCheckpoints, type DemoRepoSummary } from '@/lib/hub-stand-in/demo-models';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { hubLocation, openCheckpoint, openHubCheckpoint, openLocalSource } from '.';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const REPOS = [
  'demo/llama-mini-trained', 'demo/opt-mini-bin', 'demo/gptj-mini-legacy', 'demo/neox-mini-pickle-pr',
  'demo/mixtral-mini-moe', 'demo/llama4-mini-moe', 'demo/llama-mini-trained-mirror',
];

let root: string;
let repos: DemoRepoSummary[];
let hub: StandInHub;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'alphaboard-demo-hub-'));
  repos = await generateDemoCheckpoints(root, { seed: 42, only: REPOS });
  hub = await startStandInHub({ root });
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

const mainSha = (id: string) => repos.find((r) => r.id === id)!.revisions[0].sha;
const at = () => ({ hubUrl: hub.url, accessToken: undefined as string | undefined, retryBaseMs: 1 });
const openMain = (repo: string) => openHubCheckpoint({ ...at(), repo, sha: mainSha(repo) });
const snapshot = (id: string, sha: string) => path.join(root, id, 'snapshots', sha);

describe('openHubCheckpoint on the demo repos', () => {
  it('reads the conversion bot\'s PR for the pickle-only GPT-NeoX: safetensors at the PR head', async () => {
    const repo = repos.find((r) => r.id === 'demo/neox-mini-pickle-pr')!;
    const pr = repo.pullRequest!;
    const ck = await openMain(repo.id);
    expect(ck.conversionPr).toEqual({ ref: 'refs/pr/1', num: 1, sha: pr.sha });
    expect(ck.readSha).toBe(pr.sha);
    expect(pr.parent).toBe(mainSha(repo.id));
    expect(ck.source.format).toBe('safetensors');
    expect(ck.source.label).toBe(`${repo.id}@${pr.sha}`);
    expect(ck.source.files.map((f) => f.path)).toEqual(['model.safetensors']);
    // the PR ref itself is a revision the Hub serves (tree unencoded, resolve encoded): same tensors, same bytes
    const byRef = await openCheckpoint(hubLocation({ ...at(), repo: repo.id, revision: 'refs/pr/1' }));
    expect(byRef.format).toBe('safetensors');
    const name = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
    const [a, b] = await Promise.all([ck.source, byRef].map((s) => s.read(s.tensors.find((t) => t.name === name)!)));
    expect(a.contentHash).toBe(b.contentHash);
    expect([a.rows, a.cols]).toEqual([1024, 256]);
    // and the pickle on main holds the same values
    const pickled = await openLocalSource(path.join(snapshot(repo.id, mainSha(repo.id)), 'pytorch_model.bin'));
    const c = await pickled.read(pickled.tensors.find((t) => t.name === name)!);
    expect(Array.from(c.data)).toEqual(Array.from(a.data));
  });

  it('reads the OPT-style model from its sharded PyTorch zip .bin files', async () => {
    const ck = await openMain('demo/opt-mini-bin');
    expect(ck.conversionPr).toBeNull();
    expect(ck.readSha).toBe(mainSha('demo/opt-mini-bin'));
    expect(ck.source.format).toBe('pytorch-zip');
    expect(ck.source.files.map((f) => f.path)).toEqual(['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']);
    expect(ck.source.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
    const local = await openLocalSource(snapshot('demo/opt-mini-bin', ck.readSha));
    expect(ck.source.tensors.map((t) => [t.name, t.file, t.start, t.end])).toEqual(local.tensors.map((t) => [t.name, t.file, t.start, t.end]));
    const t = ck.source.tensors.find((x) => x.name === 'model.decoder.layers.1.fc2.weight')!;
    expect((await ck.source.read(t)).contentHash).toBe((await local.read(local.tensors.find((x) => x.name === t.name)!)).contentHash);
  });

  it('reads the GPT-J-style model from its legacy-format pytorch_model.bin', async () => {
    const ck = await openMain('demo/gptj-mini-legacy');
    expect(ck.conversionPr).toBeNull();
    expect(ck.source.format).toBe('pytorch-legacy');
    expect(ck.source.files.map((f) => f.path)).toEqual(['pytorch_model.bin']);
    const t = ck.source.tensors.find((x) => x.name === 'transformer.h.1.attn.out_proj.weight')!;
    const m = await ck.source.read(t);
    expect([m.rows, m.cols]).toEqual([256, 256]);
  });

  it('reads the MoE models as safetensors, and the mirror with its original\'s LFS hashes', async () => {
    for (const id of ['demo/mixtral-mini-moe', 'demo/llama4-mini-moe']) {
      const ck = await openMain(id);
      expect([ck.source.format, ck.conversionPr, ck.source.files.map((f) => f.path)]).toEqual(['safetensors', null, ['model.safetensors']]);
    }
    const [original, mirror] = await Promise.all(['demo/llama-mini-trained', 'demo/llama-mini-trained-mirror'].map(openMain));
    expect(mirror.readSha).not.toBe(original.readSha);
    expect(mirror.source.files).toEqual(original.source.files);
    expect(mirror.source.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? ''))).toBe(true);
  });
});

type CliLayer = { tensor: string; name: string; status: string; expert?: number; alpha?: number | null };

function analyzeCli(repo: string): Promise<{ code: number; stderr: string; doc: { source: string; layers: CliLayer[] } | null }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['lib/cli/analyze.ts', repo, '--json'],
      { cwd: ROOT, env: { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '' }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, stderr, doc: code === 0 ? JSON.parse(stdout) : null });
      },
    );
  });
}

describe('analyze CLI on the MoE demo repos (stand-in Hub)', () => {
  it('Mixtral: one row per per-expert tensor, each with its expert', async () => {
    const run = await analyzeCli('demo/mixtral-mini-moe');
    expect(run.code, run.stderr).toBe(0);
    const experts = run.doc!.layers.filter((l) => l.expert !== undefined);
    expect(experts).toHaveLength(2 * 4 * 3);
    for (const l of experts) expect(/^model\.layers\.[01]\.block_sparse_moe\.experts\.(\d)\.w[123]\.weight$/.exec(l.tensor)?.[1]).toBe(String(l.expert));
    expect(experts.filter((l) => l.expert === 3)).toHaveLength(2 * 3);
    expect(experts.every((l) => l.status === 'success')).toBe(true);
    expect(run.doc!.layers.find((l) => l.tensor === 'model.layers.0.block_sparse_moe.gate.weight')).toMatchObject({ status: 'skipped' });
    expect(run.doc!.layers.find((l) => l.tensor === 'model.layers.0.block_sparse_moe.gate.weight')?.expert).toBeUndefined();
  }, 120_000);

  it('Llama 4: one row per expert of each 3-D stack; the shared expert and attention carry no expert', async () => {
    const run = await analyzeCli('demo/llama4-mini-moe');
    expect(run.code, run.stderr).toBe(0);
    const layers = run.doc!.layers;
    const gateUp = layers.filter((l) => l.tensor === 'model.layers.1.feed_forward.experts.gate_up_proj');
    expect(gateUp.map((l) => [l.expert, l.name, l.status])).toEqual(
      [0, 1, 2, 3].map((e) => [e, `model.layers.1.feed_forward.experts.gate_up_proj[${e}]`, 'success']),
    );
    expect(layers.filter((l) => l.expert !== undefined)).toHaveLength(2 * 2 * 4);
    for (const t of ['model.layers.0.feed_forward.shared_expert.up_proj.weight', 'model.layers.0.self_attn.q_proj.weight']) {
      const row = layers.find((l) => l.tensor === t)!;
      expect(row.status).toBe('success');
      expect(row.expert).toBeUndefined();
    }
  }, 120_000);

  it('the pickle-only repo is analysed from its conversion PR', async () => {
    const run = await analyzeCli('demo/neox-mini-pickle-pr');
    expect(run.code, run.stderr).toBe(0);
    const pr = repos.find((r) => r.id === 'demo/neox-mini-pickle-pr')!.pullRequest!;
    expect(run.doc!.source).toBe(`demo/neox-mini-pickle-pr@${pr.sha}`);
    expect(run.doc!.layers.filter((l) => l.status === 'success')).toHaveLength(2 * 4 + 2);
  }, 120_000);
});
