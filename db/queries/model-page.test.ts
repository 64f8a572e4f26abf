import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** The model page's derived view: equal to a fresh derivation, stored once per done analysis, read back from storage. */

vi.mock('server-only', () => ({}));

const { freshDataDir, removeFreshDataDirs } = await import('@/jobs/testing/fresh-db');
process.env.DATA_DIR = await freshDataDir('page-view');
process.env.READ_CACHE_TTL_MS = '0';
delete process.env.DATABASE_URL;
delete process.env.BOARD_CACHE;

const { closeDb, getDb } = await import('@/db/client');
const { seedSampleBoard, seedCheckpointSamples } = await import('./testing/sample-data');
const { getModelDetail } = await import('./model-detail');
const { listLayers, getLayerEsd } = await import('./layers');
const { derivePageView, getModelPageView, storeModelPageView, VIEW_VERSION } = await import('./model-page');

let ids: Awaited<ReturnType<typeof seedCheckpointSamples>>;

beforeAll(async () => {
  await seedSampleBoard();
  ids = await seedCheckpointSamples();
});

afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
});

async function refOf(id: string) {
  const d = await getModelDetail({ id });
  return { analysisId: d!.analysis!.id, modelId: id, status: d!.analysis!.status };
}

async function storedViews(): Promise<{ analysis_id: number; version: number }[]> {
  const db = await getDb();
  const res = (await db.execute(sql`SELECT analysis_id, version FROM analysis_views ORDER BY analysis_id`)) as unknown as { rows: { analysis_id: number; version: number }[] };
  return res.rows;
}

describe('model page view', () => {
  it('equals a fresh derivation from the rows for dense, MoE and mirrored models', async () => {
    for (const id of ['sample/llama-mini', 'sample/falcon-mini', ids.moe, ids.mirror]) {
      const ref = await refOf(id);
      const rows = await listLayers(ref);
      const first = rows.find((l) => l.status === 'success' && (l.alpha ?? 0) > 0)!;
      const esd = await getLayerEsd({ analysisId: ref.analysisId, layer: String(first.ordinal) });
      const expected = derivePageView(rows, esd ? { ordinal: esd.layer.ordinal, esd: esd.esd } : null);
      const view = await getModelPageView(ref);
      expect(view).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(view.layerCount).toBe(rows.length);
      expect(view.tableLines.length).toBeLessThanOrEqual(Math.min(rows.length, 20));
    }
    const moe = await getModelPageView(await refOf(ids.moe));
    expect(moe.bands.length).toBeGreaterThan(0);
    expect(moe.bandedOrdinals.length).toBeGreaterThan(moe.bands.length);
    // An expert group is one line with its experts' listed fields only.
    const group = moe.tableLines.find((l) => l.members)!;
    expect(group.members!.length).toBeGreaterThan(1);
    expect(Object.keys(group.members![0]).sort()).toEqual(['alpha', 'expert', 'name', 'ordinal', 'status', 'tensor']);
    expect(String(group.row.status)).toMatch(/^\d+\/\d+ success$/);
  });

  it('stores the view of a done analysis once and reads it back from storage; never a running one', async () => {
    const done = await refOf('sample/llama-mini');
    const running = await refOf('sample/running-model');
    expect(running.status).toBe('running');
    await getModelPageView(running);
    const stored = await storedViews();
    expect(stored).toContainEqual({ analysis_id: done.analysisId, version: VIEW_VERSION });
    expect(stored.map((s) => s.analysis_id)).not.toContain(running.analysisId);

    // With the in-memory cache off, a read is the stored row: prove it by marking the stored copy.
    const db = await getDb();
    await db.execute(sql`UPDATE analysis_views SET data = jsonb_set(data::jsonb, '{layerCount}', '12345')::text WHERE analysis_id = ${done.analysisId}`);
    process.env.BOARD_CACHE = 'off';
    try {
      expect((await getModelPageView(done)).layerCount).toBe(12345);
      // A stored row of an older derivation is recomputed and replaced.
      await db.execute(sql`UPDATE analysis_views SET version = ${VIEW_VERSION - 1} WHERE analysis_id = ${done.analysisId}`);
      expect((await getModelPageView(done)).layerCount).toBe((await listLayers(done)).length);
      expect(await storedViews()).toContainEqual({ analysis_id: done.analysisId, version: VIEW_VERSION });
    } finally {
      delete process.env.BOARD_CACHE;
    }
  });

  it('storeModelPageView writes the view the pipeline stores at the end of an analysis; deleting the model removes it', async () => {
    const ref = await refOf('sample/falcon-mini');
    const db = await getDb();
    await db.execute(sql`DELETE FROM analysis_views`);
    await storeModelPageView(ref);
    expect(await storedViews()).toEqual([{ analysis_id: ref.analysisId, version: VIEW_VERSION }]);
    await db.execute(sql`DELETE FROM models WHERE id = 'sample/falcon-mini'`);
    expect(await storedViews()).toEqual([]);
  });
});
