/**
 * The model-level summary: WeightWatcher's `get_summary()` plus this project's leaderboard extras.
 *
 * get_summary (spec §7) is the plain arithmetic mean over ANALYSED layers (fit succeeded or failed; skipped tensors
 * are not rows) of log_norm, alpha, alpha_weighted, log_alpha_norm, log_spectral_norm, stable_rank, and mp_softrank
 * when the MP fit ran. As in pandas, NaN (and null, which is how a non-finite value travels through JSON/SQL) is
 * skipped, but the −1 sentinels of failed fits ARE averaged in; ±Infinity propagates.
 *
 * Extras (not WeightWatcher): `median_alpha`, `mean_D` and the shares of α < 2 / α > 6 are over layers whose fit
 * succeeded only (a −1 sentinel is not an exponent); `correlation_traps` = number of layers with
 * rand_num_spikes > 0, present only when randomize ran (else null). With no analysed layer every mean is NaN.
 */
import type { LayerResult, ModelStats } from '@/lib/types';

const SUMMARY_COLUMNS = [
  'log_norm', 'alpha', 'alpha_weighted', 'log_alpha_norm', 'log_spectral_norm', 'stable_rank',
] as const;

/** pandas `Series.mean()` (skipna): NaN and null/undefined are skipped; an empty series gives NaN. */
export function pandasMean(values: ReadonlyArray<number | null | undefined>): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (v === null || v === undefined || Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

/** Median of finite-or-infinite numbers (NaN skipped); NaN when empty. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** get_summary() means + extras over a model's layer results (skipped ones are ignored). */
export function summarize(layers: readonly LayerResult[]): ModelStats {
  const analysed = layers.filter((l) => l.status === 'success' || l.status === 'failed');
  const col = (name: (typeof SUMMARY_COLUMNS)[number]) => pandasMean(analysed.map((l) => l[name]));
  const fitted = analysed.filter((l) => l.status === 'success' && typeof l.alpha === 'number');
  const alphas = fitted.map((l) => l.alpha as number);
  const share = (pred: (a: number) => boolean) =>
    alphas.length === 0 ? NaN : alphas.filter(pred).length / alphas.length;
  const stats: ModelStats = {
    log_norm: col('log_norm'),
    alpha: col('alpha'),
    alpha_weighted: col('alpha_weighted'),
    log_alpha_norm: col('log_alpha_norm'),
    log_spectral_norm: col('log_spectral_norm'),
    stable_rank: col('stable_rank'),
    layers_analyzed: analysed.length,
    median_alpha: median(alphas),
    mean_D: pandasMean(fitted.map((l) => l.D)),
    share_alpha_lt_2: share((a) => a < 2),
    share_alpha_gt_6: share((a) => a > 6),
    correlation_traps: null,
  };
  if (analysed.some((l) => l.mp_softrank !== undefined)) {
    stats.mp_softrank = pandasMean(analysed.map((l) => l.mp_softrank));
  }
  if (analysed.some((l) => l.rand_num_spikes !== undefined)) {
    stats.correlation_traps = analysed.filter((l) => (l.rand_num_spikes ?? 0) > 0).length;
  }
  return stats;
}

/** Alpha over one role's analysed layers (fits that succeeded), so 64 experts do not drown the attention layers. */
export interface RoleSummary {
  layers: number;
  alpha_mean: number;
  alpha_median: number;
  alpha_min: number;
  alpha_max: number;
}

/** Per-role aggregates beside WeightWatcher's plain mean: `roleOf` names each layer's role (lib/tensor-names). */
export function summarizeByRole(layers: readonly LayerResult[], roleOf: (layer: LayerResult) => string): Record<string, RoleSummary> {
  const alphas = new Map<string, number[]>();
  for (const l of layers) {
    if (l.status === 'skipped') continue;
    const role = roleOf(l);
    const list = alphas.get(role) ?? [];
    if (l.status === 'success' && typeof l.alpha === 'number' && Number.isFinite(l.alpha)) list.push(l.alpha);
    alphas.set(role, list);
  }
  const out: Record<string, RoleSummary> = {};
  for (const [role, a] of alphas) {
    out[role] = {
      layers: layers.filter((l) => l.status !== 'skipped' && roleOf(l) === role).length,
      alpha_mean: pandasMean(a),
      alpha_median: median(a),
      alpha_min: a.length ? Math.min(...a) : NaN,
      alpha_max: a.length ? Math.max(...a) : NaN,
    };
  }
  return out;
}
