import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

/**
 * The REST API against its own OpenAPI document: route handlers are called directly on a seeded embedded
 * database, and every JSON body is validated with the document's schema for that path and status.
 */

vi.mock('server-only', () => ({}));
// The real enqueue asks the Hub for the revision's sha; here only the route's auth and validation are under test.
const enqueueCalls: unknown[] = [];
vi.mock('@/jobs/enqueue-repo', () => ({
  enqueueRepo: async (params: { repoId: string; revision?: string }) => {
    enqueueCalls.push(params);
    if (params.repoId === 'nobody/missing') throw Object.assign(new Error('404 from Hub'), { kind: 'not_found' });
    return { repoId: params.repoId, ref: params.revision ?? 'main', sha: 'f'.repeat(40), analysisId: 99, status: 'queued', created: true, jobId: 'job-1' };
  },
}));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-api-'));
process.env.DATA_DIR = path.join(dir, 'pglite');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;

const { closeDb } = await import('@/db/client');
const { seedSampleBoard, seedCheckpointSamples, seedDeltaSample } = await import('@/db/queries/testing/sample-data');
const { buildOpenApiDocument } = await import('./openapi.json/document');
const models = await import('./models/route');
const model = await import('./models/[owner]/[name]/route');
const layers = await import('./models/[owner]/[name]/layers/route');
const delta = await import('./models/[owner]/[name]/delta/route');
const esd = await import('./models/[owner]/[name]/layers/[layer]/esd/route');
const compare = await import('./compare/route');
const search = await import('./search/route');
const analyses = await import('./analyses/route');
const openapi = await import('./openapi.json/route');

const doc = buildOpenApiDocument() as any;
const BASE = 'http://test.local';

type Handler = (req: Request, ctx: any) => Promise<Response>;

async function call(handler: Handler, url: string, params: Record<string, string> = {}, init?: RequestInit) {
  const res = await handler(new Request(BASE + url, init), { params: Promise.resolve(params) });
  const text = res.status === 304 ? '' : await res.text();
  return { res, text, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null };
}

/** Validate `body` with the document's schema for (path template, method, status). */
function expectMatchesDocument(template: string, method: string, status: number, body: unknown) {
  const op = doc.paths[template]?.[method];
  expect(op, `${method} ${template} in the document`).toBeTruthy();
  const response = op.responses[status];
  expect(response, `${method} ${template} documents ${status}`).toBeTruthy();
  let schema = response.content['application/json'].schema;
  if (schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()];
  const validator = z.fromJSONSchema(schema);
  const result = validator.safeParse(body);
  expect(result.success, result.success ? '' : `${method} ${template} ${status}: ${JSON.stringify(result.error.issues.slice(0, 3))}`).toBe(true);
}

let samples: Awaited<ReturnType<typeof seedCheckpointSamples>>;

beforeAll(async () => {
  await seedSampleBoard();
  samples = await seedCheckpointSamples();
});

afterAll(async () => {
  await closeDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('OpenAPI document', () => {
  it('is served, is OpenAPI 3.1, and documents every route file under app/api/v1', async () => {
    const { res, body } = await call(openapi.GET, '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const routeDir = path.join(process.cwd(), 'app/api/v1');
    const routes: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name === 'route.ts') routes.push(`/api/v1/${path.relative(routeDir, d)}`.replace(/\[(\w+)\]/g, '{$1}').replace(/\/$/, ''));
      }
    };
    walk(routeDir);
    expect(Object.keys(body.paths).sort()).toEqual(routes.sort());
  });
});

describe('responses match the document', () => {
  it('GET /api/v1/models', async () => {
    const { res, body } = await call(models.GET, '/api/v1/models?sort=alpha&pageSize=3');
    expect(res.status).toBe(200);
    expect(body.models).toHaveLength(3);
    expect(body.total).toBe(9);
    expectMatchesDocument('/api/v1/models', 'get', 200, body);
    const sparse = await call(models.GET, '/api/v1/models?fields=summary,status');
    expect(Object.keys(sparse.body.models[0]).sort()).toEqual(['id', 'status', 'summary']);
    expectMatchesDocument('/api/v1/models', 'get', 200, sparse.body);
  });

  it('GET /api/v1/models sends exactly the JSON of the leaderboard page (rows serialised once, then reused)', async () => {
    const { listLeaderboard } = await import('@/db/queries/leaderboard');
    const { parseQuery } = await import('./_lib/respond');
    const { modelsQuerySchema } = await import('./models/schema');
    const { toModelItem } = await import('./models/shape');
    for (const round of [1, 2]) {
      for (const q of ['sort=alpha&pageSize=3', 'family=llama', 'page=2&pageSize=4&dir=asc&sort=model', 'type=model,fine-tune,adapter', 'fields=summary,status']) {
        const { text } = await call(models.GET, `/api/v1/models?${q}`);
        const { fields, format: _f, all: _a, ...view } = parseQuery(modelsQuerySchema, new URLSearchParams(q));
        const page = await listLeaderboard(view);
        const expected = { models: page.rows.map((r) => toModelItem(r, fields)), total: page.total, page: page.page, pageSize: page.pageSize, sort: page.sort, dir: page.dir };
        expect(text, `${q} (round ${round})`).toBe(JSON.stringify(expected));
      }
    }
  });

  it('GET /api/v1/models exports CSV with the same filters', async () => {
    const { res, text } = await call(models.GET, '/api/v1/models?family=llama&format=csv&all=true');
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = text.trim().split('\r\n');
    expect(lines[0].split(',').slice(0, 3)).toEqual(['id', 'family', 'architecture']);
    expect(lines).toHaveLength(1 + 4);
  });

  it('GET /api/v1/models answers 400 for a bad parameter, naming it', async () => {
    const { res, body } = await call(models.GET, '/api/v1/models?sort=bogus');
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('bad_request:api');
    expect(body.error.message).toMatch(/sort/);
    expectMatchesDocument('/api/v1/models', 'get', 400, body);
    expect((await call(models.GET, '/api/v1/models?pageSize=100000')).res.status).toBe(400);
  });

  it('ETag and 304', async () => {
    const first = await call(models.GET, '/api/v1/models');
    const etag = first.res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(first.res.headers.get('cache-control')).toMatch(/max-age/);
    const again = await call(models.GET, '/api/v1/models', {}, { headers: { 'if-none-match': etag } });
    expect(again.res.status).toBe(304);
  });

  it('GET /api/v1/models/{owner}/{name}', async () => {
    const { res, body } = await call(model.GET, '/api/v1/models/sample/llama-mini-chat', { owner: 'sample', name: 'llama-mini-chat' });
    expect(res.status).toBe(200);
    expect(body.base).toEqual({ id: 'sample/llama-mini', onBoard: true });
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 200, body);
    const failed = await call(model.GET, '/api/v1/models/sample/gated-model', { owner: 'sample', name: 'gated-model' });
    expect(failed.body.analysis.error).toMatch(/gated/);
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 200, failed.body);
    const missing = await call(model.GET, '/api/v1/models/no/such', { owner: 'no', name: 'such' });
    expect(missing.res.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found:model');
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 404, missing.body);
  });

  it('GET .../layers and .../layers/{layer}/esd', async () => {
    const p = { owner: 'sample', name: 'falcon-mini' };
    const { res, body } = await call(layers.GET, '/api/v1/models/sample/falcon-mini/layers', p);
    expect(res.status).toBe(200);
    expect(body.layers[1]).toMatchObject({ role: 'qkv', fused: true });
    expectMatchesDocument('/api/v1/models/{owner}/{name}/layers', 'get', 200, body);
    const name = body.layers[1].name;
    const one = await call(esd.GET, `/api/v1/models/sample/falcon-mini/layers/${name}/esd`, { ...p, layer: name });
    expect(one.res.status).toBe(200);
    expect(one.body.esd.evals.length).toBeGreaterThan(10);
    expectMatchesDocument('/api/v1/models/{owner}/{name}/layers/{layer}/esd', 'get', 200, one.body);
    const none = await call(esd.GET, '/api/v1/models/sample/falcon-mini/layers/nope/esd', { ...p, layer: 'nope' });
    expect(none.res.status).toBe(404);
    expectMatchesDocument('/api/v1/models/{owner}/{name}/layers/{layer}/esd', 'get', 404, none.body);
    const series = await call(layers.GET, '/api/v1/models/sample/pythia-mini/layers?revision=step2000', { owner: 'sample', name: 'pythia-mini' });
    expect(series.body.analysis.revision.ref).toBe('step2000');
    const badRev = await call(layers.GET, '/api/v1/models/sample/pythia-mini/layers?revision=no%20way', { owner: 'sample', name: 'pythia-mini' });
    expect(badRev.res.status).toBe(400);
  });

  it('GET /api/v1/models/{owner}/{name} and .../layers for a .bin, an MoE and a mirror model', async () => {
    const param = (id: string) => ({ owner: id.split('/')[0], name: id.split('/')[1] });
    const bin = await call(model.GET, `/api/v1/models/${samples.bin}`, param(samples.bin));
    expect(bin.body.analysis.checkpoint).toMatchObject({ format: 'pytorch-zip', ref: null, files: [{ path: 'pytorch_model.bin' }] });
    expect(bin.body.analysis.identical_to).toBeNull();
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 200, bin.body);

    const moe = await call(model.GET, `/api/v1/models/${samples.moe}`, param(samples.moe));
    expect(moe.body.analysis.summary_by_role.expert).toMatchObject({ layers: 36 });
    expect(Object.keys(moe.body.analysis.summary_by_role.q).sort()).toEqual(['alpha_max', 'alpha_mean', 'alpha_median', 'alpha_min', 'layers']);
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 200, moe.body);
    const moeLayers = await call(layers.GET, `/api/v1/models/${samples.moe}/layers`, param(samples.moe));
    expect(moeLayers.body.layers.filter((l: any) => l.expert != null)).toHaveLength(36);
    expect(moeLayers.body.layers[0]).toMatchObject({ expert: null, reused_from: null });
    expectMatchesDocument('/api/v1/models/{owner}/{name}/layers', 'get', 200, moeLayers.body);

    const mirror = await call(model.GET, `/api/v1/models/${samples.mirror}`, param(samples.mirror));
    expect(mirror.body.analysis.identical_to).toBe('sample/llama-mini');
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 200, mirror.body);
    const mirrorLayers = await call(layers.GET, `/api/v1/models/${samples.mirror}/layers`, param(samples.mirror));
    expect(mirrorLayers.body.layers[0].reused_from).toBe('sample/llama-mini model.embed_tokens.weight');
    expectMatchesDocument('/api/v1/models/{owner}/{name}/layers', 'get', 200, mirrorLayers.body);

    const cmp = await call(compare.GET, `/api/v1/compare?a=sample/llama-mini&b=${samples.moe}`);
    expect(cmp.body.rows.find((r: any) => r.slot === 'up').b.experts).toBe(4);
    expectMatchesDocument('/api/v1/compare', 'get', 200, cmp.body);
  });

  it('GET /api/v1/compare', async () => {
    const { res, body } = await call(compare.GET, '/api/v1/compare?a=sample/llama-mini&b=sample/falcon-mini');
    expect(res.status).toBe(200);
    expect(body.rows.length).toBeGreaterThan(0);
    expectMatchesDocument('/api/v1/compare', 'get', 200, body);
    const missing = await call(compare.GET, '/api/v1/compare?a=sample/llama-mini');
    expect(missing.res.status).toBe(400);
    expect(missing.body.error.message).toMatch(/"b"/);
    expectMatchesDocument('/api/v1/compare', 'get', 400, missing.body);
    expect((await call(compare.GET, '/api/v1/compare?a=sample/llama-mini&b=x/y')).res.status).toBe(404);
  });

  it('GET /api/v1/search', async () => {
    const { body } = await call(search.GET, '/api/v1/search?q=mini');
    expect(body.models.length).toBeGreaterThan(2);
    expectMatchesDocument('/api/v1/search', 'get', 200, body);
  });

  it('GET /api/v1/analyses lists statuses with reasons', async () => {
    const { res, body } = await call(analyses.GET, '/api/v1/analyses');
    expect(res.status).toBe(200);
    expect(new Set(body.analyses.map((a: any) => a.status))).toEqual(new Set(['done', 'running', 'failed']));
    expect(body.analyses.find((a: any) => a.status === 'failed').error).toMatch(/gated/);
    expectMatchesDocument('/api/v1/analyses', 'get', 200, body);
    const failed = await call(analyses.GET, '/api/v1/analyses?status=failed');
    expect(failed.body.analyses).toHaveLength(1);
  });
});

describe('POST /api/v1/analyses needs the admin token', () => {
  const post = (body: unknown, auth?: string) =>
    call(analyses.POST as Handler, '/api/v1/analyses', {}, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });

  it('503 when ADMIN_TOKEN is unset, 401 without or with a wrong token, 202 with it', async () => {
    delete process.env.ADMIN_TOKEN;
    const off = await post({ repo: 'demo/x' }, 'Bearer anything');
    expect(off.res.status).toBe(503);
    expectMatchesDocument('/api/v1/analyses', 'post', 503, off.body);
    process.env.ADMIN_TOKEN = 'secret-token';
    const none = await post({ repo: 'demo/x' });
    expect(none.res.status).toBe(401);
    expectMatchesDocument('/api/v1/analyses', 'post', 401, none.body);
    expect((await post({ repo: 'demo/x' }, 'Bearer wrong')).res.status).toBe(401);
    expect(enqueueCalls).toHaveLength(0);
    const ok = await post({ repo: 'demo/x@step1000' }, 'Bearer secret-token');
    expect(ok.res.status).toBe(202);
    expectMatchesDocument('/api/v1/analyses', 'post', 202, ok.body);
    expect(enqueueCalls).toEqual([{ repoId: 'demo/x', revision: 'step1000', options: undefined }]);
    const bad = await post({ repo: 'not a repo' }, 'Bearer secret-token');
    expect(bad.res.status).toBe(400);
    expect(bad.body.error.message).toMatch(/repo/);
    const missing = await post({ repo: 'nobody/missing' }, 'Bearer secret-token');
    expect(missing.res.status).toBe(404);
  });
  it('GET .../delta, the base listing its fine-tunes, and the leaderboard type/base filters', async () => {
    await seedDeltaSample();
    const p = { owner: 'sample', name: 'llama-mini-chat' };
    const { res, body } = await call(delta.GET, '/api/v1/models/sample/llama-mini-chat/delta', p);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ kind: 'delta', base: { id: 'sample/llama-mini' }, analysis: { status: 'done' } });
    expect(body.delta_summary.unchanged).toBe(4);
    expect(body.unmatched.map((u: any) => u.side).sort()).toEqual(['base', 'model']);
    expect(body.layers.find((l: any) => l.status === 'success').delta_rel_frobenius).toBeGreaterThan(0);
    expectMatchesDocument('/api/v1/models/{owner}/{name}/delta', 'get', 200, body);
    const asked = await call(delta.GET, '/api/v1/models/sample/llama-mini-chat/delta?base=sample/llama-mini', p);
    expect(asked.body.analysis.id).toBe(body.analysis.id);
    const other = await call(delta.GET, '/api/v1/models/sample/llama-mini-chat/delta?base=sample/falcon-mini', p);
    expect(other.res.status).toBe(404);
    expectMatchesDocument('/api/v1/models/{owner}/{name}/delta', 'get', 404, other.body);
    const bad = await call(delta.GET, '/api/v1/models/sample/llama-mini-chat/delta?base=nope', p);
    expect(bad.res.status).toBe(400);
    expectMatchesDocument('/api/v1/models/{owner}/{name}/delta', 'get', 400, bad.body);

    const baseModel = await call(model.GET, '/api/v1/models/sample/llama-mini', { owner: 'sample', name: 'llama-mini' });
    expect(baseModel.body.type).toBe('model');
    expect(baseModel.body.fine_tunes).toEqual([
      expect.objectContaining({ id: 'sample/llama-mini-chat', type: 'fine-tune', analysis: expect.objectContaining({ status: 'done' }) }),
    ]);
    expectMatchesDocument('/api/v1/models/{owner}/{name}', 'get', 200, baseModel.body);
    const tuned = await call(model.GET, '/api/v1/models/sample/llama-mini-chat', p);
    expect(tuned.body).toMatchObject({ type: 'fine-tune', base_model: 'sample/llama-mini' });
    // The delta analysis is not the model's own: its page still shows the model analysis.
    expect(tuned.body.analysis.id).not.toBe(body.analysis.id);

    const ofBase = await call(models.GET, '/api/v1/models?base=sample/llama-mini');
    expect(ofBase.body.models.map((m: any) => [m.id, m.type])).toEqual([['sample/llama-mini-chat', 'fine-tune']]);
    expectMatchesDocument('/api/v1/models', 'get', 200, ofBase.body);
    expect((await call(models.GET, '/api/v1/models?type=adapter')).body.total).toBe(0);
    expect((await call(models.GET, '/api/v1/models?type=bogus')).res.status).toBe(400);
  });
});
