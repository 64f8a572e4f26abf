import { and, asc, desc, eq, getTableColumns, inArray, isNotNull, or, sql } from 'drizzle-orm';
import { analyses, layerEsd, layers, revisions, type Layer } from '@/db/schema';
import type { EsdData } from '@/lib/types';
import { mainAnalysis, pickAnalysis } from './model-detail';
import { BoardCache } from './board-cache';
import { readThrough } from './read-cache';
import { readDb, selectRows } from './read-db';

/**
 * Layer rows of one analysis, one layer's ESD, and a training-checkpoint series.
 * Rows carry WeightWatcher's column names as stored; bookkeeping fields use the CLI's snake_case names.
 */

/** Columns only delta / adapter rows fill: left out of model rows, returned by ./delta.ts's rows. */
export type DeltaOnlyKey =
  | 'delta_rel_frobenius' | 'delta_spectral_ratio' | 'delta_stable_rank' | 'delta_effective_rank' | 'delta_alpha'
  | 'baseTensor' | 'baseShape' | 'rowsCompared' | 'resized' | 'side' | 'loraR' | 'loraAlpha' | 'loraScale';

export type LayerRow = Omit<Layer, 'analysisId' | 'blockIndex' | 'relativeDepth' | 'skipReason' | 'readSeconds' | 'eigenSeconds' | 'fitSeconds' | 'contentHash' | 'reusedFrom' | DeltaOnlyKey> & {
  /** 0-based MoE expert; null on dense rows. */
  expert: number | null;
  /** `<model id> <tensor or name>` the metrics were copied from (identical bytes analysed before); null when computed here. */
  reused_from: string | null;
  /** xxhash64 of the stored bytes, when recorded. */
  content_hash: string | null;
  block_index: number | null;
  relative_depth: number | null;
  skip_reason: string | null;
  read_s: number | null;
  eigen_s: number | null;
  fit_s: number | null;
};

export function toLayerRow(l: Layer): LayerRow {
  const {
    analysisId: _a, blockIndex, relativeDepth, skipReason, readSeconds, eigenSeconds, fitSeconds, contentHash, reusedFrom,
    delta_rel_frobenius: _d1, delta_spectral_ratio: _d2, delta_stable_rank: _d3, delta_effective_rank: _d4, delta_alpha: _d5,
    baseTensor: _b1, baseShape: _b2, rowsCompared: _r1, resized: _r2, side: _s1, loraR: _l1, loraAlpha: _l2, loraScale: _l3,
    ...rest
  } = l;
  return {
    ...rest,
    expert: rest.expert ?? null,
    reused_from: reusedFrom ?? null,
    content_hash: contentHash ?? null,
    block_index: blockIndex,
    relative_depth: relativeDepth,
    skip_reason: skipReason,
    read_s: readSeconds,
    eigen_s: eigenSeconds,
    fit_s: fitSeconds,
  };
}

/** toLayerRow's renames of drizzle keys; keys absent here keep their drizzle name. */
const RENAMED: Record<string, string> = {
  blockIndex: 'block_index', relativeDepth: 'relative_depth', skipReason: 'skip_reason', readSeconds: 'read_s',
  eigenSeconds: 'eigen_s', fitSeconds: 'fit_s', contentHash: 'content_hash', reusedFrom: 'reused_from',
};
const OMITTED = new Set<string>([
  'analysisId', 'delta_rel_frobenius', 'delta_spectral_ratio', 'delta_stable_rank', 'delta_effective_rank', 'delta_alpha',
  'baseTensor', 'baseShape', 'rowsCompared', 'resized', 'side', 'loraR', 'loraAlpha', 'loraScale',
]);

/**
 * The select list that makes PostgreSQL write a LayerRow as JSON itself (row_to_json over these aliases): the same
 * keys and values as toLayerRow over drizzle's rows, without materialising 80 fields x 300 rows in JS first.
 * Non-finite floats become null, as JSON.stringify writes them.
 */
const LAYER_JSON_SELECT = sql.join(
  Object.entries(getTableColumns(layers))
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, col]) => {
      const name = sql.identifier(col.name);
      const value = col.columnType === 'PgDoublePrecision' || col.columnType === 'PgReal'
        ? sql`CASE WHEN ${name} IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE ${name} END`
        : name;
      return sql`${value} AS ${sql.identifier(RENAMED[key] ?? key)}`;
    }),
  sql`, `,
);

/**
 * Every layer of an analysis in checkpoint order (experts of one tensor by expert), as a JSON array text written by
 * the database (read once per done analysis: the cached, compressed API body is layers-payload.ts).
 */
export async function listLayersJson({ analysisId }: AnalysisRef): Promise<string> {
  const [row] = await selectRows<{ json: string }>(sql`
    SELECT coalesce(json_agg(x ORDER BY x.ordinal, x.expert NULLS FIRST, x.id), '[]')::text AS json
    FROM (SELECT ${LAYER_JSON_SELECT} FROM layers WHERE analysis_id = ${analysisId}) x`);
  return row?.json ?? '[]';
}

/** The analysis whose layers are read (model and status: see layers-payload.ts and model-page.ts for the caches). */
export interface AnalysisRef {
  analysisId: number;
  modelId?: string;
  status?: string;
}

/** Every layer of an analysis in checkpoint order. */
export async function listLayers(analysis: AnalysisRef): Promise<LayerRow[]> {
  return JSON.parse(await listLayersJson(analysis)) as LayerRow[];
}

export interface LayerEsdResult {
  layer: Pick<LayerRow, 'id' | 'ordinal' | 'name' | 'tensor' | 'role' | 'status' | 'alpha' | 'xmin' | 'xmax' | 'D' | 'num_pl_spikes' | 'phase'>;
  esd: EsdData;
}

/**
 * One layer's stored ESD. `layer` is the layer's ordinal (digits), its name (tensor without `.weight`) or its
 * full tensor key. Null when no such layer exists or it has no stored ESD (skipped layers).
 */
export function getLayerEsd({ analysisId, layer }: { analysisId: number; layer: string }): Promise<LayerEsdResult | null> {
  return readThrough({ key: `esd:${analysisId}:${layer}`, tags: ['layers'], load: () => loadLayerEsd(analysisId, layer) });
}

async function loadLayerEsd(analysisId: number, layer: string): Promise<LayerEsdResult | null> {
  const db = await readDb();
  const match = /^\d+$/.test(layer)
    ? eq(layers.ordinal, Number(layer))
    : or(eq(layers.name, layer), eq(layers.tensor, layer));
  const [row] = await db
    .select({
      id: layers.id, ordinal: layers.ordinal, name: layers.name, tensor: layers.tensor, role: layers.role,
      status: layers.status, alpha: layers.alpha, xmin: layers.xmin, xmax: layers.xmax, D: layers.D,
      num_pl_spikes: layers.num_pl_spikes, phase: layers.phase, esd: layerEsd.esd,
    })
    .from(layers)
    .innerJoin(layerEsd, eq(layerEsd.layerId, layers.id))
    .where(and(eq(layers.analysisId, analysisId), match))
    .limit(1);
  if (!row) return null;
  const { esd, ...info } = row;
  return { layer: info, esd };
}

export interface CheckpointSeries {
  /** Training steps in ascending order with the analysis used for each. */
  steps: { step: number; ref: string; sha: string; analysisId: number; meanAlpha: number | null }[];
  /** One entry per layer name (checkpoint order): alpha at each step (null where missing or failed). */
  layers: { name: string; role: string; ordinal: number; alphas: (number | null)[] }[];
}

/** Alpha per layer over training steps, for repos whose revisions carry a `step`; null when there is no series. */
const seriesCache = new BoardCache<CheckpointSeries | null>('series', 0.05);

export function getCheckpointSeries({ modelId }: { modelId: string }): Promise<CheckpointSeries | null> {
  return seriesCache.get(
    modelId,
    async () => {
      const value = await loadCheckpointSeries(modelId);
      return { value, deps: [modelId], keep: true, bytes: value ? JSON.stringify(value).length : 64 };
    },
    ['models', 'layers'],
  );
}

/** Only done analyses enter a series, so it changes only when the model's analyses do. */
async function loadCheckpointSeries(modelId: string): Promise<CheckpointSeries | null> {
  const db = await readDb();
  const revs = await db
    .select()
    .from(revisions)
    .where(and(eq(revisions.modelId, modelId), isNotNull(revisions.step)))
    .orderBy(asc(revisions.step));
  if (revs.length < 2) return null;
  const runs = await db
    .select({ id: analyses.id, status: analyses.status, revisionId: analyses.revisionId, summary: analyses.summary })
    .from(analyses)
    .where(and(eq(analyses.modelId, modelId), eq(analyses.status, 'done'), mainAnalysis))
    .orderBy(desc(analyses.id));
  const steps: CheckpointSeries['steps'] = [];
  for (const r of revs) {
    const pick = pickAnalysis(runs.filter((a) => a.revisionId === r.id));
    if (pick) steps.push({ step: r.step!, ref: r.ref, sha: r.sha, analysisId: pick.id, meanAlpha: pick.summary?.alpha ?? null });
  }
  if (steps.length < 2) return null;
  const rows = await db
    .select({ analysisId: layers.analysisId, name: layers.name, role: layers.role, ordinal: layers.ordinal, alpha: layers.alpha, status: layers.status })
    .from(layers)
    .where(inArray(layers.analysisId, steps.map((s) => s.analysisId)))
    .orderBy(asc(layers.ordinal));
  const byName = new Map<string, CheckpointSeries['layers'][number]>();
  const column = new Map(steps.map((s, i) => [s.analysisId, i]));
  for (const row of rows) {
    let entry = byName.get(row.name);
    if (!entry) {
      entry = { name: row.name, role: row.role, ordinal: row.ordinal, alphas: steps.map(() => null) };
      byName.set(row.name, entry);
    }
    if (row.status === 'success' && row.alpha != null) entry.alphas[column.get(row.analysisId)!] = row.alpha;
  }
  return { steps, layers: [...byName.values()].sort((x, y) => x.ordinal - y.ordinal) };
}
