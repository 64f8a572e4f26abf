/**
 * Types shared by the spectral core, the ingestion jobs, the database layer and the web.
 * Column names follow WeightWatcher 0.7.5.5 exactly (see README, "Metrics").
 */

/** The 25 per-layer metric columns of WeightWatcher's default analyze(), beyond its bookkeeping columns. */
export const WW_DEFAULT_METRIC_COLUMNS = [
  'N', 'M', 'Q', 'num_evals', 'sv_max', 'sv_min', 'rank_loss', 'weak_rank_loss', 'lambda_max',
  'alpha', 'xmin', 'xmax', 'D', 'sigma', 'num_pl_spikes', 'warning',
  'norm', 'log_norm', 'spectral_norm', 'log_spectral_norm', 'alpha_weighted', 'log_alpha_norm',
  'stable_rank', 'matrix_rank', 'entropy',
] as const;

/** Columns WeightWatcher adds only when the matching option is on. */
export const WW_OPTIONAL_METRIC_COLUMNS = [
  // mp_fit
  'mp_softrank', 'num_spikes', 'sigma_mp', 'bulk_max', 'bulk_min', 'W_scale',
  // detX
  'detX_num', 'detX_val', 'detX_val_unrescaled',
  // randomize
  'rand_distance', 'rand_num_spikes', 'max_rand_eval', 'ww_softrank', 'ww_maxdist',
  'rand_sigma_mp', 'rand_mp_softrank', 'rand_W_scale', 'rand_bulk_max', 'rand_bulk_min',
  // fix_fingers clip_xmax
  'num_fingers', 'raw_alpha',
  // fit TPL
  'Lambda',
] as const;

export type FitStatus = 'success' | 'failed';
export type TrainingWarning = '' | 'over-trained' | 'under-trained';

/** WeightWatcher's default per-layer columns. A failed fit carries its sentinels (-1, xmax null). */
export interface LayerMetrics {
  N: number;
  M: number;
  Q: number;
  num_evals: number;
  sv_max: number;
  sv_min: number;
  rank_loss: number;
  weak_rank_loss: number;
  lambda_max: number;
  alpha: number;
  xmin: number;
  xmax: number | null;
  D: number;
  sigma: number;
  num_pl_spikes: number;
  /** WeightWatcher's per-layer `status` column: did the power-law fit succeed. */
  status: FitStatus;
  warning: TrainingWarning;
  norm: number;
  log_norm: number;
  spectral_norm: number;
  log_spectral_norm: number;
  alpha_weighted: number;
  log_alpha_norm: number;
  stable_rank: number;
  matrix_rank: number;
  entropy: number;
}

export type OptionalMetricColumn = (typeof WW_OPTIONAL_METRIC_COLUMNS)[number];
export type OptionalLayerMetrics = Partial<Record<OptionalMetricColumn, number | null>>;

/** This project's own phase heuristic (after Martin & Mahoney's 5+1 phases); not a WeightWatcher output. */
export type PhaseLabel =
  | 'random-like'
  | 'bleeding-out'
  | 'bulk+spikes'
  | 'bulk-decay'
  | 'heavy-tailed'
  | 'rank-collapse';

/** Options mirroring WeightWatcher's analyze() keywords (CLI: --mp-fit, --detx, --randomize, --fix-fingers, --xmax, --fit). */
export interface AnalysisOptions {
  mpFit?: boolean;
  detX?: boolean;
  randomize?: boolean;
  /** Seed for randomize (reproducible shuffles). */
  seed?: number;
  fixFingers?: 'clip_xmax' | null;
  /** null = WeightWatcher's default; a negative integer k drops the |k| largest eigenvalues before the fit. */
  xmax?: number | null;
  fit?: 'PL' | 'TPL';
  /** Layer filters (WeightWatcher defaults 10, 15000, 50000). */
  minEvals?: number;
  maxEvals?: number;
  maxN?: number;
}

/** What a plot of one layer's ESD needs: eigenvalues (possibly thinned) plus the fit. */
export interface EsdData {
  /** Ascending eigenvalues of W^T W; all of them when M <= 4096, else an evenly-ranked subsample. */
  evals: number[];
  /** True when `evals` holds every eigenvalue. */
  complete: boolean;
  fit: { alpha: number; xmin: number; xmax: number | null; D: number; status: FitStatus };
  /** MP bulk edges in original units, when an MP fit was made. */
  mp?: { bulk_min: number; bulk_max: number; sigma_mp: number; Q: number } | null;
}

export type LayerStatus = 'success' | 'failed' | 'skipped';

/** One tensor's outcome: the CLI's `layers[]` entry and the database's `layers` row (minus bookkeeping). */
export interface LayerResult extends Partial<Omit<LayerMetrics, 'status'>>, OptionalLayerMetrics {
  /** Full tensor key, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  tensor: string;
  /** 0-based expert index for an MoE expert's matrix (a slice of a 3-D stack, or `experts.N.` in the key). */
  expert?: number;
  /** Key without `.weight` (`[e]` appended for a slice of a 3-D expert stack). */
  name: string;
  /** WeightWatcher's status for analysed layers (success / failed fit), or skipped (see skip_reason). */
  status: LayerStatus;
  skip_reason?: string;
  shape: number[];
  dtype: string;
  phase?: PhaseLabel | null;
  esd?: EsdData | null;
  /** Seconds spent on eigenvalues and on the fit for this layer. */
  timings?: { read_s?: number; eigen_s: number; fit_s: number };
  /** xxhash64 of the raw stored bytes the matrix was read from. */
  content_hash?: string;
  /** Set when the metrics were not computed again: `<model> <tensor>[#expert]` they were computed for. */
  reused_from?: string;
}

/** WeightWatcher's get_summary(): arithmetic means over analysed layers. */
export interface ModelSummary {
  log_norm: number;
  alpha: number;
  alpha_weighted: number;
  log_alpha_norm: number;
  log_spectral_norm: number;
  stable_rank: number;
  mp_softrank?: number;
}

/** Leaderboard extras beyond WeightWatcher's summary. */
export interface ModelStats extends ModelSummary {
  layers_analyzed: number;
  median_alpha: number;
  mean_D: number;
  share_alpha_lt_2: number;
  share_alpha_gt_6: number;
  /** Layers with randomization spikes (correlation traps), when randomize ran. */
  correlation_traps?: number | null;
}

/**
 * Tensor-name parsing result (family-aware). q_a/q_b/kv_a/kv_b are the low-rank projections of multi-head latent
 * attention (DeepSeek-V2/V3: q_a_proj, q_b_proj, kv_a_proj_with_mqa, kv_b_proj); expert / shared_expert / router
 * are the mixture-of-experts matrices (the within-expert projection is TensorNameInfo.expertRole); vision is any
 * matrix of a multimodal model's vision tower or projector.
 */
export type LayerRole =
  | 'embedding' | 'lm_head'
  | 'q' | 'k' | 'v' | 'o' | 'qkv'
  | 'q_a' | 'q_b' | 'kv_a' | 'kv_b'
  | 'gate' | 'up' | 'down' | 'gate_up'
  | 'expert' | 'shared_expert' | 'router'
  | 'vision'
  | 'other';

/** The projection an expert matrix plays inside its expert (gate_up: gate and up fused in one matrix). */
export type ExpertRole = 'gate' | 'up' | 'down' | 'gate_up';

export interface TensorNameInfo {
  /** Transformer block of the language model (0-based); null outside blocks and for vision-tower tensors. */
  blockIndex: number | null;
  role: LayerRole;
  /** The matrix holds several projections (fused qkv, gate+up). */
  fused: boolean;
  /** Expert index (0-based) where the name has one (`experts.7.`); null otherwise, also for 3-D stacked experts. */
  expert: number | null;
  /** For roles expert / shared_expert: the projection within the expert when known; null otherwise. */
  expertRole: ExpertRole | null;
}
