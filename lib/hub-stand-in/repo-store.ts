/**
 * On-disk store of the stand-in Hub's repositories.
 *
 * Layout (one folder per repo, like the Hub's `owner/name`):
 *   <root>/<owner>/<name>/repo.json              manifest: refs (branches, tags -> sha), commits (with parents),
 *                                                pull requests (refs/pr/N -> head sha), listing fields
 *   <root>/<owner>/<name>/snapshots/<sha>/...    the files of each commit (config.json, README.md, *.safetensors, ...)
 * A folder without `repo.json` whose files sit directly in it is served as a single-commit repo on `main`, so a
 * checkpoint folder can be served without a manifest. The manifest is re-read on every request, so a test can move
 * a branch (a new sha) while the server runs; snapshots are immutable and their derived data is cached per sha.
 * A file `<path>.synthetic.json` is listed and served as `<path>`, a virtual safetensors file whose bytes are
 * generated on demand (./synthetic.ts): read file bytes with `readStoredBytes`, never from `absPath` directly.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCardData, type CardData } from './model-card';
import { SYNTHETIC_SUFFIX, syntheticFile, type SyntheticFile } from './synthetic';

export type GatedMode = false | 'auto' | 'manual';

export interface RepoManifest {
  id: string;
  private?: boolean;
  gated?: GatedMode;
  downloads?: number;
  likes?: number;
  /** Listing sort key `trendingScore` (defaults to likes). */
  trendingScore?: number;
  pipeline_tag?: string;
  library_name?: string;
  /** Extra tags beyond the derived ones (library, safetensors, model_type, license:, base_model:). */
  tags?: string[];
  createdAt?: string;
  refs: { branches: Record<string, string>; tags: Record<string, string> };
  commits: Record<string, StoredCommit>;
  /** Pull requests (the Hub's discussions of type pull request); each head is readable as the revision `refs/pr/N`. */
  pullRequests?: StoredPullRequest[];
}

export interface StoredCommit {
  date: string;
  title: string;
  /** Commit message body (the title when absent). */
  message?: string;
  /** Author's Hub user name (default `demo`). */
  author?: string;
  /** The commit this one follows (absent on a root commit); `GET .../commits/{rev}` walks these. */
  parent?: string;
}

export type PullRequestStatus = 'open' | 'closed' | 'merged' | 'draft';

export interface StoredPullRequest {
  num: number;
  title: string;
  /** Hub user name of the author (the conversion bot is `SFconvertbot`). */
  author: string;
  status: PullRequestStatus;
  /** The git ref of its head, `refs/pr/<num>`. */
  ref: string;
  /** Head commit sha. */
  sha: string;
  createdAt: string;
}

export interface StoredRepo {
  manifest: RepoManifest;
  dir: string;
  /** Folder holding the files of commit `sha`. */
  snapshotDir(sha: string): string;
}

export interface StoredFile {
  path: string;
  size: number;
  /** The file on disk (for a synthetic file: its spec). */
  absPath: string;
  /** Set for a virtual file generated from `<path>.synthetic.json`. */
  synthetic?: SyntheticFile;
}

export interface RevisionSummary {
  sha: string;
  lastModified: string;
  config: Record<string, unknown> | null;
  cardData: CardData;
  safetensors: { parameters: Record<string, number>; total: number } | null;
  tags: string[];
  files: StoredFile[];
}

const MANIFEST = 'repo.json';
const SHA_RE = /^[0-9a-f]{40}$/;

function splitRepoId(repoId: string): [string, string] {
  const parts = repoId.split('/');
  if (parts.length !== 2 || parts.some((p) => !/^[\w.-]+$/.test(p) || p === '.' || p === '..')) {
    throw new Error(`invalid repo id "${repoId}": expected owner/name`);
  }
  return [parts[0], parts[1]];
}

async function walk(dir: string, prefix = ''): Promise<StoredFile[]> {
  const out: StoredFile[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(abs, rel)));
    else if (entry.isFile() && entry.name.endsWith(SYNTHETIC_SUFFIX) && entry.name.length > SYNTHETIC_SUFFIX.length) {
      const synthetic = syntheticFile(await readFile(abs, 'utf8'));
      out.push({ path: rel.slice(0, -SYNTHETIC_SUFFIX.length), size: synthetic.size, absPath: abs, synthetic });
    } else if (entry.isFile()) out.push({ path: rel, size: (await stat(abs)).size, absPath: abs });
  }
  return out;
}

/** sha of a manifest-less folder: changes whenever a file is added, resized or rewritten. */
async function folderSha(dir: string): Promise<string> {
  const hash = createHash('sha1');
  for (const file of await walk(dir)) {
    if (file.path === MANIFEST) continue;
    const s = await stat(file.absPath);
    hash.update(`${file.path}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Bytes [start, start + length) of a stored file (fewer at its end); synthetic files are generated. */
export async function readStoredBytes(file: StoredFile, start: number, length: number): Promise<Buffer> {
  if (file.synthetic) {
    const bytes = file.synthetic.read(start, length);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  const handle = await open(file.absPath, 'r');
  try {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buf, done, length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** Loads one repo's manifest (fresh from disk); null when the repo does not exist. */
export async function loadRepo(root: string, repoId: string): Promise<StoredRepo | null> {
  let owner: string;
  let name: string;
  try {
    [owner, name] = splitRepoId(repoId);
  } catch {
    return null;
  }
  const dir = path.join(root, owner, name);
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as RepoManifest;
    manifest.id = `${owner}/${name}`;
    return { manifest, dir, snapshotDir: (sha) => path.join(dir, 'snapshots', sha) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) return null;
  const sha = await folderSha(dir);
  const manifest: RepoManifest = {
    id: `${owner}/${name}`,
    refs: { branches: { main: sha }, tags: {} },
    commits: { [sha]: { date: info.mtime.toISOString(), title: 'Upload folder' } },
  };
  return { manifest, dir, snapshotDir: () => dir };
}

/** Every repo under `root` (owner folders, then repo folders). */
export async function listRepos(root: string): Promise<StoredRepo[]> {
  const repos: StoredRepo[] = [];
  const owners = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const owner of owners.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const names = await readdir(path.join(root, owner.name), { withFileTypes: true });
    for (const name of names.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const repo = await loadRepo(root, `${owner.name}/${name.name}`);
      if (repo) repos.push(repo);
    }
  }
  return repos;
}

/** Branch, tag, `HEAD` (= main), pull request ref `refs/pr/N` or full commit sha -> sha; null when unknown. */
export function resolveRevision(manifest: RepoManifest, revision: string): string | null {
  if (/^refs\/pr\/\d+$/.test(revision)) return manifest.pullRequests?.find((pr) => pr.ref === revision)?.sha ?? null;
  const rev = revision === 'HEAD' ? 'main' : revision.replace(/^refs\/(heads|tags)\//, '');
  if (manifest.refs.branches[rev]) return manifest.refs.branches[rev];
  if (manifest.refs.tags[rev]) return manifest.refs.tags[rev];
  if (SHA_RE.test(rev) && manifest.commits[rev]) return rev;
  return null;
}

/** Parameter counts by dtype from the safetensors headers of one commit; null when it has none or one is unreadable. */
async function countParameters(files: StoredFile[]): Promise<RevisionSummary['safetensors']> {
  const weights = files.filter((f) => f.path.endsWith('.safetensors'));
  if (weights.length === 0) return null;
  const parameters: Record<string, number> = {};
  try {
    for (const file of weights) {
      const prefix = await readStoredBytes(file, 0, 8);
      if (prefix.length < 8) return null;
      const n = Number(prefix.readBigUInt64LE(0));
      if (n > file.size - 8 || n > 100_000_000) return null;
      const header = await readStoredBytes(file, 8, n);
      const json = JSON.parse(header.toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
      for (const [key, info] of Object.entries(json)) {
        if (key === '__metadata__') continue;
        const numel = info.shape.reduce((a, b) => a * b, 1);
        parameters[info.dtype] = (parameters[info.dtype] ?? 0) + numel;
      }
    }
  } catch {
    return null;
  }
  return { parameters, total: Object.values(parameters).reduce((a, b) => a + b, 0) };
}

const summaryCache = new Map<string, RevisionSummary>();

/** Files, config, card data, parameter counts and tags of one commit (cached: snapshots never change). */
export async function revisionSummary(repo: StoredRepo, sha: string): Promise<RevisionSummary> {
  const dir = repo.snapshotDir(sha);
  const key = `${dir}\0${sha}`;
  const cached = summaryCache.get(key);
  if (cached) return cached;
  const files = (await walk(dir)).filter((f) => f.path !== MANIFEST);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const readJson = async (p: string) => {
    const file = byPath.get(p);
    if (!file) return null;
    try {
      return JSON.parse(await readFile(file.absPath, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const config = await readJson('config.json');
  const readme = byPath.get('README.md');
  const cardData = readme ? parseCardData(await readFile(readme.absPath, 'utf8')) : {};
  const safetensors = await countParameters(files);
  const m = repo.manifest;
  const tags = new Set<string>();
  tags.add(m.library_name ?? 'transformers');
  if (safetensors) tags.add('safetensors');
  if (typeof config?.model_type === 'string') tags.add(config.model_type);
  if (m.pipeline_tag) tags.add(m.pipeline_tag);
  for (const t of m.tags ?? []) tags.add(t);
  for (const t of [cardData.tags ?? []].flat()) if (typeof t === 'string') tags.add(t);
  if (typeof cardData.license === 'string') tags.add(`license:${cardData.license}`);
  const bases = cardData.base_model == null ? [] : [cardData.base_model].flat();
  for (const base of bases) if (typeof base === 'string') tags.add(`base_model:${base}`);
  const summary: RevisionSummary = {
    sha,
    lastModified: m.commits[sha]?.date ?? new Date(0).toISOString(),
    config,
    cardData,
    safetensors,
    tags: [...tags],
    files,
  };
  summaryCache.set(key, summary);
  return summary;
}

const etagCache = new Map<string, Promise<string>>();

/** sha256 of a file's bytes, the Hub's LFS oid and ETag (cached per path, size and mtime). */
export async function fileSha256(file: StoredFile): Promise<string> {
  if (file.synthetic) return file.synthetic.sha256;
  const s = await stat(file.absPath);
  const key = `${file.absPath}\0${s.size}\0${s.mtimeMs}`;
  let pending = etagCache.get(key);
  if (!pending) {
    pending = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file.absPath)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
    etagCache.set(key, pending);
  }
  return pending;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing repos (the demo generator and tests use these)

export type RepoFiles = Record<string, Uint8Array | string>;

/** A repo to create: its manifest without refs and commits (they come with its first commit). */
export type NewRepo = Omit<RepoManifest, 'refs' | 'commits'>;

export interface NewCommit {
  files: RepoFiles;
  /** Branch to point at the new commit (default `main` when neither a tag nor a pull request is given). */
  branch?: string;
  /** Tag to point at the new commit. */
  tag?: string;
  title?: string;
  message?: string;
  /** Author's Hub user name (default `demo`). */
  author?: string;
  date?: string;
  /**
   * The parent commit's sha. Default: the commit `branch` (or main, for a pull request) points at before this one,
   * none for the first commit of a branch.
   */
  parent?: string;
  /** Start from the parent's files (a commit that adds or replaces files, as a conversion PR does). */
  inheritFiles?: boolean;
  /**
   * Open a pull request whose head is this commit (readable as `refs/pr/<num>`), instead of moving a branch. `num`
   * defaults to the next free number (the Hub numbers discussions and pull requests together from 1).
   */
  pullRequest?: { title: string; author: string; status?: PullRequestStatus; num?: number };
}

function commitSha(repoId: string, commit: NewCommit, explicitParent: string | undefined): string {
  const hash = createHash('sha1');
  hash.update(`${repoId}\0${commit.title ?? ''}\0${commit.date ?? ''}\n`);
  if (explicitParent) hash.update(`parent ${explicitParent}\n`);
  if (commit.pullRequest) hash.update(`pr ${commit.pullRequest.author}\0${commit.pullRequest.title}\n`);
  for (const p of Object.keys(commit.files).sort()) {
    hash.update(`${p}\0`);
    hash.update(commit.files[p]);
    hash.update('\n');
  }
  return hash.digest('hex');
}

async function writeManifest(dir: string, manifest: RepoManifest): Promise<void> {
  const tmp = path.join(dir, `${MANIFEST}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, path.join(dir, MANIFEST));
}

/** Creates (or replaces the listing fields of) a repo; returns its folder. Commits are added with `commitFiles`. */
export async function writeStandInRepo(root: string, repo: NewRepo): Promise<string> {
  const [owner, name] = splitRepoId(repo.id);
  const dir = path.join(root, owner, name);
  await mkdir(path.join(dir, 'snapshots'), { recursive: true });
  const existing = await readFile(path.join(dir, MANIFEST), 'utf8')
    .then((t) => JSON.parse(t) as RepoManifest)
    .catch(() => null);
  const manifest: RepoManifest = {
    private: false,
    gated: false,
    downloads: 0,
    likes: 0,
    pipeline_tag: 'text-generation',
    library_name: 'transformers',
    tags: [],
    createdAt: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    ...repo,
    refs: existing?.refs ?? { branches: {}, tags: {} },
    commits: existing?.commits ?? {},
  };
  await writeManifest(dir, manifest);
  return dir;
}

/**
 * Adds a commit holding exactly `files` (plus its parent's with `inheritFiles`) and points `branch` (default main)
 * and/or `tag` at it, or opens a pull request on it (`pullRequest`). Pushing new files to `main` changes the sha a
 * modelInfo call pins, as a real push does. Returns the commit sha.
 */
export async function commitFiles(root: string, repoId: string, commit: NewCommit): Promise<string> {
  const [owner, name] = splitRepoId(repoId);
  const dir = path.join(root, owner, name);
  const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as RepoManifest;
  if (commit.parent && !manifest.commits[commit.parent]) throw new Error(`parent ${commit.parent} is not a commit of ${repoId}`);
  // An explicit parent (or a pull request's) is part of the sha; the default one is not, so rewriting the same files
  // under the same title and date keeps giving the same sha, as existing fixtures expect.
  const sha = commitSha(manifest.id, commit, commit.parent);
  const prior = manifest.commits[sha];
  let parent: string | undefined = commit.parent ?? manifest.refs.branches[commit.branch ?? 'main'];
  if (prior) parent = prior.parent;
  else if (parent === sha) parent = undefined;
  const snapshot = path.join(dir, 'snapshots', sha);
  if (commit.inheritFiles && parent) {
    const from = path.join(dir, 'snapshots', parent);
    for (const file of await walk(from)) {
      if (Object.hasOwn(commit.files, file.path)) continue;
      const target = path.join(snapshot, file.synthetic ? `${file.path}${SYNTHETIC_SUFFIX}` : file.path);
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(file.absPath, target);
    }
  }
  for (const [rel, content] of Object.entries(commit.files)) {
    if (rel.split('/').some((seg) => seg === '..' || seg === '') || path.isAbsolute(rel)) {
      throw new Error(`invalid file path "${rel}" in commit to ${repoId}`);
    }
    const abs = path.join(snapshot, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  const date = commit.date ?? new Date().toISOString();
  manifest.commits[sha] = {
    date,
    title: commit.title ?? 'Upload model',
    ...(commit.message !== undefined ? { message: commit.message } : {}),
    ...(commit.author !== undefined ? { author: commit.author } : {}),
    ...(parent ? { parent } : {}),
  };
  if (commit.branch || (!commit.tag && !commit.pullRequest)) manifest.refs.branches[commit.branch ?? 'main'] = sha;
  if (commit.tag) manifest.refs.tags[commit.tag] = sha;
  if (commit.pullRequest) {
    const prs = (manifest.pullRequests ??= []);
    const num = commit.pullRequest.num ?? prs.reduce((n, pr) => Math.max(n, pr.num), 0) + 1;
    if (prs.some((pr) => pr.num === num)) throw new Error(`${repoId} already has pull request #${num}`);
    prs.push({
      num,
      title: commit.pullRequest.title,
      author: commit.pullRequest.author,
      status: commit.pullRequest.status ?? 'open',
      ref: `refs/pr/${num}`,
      sha,
      createdAt: date,
    });
  }
  await writeManifest(dir, manifest);
  return sha;
}
