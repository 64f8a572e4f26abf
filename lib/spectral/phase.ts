/**
 * alphaboard's OWN per-layer phase label — not a WeightWatcher output. WeightWatcher 0.7.5.5 implements no phase
 * classification (its only label is `warning`); the phases are those described by Martin & Mahoney, "Implicit
 * Self-Regularization in Deep Neural Networks" (JMLR 22(165), 2021): five phases of increasing correlation —
 * Random-like, Bleeding-out, Bulk+Spikes, Bulk-decay, Heavy-Tailed — plus Rank-collapse. The paper identifies them
 * visually from the ESD; the rules below turn that into a deterministic heuristic over quantities the spectral core
 * already computes. Thresholds are this project's choices, stated here and in `PHASE_HEURISTIC`.
 *
 * Ingredients:
 *  - collapse fraction = max(rank_loss, #{λ ≤ 1e-9·λ_max}) / M — the share of numerically-zero directions;
 *  - the Marchenko–Pastur picture from WeightWatcher's MP fit (`./mp-fit`): num_spikes (eigenvalues beyond the
 *    bulk edge plus a Tracy–Widom margin) and mp_softrank = bulk edge / λ_max. If the caller did not run mp_fit, the
 *    fit is run here on the eigenvalues (it costs milliseconds). A fit that ends on its lowest grid point
 *    (mp_softrank = 0.0025) or fails means "no MP bulk describes this ESD";
 *  - the power-law α (WeightWatcher's default fit) and its tail fraction num_pl_spikes / M.
 *
 * Rules, first match wins:
 *  1. rank-collapse  — collapse fraction ≥ 0.10.
 *  2. no MP bulk (the fit is degenerate or failed): heavy-tailed if 0 < α ≤ 4 (the paper's heavy-tailed range 2–4,
 *     plus the very heavy α < 2), else bulk-decay.
 *  3. random-like    — an MP bulk and no eigenvalue beyond its Tracy–Widom edge.
 *  4. bleeding-out   — a few outliers (≤ max(3, 2 % of M)) just past the edge: λ_max < 1.5 × bulk edge.
 *  5. bulk+spikes    — the outliers stand apart from the bulk: a gap of at least 25 % between the smallest outlier
 *                       and the largest bulk eigenvalue (λ_(M−s) / λ_(M−s−1) ≥ 1.25, s = num_spikes). Signal
 *                       spikes sit at isolated positions (BBP); a heavy tail leaves the bulk as a continuum.
 *  6. otherwise the bulk decays into a continuum of outliers: heavy-tailed if 0 < α ≤ 4, else bulk-decay.
 * Without eigenvalues the gap is unknown and rule 5 uses λ_max ≥ 1.5 × bulk edge with few outliers instead.
 * Without eigenvalues and without MP columns, the label falls back to α alone: ≤ 4 heavy-tailed, ≤ 6 bulk-decay,
 * else random-like (and random-like for a failed fit).
 */
import type { LayerMetrics, OptionalLayerMetrics, PhaseLabel } from '@/lib/types';
import { mpFit } from './mp-fit';

/** One-paragraph description the web shows next to phase labels. */
export const PHASE_HEURISTIC =
  "Phase labels are alphaboard's own heuristic, not WeightWatcher output, after the 5+1 phases of Martin & Mahoney " +
  '(JMLR 2021), read from a Marchenko-Pastur (MP) fit of the layer and its power-law alpha. rank-collapse: at least ' +
  '10% of eigenvalues are numerically zero. random-like: an MP bulk with no eigenvalue beyond its Tracy-Widom edge. ' +
  'bleeding-out: a few eigenvalues just past the edge (lambda_max < 1.5x the bulk edge). bulk+spikes: outliers ' +
  'standing apart from the bulk (a gap of at least 25%). heavy-tailed: no MP bulk, or a continuum of outliers ' +
  'beyond the edge, with alpha <= 4. bulk-decay: the same with alpha > 4.';

/** The thresholds of the heuristic (documented above). */
export const PHASE_THRESHOLDS = Object.freeze({
  /** Share of numerically-zero eigenvalues that means rank collapse. */
  collapseFraction: 0.1,
  /** λ ≤ this × λ_max counts as numerically zero. */
  zeroRelative: 1e-9,
  /** α at or below this is heavy-tailed (paper: 2 ≤ α ≤ 4, and very heavy below 2). */
  heavyAlpha: 4,
  /** Fallback without an MP picture: α up to this is bulk-decay. */
  decayAlpha: 6,
  /** "Many spikes": more than max(minManySpikes, manySpikesFraction × M). */
  manySpikesFraction: 0.02,
  minManySpikes: 3,
  /** λ_(M−s) / λ_(M−s−1) at or above this: the s outliers are separated from the bulk. */
  spikeGap: 1.25,
  /** λ_max / bulk edge at or above this separates bulk+spikes from bleeding-out. */
  spikeSeparation: 1.5,
  /** mp_softrank at or below this (0.05², the σ grid's lowest point) means a degenerate MP fit. */
  degenerateSoftrank: 0.0025 * (1 + 1e-9),
});

/** What the heuristic looks at. Optional fields are derived from `evals` when missing. */
export interface PhaseInput {
  /** min(rows, cols) = number of eigenvalues. */
  M: number;
  /** max(rows, cols). */
  N: number;
  /** WeightWatcher's α; −1 (or any value ≤ 0) when the fit failed. */
  alpha: number;
  num_pl_spikes?: number | null;
  rank_loss?: number | null;
  /** WeightWatcher's MP-fit columns when mp_fit ran (−1 = the fit failed). */
  num_spikes?: number | null;
  mp_softrank?: number | null;
  /** The layer's ascending eigenvalues: lets the heuristic run its own MP fit and count numerical zeros. */
  evals?: Float64Array | null;
}

/** Which rule fired and the numbers it used (for tooltips and tests). */
export interface PhaseDecision {
  phase: PhaseLabel;
  collapseFraction: number;
  numSpikes: number | null;
  mpSoftrank: number | null;
  mpBulk: boolean;
  manySpikes: boolean;
  /** Smallest outlier over largest bulk eigenvalue (null without eigenvalues or outliers). */
  spikeGap: number | null;
  tailFraction: number | null;
}

function numberOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The label and the evidence behind it. Never throws. */
export function phaseDecision(input: PhaseInput): PhaseDecision {
  const T = PHASE_THRESHOLDS;
  const M = Math.max(1, input.M);
  const evals = input.evals && input.evals.length > 0 ? input.evals : null;

  let zeros = 0;
  if (evals) {
    const lmax = evals[evals.length - 1];
    const cut = T.zeroRelative * lmax;
    for (let i = 0; i < evals.length && evals[i] <= cut; i++) zeros++;
  }
  const collapseFraction = Math.max(numberOrNull(input.rank_loss) ?? 0, zeros) / M;

  let numSpikes = numberOrNull(input.num_spikes);
  let mpSoftrank = numberOrNull(input.mp_softrank);
  if ((numSpikes === null || mpSoftrank === null) && evals) {
    const mp = mpFit(evals, input.N, input.M);
    numSpikes = mp.num_spikes;
    mpSoftrank = mp.mp_softrank;
  }
  const mpKnown = numSpikes !== null && mpSoftrank !== null;
  const mpFailed = mpKnown && (numSpikes! < 0 || mpSoftrank! <= 0);
  const mpBulk = mpKnown && !mpFailed && mpSoftrank! > T.degenerateSoftrank;
  const manySpikes = mpBulk && numSpikes! > Math.max(T.minManySpikes, T.manySpikesFraction * M);

  const alpha = input.alpha > 0 && Number.isFinite(input.alpha) ? input.alpha : null;
  const plSpikes = numberOrNull(input.num_pl_spikes);
  const tailFraction = plSpikes !== null && plSpikes >= 0 ? plSpikes / M : null;

  let spikeGap: number | null = null;
  if (evals && numSpikes !== null && numSpikes >= 1 && numSpikes < evals.length) {
    const inner = evals[evals.length - numSpikes - 1];
    spikeGap = inner > 0 ? evals[evals.length - numSpikes] / inner : Infinity;
  }

  const decide = (phase: PhaseLabel): PhaseDecision => ({
    phase, collapseFraction, numSpikes, mpSoftrank, mpBulk, manySpikes, spikeGap, tailFraction,
  });
  const byAlpha = (): PhaseDecision => decide(alpha !== null && alpha <= T.heavyAlpha ? 'heavy-tailed' : 'bulk-decay');

  if (collapseFraction >= T.collapseFraction) return decide('rank-collapse');
  if (!mpKnown) {
    if (alpha === null) return decide('random-like');
    if (alpha <= T.heavyAlpha) return decide('heavy-tailed');
    return decide(alpha <= T.decayAlpha ? 'bulk-decay' : 'random-like');
  }
  if (!mpBulk) return byAlpha();
  if (numSpikes === 0) return decide('random-like');
  const reach = 1 / mpSoftrank!; // λ_max / bulk edge
  if (reach < T.spikeSeparation && !manySpikes) return decide('bleeding-out');
  const separated = spikeGap !== null ? spikeGap >= T.spikeGap : reach >= T.spikeSeparation && !manySpikes;
  if (separated) return decide('bulk+spikes');
  return byAlpha();
}

/** This project's phase label for one layer (see the module comment). Never throws. */
export function phaseLabel(input: PhaseInput): PhaseLabel {
  return phaseDecision(input).phase;
}

/**
 * The phase label from a layer's metrics row (WeightWatcher columns, MP columns when mp_fit ran), with the layer's
 * ascending eigenvalues when available (used for the MP fit and the numerical-zero count).
 */
export function classifyPhase(
  metrics: Pick<LayerMetrics, 'M' | 'N' | 'alpha'> & Partial<LayerMetrics> & OptionalLayerMetrics,
  evals?: Float64Array | null,
): PhaseLabel {
  return phaseLabel({
    M: metrics.M,
    N: metrics.N,
    alpha: metrics.status === 'failed' ? -1 : metrics.alpha,
    num_pl_spikes: metrics.num_pl_spikes ?? null,
    rank_loss: metrics.rank_loss ?? null,
    num_spikes: metrics.num_spikes ?? null,
    mp_softrank: metrics.mp_softrank ?? null,
    evals: evals ?? null,
  });
}
