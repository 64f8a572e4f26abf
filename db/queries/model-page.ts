import type { EsdData } from '@/lib/types';
import { BoardCache } from './board-cache';
import { expertBands, expertGroupKey, expertMemberOf, metricColumnsOf, tableItems, type TableLine } from './layer-aggregates';
import { encodeNames, INITIAL_TABLE_LINES, type LayerColumns } from './layer-columns';
import { getLayerEsd, listLayersJson, type AnalysisRef, type LayerRow } from './layers';
import { readStoredView, writeStoredView } from './analysis-views';
import { sql } from 'drizzle-orm';
import { selectRows } from './read-db';

/**
 * Not marked `server-only`: the pipeline stores a done analysis' view (worker processes import it outside Next).
 *
 * What a model page draws from one analysis' layers, derived once per analysis: chart points (rounded to the digits
 * a chart shows), expert bands, the ESD viewer's layer list and first spectrum, phase counts, correlation traps and
 * the layer table's first lines. A few tens of kB instead of the full rows (~1.2 kB each), so a page render never
 * parses or walks hundreds of rows.
 *
 * A done analysis' view never changes: it is kept in memory (board-cache.ts) and stored in `analysis_views`
 * (written when the analysis finishes, else on first read), so a page of any model, popular or not, costs one
 * primary-key read. VIEW_VERSION is part of the stored row: a change to this derivation recomputes old views.
 */

export const VIEW_VERSION = 5;
const VIEW_KIND = 'model-page';

export interface ExpertBandPoint {
  x: number;
  y: number;
  /** [median − min, max − median] */
  err: [number, number];
  name: string;
}

export interface ModelPageView {
  version: number;
  /** Every stored row, and how many are shown in the table before "show all". */
  layerCount: number;
  /** Every layer that was not skipped, as columns: the ESD viewer's list and, where fitted, the charts' points. */
  columns: LayerColumns;
  /** Ordinals drawn as part of an expert band rather than as single points in the depth chart. */
  bandedOrdinals: number[];
  bands: ExpertBandPoint[];
  /** The first fitted layer's spectrum (eigenvalues to 7 digits), shown without a request. */
  firstEsd: { ordinal: number; esd: EsdData } | null;
  phases: [string, number][];
  traps: { ordinal: number; tensor: string; rand_num_spikes: number | null; max_rand_eval: number | null; rand_distance: number | null }[];
  hasDetX: boolean;
  /**
   * The layer table's first lines, null fields left out: a layer, or an expert group's line (its medians) with each
   * expert's few listed fields (an MoE block's 40 experts are not 40 full rows).
   */
  tableLines: TableLine[];
}

export function round(v: number | null | undefined, digits = 5): number | null {
  return v == null || !Number.isFinite(v) ? null : Number(v.toPrecision(digits));
}

/** A layer row without null fields (smaller page payload; the table treats a missing field as empty). */
function compactRow(l: LayerRow | Record<string, unknown>): Record<string, unknown> & { ordinal: number; tensor: string } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(l)) if (v != null && k !== 'id') out[k] = v;
  return out as Record<string, unknown> & { ordinal: number; tensor: string };
}

/**
 * The layer rows the page sends for the table's first lines: rows in checkpoint order until INITIAL_TABLE_LINES
 * lines are reached, plus every other row of an expert group already begun (a group's line needs all its experts).
 */
function initialTableRows(rows: LayerRow[]): LayerRow[] {
  const lines = new Set<string>();
  const out: LayerRow[] = [];
  for (const r of rows) {
    const key = expertGroupKey(r) ?? `#${r.ordinal}`;
    if (!lines.has(key)) {
      if (lines.size >= INITIAL_TABLE_LINES) continue;
      lines.add(key);
    }
    out.push(r);
  }
  return out;
}

function tableLinesOf(rows: LayerRow[]): TableLine[] {
  const compact = rows.map(compactRow);
  return tableItems(compact, metricColumnsOf(compact)).map((l) => (l.members ? { row: compactRow(l.row as LayerRow), members: l.members.map(expertMemberOf) } : { row: l.row }));
}

/** The page view of an analysis from its rows and its first fitted layer's stored spectrum. */
export function derivePageView(layers: LayerRow[], firstEsd: { ordinal: number; esd: EsdData } | null): ModelPageView {
  const fitted = layers.filter((l) => l.status === 'success' && l.alpha != null && l.alpha > 0);
  const bands = expertBands(layers).filter((b) => b.alpha_median != null && b.rows.length > 1);
  const maxOrdinal = Math.max(0, ...layers.map((l) => l.ordinal));
  const shown = layers.filter((l) => l.status !== 'skipped');
  const isFitted = new Set(fitted);
  const columns: LayerColumns = {
    ordinal: shown.map((l) => l.ordinal),
    names: encodeNames(shown.map((l) => l.name)),
    roles: [...new Set(shown.map((l) => l.role))],
    roleOf: [],
    alpha: shown.map((l) => round(l.alpha)),
    fitted: shown.map((l) => (isFitted.has(l) ? 1 : 0)),
    relative_depth: shown.map((l) => round(l.relative_depth)),
    block_index: shown.map((l) => l.block_index),
    D: shown.map((l) => round(l.D)),
    xmin: shown.map((l) => round(l.xmin)),
    detX_val: shown.some((l) => l.detX_val != null) ? shown.map((l) => round(l.detX_val)) : null,
  };
  columns.roleOf = shown.map((l) => columns.roles.indexOf(l.role));
  const phases = new Map<string, number>();
  for (const l of layers) if (l.phase) phases.set(l.phase, (phases.get(l.phase) ?? 0) + 1);
  return {
    version: VIEW_VERSION,
    layerCount: layers.length,
    columns,
    bandedOrdinals: bands.flatMap((b) => b.rows.map((r) => r.ordinal)),
    bands: bands.map((b) => ({
      x: round(b.relative_depth ?? b.rows[0].ordinal / Math.max(1, maxOrdinal))!,
      y: round(b.alpha_median)!,
      err: [round(b.alpha_median! - b.alpha_min!)!, round(b.alpha_max! - b.alpha_median!)!],
      name: `block ${b.block_index ?? '—'} experts ${b.expert_role ?? ''} (${b.analysed} of ${b.rows.length})`,
    })),
    firstEsd: firstEsd ? { ordinal: firstEsd.ordinal, esd: { ...firstEsd.esd, evals: firstEsd.esd.evals.map((v) => round(v, 7)!) } } : null,
    phases: [...phases.entries()].sort((a, b) => b[1] - a[1]),
    traps: layers
      .filter((l) => (l.rand_num_spikes ?? 0) > 0)
      .map((l) => ({ ordinal: l.ordinal, tensor: l.tensor, rand_num_spikes: l.rand_num_spikes, max_rand_eval: l.max_rand_eval, rand_distance: l.rand_distance })),
    hasDetX: fitted.some((l) => l.detX_val != null && Number.isFinite(l.detX_val)),
    tableLines: tableLinesOf(initialTableRows(layers)),
  };
}

async function computePageView(ref: AnalysisRef & { modelId: string }, layersJson?: string): Promise<ModelPageView> {
  const layers = JSON.parse(layersJson ?? (await listLayersJson(ref))) as LayerRow[];
  const first = layers.find((l) => l.status === 'success' && l.alpha != null && l.alpha > 0);
  const esd = first ? await getLayerEsd({ analysisId: ref.analysisId, layer: String(first.ordinal) }) : null;
  return derivePageView(layers, esd ? { ordinal: esd.layer.ordinal, esd: esd.esd } : null);
}

/** Compute and store the page view of a settled analysis (the pipeline calls this when an analysis is done). */
export async function storeModelPageView(ref: { analysisId: number; modelId: string }, layersJson?: string): Promise<ModelPageView> {
  const view = await computePageView({ ...ref, status: 'done' }, layersJson);
  await writeStoredView(ref.analysisId, VIEW_KIND, VIEW_VERSION, { data: JSON.stringify(view), blob: null });
  return view;
}

const views = new BoardCache<ModelPageView>('model-page', 0.2);

/** The page view of an analysis: memory, else the stored row, else computed (and stored when settled). */
export function getModelPageView(ref: AnalysisRef & { modelId: string }): Promise<ModelPageView> {
  // Only a done analysis is never reset; a failed one may be queued again (its memory entry goes with the change).
  const stored = ref.status === 'done';
  const settled = stored || ref.status === 'failed';
  return views.get(
    String(ref.analysisId),
    async () => {
      let text = stored ? ((await readStoredView(ref.analysisId, VIEW_KIND, VIEW_VERSION))?.data ?? null) : null;
      let view: ModelPageView;
      if (text) {
        view = JSON.parse(text) as ModelPageView;
      } else {
        view = await computePageView(ref);
        if (stored) {
          text = JSON.stringify(view);
          await writeStoredView(ref.analysisId, VIEW_KIND, VIEW_VERSION, { data: text, blob: null }).catch((err) => {
            console.error(`could not store the page view of analysis ${ref.analysisId}: ${(err as Error).message}`);
          });
        }
      }
      return { value: view, deps: [ref.modelId], keep: settled, bytes: text?.length ?? 50_000 };
    },
    ['layers'],
  );
}

/**
 * Where a model page's client components fetch the view (app/api/views/model-page/[analysis]/route.ts): the page
 * itself sends only this URL, so its HTML and component payload stay near an empty page's whatever the layer count.
 * A done analysis' view never changes: its URL names the analysis and the view's version, and the response may be
 * cached for good. Any other analysis' URL also names its status and progress, so the page's refresh asks again.
 */
export function pageViewUrl(a: { id: number; status: string; layersDone?: number | null }): string {
  const base = `/api/views/model-page/${a.id}?v=${VIEW_VERSION}`;
  return a.status === 'done' ? base : `${base}&s=${a.status}&n=${a.layersDone ?? 0}`;
}

/** An analysis' model and status (one primary-key read, always current), for the view's route. */
export async function analysisRefById(id: number): Promise<(AnalysisRef & { modelId: string; status: string }) | null> {
  const [row] = await selectRows<{ model_id: string; status: string }>(sql`SELECT model_id, status FROM analyses WHERE id = ${id}`);
  return row ? { analysisId: id, modelId: row.model_id, status: row.status } : null;
}

/** The view as the route sends it: serialised once per view object (views are kept in memory per analysis). */
const viewJson = new WeakMap<ModelPageView, string>();

export function pageViewJson(view: ModelPageView): string {
  let text = viewJson.get(view);
  if (text === undefined) viewJson.set(view, (text = JSON.stringify(view)));
  return text;
}
