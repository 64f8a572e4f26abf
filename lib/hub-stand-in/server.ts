/**
 * A small stand-in for the Hugging Face Hub on 127.0.0.1, serving the repos of a `repo-store` folder through the
 * endpoints the unmodified @huggingface/hub 2.17 client calls (see ../shared/docs/hub-stand-in.md): model listing
 * with Link paging, model info by revision with `expand`, tree listing, paths-info, refs, commits (`listCommits`),
 * discussions (pull requests; their heads readable as `refs/pr/N`), HEAD/GET raw and resolve
 * with Range (206, Content-Range, ETag), the Hub's 404 codes, gated repos (401 without a token, 403 with one that
 * lacks access), plus seeded fault injection (`faults.ts`). Not a Hub: no uploads, no xet, no search ranking.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type FaultConfig, type FaultKind, type FaultStats } from './faults';
import {
  fileSha256,
  listRepos,
  loadRepo,
  readStoredBytes,
  resolveRevision,
  revisionSummary,
  type RevisionSummary,
  type StoredFile,
  type StoredRepo,
} from './repo-store';

export interface StandInHubOptions {
  /** Folder of repos (`<root>/<owner>/<name>/...`, see repo-store.ts). */
  root: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  faults?: FaultConfig;
  /** Tokens the Hub knows: token -> the gated repos it may read ('*' = all). Tokens must start with `hf_`. */
  tokens?: Record<string, '*' | string[]>;
  /** Models per listing page (the client's `limit` caps it further). Default 100. */
  pageSize?: number;
  /** Entries per tree page. Default 1000. */
  treePageSize?: number;
  /** Discussions per page of `GET /api/models/{repo}/discussions` (the Hub: 50). */
  discussionsPageSize?: number;
}

export interface StandInHub {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 — use as HF_ENDPOINT. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Replaces the fault configuration while the server runs. */
  setFaults(faults: FaultConfig): void;
  /** Requests, range requests, bytes sent and injected faults by kind since start (or the last resetStats). */
  stats(): FaultStats;
  resetStats(): void;
}

type Json = Record<string, unknown>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const DEFAULT_FIELDS = ['author', 'cardData', 'config', 'createdAt', 'disabled', 'downloads', 'gated', 'lastModified',
  'library_name', 'likes', 'pipeline_tag', 'private', 'safetensors', 'sha', 'siblings', 'spaces', 'tags'];
const LIST_DEFAULT_FIELDS = ['likes', 'downloads', 'tags', 'pipeline_tag', 'library_name', 'createdAt', 'private'];

function objectId(repoId: string): string {
  return createHash('sha1').update(repoId).digest('hex').slice(0, 24);
}

function gitOid(file: StoredFile, sha: string): string {
  return createHash('sha1').update(`${sha}\0${file.path}\0${file.size}`).digest('hex');
}

function isLfs(file: StoredFile): boolean {
  return /\.(safetensors|bin|pt|pth|h5|gguf)$/.test(file.path) || file.size > 10_000_000;
}

function modelFields(repo: StoredRepo, rev: RevisionSummary, gated: false | 'auto' | 'manual'): Json {
  const m = repo.manifest;
  return {
    author: m.id.split('/')[0],
    cardData: rev.cardData,
    config: rev.config ?? undefined,
    createdAt: m.createdAt ?? rev.lastModified,
    disabled: false,
    downloads: m.downloads ?? 0,
    gated,
    lastModified: rev.lastModified,
    library_name: m.library_name ?? 'transformers',
    likes: m.likes ?? 0,
    pipeline_tag: m.pipeline_tag,
    private: m.private ?? false,
    safetensors: rev.safetensors ?? undefined,
    sha: rev.sha,
    siblings: rev.files.map((f) => ({ rfilename: f.path })),
    spaces: [],
    tags: rev.tags,
    trendingScore: m.trendingScore ?? m.likes ?? 0,
  };
}

function pick(repoId: string, fields: Json, expand: string[], defaults: string[]): Json {
  const keys = expand.length > 0 ? expand : defaults;
  const out: Json = { _id: objectId(repoId), id: repoId };
  for (const key of keys) if (fields[key] !== undefined) out[key] = fields[key];
  if (expand.length === 0) out.modelId = repoId;
  return out;
}

/**
 * The revision in a path at `parts[at]` and the parts after it. Clients encode the revision (`refs%2Fpr%2F1`, one
 * part once decoded) for resolve, paths-info and model info, but not for tree and commits, where `refs/pr/1` arrives
 * as three parts: a `refs/{pr,heads,tags,convert}/X` triple is taken as one revision either way.
 */
export function splitRevision(parts: string[], at: number): { revision: string | undefined; rest: string[] } {
  if (parts[at] === 'refs' && ['pr', 'heads', 'tags', 'convert'].includes(parts[at + 1]) && parts[at + 2] !== undefined) {
    return { revision: parts.slice(at, at + 3).join('/'), rest: parts.slice(at + 3) };
  }
  return { revision: parts[at], rest: parts.slice(at + 1) };
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

/** Bodies above this are streamed in slices of STREAM_SLICE_BYTES (faults apply only to smaller ones). */
const STREAM_ABOVE_BYTES = 256 * 1024 * 1024;
const STREAM_SLICE_BYTES = 16 * 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the stand-in Hub; resolves once it listens. Call `close()` when done (tests: in afterAll). */
export async function startStandInHub(options: StandInHubOptions): Promise<StandInHub> {
  const faults = new FaultInjector(options.faults);
  let stats = FaultInjector.emptyStats();
  faults.injected = stats.injected;
  const pageSize = options.pageSize ?? 100;
  const treePageSize = options.treePageSize ?? 1000;
  const discussionsPageSize = options.discussionsPageSize ?? 50;
  for (const token of Object.keys(options.tokens ?? {})) {
    if (!token.startsWith('hf_')) throw new Error(`stand-in token "${token.slice(0, 6)}…" must start with hf_`);
  }

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
    stats.bytesSent += Buffer.byteLength(text);
  };

  const gatedMode = (repo: StoredRepo) => (faults.isGated(repo.manifest.id) ? 'manual' : (repo.manifest.gated ?? false));

  /** The Hub's answers for a gated repo: 401 without a token or with one it does not know, 403 with a token lacking access. */
  const checkAccess = (req: http.IncomingMessage, repo: StoredRepo) => {
    if (!gatedMode(repo)) return;
    const id = repo.manifest.id;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const grants = token ? options.tokens?.[token] : undefined;
    if (!token) {
      stats.injected.gated += 1;
      throw new HttpError(401, `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`, 'GatedRepo');
    }
    if (!grants) {
      stats.injected.gated += 1;
      throw new HttpError(401, 'Invalid credentials in Authorization header');
    }
    if (grants !== '*' && !grants.includes(id)) {
      stats.injected.gated += 1;
      throw new HttpError(403, `Access to model ${id} is restricted and you are not in the authorized list. Visit ${id} to ask for access.`, 'GatedRepo');
    }
  };

  const repoOr404 = async (repoId: string) => {
    const repo = await loadRepo(options.root, repoId);
    if (!repo) throw new HttpError(404, 'Repository not found', 'RepoNotFound');
    return repo;
  };

  const revisionOr404 = async (repo: StoredRepo, revision: string) => {
    const sha = resolveRevision(repo.manifest, revision);
    if (!sha) throw new HttpError(404, `Invalid rev id: ${revision}`, 'RevisionNotFound');
    return revisionSummary(repo, sha);
  };

  const fileEntry = async (file: StoredFile, sha: string): Promise<Json> => ({
    type: 'file',
    oid: gitOid(file, sha),
    size: file.size,
    path: file.path,
    ...(isLfs(file) ? { lfs: { oid: await fileSha256(file), size: file.size, pointerSize: 134 } } : {}),
  });

  const dirEntry = (dir: string, sha: string): Json => ({
    type: 'directory',
    oid: createHash('sha1').update(`${sha}\0${dir}/`).digest('hex'),
    size: 0,
    path: dir,
  });

  const selfUrl = (req: http.IncomingMessage) => `http://${req.headers.host ?? `127.0.0.1:${port}`}`;

  async function listModels(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const q = url.searchParams;
    const limit = Math.max(1, Math.min(Number(q.get('limit') ?? pageSize) || pageSize, pageSize));
    const cursor = Number(q.get('cursor') ?? 0) || 0;
    const expand = q.getAll('expand');
    const filters = q.getAll('filter');
    const search = q.get('search')?.toLowerCase();
    const author = q.get('author');
    const task = q.get('pipeline_tag');
    const sort = q.get('sort');
    const rows: Array<{ id: string; fields: Json }> = [];
    for (const repo of await listRepos(options.root)) {
      const m = repo.manifest;
      if (m.private) continue;
      if (author && m.id.split('/')[0] !== author) continue;
      if (search && !m.id.toLowerCase().includes(search)) continue;
      if (task && m.pipeline_tag !== task) continue;
      const main = resolveRevision(m, 'main');
      if (!main) continue;
      const rev = await revisionSummary(repo, main);
      if (!filters.every((f) => f.split(',').every((t) => rev.tags.includes(t)))) continue;
      rows.push({ id: m.id, fields: modelFields(repo, rev, gatedMode(repo)) });
    }
    if (sort && sort !== 'id') {
      const value = (r: Json) => {
        const v = r[sort];
        return typeof v === 'string' ? Date.parse(v) : Number(v ?? 0);
      };
      rows.sort((a, b) => value(b.fields) - value(a.fields) || a.id.localeCompare(b.id));
    }
    const page = rows.slice(cursor, cursor + limit);
    const headers: Record<string, string> = {};
    if (cursor + limit < rows.length) {
      const next = new URL(`${selfUrl(req)}${url.pathname}${url.search}`);
      next.searchParams.set('cursor', String(cursor + limit));
      headers.Link = `<${next.toString()}>; rel="next"`;
    }
    const body = page.map((r) => pick(r.id, r.fields, expand, LIST_DEFAULT_FIELDS));
    sendJson(res, 200, body, headers);
  }

  /** The Hub's discussion listing, for the pull requests a manifest holds (no plain discussions are stored). */
  async function listDiscussions(req: http.IncomingMessage, res: http.ServerResponse, url: URL, repo: StoredRepo) {
    const q = url.searchParams;
    const page = Math.max(0, Number(q.get('p') ?? 0) || 0);
    const type = q.get('type') ?? 'all';
    const status = q.get('status') ?? 'all';
    const author = q.get('author');
    const search = q.get('search')?.toLowerCase();
    const all = [...(repo.manifest.pullRequests ?? [])].sort((a, b) => b.num - a.num);
    const matching = all.filter(
      (pr) =>
        type !== 'discussion' &&
        (status === 'all' || pr.status === status) &&
        (!author || pr.author === author) &&
        (!search || pr.title.toLowerCase().includes(search)),
    );
    const start = page * discussionsPageSize;
    const discussions = matching.slice(start, start + discussionsPageSize).map((pr) => ({
      num: pr.num,
      author: { _id: objectId(pr.author), avatarUrl: `/avatars/${pr.author}.svg`, fullname: pr.author, name: pr.author, type: 'user', isPro: false },
      repo: { name: repo.manifest.id, type: 'model' },
      title: pr.title,
      status: pr.status,
      createdAt: pr.createdAt,
      isPullRequest: true,
      numComments: 1,
      pinned: false,
      topReactions: [],
      numReactionUsers: 0,
    }));
    return sendJson(res, 200, {
      discussions,
      count: matching.length,
      start,
      numClosedDiscussions: all.filter((pr) => pr.status === 'closed').length,
    });
  }

  /** Commits reachable from a revision along parents, newest first, in pages of `limit` (`p`, Link paging). */
  async function listCommits(req: http.IncomingMessage, res: http.ServerResponse, url: URL, repo: StoredRepo, revision: string) {
    const sha = resolveRevision(repo.manifest, revision);
    if (!sha) throw new HttpError(404, `Invalid rev id: ${revision}`, 'RevisionNotFound');
    const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 1000));
    const page = Math.max(0, Number(url.searchParams.get('p') ?? 0) || 0);
    const chain: string[] = [];
    const seen = new Set<string>();
    for (let at: string | undefined = sha; at && !seen.has(at) && repo.manifest.commits[at]; at = repo.manifest.commits[at].parent) {
      seen.add(at);
      chain.push(at);
    }
    const body = chain.slice(page * limit, (page + 1) * limit).map((id) => {
      const c = repo.manifest.commits[id];
      const user = c.author ?? 'demo';
      return { id, title: c.title, message: c.message ?? c.title, authors: [{ user, avatar: `/avatars/${user}.svg` }], date: c.date };
    });
    const headers: Record<string, string> = {};
    if ((page + 1) * limit < chain.length) {
      const next = new URL(`${selfUrl(req)}${url.pathname}${url.search}`);
      next.searchParams.set('p', String(page + 1));
      headers.Link = `<${next.toString()}>; rel="next"`;
    }
    return sendJson(res, 200, body, headers);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, parts: string[]) {
    if (parts.length === 2 && req.method === 'GET') return listModels(req, res, url);
    if (parts.length < 4) throw new HttpError(404, 'Not found');
    const repoId = `${parts[2]}/${parts[3]}`;
    const repo = await repoOr404(repoId);
    const action = parts[4];
    const expand = url.searchParams.getAll('expand');
    if (action === undefined || action === 'revision') {
      const rev = await revisionOr404(repo, action ? parts.slice(5).join('/') || 'main' : 'main');
      return sendJson(res, 200, pick(repoId, modelFields(repo, rev, gatedMode(repo)), expand, DEFAULT_FIELDS));
    }
    if (action === 'refs' && req.method === 'GET') {
      const refs = (map: Record<string, string>, kind: string) =>
        Object.entries(map).map(([name, sha]) => ({ name, ref: `refs/${kind}/${name}`, targetCommit: sha }));
      const prs = url.searchParams.get('include_prs') === '1' || url.searchParams.get('include_prs') === 'true';
      return sendJson(res, 200, {
        branches: refs(repo.manifest.refs.branches, 'heads'),
        tags: refs(repo.manifest.refs.tags, 'tags'),
        converts: [],
        ...(prs ? { pullRequests: (repo.manifest.pullRequests ?? []).map((pr) => ({ name: pr.ref, ref: pr.ref, targetCommit: pr.sha })) } : {}),
      });
    }
    if (action === 'discussions' && req.method === 'GET' && parts.length === 5) return listDiscussions(req, res, url, repo);
    if (action === 'commits' && req.method === 'GET') return listCommits(req, res, url, repo, parts.slice(5).join('/') || 'main');
    if (action === 'tree' && req.method === 'GET') {
      const { revision, rest } = splitRevision(parts, 5);
      const rev = await revisionOr404(repo, revision ?? 'main');
      const base = rest.join('/');
      const recursive = url.searchParams.get('recursive') === 'true';
      const prefix = base ? `${base}/` : '';
      if (base && !rev.files.some((f) => f.path.startsWith(prefix))) throw new HttpError(404, 'Entry not found', 'EntryNotFound');
      const entries: Json[] = [];
      const dirs = new Set<string>();
      for (const file of rev.files) {
        if (!file.path.startsWith(prefix)) continue;
        const rest = file.path.slice(prefix.length).split('/');
        for (let depth = 1; depth < rest.length && (recursive || depth === 1); depth++) {
          const dir = prefix + rest.slice(0, depth).join('/');
          if (!dirs.has(dir)) {
            dirs.add(dir);
            entries.push(dirEntry(dir, rev.sha));
          }
        }
        if (rest.length === 1 || recursive) entries.push(await fileEntry(file, rev.sha));
      }
      const cursor = Number(url.searchParams.get('cursor') ?? 0) || 0;
      const headers: Record<string, string> = {};
      if (cursor + treePageSize < entries.length) {
        const next = new URL(`${selfUrl(req)}${url.pathname}${url.search}`);
        next.searchParams.set('cursor', String(cursor + treePageSize));
        headers.Link = `<${next.toString()}>; rel="next"`;
      }
      return sendJson(res, 200, entries.slice(cursor, cursor + treePageSize), headers);
    }
    if (action === 'paths-info' && req.method === 'POST') {
      const rev = await revisionOr404(repo, parts.slice(5).join('/') || 'main');
      const body = await readBody(req);
      let paths: unknown;
      try {
        paths = (JSON.parse(body) as { paths?: unknown }).paths;
      } catch {
        throw new HttpError(400, 'paths-info body must be JSON {"paths": [...]}');
      }
      if (!Array.isArray(paths)) throw new HttpError(400, 'paths-info body must be JSON {"paths": [...]}');
      const out: Json[] = [];
      for (const p of paths) {
        const file = rev.files.find((f) => f.path === p);
        if (file) out.push(await fileEntry(file, rev.sha));
        else if (rev.files.some((f) => f.path.startsWith(`${p}/`))) out.push(dirEntry(String(p), rev.sha));
      }
      return sendJson(res, 200, out);
    }
    throw new HttpError(404, 'Not found');
  }

  async function handleFile(req: http.IncomingMessage, res: http.ServerResponse, parts: string[], fault: FaultKind | null) {
    const repo = await repoOr404(`${parts[0]}/${parts[1]}`);
    const { revision, rest } = splitRevision(parts, 3);
    const rev = await revisionOr404(repo, revision!);
    checkAccess(req, repo);
    const filePath = rest.join('/');
    const file = rev.files.find((f) => f.path === filePath);
    if (!file) throw new HttpError(404, 'Entry not found', 'EntryNotFound');
    const etag = `"${isLfs(file) ? await fileSha256(file) : gitOid(file, rev.sha)}"`;
    const headers: Record<string, string> = {
      ETag: etag,
      'X-Repo-Commit': rev.sha,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
    };
    if (isLfs(file)) headers['X-Linked-Size'] = String(file.size);
    const rangeHeader = req.headers.range;
    let start = 0;
    let end = file.size - 1;
    let status = 200;
    if (rangeHeader) {
      const range = parseRange(rangeHeader, file.size);
      if (range === 'invalid') {
        res.writeHead(416, { 'Content-Range': `bytes */${file.size}` });
        return res.end();
      }
      ({ start, end } = range);
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
    }
    const length = file.size === 0 ? 0 : end - start + 1;
    headers['Content-Length'] = String(length);
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': String(file.size) });
      return res.end();
    }
    if (length > STREAM_ABOVE_BYTES && !fault && !faults.hasOversizedHeader(repo.manifest.id)) {
      // A span this large (a whole multi-GB file, most likely a synthetic one) is sent in slices, not held at once.
      res.writeHead(status, headers);
      for (let at = start; at <= end && !res.destroyed; at += STREAM_SLICE_BYTES) {
        const slice = await readStoredBytes(file, at, Math.min(STREAM_SLICE_BYTES, end + 1 - at));
        stats.bytesSent += slice.length;
        if (!res.write(slice)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
      return;
    }
    let body = await readStoredBytes(file, start, length);
    if (start < 8 && filePath.endsWith('.safetensors') && faults.hasOversizedHeader(repo.manifest.id)) {
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(file.size) * 4n + 1024n);
      body = Buffer.from(body);
      prefix.copy(body, 0, start, Math.min(8, start + body.length));
      stats.injected.oversized_header += 1;
    }
    if (fault === 'drop_connection') {
      res.writeHead(status, headers);
      const part = body.subarray(0, Math.floor(body.length / 2));
      res.write(part);
      stats.bytesSent += part.length;
      // let the partial chunk leave before the reset, so the client sees a body cut mid-way
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    if (fault === 'short_body' && body.length > 1) {
      body = body.subarray(0, Math.max(1, Math.floor(body.length * 0.75)));
      headers['Content-Length'] = String(body.length);
    }
    res.writeHead(status, headers);
    res.end(body);
    stats.bytesSent += body.length;
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.code ? { 'X-Error-Code': err.code, 'X-Error-Message': err.message } : {});
      } else {
        sendJson(res, 500, { error: `stand-in Hub internal error: ${(err as Error).message}` });
      }
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'malformed URL');
    }
    const isFile = parts.length >= 5 && (parts[2] === 'resolve' || parts[2] === 'raw');
    const isRange = isFile && req.method === 'GET' && req.headers.range !== undefined;
    stats.requests += 1;
    if (isRange) stats.rangeRequests += 1;
    const latency = faults.current.latencyMs ?? 0;
    if (latency > 0) await sleep(latency);
    let fault = faults.pick(isRange);
    if (fault === 'slow') {
      await sleep(faults.current.slowMs ?? 2000);
      if (res.destroyed || req.destroyed) return;
      fault = null;
    }
    if (fault === 'server_error') throw new HttpError(500, 'Internal Error - injected by the stand-in Hub');
    if (fault === 'rate_limited') {
      const retryAfter = faults.current.retryAfter ?? 1;
      return sendJson(res, 429, { error: 'Too Many Requests - injected by the stand-in Hub' }, { 'Retry-After': String(retryAfter) });
    }
    if (parts[0] === 'api' && parts[1] === 'models') return handleApi(req, res, url, parts);
    if (isFile && (req.method === 'GET' || req.method === 'HEAD')) return handleFile(req, res, parts, fault);
    throw new HttpError(404, 'Not found');
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 1_000_000) throw new HttpError(413, 'request body too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    setFaults: (config) => faults.set(config),
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = FaultInjector.emptyStats();
      faults.injected = stats.injected;
    },
  };
}
