/**
 * WeightWatcher 0.7.5.5's `fit='TPL'` (which requires `pl_package='powerlaw'`): `powerlaw.Fit(x,
 * xmin_distribution='truncated_power_law')` of powerlaw 1.5 on `x = evals[evals > 1e-5]`, spec §3.1 — a truncated
 * power law fitted by maximum likelihood at every candidate xmin, the xmin with the smallest KS distance winning.
 *
 * Model: p(x) = C · x^(−α) · e^(−Λx) on [xmin, ∞), C = Λ^(1−α) / Γ(1−α, Λ·xmin) (upper incomplete gamma, see
 * `./incomplete-gamma`; powerlaw uses mpmath). Valid region α > 1, Λ > 0 (powerlaw's `_in_standard_parameter_range`).
 *
 * Per candidate xmin (every unique value of x except the largest, as powerlaw 1.5 does), on the tail t = x[x ≥ xmin]:
 *  - start α0 = 1 + n/Σ ln(t/xmin), Λ0 = 1/mean(t) (numpy pairwise sums);
 *  - optimiser: Nelder–Mead with SciPy `fmin` semantics (`./nelder-mead`: xtol = ftol = 1e-4, initial simplex steps
 *    of 5 %, ≤ 400 iterations and evaluations) minimising the negative log-likelihood exactly as powerlaw evaluates it:
 *    outside the valid region every point's likelihood is 1e-307 (so the objective is a flat wall n·706.9); inside,
 *    per point `x^(−α)·e^(−Λx)·C`, a likelihood that underflows to 0 replaced by 1e-307, logs summed left to right
 *    (Python's `sum`). Because of the wall, α very often ends at the boundary, α ≈ 1.000001 (as in WeightWatcher);
 *  - KS distance of the TPL CDF F(x) = (B(x) − B(xmin))/(1 − B(xmin)), B(x) = 1 − Γ(1−α, Λx)/Λ^(1−α) (powerlaw's
 *    operation order kept), against the data's ECDF renormalised to the tail (left-continuous,
 *    searchsorted('left')/n), two-sided: D = max(D+, D−) over the unique tail values.
 * Winner: argmin of D over the fits inside the valid region (all fits when none is), first index on ties.
 *
 * Columns: `alpha` = TPL α, `Lambda` = Λ, `xmin`, `D`, `sigma` = NaN (stored as null), `xmax` = null (powerlaw's Fit
 * has no xmax), `num_pl_spikes` = #{λ ≥ xmin} over the ESD, warning from α (α ≈ 1 gives 'over-trained').
 * Failure (fewer than two distinct values above the threshold, or a NaN α): WeightWatcher's sentinels, α = Λ = D =
 * σ = xmin = num_pl_spikes = −1, xmax null, status 'failed'.
 *
 * Degenerate spectra: all values equal (no candidate xmin) or a single value above the threshold give the failed-fit
 * sentinels, as powerlaw's "less than 2 unique data values" path does in WeightWatcher. A spectrum with almost no
 * spread (an orthogonal matrix: λ = 1 ± 1e-7) starts at α0 ≈ 1e8 and stays there; WeightWatcher returns such a fit
 * (α ≈ 8.3e7, Λ ≈ 1, num_pl_spikes 18 for a 128×128 float32 orthogonal matrix) and so does this module — that α is
 * set by the eigenvalues' rounding (spec §9.5) and agrees with WeightWatcher's to ~1e-7 relative. Γ(1 − α, ·) for
 * such α is the incomplete gamma's continued fraction, a few steps (before, a recurrence of α steps per call made
 * this fit run for ever).
 *
 * Bounds (no loop waits for convergence without a cap): ≤ maxCandidates candidates × Nelder–Mead ≤ 400 iterations
 * and evaluations (SciPy's defaults; at the cap the best vertex is used, as powerlaw does) × O(tail) per evaluation,
 * plus O(unique tail values) incomplete-gamma calls for D, each bounded (`./incomplete-gamma`: NaN on
 * non-convergence, which makes that candidate's D NaN, or a NaN α the failed fit).
 *
 * Speed: each candidate costs up to 400 objective evaluations of O(tail) plus O(tail) incomplete-gamma calls for D.
 * Two bounds keep large layers tractable, and are the only deliberate departures from powerlaw:
 *  - at most `maxCandidates` (default 256) xmin candidates, spread evenly by rank over the unique values, when there
 *    are more (powerlaw 2.x subsamples candidates for the same reason); every candidate is tried below that;
 *  - tails longer than 1024 points evaluate the log-likelihood in closed form, n·ln C − α·Σ ln x − Λ·Σ x, which
 *    equals the per-point sum up to rounding (~1e-13 relative) unless single likelihoods underflow.
 * Layers with M ≤ 257 (all of WeightWatcher's TPL reference cases) are therefore fitted exactly as powerlaw does.
 *
 * Tolerance achieved against WeightWatcher's reference TPL runs (23 tensors, M ≤ 128, exact eigenvalues): xmin and
 * num_pl_spikes identical, α within 3e-12, D within 1.2e-7 and Λ within 7e-8 relative (the simplex path is the same;
 * the incomplete gamma agrees with mpmath to ~1e-14, and the rest is rounding of the likelihood sums). A Λ far below
 * the optimiser's resolution (xtol 1e-4; e.g. Λ ≈ 6e-10 for a pure power law) follows the last bits of the
 * eigenvalues and is only meaningful as "≈ 0". See `tpl.test.ts`.
 */
import { lnUpperGamma } from './incomplete-gamma';
import { nelderMead } from './nelder-mead';
import { pairwiseSum } from './pairwise-sum';
import { aboveThreshold, applyXmax, countAtLeast, trainingWarning } from './powerlaw';
import type { FitStatus, TrainingWarning } from '@/lib/types';

/** Likelihood floor powerlaw substitutes for 0 and for every point outside the valid region (10**min_10_exp). */
const LIKELIHOOD_FLOOR = 1e-307;
const LOG_FLOOR = Math.log(LIKELIHOOD_FLOOR);
/** Default cap on xmin candidates (see the module comment). */
export const TPL_MAX_CANDIDATES = 256;
/** Tails longer than this use the closed-form log-likelihood. */
const EXACT_LIKELIHOOD_MAX_TAIL = 1024;

/** The fit columns WeightWatcher reports with `fit='TPL'`. */
export interface TplFit {
  status: FitStatus;
  alpha: number;
  Lambda: number;
  xmin: number;
  D: number;
  /** Always NaN on success (powerlaw's TPL has no σ); −1 on failure. Stored as null. */
  sigma: number;
  xmax: null;
  num_pl_spikes: number;
  warning: TrainingWarning;
}

export interface TplOptions {
  /** WeightWatcher's integer `xmax` (−k drops the k largest eigenvalues first). */
  xmax?: number | null;
  /** Cap on xmin candidates (default 256). */
  maxCandidates?: number;
}

/** One candidate's maximum-likelihood TPL fit and its KS distance. */
export interface TplCandidate {
  xmin: number;
  alpha: number;
  Lambda: number;
  D: number;
  inRange: boolean;
}

function failedTpl(): TplFit {
  return {
    status: 'failed', alpha: -1, Lambda: -1, xmin: -1, D: -1, sigma: -1, xmax: null, num_pl_spikes: -1,
    warning: trainingWarning(-1),
  };
}

function inRange(alpha: number, lambda: number): boolean {
  return lambda > 0 && alpha > 1;
}

/** Γ(s, x) as a double (overflow → Infinity, underflow → 0, like `float(mpmath.gammainc(s, x))`). */
function gammaUpper(s: number, x: number): number {
  return Math.exp(lnUpperGamma(s, x));
}

/** powerlaw's negative log-likelihood of the tail `t` (ascending, t[0] = xmin) under TPL(α, Λ). */
function negLogLikelihood(
  t: Float64Array, xmin: number, alpha: number, lambda: number, sums: { logs: number; values: number } | null,
): number {
  const n = t.length;
  if (!inRange(alpha, lambda)) {
    let s = 0;
    for (let i = 0; i < n; i++) s += LOG_FLOOR;
    return -s;
  }
  const C = Math.pow(lambda, 1 - alpha) / gammaUpper(1 - alpha, lambda * xmin);
  if (sums) return -(n * Math.log(C) - alpha * sums.logs - lambda * sums.values);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = t[i];
    let lik = Math.pow(x, -alpha) * Math.exp(-lambda * x) * C;
    if (lik === 0) lik = LIKELIHOOD_FLOOR;
    s += Math.log(lik);
  }
  return -s;
}

/**
 * Maximum-likelihood TPL fit of one candidate and its KS distance.
 * `data`: all fitted values ascending; `start`: index of the first value equal to xmin; `bins` / `ecdf`: the unique
 * values of `data` and searchsorted('left')/n at each (powerlaw's `fitting_cdf`); `binStart`: index of xmin in bins.
 */
function fitCandidate(
  data: Float64Array, start: number, bins: Float64Array, ecdf: Float64Array, binStart: number,
): TplCandidate {
  const xmin = data[start];
  const t = data.subarray(start);
  const n = t.length;
  const logRatios = new Float64Array(n);
  for (let i = 0; i < n; i++) logRatios[i] = Math.log(t[i] / xmin);
  const alpha0 = 1 + n / pairwiseSum(logRatios);
  const lambda0 = 1 / (pairwiseSum(t) / n);
  let sums: { logs: number; values: number } | null = null;
  if (n > EXACT_LIKELIHOOD_MAX_TAIL) {
    let logs = 0;
    for (let i = 0; i < n; i++) logs += Math.log(t[i]);
    sums = { logs, values: pairwiseSum(t) };
  }
  const res = nelderMead((p) => negLogLikelihood(t, xmin, p[0], p[1], sums), [alpha0, lambda0]);
  const alpha = res.x[0];
  const lambda = res.x[1];
  const ok = inRange(alpha, lambda);

  // KS distance, powerlaw's Distribution.KS with the parent Fit's ECDF
  const dropped = ecdf[binStart];
  let dPlus = -Infinity;
  let dMinus = Infinity; // tracks min(diff)
  let sawNaN = false;
  const s = 1 - alpha;
  const scale = Math.pow(lambda, s);
  const base = (x: number): number => 1 - gammaUpper(s, lambda * x) / scale;
  const cdfXmin = ok ? base(xmin) : NaN;
  for (let b = binStart; b < bins.length; b++) {
    const actual = (ecdf[b] - dropped) / (1 - dropped);
    let theo: number;
    if (!ok) theo = LIKELIHOOD_FLOOR;
    else if (cdfXmin === 1) theo = 1;
    else theo = (base(bins[b]) - cdfXmin) / (1 - cdfXmin);
    const diff = theo - actual;
    if (diff !== diff) sawNaN = true;
    if (diff > dPlus) dPlus = diff;
    if (diff < dMinus) dMinus = diff;
  }
  let D: number;
  if (sawNaN) D = NaN;
  else {
    const dm = -1.0 * dMinus;
    D = dm > dPlus ? dm : dPlus; // Python's max(D_plus, D_minus)
  }
  return { xmin, alpha, Lambda: lambda, D, inRange: ok };
}

/** numpy argmin over the given indices: the first NaN, else the first minimum. */
function argminOver(values: number[], indices: number[]): number {
  let best = indices[0];
  for (const i of indices) {
    if (values[i] !== values[i]) return i;
    if (values[i] < values[best]) best = i;
  }
  return best;
}

/** Every candidate's TPL fit (after the candidate cap), for diagnostics and tests. */
export function tplCandidates(x: Float64Array, maxCandidates = TPL_MAX_CANDIDATES): TplCandidate[] {
  const n = x.length;
  // unique values, their first index, and the ECDF searchsorted('left')/n
  const uniq: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || x[i] !== x[i - 1]) {
      uniq.push(x[i]);
      first.push(i);
    }
  }
  const bins = Float64Array.from(uniq);
  const ecdf = new Float64Array(bins.length);
  for (let b = 0; b < bins.length; b++) ecdf[b] = first[b] / n;
  const numXmins = bins.length - 1;
  if (numXmins <= 0) return [];
  let picks: number[];
  if (numXmins <= maxCandidates) {
    picks = Array.from({ length: numXmins }, (_, i) => i);
  } else {
    const set = new Set<number>();
    for (let j = 0; j < maxCandidates; j++) set.add(Math.round((j * (numXmins - 1)) / (maxCandidates - 1)));
    picks = [...set].sort((a, b) => a - b);
  }
  return picks.map((b) => fitCandidate(x, first[b], bins, ecdf, b));
}

/**
 * WeightWatcher's `fit='TPL'` on a layer's ascending ESD. Never throws for a degenerate spectrum (that is a failed
 * fit); throws SpectralError only for an invalid `xmax` option.
 */
export function fitTruncatedPowerLaw(evals: Float64Array, options: TplOptions = {}): TplFit {
  const ev = applyXmax(evals, options.xmax);
  const x = aboveThreshold(ev);
  const maxCandidates = Math.max(2, Math.floor(options.maxCandidates ?? TPL_MAX_CANDIDATES));
  let cands: TplCandidate[];
  try {
    cands = tplCandidates(x, maxCandidates);
  } catch {
    return failedTpl();
  }
  if (cands.length === 0) return failedTpl();
  const Ds = cands.map((c) => c.D);
  const all = cands.map((_, i) => i);
  const good = all.filter((i) => cands[i].inRange);
  const idx = good.length === 0 || good.length === all.length ? argminOver(Ds, all) : argminOver(Ds, good);
  const best = cands[idx];
  if (Number.isNaN(best.alpha)) return failedTpl();
  return {
    status: 'success',
    alpha: best.alpha,
    Lambda: best.Lambda,
    xmin: best.xmin,
    D: best.D,
    sigma: NaN,
    xmax: null,
    num_pl_spikes: countAtLeast(ev, best.xmin),
    warning: trainingWarning(best.alpha),
  };
}
