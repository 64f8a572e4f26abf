import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The facts a model page renders on the server: stored once per done analysis, read inside the model detail's
 * statement, equal to what the live path (page view + SQL aggregates) gives; never stored for a running analysis.
 */

vi.mock('server-only', () => ({}));

const { freshDataDir, removeFreshDataDirs } = await import('@/jobs/testing/fresh-db');
process.env.DATA_DIR = await freshDataDir('page-facts');
process.env.READ_CACHE_TTL_MS = '0';
process.env.BOARD_CACHE = 'off';
delete process.env.DATABASE_URL;

const { closeDb, getDb } = await import('@/db/client');
const { seedSampleBoard, seedCheckpointSamples } = await import('./testing/sample-data');
const { getModelDetail, getModelPageData } = await import('./model-detail');
const { getModelPageView } = await import('./model-page');
const { storeDoneAnalysisViews } = await import('./store-views');
const { getPageFacts, loadLayerAggregates, pageFactsOf, readPageFacts, PAGE_FACTS_KIND } = await import('./page-facts');

let ids: Awaited<ReturnType<typeof seedCheckpointSamples>>;

beforeAll(async () => {
  await seedSampleBoard();
  ids = await seedCheckpointSamples();
});

afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
  delete process.env.BOARD_CACHE;
});

async function storedFacts(): Promise<number[]> {
  const db = await getDb();
  const res = (await db.execute(sql`SELECT analysis_id FROM analysis_views WHERE kind = ${PAGE_FACTS_KIND} ORDER BY analysis_id`)) as unknown as {
    rows: { analysis_id: number }[];
  };
  return res.rows.map((r) => r.analysis_id);
}

/** The facts the live path derives: the page view and the SQL aggregates over the rows. */
async function liveFacts(id: string) {
  const { analysis } = (await getModelDetail({ id }))!;
  const view = await getModelPageView({ analysisId: analysis!.id, modelId: id, status: analysis!.status });
  return pageFactsOf(view, await loadLayerAggregates(analysis!.id, id));
}

describe('page facts', () => {
  it('are stored with the views of a done analysis and come back with the detail, equal to the live derivation', async () => {
    for (const id of ['sample/llama-mini', ids.moe, ids.mirror]) {
      const before = await getModelPageData({ id });
      expect(before!.facts).toBeNull(); // nothing stored yet: the detail's aggregates were computed from the rows
      const live = await liveFacts(id);
      await storeDoneAnalysisViews(before!.detail.analysis!.id);
      const after = await getModelPageData({ id });
      expect(after!.facts).toEqual(live);
      // The detail built from the stored facts is the one built from the rows.
      expect(after!.detail).toEqual(before!.detail);
    }
    const moe = (await getModelPageData({ id: ids.moe }))!;
    expect(Object.keys(moe.facts!.summaryByRole).length).toBeGreaterThan(1);
    expect(moe.facts!.layerCount).toBeGreaterThan(moe.facts!.listedLayers - 1);
    expect((await getModelPageData({ id: ids.mirror }))!.facts!.identicalTo).not.toBeNull();
  });

  it('an older done analysis gets its facts stored on its first page read; a running one never', async () => {
    const done = (await getModelPageData({ id: 'sample/falcon-mini' }))!;
    expect(done.facts).toBeNull();
    const facts = await getPageFacts(done.detail.analysis!, 'sample/falcon-mini');
    expect(facts).toEqual(await liveFacts('sample/falcon-mini'));
    await vi.waitFor(async () => expect(await storedFacts()).toContain(done.detail.analysis!.id));
    expect((await getModelPageData({ id: 'sample/falcon-mini' }))!.facts).toEqual(facts);

    const running = (await getModelPageData({ id: 'sample/running-model' }))!;
    expect(running.detail.analysis!.status).toBe('running');
    expect(running.facts).toBeNull();
    const live = await getPageFacts(running.detail.analysis!, 'sample/running-model');
    expect(live.layerCount).toBe(running.detail.analysis!.layersDone);
    await new Promise((r) => setTimeout(r, 50));
    expect(await storedFacts()).not.toContain(running.detail.analysis!.id);
    expect(await readPageFacts(running.detail.analysis!.id)).toBeNull();
  });

  it('the API detail carries no page facts; facts of an older derivation are ignored', async () => {
    const detail = await getModelDetail({ id: 'sample/llama-mini' });
    expect(Object.keys(detail!)).not.toContain('facts');
    const { analysis } = detail!;
    const db = await getDb();
    await db.execute(sql`UPDATE analysis_views SET version = version - 1 WHERE kind = ${PAGE_FACTS_KIND} AND analysis_id = ${analysis!.id}`);
    expect((await getModelPageData({ id: 'sample/llama-mini' }))!.facts).toBeNull();
    expect(await readPageFacts(analysis!.id)).toBeNull();
  });
});
