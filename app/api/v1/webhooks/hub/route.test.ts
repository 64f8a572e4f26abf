import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('server-only', () => ({}));

/**
 * The Hub webhook against a real embedded database and queue; only the Hub's model-info call is stubbed (it says
 * which sha `main` points at now). Wrong or missing secret: refused. Right secret: one analysis and one queued
 * job, however often the same delivery arrives. A new commit: a new analysis. Unwatched repos, other scopes,
 * datasets and deleted refs: acknowledged and ignored.
 */

const hub = vi.hoisted(() => ({ sha: 'a'.repeat(40), calls: 0 }));
vi.mock('@/lib/hub', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/lib/hub')>();
  return {
    ...real,
    getModelInfo: async (params: { repoId?: string; repo?: string; revision?: string }) => {
      hub.calls++;
      const id = params.repoId ?? params.repo!;
      const [owner, name] = id.split('/');
      return {
        repoId: id, id, owner, name, revision: params.revision ?? 'main', sha: hub.sha, family: 'llama',
        architecture: 'LlamaForCausalLM', parameterCount: 1000, dtype: 'BF16', license: 'apache-2.0', gated: false,
        private: false, downloads: 1, likes: 0, baseModel: null, tags: [], pipelineTag: null, lastModified: null,
      };
    },
  };
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-webhook-'));
process.env.DATA_DIR = path.join(dir, 'pglite');
process.env.WATCHLIST = 'none';
process.env.ALPHABOARD_WORKER = 'off';
process.env.HUB_WEBHOOK_SECRET = 'right-secret-0123456789';
delete process.env.DATABASE_URL;

const { closeDb, getSql } = await import('@/db/client');
const { stopQueue } = await import('@/jobs/queue');
const { addToWatchlist } = await import('@/db/queries/watchlist');
const { POST } = await import('./route');
const { refsToPlan } = await import('./handle');
const { hubWebhookResponseSchema } = await import('./schema');

const REPO = 'acme/tiny-llama';

beforeAll(async () => {
  await addToWatchlist({ repoId: REPO });
});

afterAll(async () => {
  await stopQueue(2000);
  await closeDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

function commitPayload(sha: string, repo = REPO, extra: Record<string, unknown> = {}) {
  return {
    event: { action: 'update', scope: 'repo.content' },
    repo: { type: 'model', name: repo, id: '0123', private: false, headSha: sha, url: { web: `https://huggingface.co/${repo}` } },
    updatedRefs: [{ ref: 'refs/heads/main', oldSha: 'f'.repeat(40), newSha: sha }],
    webhook: { id: 'w1', version: 3 },
    ...extra,
  };
}

async function deliver(body: unknown, secret: string | null = process.env.HUB_WEBHOOK_SECRET!) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (secret != null) headers['x-webhook-secret'] = secret;
  const res = await POST(new Request('http://localhost/api/v1/webhooks/hub', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }));
  const json = await res.json();
  // Every success answer has the documented shape (the OpenAPI document is generated from this schema).
  if (res.ok) hubWebhookResponseSchema.strict().parse(json);
  return { res, body: json };
}

async function counts() {
  const sql = await getSql();
  const a = await sql.query(`SELECT count(*)::int AS n FROM analyses a JOIN revisions r ON r.id = a.revision_id WHERE a.model_id = $1`, [REPO]);
  const j = await sql.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'analyze-model' AND data->>'repoId' = $1`, [REPO]);
  return { analyses: a.rows[0].n as number, jobs: j.rows[0].n as number };
}

describe('POST /api/v1/webhooks/hub', () => {
  it('refuses a missing or wrong secret without planning anything', async () => {
    const none = await deliver(commitPayload(hub.sha), null);
    expect(none.res.status).toBe(401);
    expect(none.body.error.message).toMatch(/X-Webhook-Secret/);
    const wrong = await deliver(commitPayload(hub.sha), 'wrong-secret');
    expect(wrong.res.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized:admin');
    const longer = await deliver(commitPayload(hub.sha), `${process.env.HUB_WEBHOOK_SECRET}x`);
    expect(longer.res.status).toBe(401);
    expect(hub.calls).toBe(0);
  });

  it('is closed (503) while HUB_WEBHOOK_SECRET is unset', async () => {
    const saved = process.env.HUB_WEBHOOK_SECRET;
    delete process.env.HUB_WEBHOOK_SECRET;
    try {
      const off = await deliver(commitPayload(hub.sha), 'anything');
      expect(off.res.status).toBe(503);
      expect(off.body.error.message).toMatch(/HUB_WEBHOOK_SECRET/);
    } finally {
      process.env.HUB_WEBHOOK_SECRET = saved;
    }
  });

  it('a new commit on a watched repo queues exactly one analysis, even when delivered twice', async () => {
    const first = await deliver(commitPayload(hub.sha));
    expect(first.res.status).toBe(202);
    expect(first.body).toMatchObject({ repo: REPO, outcome: 'queued', queued: [{ ref: 'main', sha: hub.sha, status: 'queued', created: true }] });
    expect(await counts()).toEqual({ analyses: 1, jobs: 1 });

    const again = await deliver(commitPayload(hub.sha));
    expect(again.res.status).toBe(202);
    expect(again.body.queued).toMatchObject([{ analysisId: first.body.queued[0].analysisId, created: false }]);
    expect(await counts()).toEqual({ analyses: 1, jobs: 1 });

    // The next commit is a new analysis of the new sha.
    hub.sha = 'b'.repeat(40);
    const next = await deliver(commitPayload(hub.sha));
    expect(next.body.queued).toMatchObject([{ sha: hub.sha, created: true }]);
    expect(await counts()).toEqual({ analyses: 2, jobs: 2 });
  });

  it('a conversion pull request re-plans the default branch (idempotent too)', async () => {
    const pr = await deliver(commitPayload(hub.sha, REPO, { updatedRefs: [{ ref: 'refs/pr/1', oldSha: null, newSha: 'c'.repeat(40) }] }));
    expect(pr.res.status).toBe(202);
    expect(pr.body.queued).toMatchObject([{ ref: 'main', trigger: 'refs/pr/1', sha: hub.sha, created: false }]);
    expect(await counts()).toEqual({ analyses: 2, jobs: 2 });
  });

  it('acknowledges and ignores what it does not need', async () => {
    const before = await counts();
    const cases: [unknown, RegExp][] = [
      [commitPayload(hub.sha, 'someone/else'), /not on the watchlist/],
      [{ ...commitPayload(hub.sha), event: { action: 'create', scope: 'discussion' } }, /scope "discussion"/],
      [{ ...commitPayload(hub.sha), event: { action: 'delete', scope: 'repo.content' } }, /action "delete"/],
      [{ ...commitPayload(hub.sha), repo: { type: 'dataset', name: REPO } }, /not a model/],
      [commitPayload(hub.sha, REPO, { updatedRefs: [{ ref: 'refs/heads/dev', oldSha: null, newSha: 'd'.repeat(40) }] }), /no followed ref changed/],
      [commitPayload(hub.sha, REPO, { updatedRefs: [{ ref: 'refs/heads/main', oldSha: 'd'.repeat(40), newSha: null }] }), /no followed ref changed/],
    ];
    for (const [payload, reason] of cases) {
      const r = await deliver(payload);
      expect(r.res.status).toBe(200);
      expect(r.body.outcome).toBe('ignored');
      expect(r.body.reason).toMatch(reason);
    }
    expect(await counts()).toEqual(before);
  });

  it('rejects a body that is not a Hub payload', async () => {
    expect((await deliver('not json')).res.status).toBe(400);
    const bad = await deliver({ event: { action: 'update' }, repo: { name: REPO } });
    expect(bad.res.status).toBe(400);
    expect(bad.body.error.message).toMatch(/event\.scope/);
  });
});

describe('refsToPlan', () => {
  const p = (refs: [string, string | null][]) => ({
    event: { action: 'update', scope: 'repo.content' },
    repo: { name: REPO },
    updatedRefs: refs.map(([ref, newSha]) => ({ ref, oldSha: null, newSha })),
  });
  it('plans followed branches and tags once each; PRs plan main with failed analyses put back', () => {
    expect(refsToPlan(['main'], p([['refs/heads/main', 'a'], ['refs/pr/3', 'b']]))).toEqual([{ ref: 'main', trigger: 'refs/heads/main', requeueFailed: true }]);
    expect(refsToPlan(['step1000', 'main'], p([['refs/tags/step1000', 'a'], ['refs/heads/step2000', 'b']]))).toEqual([
      { ref: 'step1000', trigger: 'refs/tags/step1000', requeueFailed: false },
    ]);
    expect(refsToPlan(['step1000'], p([['refs/pr/1', 'a']]))).toEqual([]);
    expect(refsToPlan(['main'], { event: { action: 'update', scope: 'repo.content' }, repo: { name: REPO } })).toEqual([
      { ref: 'main', trigger: 'refs/heads/main', requeueFailed: false },
    ]);
  });
});
