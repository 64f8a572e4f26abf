import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * GET /api/views/model-page/{analysis}: what a model page's charts, ESD viewer and layer table fetch. Its JSON is
 * the page view's derivation; a done analysis' response is cacheable for good and revalidates to 304 by its ETag;
 * a running analysis is never served stale, and the moment it finishes the next request says so.
 */

vi.mock('server-only', () => ({}));

const { freshDataDir, removeFreshDataDirs } = await import('@/jobs/testing/fresh-db');
process.env.DATA_DIR = await freshDataDir('page-view-route');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;
delete process.env.BOARD_CACHE;

const { closeDb, getDb } = await import('@/db/client');
const { seedSampleBoard, seedCheckpointSamples } = await import('@/db/queries/testing/sample-data');
const { getModelDetail } = await import('@/db/queries/model-detail');
const { listLayers, getLayerEsd } = await import('@/db/queries/layers');
const { derivePageView, pageViewUrl, VIEW_VERSION } = await import('@/db/queries/model-page');
const route = await import('./route');

let ids: Awaited<ReturnType<typeof seedCheckpointSamples>>;

beforeAll(async () => {
  await seedSampleBoard();
  ids = await seedCheckpointSamples();
});

afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
});

/** The URL the model page hands its client components (pageViewUrl of the shown analysis). */
async function urlOf(id: string): Promise<{ url: string; analysisId: number }> {
  const a = (await getModelDetail({ id }))!.analysis!;
  return { url: pageViewUrl(a), analysisId: a.id };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const analysis = new URL(url, 'http://test.local').pathname.split('/').pop()!;
  const res = await route.GET(new Request(`http://test.local${url}`, { headers }), { params: Promise.resolve({ analysis }) });
  const text = res.status === 304 ? '' : await res.text();
  return { res, text, body: res.status === 200 ? JSON.parse(text) : text ? JSON.parse(text) : null };
}

async function derived(analysisId: number) {
  const rows = await listLayers({ analysisId });
  const first = rows.find((l) => l.status === 'success' && (l.alpha ?? 0) > 0);
  const esd = first ? await getLayerEsd({ analysisId, layer: String(first.ordinal) }) : null;
  return JSON.parse(JSON.stringify(derivePageView(rows, esd ? { ordinal: esd.layer.ordinal, esd: esd.esd } : null)));
}

describe('the model page view route', () => {
  it("answers a done analysis' view as derived from its rows, cacheable for good, and 304 on its ETag", async () => {
    for (const id of ['sample/llama-mini', ids.moe]) {
      const { url, analysisId } = await urlOf(id);
      expect(url).toBe(`/api/views/model-page/${analysisId}?v=${VIEW_VERSION}`);
      const { res, body } = await get(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('etag')).toBe(`"mp${VIEW_VERSION}-${analysisId}"`);
      expect(body).toEqual(await derived(analysisId));
      expect(body.columns.ordinal.length).toBeGreaterThan(10);
      const again = await get(url, { 'if-none-match': res.headers.get('etag')! });
      expect(again.res.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.res.headers.get('etag')).toBe(res.headers.get('etag'));
      // Another analysis' ETag is not this one's.
      expect((await get(url, { 'if-none-match': `"mp${VIEW_VERSION}-${analysisId + 1000}"` })).res.status).toBe(200);
    }
  });

  it('answers 404 for an unknown analysis and 400 for a malformed id', async () => {
    const missing = await get('/api/views/model-page/987654?v=1');
    expect(missing.res.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found:analysis');
    expect((await get('/api/views/model-page/abc')).res.status).toBe(400);
    expect((await get('/api/views/model-page/0')).res.status).toBe(400);
  });

  it('never serves a running analysis stale: a new layer is in the next response, and so is the analysis finishing', async () => {
    const { url, analysisId } = await urlOf('sample/running-model');
    expect(url).toMatch(new RegExp(`^/api/views/model-page/${analysisId}\\?v=${VIEW_VERSION}&s=running&n=\\d+$`));
    const first = await get(url);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('cache-control')).toBe('no-cache');
    expect(first.body).toEqual(await derived(analysisId));
    const etag = first.res.headers.get('etag')!;
    expect((await get(url, { 'if-none-match': etag })).res.status).toBe(304);

    // The worker stores one more layer: the very next request has it (and the old ETag no longer matches).
    const db = await getDb();
    await db.execute(sql`
      INSERT INTO layers (analysis_id, ordinal, tensor, name, role, shape, dtype, status, alpha, "D")
      SELECT ${analysisId}, max(ordinal) + 1, 'lm_head.weight', 'lm_head', 'lm_head', '[64, 32]'::jsonb, 'F32', 'success', 4.25, 0.05
      FROM layers WHERE analysis_id = ${analysisId}`);
    const next = await get(url, { 'if-none-match': etag });
    expect(next.res.status).toBe(200);
    expect(next.body.layerCount).toBe(first.body.layerCount + 1);
    expect(next.body).toEqual(await derived(analysisId));

    // It finishes: the page's URL becomes the done one, and that is answered as done at once.
    await db.execute(sql`UPDATE analyses SET status = 'done', finished_at = now() WHERE id = ${analysisId}`);
    const done = await urlOf('sample/running-model');
    expect(done.url).toBe(`/api/views/model-page/${analysisId}?v=${VIEW_VERSION}`);
    const finished = await get(done.url);
    expect(finished.res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(finished.body.layerCount).toBe(first.body.layerCount + 1);
    expect(finished.body).toEqual(await derived(analysisId));
  });
});
