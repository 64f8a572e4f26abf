import { countEvent } from '@/jobs/metric-counters';
import { count, eq, getTableColumns, sql } from 'drizzle-orm';
import { unitKey } from '@/lib/checkpoint/layer-units';
import type { LayerResult, LayerRole } from '@/lib/types';
import { getDb } from '../client';
import { analyses, layerEsd, layers, type NewLayer } from '../schema';
import { ClaimLostError, heldBy } from './analyses';

/**
 * Write side of layers. A layer is stored the moment it completes, keyed by (analysis_id, tensor): storing the
 * same tensor twice (a retried job that re-computed it) overwrites the row instead of duplicating it.
 * Not marked `server-only`: worker processes import it outside Next.
 */

/** Metric columns copied verbatim from a LayerResult: every schema column named like a WeightWatcher column. */
const METRIC_KEYS = Object.keys(getTableColumns(layers)).filter((k) =>
  /^(N|M|Q|num_evals|sv_max|sv_min|rank_loss|weak_rank_loss|lambda_max|alpha|xmin|xmax|D|sigma|num_pl_spikes|warning|norm|log_norm|spectral_norm|log_spectral_norm|alpha_weighted|log_alpha_norm|stable_rank|matrix_rank|entropy|mp_softrank|num_spikes|sigma_mp|bulk_max|bulk_min|W_scale|detX_num|detX_val|detX_val_unrescaled|rand_distance|rand_num_spikes|max_rand_eval|ww_softrank|ww_maxdist|num_fingers|raw_alpha|Lambda)$/.test(k),
);

/**
 * Columns of delta and adapter rows (lib/delta's DeltaLayer field -> drizzle key); absent on model rows. An
 * unmatched row's `reason` is stored as its skip_reason.
 */
export const DELTA_FIELDS = {
  delta_rel_frobenius: 'delta_rel_frobenius',
  delta_spectral_ratio: 'delta_spectral_ratio',
  delta_stable_rank: 'delta_stable_rank',
  delta_effective_rank: 'delta_effective_rank',
  delta_alpha: 'delta_alpha',
  base_tensor: 'baseTensor',
  base_shape: 'baseShape',
  rows_compared: 'rowsCompared',
  resized: 'resized',
  side: 'side',
  lora_r: 'loraR',
  lora_alpha: 'loraAlpha',
  lora_scale: 'loraScale',
} as const;

/** A stored row: a model layer, or a delta/adapter row with the fields of DELTA_FIELDS. */
export type StoredLayerInput = LayerResult & Partial<Record<keyof typeof DELTA_FIELDS, unknown>> & { reason?: string };

/** Numbers the database cannot hold as double precision (NaN, +-Inf) are stored as NULL. */
function finiteOrNull(v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

export interface StoredLayerPlacement {
  /** Position of the tensor in the checkpoint (weight_map order), 0-based. */
  ordinal: number;
  blockIndex: number | null;
  relativeDepth: number | null;
  role: LayerRole | string;
  fused: boolean;
}

/**
 * Upsert one layer and its ESD in one transaction; returns the layer id.
 *
 * With `worker` (a job's claim token) the write is made only under that worker's claim: the transaction first
 * refreshes the claim's heartbeat, which locks the analysis row, and writes nothing (throwing ClaimLostError) when
 * another worker holds it. A takeover's claim update waits for that row lock and then finds the heartbeat fresh, so
 * a worker that was paused (GC pause, SIGSTOP) and wakes up after a takeover can never store a layer the new
 * holder also stores.
 */
export async function storeLayer(params: {
  analysisId: number;
  layer: StoredLayerInput;
  placement: StoredLayerPlacement;
  worker?: string;
}): Promise<number> {
  const db = await getDb();
  const { layer, placement } = params;
  const row: NewLayer = {
    analysisId: params.analysisId,
    ordinal: placement.ordinal,
    tensor: layer.tensor,
    expert: layer.expert ?? null,
    name: layer.name,
    blockIndex: placement.blockIndex,
    relativeDepth: placement.relativeDepth,
    role: placement.role,
    fused: placement.fused,
    shape: layer.shape,
    dtype: layer.dtype,
    status: layer.status,
    skipReason: layer.skip_reason ?? layer.reason ?? null,
    phase: layer.phase ?? null,
    readSeconds: layer.timings?.read_s ?? null,
    eigenSeconds: layer.timings?.eigen_s ?? null,
    fitSeconds: layer.timings?.fit_s ?? null,
    contentHash: layer.content_hash ?? null,
    reusedFrom: layer.reused_from ?? null,
  };
  for (const key of METRIC_KEYS) {
    const v = (layer as unknown as Record<string, unknown>)[key];
    (row as Record<string, unknown>)[key] = v === undefined ? null : finiteOrNull(v);
  }
  for (const [field, key] of Object.entries(DELTA_FIELDS)) {
    const v = (layer as unknown as Record<string, unknown>)[field];
    (row as Record<string, unknown>)[key] = v === undefined ? null : finiteOrNull(v);
  }
  const { analysisId: _a, tensor: _t, expert: _e, ...update } = row;
  return db.transaction(async (tx) => {
    if (params.worker !== undefined) {
      const held = await tx
        .update(analyses)
        .set({ updatedAt: sql`now()` })
        .where(heldBy(params.analysisId, params.worker))
        .returning({ id: analyses.id });
      if (held.length === 0) throw new ClaimLostError(params.analysisId, params.worker);
    }
    const [stored] = await tx
      .insert(layers)
      .values(row)
      .onConflictDoUpdate({ target: [layers.analysisId, layers.tensor, layers.expert], set: update })
      .returning({ id: layers.id });
    if (layer.esd) {
      await tx
        .insert(layerEsd)
        .values({ layerId: stored.id, esd: layer.esd })
        .onConflictDoUpdate({ target: layerEsd.layerId, set: { esd: layer.esd } });
    }
    return stored.id;
  }).then((id) => {
    countEvent('layers_stored', layer.status ?? 'unknown');
    return id;
  });
}

/**
 * Layer-unit keys already stored for an analysis (what a resumed run skips): the tensor name, `#<expert>` appended
 * for a slice of a 3-D expert stack (lib/checkpoint/layer-units' `unitKey`).
 */
export async function listStoredTensors(params: { analysisId: number }): Promise<Set<string>> {
  const db = await getDb();
  const rows = await db
    .select({ tensor: layers.tensor, expert: layers.expert, name: layers.name })
    .from(layers)
    .where(eq(layers.analysisId, params.analysisId));
  return new Set(rows.map((r) => unitKey(r.tensor, r.expert, r.expert !== null && r.name.endsWith(`[${r.expert}]`))));
}

/** A stored layer row as the LayerResult it was stored from (metrics that were NULL are left out). */
export function toLayerResult(r: typeof layers.$inferSelect): LayerResult {
  const out: Record<string, unknown> = {
    tensor: r.tensor,
    ...(r.expert !== null ? { expert: r.expert } : {}),
    name: r.name,
    status: r.status,
    shape: r.shape,
    dtype: r.dtype,
    phase: r.phase,
    ...(r.skipReason ? { skip_reason: r.skipReason } : {}),
    ...(r.contentHash ? { content_hash: r.contentHash } : {}),
    ...(r.reusedFrom ? { reused_from: r.reusedFrom } : {}),
  };
  for (const key of METRIC_KEYS) {
    const v = (r as Record<string, unknown>)[key];
    if (v !== null && v !== undefined) out[key] = v;
  }
  for (const [field, key] of Object.entries(DELTA_FIELDS)) {
    const v = (r as Record<string, unknown>)[key];
    if (v !== null && v !== undefined) out[field] = v;
  }
  return out as unknown as LayerResult;
}

/** Every stored layer of an analysis in checkpoint order, as the summary needs them. */
export async function listLayerResults(params: { analysisId: number }): Promise<LayerResult[]> {
  const db = await getDb();
  const rows = await db.select().from(layers).where(eq(layers.analysisId, params.analysisId)).orderBy(layers.ordinal);
  return rows.map(toLayerResult);
}

export async function countLayers(params: { analysisId: number }): Promise<number> {
  const db = await getDb();
  const [row] = await db.select({ n: count() }).from(layers).where(eq(layers.analysisId, params.analysisId));
  return Number(row.n);
}
