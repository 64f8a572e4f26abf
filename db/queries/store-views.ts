import { sql } from 'drizzle-orm';
import { listLayersJson } from './layers';
import { storeLayersPayload } from './layers-payload';
import { storeModelPageView } from './model-page';
import { loadLayerAggregates, pageFactsOf, storePageFacts } from './page-facts';
import { selectRows } from './read-db';

/**
 * Store every read view of a done analysis (its model page view, the page facts the server renders, its layers API
 * body), so that the first reader of any model reads one row. The pipeline calls this when an analysis finishes;
 * reads store a missing view too.
 */
export async function storeDoneAnalysisViews(analysisId: number): Promise<void> {
  const [a] = await selectRows<{ model_id: string; status: string; sha: string; ref: string; step: number | null }>(sql`
    SELECT a.model_id, a.status, r.sha, r.ref, r.step FROM analyses a JOIN revisions r ON r.id = a.revision_id WHERE a.id = ${analysisId}`);
  if (!a || a.status !== 'done') return;
  // Both views start from the same rows: read them once.
  const layersJson = await listLayersJson({ analysisId });
  const view = await storeModelPageView({ analysisId, modelId: a.model_id }, layersJson);
  await storePageFacts(analysisId, pageFactsOf(view, await loadLayerAggregates(analysisId, a.model_id)));
  await storeLayersPayload({ analysisId, modelId: a.model_id, status: a.status, revision: { sha: a.sha, ref: a.ref, step: a.step } }, layersJson);
}
