import {
  boolean, doublePrecision, index, integer, jsonb, pgTable, real, serial, text, unique,
} from 'drizzle-orm/pg-core';
import type { EsdData } from '@/lib/types';
import { analyses } from './analyses';

const f64 = (name: string) => doublePrecision(name);

/**
 * One analysed (or skipped) weight tensor of one analysis.
 * Metric columns carry WeightWatcher's own names (N, M, Q, alpha, D, W_scale, Lambda, ...), except xmin/xmax,
 * which PostgreSQL reserves as system columns: their SQL names are pl_xmin/pl_xmax (drizzle keys xmin/xmax).
 */
export const layers = pgTable(
  'layers',
  {
    id: serial('id').primaryKey(),
    analysisId: integer('analysis_id').notNull().references(() => analyses.id, { onDelete: 'cascade' }),
    /** Order of the tensor in the checkpoint (weight_map order), 0-based. */
    ordinal: integer('ordinal').notNull(),
    /** The key as stored in the checkpoint. */
    tensor: text('tensor').notNull(),
    /** 0-based MoE expert: the slice of a 3-D expert stack, or the `experts.N.` index of a per-expert tensor. */
    expert: integer('expert'),
    name: text('name').notNull(),
    blockIndex: integer('block_index'),
    /** blockIndex / (numBlocks - 1), for aligning models of different depth; null outside blocks. */
    relativeDepth: real('relative_depth'),
    role: text('role').notNull().default('other'),
    fused: boolean('fused').notNull().default(false),
    shape: jsonb('shape').$type<number[]>().notNull(),
    dtype: text('dtype').notNull(),
    /**
     * success | failed (fit failed) | skipped; delta analyses also `unmatched` (a tensor in one model only, or a
     * shape mismatch; the reason in skip_reason) and `unchanged` (ΔW = 0, a frozen layer).
     */
    status: text('status').notNull(),
    skipReason: text('skip_reason'),
    phase: text('phase'),
    // WeightWatcher default columns
    N: integer('N'),
    M: integer('M'),
    Q: f64('Q'),
    num_evals: integer('num_evals'),
    sv_max: f64('sv_max'),
    sv_min: f64('sv_min'),
    rank_loss: integer('rank_loss'),
    weak_rank_loss: integer('weak_rank_loss'),
    lambda_max: f64('lambda_max'),
    alpha: f64('alpha'),
    // `xmin`/`xmax` are PostgreSQL system columns, so these two are stored as pl_xmin/pl_xmax; the drizzle keys
    // keep WeightWatcher's names.
    xmin: f64('pl_xmin'),
    xmax: f64('pl_xmax'),
    D: f64('D'),
    sigma: f64('sigma'),
    num_pl_spikes: integer('num_pl_spikes'),
    warning: text('warning'),
    norm: f64('norm'),
    log_norm: f64('log_norm'),
    spectral_norm: f64('spectral_norm'),
    log_spectral_norm: f64('log_spectral_norm'),
    alpha_weighted: f64('alpha_weighted'),
    log_alpha_norm: f64('log_alpha_norm'),
    stable_rank: f64('stable_rank'),
    matrix_rank: integer('matrix_rank'),
    entropy: f64('entropy'),
    // optional columns
    mp_softrank: f64('mp_softrank'),
    num_spikes: integer('num_spikes'),
    sigma_mp: f64('sigma_mp'),
    bulk_max: f64('bulk_max'),
    bulk_min: f64('bulk_min'),
    W_scale: f64('W_scale'),
    detX_num: integer('detX_num'),
    detX_val: f64('detX_val'),
    detX_val_unrescaled: f64('detX_val_unrescaled'),
    rand_distance: f64('rand_distance'),
    rand_num_spikes: integer('rand_num_spikes'),
    max_rand_eval: f64('max_rand_eval'),
    ww_softrank: f64('ww_softrank'),
    ww_maxdist: f64('ww_maxdist'),
    num_fingers: integer('num_fingers'),
    raw_alpha: f64('raw_alpha'),
    Lambda: f64('Lambda'),
    // Delta / adapter rows (null on model rows): see lib/delta/delta-metrics.ts.
    delta_rel_frobenius: f64('delta_rel_frobenius'),
    delta_spectral_ratio: f64('delta_spectral_ratio'),
    delta_stable_rank: f64('delta_stable_rank'),
    delta_effective_rank: f64('delta_effective_rank'),
    /** α(W_model) − α(W_base), null unless both fits succeeded. */
    delta_alpha: f64('delta_alpha'),
    /** Delta rows: the paired base tensor and its shape. */
    baseTensor: text('base_tensor'),
    baseShape: jsonb('base_shape').$type<number[]>(),
    /** Rows of ΔW when the row counts differ (resized embeddings), and the sentence saying so. */
    rowsCompared: integer('rows_compared'),
    resized: text('resized'),
    /** Unmatched rows: which model the tensor is in (`model` | `base`). */
    side: text('side'),
    /** Adapter rows: the module's r, lora_alpha and scaling s. */
    loraR: integer('lora_r'),
    loraAlpha: f64('lora_alpha'),
    loraScale: f64('lora_scale'),
    /** Seconds for read / eigenvalues / fit of this tensor. */
    readSeconds: real('read_s'),
    eigenSeconds: real('eigen_s'),
    fitSeconds: real('fit_s'),
    /** xxhash64 of the raw stored bytes: identical weights in another model are recognised and not analysed again. */
    contentHash: text('content_hash'),
    /** When the metrics were reused: the model and tensor (or file) they were computed for. */
    reusedFrom: text('reused_from'),
  },
  (t) => [
    // A 3-D expert stack is one tensor with one row per expert; NULLS NOT DISTINCT keeps dense tensors unique too.
    unique('layers_analysis_tensor_expert_key').on(t.analysisId, t.tensor, t.expert).nullsNotDistinct(),
    index('layers_content_hash_idx').on(t.contentHash),
    index('layers_analysis_ordinal_idx').on(t.analysisId, t.ordinal),
  ],
);

export type Layer = typeof layers.$inferSelect;
export type NewLayer = typeof layers.$inferInsert;

/** What the ESD viewer needs to redraw one layer's log-log density and its fit. */
export const layerEsd = pgTable('layer_esd', {
  layerId: integer('layer_id').primaryKey().references(() => layers.id, { onDelete: 'cascade' }),
  esd: jsonb('esd').$type<EsdData>().notNull(),
});

export type LayerEsd = typeof layerEsd.$inferSelect;
