import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { commitFiles } from './repo-store';
import { startStandInHub, type StandInHub } from './server';
import { writeFixtureRepos, writePullRequestRepos, type FixtureRepos, type PullRequestRepos } from './test-fixtures';

let fx: FixtureRepos;
let hub: StandInHub;

beforeAll(async () => {
  fx = await writeFixtureRepos();
  hub = await startStandInHub({ root: fx.root, pageSize: 2, tokens: { hf_reader: ['test/gated-model'], hf_other: [] } });
});
afterAll(() => hub?.close());
beforeEach(() => {
  hub.setFaults({});
  hub.resetStats();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${hub.url}${path}`, { headers });

describe('stand-in Hub endpoints', () => {
  it('listing pages through Link headers with the requested expand fields', async () => {
    const ids: string[] = [];
    let url: string | undefined = `${hub.url}/api/models?limit=100&sort=downloads&expand=downloads&expand=safetensors`;
    let pages = 0;
    while (url) {
      const res: Response = await fetch(url);
      const body = (await res.json()) as Array<{ id: string; _id: string; downloads: number; likes?: number }>;
      for (const m of body) {
        expect(m._id).toMatch(/^[0-9a-f]{24}$/);
        expect(m.likes).toBeUndefined(); // not expanded
        ids.push(m.id);
      }
      url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      pages++;
    }
    expect(pages).toBe(3);
    expect(ids).toEqual(['test/tiny-single', 'test/tiny-sharded', 'test/gated-model', 'test/no-weights', 'test/bad-offsets']);
  });

  it('filters by tag, author and search', async () => {
    const ids = async (q: string) => ((await (await get(`/api/models?${q}`)).json()) as Array<{ id: string }>).map((m) => m.id);
    expect(await ids('filter=safetensors&search=tiny&limit=10')).toEqual(expect.arrayContaining(['test/tiny-single', 'test/tiny-sharded']));
    expect(await ids('filter=safetensors&limit=10')).not.toContain('test/no-weights');
    expect(await ids('author=nobody')).toEqual([]);
  });

  it('serves model info by branch, tag and sha with safetensors counts and card data', async () => {
    const info = async (rev: string) =>
      (await (await get(`/api/models/test/tiny-sharded/revision/${rev}?expand=sha&expand=safetensors&expand=cardData&expand=config`)).json()) as {
        sha: string;
        safetensors: { parameters: Record<string, number>; total: number };
        cardData: { base_model: string[]; license: string };
        config: { model_type: string };
      };
    const main = await info('main');
    expect(main.sha).toBe(fx.shas.shardedMain);
    expect(main.safetensors).toEqual({ parameters: { BF16: 48 * 32 + 32 + 64 * 32 + 32 * 64 }, total: 48 * 32 + 32 + 64 * 32 + 32 * 64 });
    expect(main.cardData).toMatchObject({ license: 'mit', base_model: ['org/base-a', 'org/base-b'] });
    expect(main.config.model_type).toBe('llama');
    expect((await info('v1')).sha).toBe(fx.shas.shardedV1);
    expect((await info(fx.shas.step100)).sha).toBe(fx.shas.step100);
    expect((await info('HEAD')).sha).toBe(fx.shas.shardedMain);
  });

  it('answers missing repos, revisions and files with the Hub error codes', async () => {
    const repo = await get('/api/models/test/nope/revision/main');
    expect(repo.status).toBe(404);
    expect(repo.headers.get('x-error-code')).toBe('RepoNotFound');
    const rev = await get('/api/models/test/tiny-single/revision/nope');
    expect(rev.status).toBe(404);
    expect(rev.headers.get('x-error-code')).toBe('RevisionNotFound');
    const file = await get('/test/tiny-single/resolve/main/missing.bin', { Range: 'bytes=0-0' });
    expect(file.status).toBe(404);
    expect(file.headers.get('x-error-code')).toBe('EntryNotFound');
    const head = await fetch(`${hub.url}/test/tiny-single/raw/main/missing.bin`, { method: 'HEAD' });
    expect(head.status).toBe(404);
    expect((await fetch(`${hub.url}/test/tiny-single/raw/main/config.json`, { method: 'HEAD' })).status).toBe(200);
  });

  it('honours Range with 206, Content-Range and ETag, and refuses unsatisfiable ranges', async () => {
    const local = new Uint8Array(await readFile(fx.filePath('test/tiny-single', fx.shas.single, 'model.safetensors')));
    const res = await get('/test/tiny-single/resolve/main/model.safetensors', { Range: 'bytes=10-99' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 10-99/${local.length}`);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(local.subarray(10, 100));
    const bad = await get('/test/tiny-single/resolve/main/model.safetensors', { Range: `bytes=${local.length}-` });
    expect(bad.status).toBe(416);
    expect(hub.stats().rangeRequests).toBe(2);
  });

  it('lists trees, paths-info and refs', async () => {
    const tree = (await (await get(`/api/models/test/tiny-sharded/tree/${fx.shas.shardedMain}`)).json()) as Array<{ path: string; lfs?: { oid: string } }>;
    expect(tree.map((e) => e.path).sort()).toEqual(['README.md', 'config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    expect(tree.find((e) => e.path.endsWith('.safetensors'))?.lfs?.oid).toMatch(/^[0-9a-f]{64}$/);
    const info = await fetch(`${hub.url}/api/models/test/tiny-single/paths-info/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: ['config.json', 'nope'], expand: true }),
    });
    expect(((await info.json()) as Array<{ path: string }>).map((e) => e.path)).toEqual(['config.json']);
    const refs = (await (await get('/api/models/test/tiny-sharded/refs')).json()) as { branches: Array<{ name: string; targetCommit: string }>; tags: Array<{ name: string }> };
    expect(refs.branches.map((b) => b.name).sort()).toEqual(['main', 'step100', 'step200']);
    expect(refs.tags.map((t) => t.name)).toEqual(['v1']);
  });

  it('gates files: 401 without a token, 403 with a token lacking access, 200 with access', async () => {
    const url = '/test/gated-model/resolve/main/model.safetensors';
    const none = await get(url, { Range: 'bytes=0-7' });
    expect(none.status).toBe(401);
    expect(none.headers.get('x-error-code')).toBe('GatedRepo');
    expect((await get(url, { Range: 'bytes=0-7', Authorization: 'Bearer hf_other' })).status).toBe(403);
    const unknown = await get(url, { Range: 'bytes=0-7', Authorization: 'Bearer hf_unknown' });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe('Invalid credentials in Authorization header');
    expect((await get(url, { Range: 'bytes=0-7', Authorization: 'Bearer hf_reader' })).status).toBe(206);
    // metadata stays public, as on the Hub
    expect((await get('/api/models/test/gated-model/revision/main?expand=gated')).status).toBe(200);
    expect(hub.stats().injected.gated).toBe(3);
  });

  it('a new commit on main moves the sha the Hub reports', async () => {
    const before = ((await (await get('/api/models/test/tiny-single/revision/main?expand=sha')).json()) as { sha: string }).sha;
    const files = { 'config.json': '{"model_type":"gpt2"}', 'model.safetensors': await readFile(fx.filePath('test/tiny-single', fx.shas.single, 'model.safetensors')), 'NOTES.md': 'update' };
    const after = await commitFiles(fx.root, 'test/tiny-single', { files, title: 'update' });
    const now = ((await (await get('/api/models/test/tiny-single/revision/main?expand=sha')).json()) as { sha: string }).sha;
    expect(before).toBe(fx.shas.single);
    expect(now).toBe(after);
    expect(now).not.toBe(before);
    // the old commit stays readable by sha
    expect((await get(`/test/tiny-single/resolve/${before}/model.safetensors`, { Range: 'bytes=0-7' })).status).toBe(206);
  });
});

describe('stand-in Hub faults', () => {
  const range = () => get('/test/tiny-single/resolve/main/model.safetensors', { Range: 'bytes=0-1023' });

  it('injects queued faults in order and counts them', async () => {
    hub.setFaults({ next: ['server_error', 'rate_limited', 'short_body'], retryAfter: 3 });
    expect((await range()).status).toBe(500);
    const limited = await range();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    const short = await range();
    expect(short.status).toBe(206);
    expect((await short.arrayBuffer()).byteLength).toBeLessThan(1024);
    expect(short.headers.get('content-range')).toMatch(/^bytes 0-1023\//);
    expect((await range()).status).toBe(206);
    expect(hub.stats().injected).toMatchObject({ server_error: 1, rate_limited: 1, short_body: 1 });
  });

  it('drops the connection mid-body', async () => {
    hub.setFaults({ next: ['drop_connection'] });
    const res = await range();
    expect(res.status).toBe(206);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('delays slow responses and leaves metadata alone in the default scope', async () => {
    hub.setFaults({ next: ['slow'], slowMs: 300 });
    expect((await get('/api/models/test/tiny-single/revision/main')).status).toBe(200);
    const t0 = performance.now();
    expect((await range()).status).toBe(206);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('fails a seeded fraction of range requests reproducibly', async () => {
    const run = async () => {
      hub.setFaults({ seed: 7, rates: { server_error: 0.1 } });
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await range()).status);
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    const failed = a.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(20);
  });

  it('serves a header length larger than the file for flagged repos', async () => {
    hub.setFaults({ oversizedHeaderRepos: ['test/tiny-single'] });
    const res = await get('/test/tiny-single/resolve/main/model.safetensors', { Range: 'bytes=0-7' });
    const n = new DataView(await res.arrayBuffer()).getBigUint64(0, true);
    const size = Number(res.headers.get('content-range')!.split('/')[1]);
    expect(Number(n)).toBeGreaterThan(size);
    expect(() => hub.setFaults({ rates: { server_error: 2 } })).toThrow(/probability/);
  });
});

describe('stand-in Hub pull requests and commits', () => {
  let prs: PullRequestRepos;
  let prHub: StandInHub;
  beforeAll(async () => {
    prs = await writePullRequestRepos();
    prHub = await startStandInHub({ root: prs.root, discussionsPageSize: 2 });
  });
  afterAll(() => prHub?.close());
  const at = (p: string, init?: RequestInit) => fetch(`${prHub.url}${p}`, init);

  type Discussions = { discussions: Array<{ num: number; title: string; status: string; isPullRequest: boolean; author: { name: string } }>; count: number };

  it('lists pull requests as discussions, newest first, filtered and paged as the Hub does', async () => {
    const page = async (q: string) => (await (await at(`/api/models/pr/trusted/discussions?${q}`)).json()) as Discussions;
    const first = await page('p=0&type=pull_request&status=open');
    expect(first.count).toBe(3);
    expect(first.discussions.map((d) => d.num)).toEqual([3, 2]);
    expect(first.discussions[0]).toMatchObject({ title: 'Adding `safetensors` variant of this model', status: 'open', isPullRequest: true, author: { name: 'SFconvertbot' } });
    expect((await page('p=1&type=pull_request&status=open')).discussions.map((d) => d.num)).toEqual([1]);
    expect((await page('author=SFconvertbot')).discussions.map((d) => d.num)).toEqual([3, 1]);
    expect((await page('type=discussion')).count).toBe(0);
    const closed = (await (await at('/api/models/pr/closed/discussions?status=open')).json()) as Discussions;
    expect(closed.count).toBe(0);
    expect(((await (await at('/api/models/pr/closed/discussions?status=closed')).json()) as Discussions).discussions[0].status).toBe('closed');
    expect((await at('/api/models/pr/nope/discussions')).status).toBe(404);
  });

  it('serves refs/pr/N as a revision for model info, tree, paths-info and resolve, encoded or not', async () => {
    for (const rev of ['refs%2Fpr%2F3', 'refs/pr/3']) {
      const info = (await (await at(`/api/models/pr/trusted/revision/${rev}?expand=sha&expand=siblings`)).json()) as { sha: string; siblings: Array<{ rfilename: string }> };
      expect(info.sha).toBe(prs.shas.pr3);
      expect(info.siblings.map((f) => f.rfilename).sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'pytorch_model.bin']);
      const tree = (await (await at(`/api/models/pr/trusted/tree/${rev}?recursive=false`)).json()) as Array<{ path: string }>;
      expect(tree.map((e) => e.path)).toContain('model.safetensors');
      const file = await at(`/pr/trusted/resolve/${rev}/model.safetensors`, { headers: { Range: 'bytes=0-7' } });
      expect(file.status).toBe(206);
      expect(file.headers.get('x-repo-commit')).toBe(prs.shas.pr3);
      const paths = await at(`/api/models/pr/trusted/paths-info/${rev}`, { method: 'POST', body: JSON.stringify({ paths: ['model.safetensors'] }) });
      expect(((await paths.json()) as unknown[]).length).toBe(1);
    }
    // main itself has no safetensors; an unknown PR is an unknown revision
    expect((await at('/pr/trusted/resolve/main/model.safetensors')).status).toBe(404);
    const missing = await at('/api/models/pr/trusted/tree/refs/pr/9');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-error-code')).toBe('RevisionNotFound');
    const refs = (await (await at('/api/models/pr/trusted/refs?include_prs=1')).json()) as { pullRequests: Array<{ ref: string; targetCommit: string }> };
    expect(refs.pullRequests.find((r) => r.ref === 'refs/pr/1')?.targetCommit).toBe(prs.shas.pr1);
    expect(((await (await at('/api/models/pr/trusted/refs')).json()) as { pullRequests?: unknown }).pullRequests).toBeUndefined();
  });

  it('lists commits from a revision back along parents, newest first, with Link paging', async () => {
    type Commit = { id: string; title: string; message: string; authors: Array<{ user: string }>; date: string };
    const ids = async (path: string) => {
      const out: Commit[] = [];
      let url: string | undefined = `${prHub.url}${path}`;
      while (url) {
        const res: Response = await fetch(url);
        expect(res.status).toBe(200);
        out.push(...((await res.json()) as Commit[]));
        url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      }
      return out;
    };
    const pr = await ids('/api/models/pr/trusted/commits/refs/pr/3?limit=2');
    expect(pr.map((c) => c.id)).toEqual([prs.shas.pr3, prs.shas.trustedMain, prs.shas.trustedFirst]);
    expect(pr[0]).toMatchObject({ title: 'Adding `safetensors` variant of this model', authors: [{ user: 'SFconvertbot' }] });
    expect(Date.parse(pr[0].date)).toBeGreaterThan(Date.parse(pr[1].date));
    expect((await ids('/api/models/pr/trusted/commits/refs%2Fpr%2F1?limit=1')).map((c) => c.id)).toEqual([prs.shas.pr1, prs.shas.trustedFirst]);
    expect((await ids('/api/models/pr/stale/commits/main')).map((c) => c.id)).toEqual([prs.shas.staleMain, expect.any(String)]);
    expect((await at('/api/models/pr/stale/commits/nope')).status).toBe(404);
  });
});
