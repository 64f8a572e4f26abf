import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { analyses, layers, models, revisions, type Analysis, type AnalysisKind, type AnalysisStatus, type Layer } from '@/db/schema';
import type { AnalysisOptions, ModelStats } from '@/lib/types';
import { isClaimStale } from '@/jobs/claims';
import { pickAnalysis } from './model-detail';
import { readThrough } from './read-cache';
import { iso, readDb } from './read-db';

/**
 * Read side of delta analyses (a fine-tune's ΔW = W − W_base against a base revision) and adapter analyses (a PEFT
 * adapter repo's ΔW = s·B·A per module): what `GET /api/v1/models/{owner}/{name}/delta` returns and what a base's
 * page lists as its fine-tunes and adapters.
 *
 * Which analysis: the model's delta analyses (or, for an adapter repo, its adapter analysis), restricted to the
 * asked base when `base` is given; the latest done-or-running wins, else the latest of any status (a failure and its
 * reason stay visible), as for model analyses.
 */

/** WeightWatcher's columns of ΔW, as stored (null when not computed). */
const METRIC_COLUMNS = [
  'N', 'M', 'Q', 'num_evals', 'sv_max', 'sv_min', 'rank_loss', 'weak_rank_loss', 'lambda_max', 'alpha', 'xmin', 'xmax',
  'D', 'sigma', 'num_pl_spikes', 'warning', 'norm', 'log_norm', 'spectral_norm', 'log_spectral_norm', 'alpha_weighted',
  'log_alpha_norm', 'stable_rank', 'matrix_rank', 'entropy', 'mp_softrank', 'num_spikes', 'sigma_mp', 'bulk_max',
  'bulk_min', 'W_scale', 'detX_num', 'detX_val', 'detX_val_unrescaled', 'rand_distance', 'rand_num_spikes',
  'max_rand_eval', 'ww_softrank', 'ww_maxdist', 'num_fingers', 'raw_alpha', 'Lambda',
] as const satisfies ReadonlyArray<keyof Layer>;

export type DeltaRowStatus = 'success' | 'failed' | 'skipped' | 'unmatched' | 'unchanged';

/** One stored row of a delta or adapter analysis. */
export interface DeltaRow extends Record<(typeof METRIC_COLUMNS)[number], number | string | null> {
  ordinal: number;
  tensor: string;
  expert: number | null;
  name: string;
  role: string;
  block_index: number | null;
  relative_depth: number | null;
  shape: number[];
  dtype: string;
  status: DeltaRowStatus;
  /** Why skipped, unmatched (e.g. "only in the base") or an `error: ...`. */
  skip_reason: string | null;
  phase: string | null;
  delta_rel_frobenius: number | null;
  delta_spectral_ratio: number | null;
  delta_stable_rank: number | null;
  delta_effective_rank: number | null;
  delta_alpha: number | null;
  base_tensor: string | null;
  base_shape: number[] | null;
  rows_compared: number | null;
  resized: string | null;
  /** Unmatched rows: `model` or `base` (which checkpoint has the tensor). */
  side: string | null;
  lora_r: number | null;
  lora_alpha: number | null;
  lora_scale: number | null;
}

/** Per-row-status counts and the alphas of ΔW over analysed rows. */
export interface DeltaSummary {
  rows: number;
  analysed: number;
  unchanged: number;
  unmatched: number;
  skipped: number;
  /** ΔW alphas over rows with status success (failed fits excluded). */
  alpha_mean: number | null;
  alpha_median: number | null;
  alpha_min: number | null;
  alpha_max: number | null;
  /** Mean of α(W) − α(W_base) where both fits succeeded (delta analyses only). */
  delta_alpha_mean: number | null;
  /** Mean ||ΔW||_F / ||W_base||_F over analysed rows (delta analyses only). */
  rel_frobenius_mean: number | null;
}

/** Δalpha (α(W) − α(W_base)) and ΔW's alpha along depth, one series per role (rows inside blocks only). */
export interface DeltaDepthSeries {
  role: string;
  points: Array<{ block_index: number; relative_depth: number | null; alpha: number | null; delta_alpha: number | null; tensor: string }>;
}

export interface DeltaAnalysisView {
  model: string;
  kind: Extract<AnalysisKind, 'delta' | 'adapter'>;
  analysis: {
    id: number;
    status: AnalysisStatus;
    error: string | null;
    errorKind: string | null;
    options: AnalysisOptions;
    layersDone: number;
    layersTotal: number | null;
    waitingToResume: boolean;
    queuedAt: string | null;
    finishedAt: string | null;
  };
  revision: { sha: string; ref: string };
  /** The base compared against (delta), or the adapter's base when it is on the board; null otherwise. */
  base: { id: string; sha: string; ref: string } | null;
  /** WeightWatcher's summary over ΔW's analysed rows (as for a model), null until done. */
  summary: ModelStats | null;
  delta_summary: DeltaSummary;
  by_depth: DeltaDepthSeries[];
  /** Every row in checkpoint order (unmatched base-only tensors last). */
  layers: DeltaRow[];
  /** The unmatched rows again, in short. */
  unmatched: Array<{ tensor: string; side: string | null; reason: string | null; shape: number[]; base_shape: number[] | null }>;
}

function toDeltaRow(l: Layer): DeltaRow {
  const row: Record<string, unknown> = {
    ordinal: l.ordinal,
    tensor: l.tensor,
    expert: l.expert ?? null,
    name: l.name,
    role: l.role,
    block_index: l.blockIndex,
    relative_depth: l.relativeDepth,
    shape: l.shape,
    dtype: l.dtype,
    status: l.status,
    skip_reason: l.skipReason,
    phase: l.phase,
  };
  for (const c of METRIC_COLUMNS) row[c] = l[c] ?? null;
  Object.assign(row, {
    delta_rel_frobenius: l.delta_rel_frobenius,
    delta_spectral_ratio: l.delta_spectral_ratio,
    delta_stable_rank: l.delta_stable_rank,
    delta_effective_rank: l.delta_effective_rank,
    delta_alpha: l.delta_alpha,
    base_tensor: l.baseTensor,
    base_shape: l.baseShape,
    rows_compared: l.rowsCompared,
    resized: l.resized,
    side: l.side,
    lora_r: l.loraR,
    lora_alpha: l.loraAlpha,
    lora_scale: l.loraScale,
  });
  return row as unknown as DeltaRow;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarizeDeltaRows(rows: readonly DeltaRow[]): DeltaSummary {
  const alphas = rows.filter((r) => r.status === 'success' && typeof r.alpha === 'number' && r.alpha > 0).map((r) => r.alpha as number);
  const analysed = rows.filter((r) => r.status === 'success' || r.status === 'failed');
  const finite = (xs: Array<number | null>) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return {
    rows: rows.length,
    analysed: analysed.length,
    unchanged: rows.filter((r) => r.status === 'unchanged').length,
    unmatched: rows.filter((r) => r.status === 'unmatched').length,
    skipped: rows.filter((r) => r.status === 'skipped').length,
    alpha_mean: mean(alphas),
    alpha_median: median(alphas),
    alpha_min: alphas.length ? Math.min(...alphas) : null,
    alpha_max: alphas.length ? Math.max(...alphas) : null,
    delta_alpha_mean: mean(finite(analysed.map((r) => r.delta_alpha))),
    rel_frobenius_mean: mean(finite(analysed.map((r) => r.delta_rel_frobenius))),
  };
}

function depthSeries(rows: readonly DeltaRow[]): DeltaDepthSeries[] {
  const byRole = new Map<string, DeltaDepthSeries>();
  for (const r of rows) {
    if (r.block_index === null || (r.status !== 'success' && r.status !== 'failed')) continue;
    let s = byRole.get(r.role);
    if (!s) byRole.set(r.role, (s = { role: r.role, points: [] }));
    s.points.push({
      block_index: r.block_index,
      relative_depth: r.relative_depth,
      alpha: r.status === 'success' ? (r.alpha as number | null) : null,
      delta_alpha: r.delta_alpha,
      tensor: r.tensor,
    });
  }
  for (const s of byRole.values()) s.points.sort((a, b) => a.block_index - b.block_index);
  return [...byRole.values()];
}

async function loadDelta(modelId: string, base: string | undefined): Promise<DeltaAnalysisView | null> {
  const db = await readDb();
  const baseRev = sql`(select r2.model_id from revisions r2 where r2.id = ${analyses.baseRevisionId})`;
  const runs = await db
    .select()
    .from(analyses)
    .where(
      and(
        eq(analyses.modelId, modelId),
        inArray(analyses.kind, ['delta', 'adapter']),
        base ? sql`${baseRev} = ${base}` : undefined,
      ),
    )
    .orderBy(desc(analyses.id));
  // A delta analysis recorded as failed before any base revision existed (self reference, cycle, missing base)
  // names its base only in its error: it is shown when no base is asked for.
  const shown = pickAnalysis(runs) as Analysis | null;
  if (!shown) return null;
  const revIds = [shown.revisionId, ...(shown.baseRevisionId !== null ? [shown.baseRevisionId] : [])];
  const [revs, rows] = await Promise.all([
    db.select().from(revisions).where(inArray(revisions.id, revIds)),
    db.select().from(layers).where(eq(layers.analysisId, shown.id)).orderBy(asc(layers.ordinal), asc(layers.id)),
  ]);
  const rev = revs.find((r) => r.id === shown.revisionId)!;
  const baseRevision = revs.find((r) => r.id === shown.baseRevisionId);
  const deltaRows = rows.map(toDeltaRow);
  return {
    model: modelId,
    kind: shown.kind === 'adapter' ? 'adapter' : 'delta',
    analysis: {
      id: shown.id,
      status: shown.status,
      error: shown.error,
      errorKind: shown.errorKind,
      options: shown.options ?? {},
      layersDone: shown.layersDone,
      layersTotal: shown.layersTotal,
      waitingToResume: isClaimStale(shown),
      queuedAt: iso(shown.queuedAt),
      finishedAt: iso(shown.finishedAt),
    },
    revision: { sha: rev.sha, ref: rev.ref },
    base: baseRevision ? { id: baseRevision.modelId, sha: baseRevision.sha, ref: baseRevision.ref } : null,
    summary: shown.summary ?? null,
    delta_summary: summarizeDeltaRows(deltaRows),
    by_depth: depthSeries(deltaRows),
    layers: deltaRows,
    unmatched: deltaRows
      .filter((r) => r.status === 'unmatched')
      .map((r) => ({ tensor: r.tensor, side: r.side, reason: r.skip_reason, shape: r.shape, base_shape: r.base_shape })),
  };
}

/** The delta (or adapter) analysis of a model, against `base` when given; null when there is none. */
export function getDeltaAnalysis({ modelId, base }: { modelId: string; base?: string }): Promise<DeltaAnalysisView | null> {
  return readThrough({
    key: `delta:${modelId}:${base ?? ''}`,
    tags: ['models', `model:${modelId}`, 'layers'],
    load: () => loadDelta(modelId, base),
  });
}

/** A fine-tune or adapter of a base, with its delta analysis in short (null when it has none yet). */
export interface DerivedModel {
  id: string;
  type: 'fine-tune' | 'adapter';
  analysis: {
    id: number;
    status: AnalysisStatus;
    error: string | null;
    /** ΔW summary (WeightWatcher's means over analysed rows), null until done. */
    summary: ModelStats | null;
  } | null;
}

/**
 * Models whose card names `baseId` as base_model (itself excluded), each with its latest delta analysis against
 * that base (fine-tunes) or its adapter analysis (adapters). Fine-tunes first, then adapters, by id.
 */
export async function listDerivedModels({ baseId, limit = 100 }: { baseId: string; limit?: number }): Promise<DerivedModel[]> {
  const db = await readDb();
  const children = await db
    .select({ id: models.id })
    .from(models)
    .where(and(eq(models.baseModel, baseId), sql`${models.id} <> ${baseId}`))
    .orderBy(models.id)
    .limit(limit);
  if (children.length === 0) return [];
  const ids = children.map((c) => c.id);
  const runs = await db
    .select({
      id: analyses.id, modelId: analyses.modelId, kind: analyses.kind, status: analyses.status, error: analyses.error,
      summary: analyses.summary, baseModelId: revisions.modelId,
    })
    .from(analyses)
    .leftJoin(revisions, eq(revisions.id, analyses.baseRevisionId))
    .where(and(inArray(analyses.modelId, ids), inArray(analyses.kind, ['delta', 'adapter'])))
    .orderBy(desc(analyses.id));
  return derivedModelsOf(baseId, ids, runs);
}

/** A derived model's delta or adapter analysis as read for {@link derivedModelsOf}. */
export interface DerivedRun {
  id: number;
  modelId: string;
  kind: string;
  status: AnalysisStatus;
  error: string | null;
  summary: ModelStats | null;
  /** The model of the analysis' base revision (null when it has none). */
  baseModelId: string | null;
}

/** Each child of `baseId` with the analysis its base's page shows: see {@link listDerivedModels}. */
export function derivedModelsOf(baseId: string, ids: readonly string[], runs: readonly DerivedRun[]): DerivedModel[] {
  const out: DerivedModel[] = ids.map((id) => {
    const own = runs.filter((r) => r.modelId === id);
    const isAdapter = own.some((r) => r.kind === 'adapter');
    const candidates = own.filter((r) => (isAdapter ? r.kind === 'adapter' : r.kind === 'delta' && (r.baseModelId === baseId || r.baseModelId === null)));
    const pick = pickAnalysis(candidates);
    return {
      id,
      type: isAdapter ? 'adapter' : 'fine-tune',
      analysis: pick ? { id: pick.id, status: pick.status, error: pick.error, summary: pick.summary ?? null } : null,
    };
  });
  return out.sort((a, b) => (a.type === b.type ? a.id.localeCompare(b.id) : a.type === 'fine-tune' ? -1 : 1));
}

/** Per analysis: mean Δalpha and mean relative Frobenius change over its analysed rows (a base page's list). */
export interface DeltaMeans {
  delta_alpha_mean: number | null;
  rel_frobenius_mean: number | null;
}

/** Mean Δalpha and ||ΔW||/||W_base|| per delta or adapter analysis, as in `delta_summary` (absent ids: no rows). */
export async function getDeltaMeans({ analysisIds }: { analysisIds: number[] }): Promise<Map<number, DeltaMeans>> {
  const out = new Map<number, DeltaMeans>();
  if (analysisIds.length === 0) return out;
  const db = await readDb();
  // Stored delta columns are finite or null (storeLayer), so avg over the non-null ones matches delta_summary.
  const finite = (col: typeof layers.delta_alpha) => sql<number | null>`avg(${col})`;
  const rows = await db
    .select({ id: layers.analysisId, dAlpha: finite(layers.delta_alpha), relF: finite(layers.delta_rel_frobenius) })
    .from(layers)
    .where(and(inArray(layers.analysisId, analysisIds), inArray(layers.status, ['success', 'failed'])))
    .groupBy(layers.analysisId);
  for (const r of rows) {
    out.set(r.id, {
      delta_alpha_mean: r.dAlpha === null ? null : Number(r.dAlpha),
      rel_frobenius_mean: r.relF === null ? null : Number(r.relF),
    });
  }
  return out;
}
