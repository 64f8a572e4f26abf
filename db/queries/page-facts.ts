import { sql } from 'drizzle-orm';
import { identicalTo, type RoleAggregate } from './layer-aggregates';
import { getModelPageView, type ModelPageView } from './model-page';
import { readStoredView, writeStoredView } from './analysis-views';
import { selectRows } from './read-db';

/**
 * The few facts about a done analysis' layers that a model page renders on the server (everything else the page
 * draws comes from its view's URL, fetched by the browser): per-role alpha aggregates, the model all rows were
 * reused from, the layer counts, whether there is anything to chart, phase counts and correlation traps.
 *
 * Live, these cost two scans of the analysis' layer rows (the role aggregates, ~2-3 ms on the embedded database)
 * plus a read and parse of the page view (tens of kB). A done analysis never changes, so they are derived once, when
 * it finishes (store-views.ts) or on the first page read of an older one, stored as a small `analysis_views` row of
 * kind `page-facts`, and read inside the model detail's own statement (model-detail.ts): a done analysis' page
 * costs that one statement. Derived data like the other views: deleting the row loses nothing.
 */

export const PAGE_FACTS_KIND = 'page-facts';
export const PAGE_FACTS_VERSION = 1;

export interface LayerAggregates {
  /** Per role, alpha over analysed rows (status success, alpha > 0), in checkpoint order of each role's first row. */
  summaryByRole: Record<string, RoleAggregate>;
  /** The model every analysed row's metrics were reused from (identical bytes), or null. */
  identicalTo: string | null;
}

export interface PageFacts extends LayerAggregates {
  version: number;
  /** Every stored row (the layer table's count). */
  layerCount: number;
  /** Rows not skipped: the ESD viewer's list. */
  listedLayers: number;
  /** Whether any row has a fitted power law (the depth charts are drawn). */
  charted: boolean;
  /** Whether a first spectrum exists (an adapter without one shows no ESD viewer). */
  firstEsd: boolean;
  phases: ModelPageView['phases'];
  traps: ModelPageView['traps'];
}

/**
 * Per-role alpha aggregates (SQL group by over the stored rows) and the model all analysed rows were reused from.
 * Analysed = status success with a positive alpha (failed fits store alpha -1), as in the summary.
 */
export async function loadLayerAggregates(analysisId: number, self: string): Promise<LayerAggregates> {
  const [row] = await selectRows<{
    roles: { role: string; layers: number; mean: number; median: number; min: number; max: number; first: number }[] | null;
    sources: { source: string | null; n: number }[] | null;
  }>(sql`
    SELECT
      (SELECT json_agg(r) FROM (
         SELECT role, count(*)::int AS layers, avg(alpha)::float8 AS mean,
                (percentile_cont(0.5) WITHIN GROUP (ORDER BY alpha))::float8 AS median,
                min(alpha)::float8 AS min, max(alpha)::float8 AS max, min(ordinal)::int AS first
         FROM layers WHERE analysis_id = ${analysisId} AND status = 'success' AND alpha > 0 GROUP BY role) r) AS roles,
      (SELECT json_agg(s) FROM (
         SELECT split_part(reused_from, ' ', 1) AS source, count(*)::int AS n
         FROM layers WHERE analysis_id = ${analysisId} AND status <> 'skipped' GROUP BY 1) s) AS sources`);
  const roles = row?.roles ?? [];
  const sources = row?.sources ?? [];
  const summaryByRole: Record<string, RoleAggregate> = {};
  for (const r of [...roles].sort((x, y) => Number(x.first) - Number(y.first))) {
    summaryByRole[r.role] = {
      layers: Number(r.layers), alpha_mean: Number(r.mean), alpha_median: Number(r.median), alpha_min: Number(r.min), alpha_max: Number(r.max),
    };
  }
  const reused = identicalTo(sources.map((s) => ({ status: 'success', reused_from: s.source || null })), self);
  return { summaryByRole, identicalTo: reused };
}

/** The facts of an analysis from its page view and its aggregates. */
export function pageFactsOf(view: ModelPageView, aggregates: LayerAggregates): PageFacts {
  return {
    version: PAGE_FACTS_VERSION,
    summaryByRole: aggregates.summaryByRole,
    identicalTo: aggregates.identicalTo,
    layerCount: view.layerCount,
    listedLayers: view.columns.ordinal.length,
    charted: view.columns.fitted.includes(1),
    firstEsd: view.firstEsd !== null,
    phases: view.phases,
    traps: view.traps,
  };
}

/** Store the facts of a done analysis (nothing is stored for any other status: see writeStoredView). */
export async function storePageFacts(analysisId: number, facts: PageFacts): Promise<void> {
  await writeStoredView(analysisId, PAGE_FACTS_KIND, PAGE_FACTS_VERSION, { data: JSON.stringify(facts), blob: null });
}

/** The stored facts of an analysis, or null (none stored yet, or by an older derivation). */
export async function readPageFacts(analysisId: number): Promise<PageFacts | null> {
  const row = await readStoredView(analysisId, PAGE_FACTS_KIND, PAGE_FACTS_VERSION);
  return row?.data ? (JSON.parse(row.data) as PageFacts) : null;
}

/**
 * The SQL (a subquery of the model detail's statement) giving, for model `modelId`, a JSON object of its analyses'
 * stored facts keyed by analysis id, or null when none is stored.
 */
export function storedFactsOfModel(modelId: string) {
  return sql`(SELECT json_object_agg(v.analysis_id, v.data::json) FROM analysis_views v JOIN analyses a ON a.id = v.analysis_id
              WHERE a.model_id = ${modelId} AND v.kind = ${PAGE_FACTS_KIND} AND v.version = ${PAGE_FACTS_VERSION})`;
}

/**
 * The facts of an analysis whose facts are not stored: derived from its page view (memory, stored row, or computed)
 * and the aggregates its detail already holds. A done analysis' facts are stored for the next read.
 */
export async function getPageFacts(
  analysis: { id: number; status: string; summary_by_role: LayerAggregates['summaryByRole']; identical_to: string | null },
  modelId: string,
): Promise<PageFacts> {
  const view = await getModelPageView({ analysisId: analysis.id, modelId, status: analysis.status });
  const facts = pageFactsOf(view, { summaryByRole: analysis.summary_by_role, identicalTo: analysis.identical_to });
  if (analysis.status === 'done') {
    void storePageFacts(analysis.id, facts).catch((err) => {
      console.error(`could not store the page facts of analysis ${analysis.id}: ${(err as Error).message}`);
    });
  }
  return facts;
}
