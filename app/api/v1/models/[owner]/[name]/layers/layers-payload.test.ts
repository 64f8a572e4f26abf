import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** GET .../layers serves a body built once per analysis: stored gzip for done analyses, identical JSON either way. */

vi.mock('server-only', () => ({}));

const { freshDataDir, removeFreshDataDirs } = await import('@/jobs/testing/fresh-db');
process.env.DATA_DIR = await freshDataDir('layers-api');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;
delete process.env.BOARD_CACHE;

const { closeDb, getDb } = await import('@/db/client');
const { seedSampleBoard } = await import('@/db/queries/testing/sample-data');
const { getModelDetail } = await import('@/db/queries/model-detail');
const { listLayers } = await import('@/db/queries/layers');
const { updateProgress } = await import('@/db/queries/analyses');
const route = await import('./route');

beforeAll(async () => {
  await seedSampleBoard();
});

afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
});

function get(model: string, headers: Record<string, string> = {}): Promise<Response> {
  const [owner, name] = model.split('/');
  return route.GET(new Request(`http://localhost/api/v1/models/${model}/layers`, { headers }), { params: Promise.resolve({ owner, name }) });
}

async function storedKinds(analysisId: number): Promise<string[]> {
  const db = await getDb();
  const res = (await db.execute(sql`SELECT kind FROM analysis_views WHERE analysis_id = ${analysisId} AND blob IS NOT NULL`)) as unknown as { rows: { kind: string }[] };
  return res.rows.map((r) => r.kind);
}

describe('GET /api/v1/models/{owner}/{name}/layers', () => {
  it('sends the JSON of the stored body to every client (Next compresses responses itself), and 304 on its ETag', async () => {
    const d = await getModelDetail({ id: 'sample/llama-mini' });
    const plain = await get('sample/llama-mini');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-encoding')).toBeNull();
    const body = await plain.json();
    expect(body.model).toBe('sample/llama-mini');
    expect(body.analysis).toEqual({ id: d!.analysis!.id, status: 'done', revision: { sha: d!.analysis!.revision.sha, ref: 'main', step: null } });
    expect(body.layers).toEqual(JSON.parse(JSON.stringify(await listLayers({ analysisId: d!.analysis!.id }))));
    expect(await storedKinds(d!.analysis!.id)).toEqual(['layers-api']);

    const zipped = await get('sample/llama-mini', { 'accept-encoding': 'br, gzip' });
    expect(zipped.headers.get('content-encoding')).toBeNull();
    expect(zipped.headers.get('vary')).toMatch(/accept-encoding/);
    expect(await zipped.json()).toEqual(body);

    const etag = plain.headers.get('etag')!;
    expect(zipped.headers.get('etag')).toBe(etag);
    expect((await get('sample/llama-mini', { 'if-none-match': etag })).status).toBe(304);
  });

  it('shows new layers of a running analysis at once and stores nothing for it', async () => {
    const d = await getModelDetail({ id: 'sample/running-model' });
    const before = (await (await get('sample/running-model')).json()).layers.length;
    const db = await getDb();
    await db.execute(sql`DELETE FROM layers WHERE analysis_id = ${d!.analysis!.id} AND ordinal = (SELECT max(ordinal) FROM layers WHERE analysis_id = ${d!.analysis!.id})`);
    await updateProgress({ analysisId: d!.analysis!.id, layersDone: before - 1 });
    expect((await (await get('sample/running-model')).json()).layers.length).toBe(before - 1);
    expect(await storedKinds(d!.analysis!.id)).toEqual([]);
  });

  it('answers 404 for an unknown model and for a model without analysis', async () => {
    expect((await get('nobody/nothing')).status).toBe(404);
    const { upsertModel } = await import('@/db/queries/models-write');
    await upsertModel({ id: 'sample/not-yet', source: 'watchlist' });
    const res = await get('sample/not-yet');
    expect(res.status).toBe(404);
    expect(JSON.stringify(await res.json())).toMatch(/no analysis/);
  });
});
