/**
 * Tiny repos for tests of the stand-in Hub and of lib/hub (kilobytes, written in milliseconds), owner `test`:
 * - `test/tiny-sharded`: BF16, two shards + index; two commits on main (the tag `v1` keeps the first) and a
 *   `step100`/`step200` branch pair;
 * - `test/tiny-single`: one F32 file;
 * - `test/no-weights`: config and card only;
 * - `test/gated-model`: gated (manual), one F32 file;
 * - `test/bad-offsets`: a header whose data_offsets lie outside the file.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeSafetensors, type TensorSpec } from '../safetensors/write';
import { formatModelCard } from './model-card';
import { createRng, gaussianMatrix } from './planted-spectra';
import { commitFiles, writeStandInRepo, type RepoFiles } from './repo-store';

export interface FixtureRepos {
  root: string;
  /** Sha of each named commit. */
  shas: {
    shardedV1: string;
    shardedMain: string;
    single: string;
    gated: string;
    step100: string;
    step200: string;
  };
  /** Absolute path of a file at a commit (to compare bytes with what the Hub serves). */
  filePath(repo: string, sha: string, file: string): string;
}

function tensors(seed: number, dtype: 'BF16' | 'F32', prefix = 'model.layers'): TensorSpec[] {
  const rng = createRng(seed);
  return [
    { name: `${prefix}.0.self_attn.q_proj.weight`, dtype, shape: [48, 32], data: gaussianMatrix(48, 32, 0.02, rng) },
    { name: `${prefix}.0.input_layernorm.weight`, dtype, shape: [32], data: new Float64Array(32).fill(1) },
    { name: `${prefix}.0.mlp.up_proj.weight`, dtype, shape: [64, 32], data: gaussianMatrix(64, 32, 0.02, rng) },
    { name: `${prefix}.1.mlp.down_proj.weight`, dtype, shape: [32, 64], data: gaussianMatrix(32, 64, 0.02, rng) },
  ];
}

function sharded(seed: number): RepoFiles {
  const t = tensors(seed, 'BF16');
  const a = 'model-00001-of-00002.safetensors';
  const b = 'model-00002-of-00002.safetensors';
  // weight_map deliberately not in file order, to check the index follows it
  const weightMap = { [t[2].name]: a, [t[0].name]: a, [t[1].name]: b, [t[3].name]: b };
  return {
    'config.json': JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 32 }),
    'README.md': formatModelCard({ license: 'mit', base_model: ['org/base-a', 'org/base-b'] }, '# tiny sharded test model (synthetic)'),
    [a]: encodeSafetensors([t[0], t[2]]),
    [b]: encodeSafetensors([t[1], t[3]]),
    'model.safetensors.index.json': JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
  };
}

function single(seed: number, dtype: 'BF16' | 'F32' = 'F32'): RepoFiles {
  return {
    'config.json': JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }),
    'README.md': formatModelCard({ license: 'apache-2.0' }, '# tiny single-file test model (synthetic)'),
    'model.safetensors': encodeSafetensors(tensors(seed, dtype, 'h')),
  };
}

function badOffsets(): Uint8Array {
  const header = JSON.stringify({ 'w.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [0, 4096] } });
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + 64);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** Writes the fixture repos into a fresh temporary folder (or `root`). */
export async function writeFixtureRepos(root?: string): Promise<FixtureRepos> {
  const dir = root ?? (await mkdtemp(path.join(tmpdir(), 'alphaboard-hub-')));
  await writeStandInRepo(dir, { id: 'test/tiny-sharded', downloads: 30, likes: 3, tags: ['synthetic'] });
  const shardedV1 = await commitFiles(dir, 'test/tiny-sharded', { files: sharded(1), tag: 'v1', branch: 'main', title: 'v1', date: '2025-01-01T00:00:00.000Z' });
  const shardedMain = await commitFiles(dir, 'test/tiny-sharded', { files: sharded(2), title: 'v2', date: '2025-02-01T00:00:00.000Z' });
  const step100 = await commitFiles(dir, 'test/tiny-sharded', { files: sharded(3), branch: 'step100', title: 'step 100', date: '2025-01-10T00:00:00.000Z' });
  const step200 = await commitFiles(dir, 'test/tiny-sharded', { files: sharded(4), branch: 'step200', title: 'step 200', date: '2025-01-20T00:00:00.000Z' });

  await writeStandInRepo(dir, { id: 'test/tiny-single', downloads: 50, likes: 1 });
  const singleSha = await commitFiles(dir, 'test/tiny-single', { files: single(5), date: '2025-03-01T00:00:00.000Z' });

  await writeStandInRepo(dir, { id: 'test/no-weights', downloads: 10, likes: 9 });
  await commitFiles(dir, 'test/no-weights', {
    files: { 'config.json': '{"model_type":"llama"}', 'README.md': '# no weights', 'tf_model.h5': 'weights in a format the board does not read' },
  });

  await writeStandInRepo(dir, { id: 'test/gated-model', gated: 'manual', downloads: 20, likes: 2 });
  const gated = await commitFiles(dir, 'test/gated-model', { files: single(6, 'BF16'), date: '2025-04-01T00:00:00.000Z' });

  await writeStandInRepo(dir, { id: 'test/bad-offsets', downloads: 1, likes: 0 });
  await commitFiles(dir, 'test/bad-offsets', { files: { 'config.json': '{}', 'model.safetensors': badOffsets() } });

  return {
    root: dir,
    shas: { shardedV1, shardedMain, single: singleSha, gated, step100, step200 },
    filePath: (repo, sha, file) => path.join(dir, repo, 'snapshots', sha, file),
  };
}

/** Bytes [start, end) of a local file (to compare with remote reads). */
export async function localBytes(file: string, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await readFile(file)).subarray(start, end);
}

export interface PullRequestRepos {
  root: string;
  shas: {
    /** `pr/trusted`: main's first commit, its successor (main now), and the heads of PR #1 (on the first) and #3 (on main). */
    trustedFirst: string;
    trustedMain: string;
    pr1: string;
    pr3: string;
    /** `pr/stale`: main now, and the head of PR #1 whose parent is an older main commit. */
    staleMain: string;
    stalePr: string;
    impostorMain: string;
    closedMain: string;
  };
}

const BOT = 'SFconvertbot';
const CONVERSION_TITLE = 'Adding `safetensors` variant of this model';

function pickleOnly(seed: number): RepoFiles {
  return {
    'config.json': JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }),
    'README.md': formatModelCard({ license: 'apache-2.0' }, '# tiny pickle-only test model (synthetic)'),
    // the conversion-PR look-up never reads these bytes
    'pytorch_model.bin': `pickle weights placeholder ${seed}`,
  };
}

const converted = (seed: number): RepoFiles => ({ 'model.safetensors': encodeSafetensors(tensors(seed, 'F32', 'h')) });

/**
 * Repos with pull requests, owner `pr` (own folder, so the listing of `writeFixtureRepos` stays as it is):
 * - `pr/trusted`: two main commits; open bot PRs #1 (parent: the first commit) and #3 (parent: main), and #2 by
 *   another user with the bot's title, each head adding model.safetensors to its parent's files;
 * - `pr/stale`: the bot's PR on a commit main has since moved past;
 * - `pr/impostor`: a PR with the right title by someone else, and one by the bot with another title;
 * - `pr/closed`: the bot's PR on main, closed.
 */
export async function writePullRequestRepos(root?: string): Promise<PullRequestRepos> {
  const dir = root ?? (await mkdtemp(path.join(tmpdir(), 'alphaboard-hub-pr-')));
  const pr = (title: string, author: string, status: 'open' | 'closed' = 'open') => ({ title, author, status });
  const at = (day: number) => new Date(Date.UTC(2025, 0, day)).toISOString();

  await writeStandInRepo(dir, { id: 'pr/trusted' });
  const trustedFirst = await commitFiles(dir, 'pr/trusted', { files: pickleOnly(1), title: 'first upload', date: at(1) });
  const trustedMain = await commitFiles(dir, 'pr/trusted', { files: pickleOnly(2), title: 'second upload', date: at(2) });
  const pr1 = await commitFiles(dir, 'pr/trusted', {
    files: converted(11), parent: trustedFirst, inheritFiles: true, title: CONVERSION_TITLE, author: BOT, date: at(3), pullRequest: pr(CONVERSION_TITLE, BOT),
  });
  await commitFiles(dir, 'pr/trusted', {
    files: converted(12), parent: trustedMain, inheritFiles: true, title: CONVERSION_TITLE, author: 'someone', date: at(4), pullRequest: pr(CONVERSION_TITLE, 'someone'),
  });
  const pr3 = await commitFiles(dir, 'pr/trusted', {
    files: converted(13), parent: trustedMain, inheritFiles: true, title: CONVERSION_TITLE, author: BOT, date: at(5), pullRequest: pr(CONVERSION_TITLE, BOT),
  });

  await writeStandInRepo(dir, { id: 'pr/stale' });
  const staleFirst = await commitFiles(dir, 'pr/stale', { files: pickleOnly(3), title: 'first upload', date: at(1) });
  const stalePr = await commitFiles(dir, 'pr/stale', {
    files: converted(14), parent: staleFirst, inheritFiles: true, title: CONVERSION_TITLE, author: BOT, date: at(2), pullRequest: pr(CONVERSION_TITLE, BOT),
  });
  const staleMain = await commitFiles(dir, 'pr/stale', { files: pickleOnly(4), title: 'retrained', date: at(3) });

  await writeStandInRepo(dir, { id: 'pr/impostor' });
  const impostorMain = await commitFiles(dir, 'pr/impostor', { files: pickleOnly(5), title: 'upload', date: at(1) });
  await commitFiles(dir, 'pr/impostor', {
    files: converted(15), parent: impostorMain, inheritFiles: true, date: at(2), author: 'someone', pullRequest: pr(CONVERSION_TITLE, 'someone'),
  });
  await commitFiles(dir, 'pr/impostor', {
    files: converted(16), parent: impostorMain, inheritFiles: true, date: at(3), author: BOT, pullRequest: pr('Adding safetensors weights', BOT),
  });

  await writeStandInRepo(dir, { id: 'pr/closed' });
  const closedMain = await commitFiles(dir, 'pr/closed', { files: pickleOnly(6), title: 'upload', date: at(1) });
  await commitFiles(dir, 'pr/closed', {
    files: converted(17), parent: closedMain, inheritFiles: true, date: at(2), author: BOT, pullRequest: pr(CONVERSION_TITLE, BOT, 'closed'),
  });

  return { root: dir, shas: { trustedFirst, trustedMain, pr1, pr3, staleMain, stalePr, impostorMain, closedMain } };
}
