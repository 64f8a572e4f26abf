/**
 * WeightWatcher 0.7.5.5's default power-law fit (`pl_package='ww'`, class `WWFit`), reproduced literally.
 *
 * Input: the layer's ESD, ascending. Steps (spec §3):
 *  1. optional `xmax = -k`: drop the k largest eigenvalues (they are also excluded from `num_pl_spikes`);
 *  2. keep `x = evals[evals > 1e-5]` (strict, absolute — not relative to the layer's scale);
 *  3. every element of `x` except the largest is a candidate xmin, duplicates included;
 *  4. per candidate i (tail size n_i = n − i): α_i = 1 + n_i / (Σ_{j≥i} ln x_j − n_i·ln x_i) (literally "sum of logs
 *     minus n·log xmin", summed in numpy's pairwise order), D_i = max_j |1 − (x_j/x_i)^(1−α_i) − (j−i)/n_i| when
 *     α_i > 1 else 1 (one-sided KS against the left-continuous ECDF), σ_i = (α_i − 1)/√n_i;
 *  5. the winner is numpy's argmin of D (first index on ties; a NaN would win, as in numpy).
 * Failure (fewer than two values above the threshold, or α NaN) gives WeightWatcher's sentinels: α = D = σ = xmin =
 * num_pl_spikes = −1, xmax = null, status 'failed', warning 'over-trained' (because −1 < 2).
 *
 * Cost: O(n²) pow calls in the worst case. The winner's D is always computed in full; a later candidate's KS scan
 * stops as soon as its running maximum reaches the best D so far, because it can then no longer be the (first)
 * argmin. This pruning never changes the result, only skips work (M = 4096 in a few tens of milliseconds).
 * `wwFitCandidates` computes every α_i / D_i / σ_i without pruning, for diagnostics and tests.
 * Bounded: closed-form per candidate, no iteration that waits for convergence. Degenerate spectra give WWFit's own
 * values: all values equal → α = ∞ ("Σ log − n log xmin" is exactly 0), D = 1/2 from the last candidate, status
 * success, warning 'under-trained'; fewer than two values above 1e-5 (one nonzero eigenvalue, exact rank 1, all
 * below the threshold or zero) → the sentinels (degenerate.test.ts checks both against WeightWatcher).
 *
 * Tolerance: with identical input eigenvalues the columns agree with WeightWatcher to a few ulps (both use IEEE
 * log/pow, the same summation order and the same operation order).
 */
import { SpectralError } from './errors';
import { pairwiseSum } from './pairwise-sum';
import type { FitStatus, TrainingWarning } from '@/lib/types';

/** WeightWatcher `constants.EVALS_THRESH`: eigenvalues at or below it never enter the fit. */
export const EVALS_THRESH = 1e-5;
/** WeightWatcher `constants.OVER_TRAINED_THRESH` / `UNDER_TRAINED_THRESH` for the `warning` column. */
export const OVER_TRAINED_THRESH = 2.0;
export const UNDER_TRAINED_THRESH = 6.0;

/** The fit columns WeightWatcher reports for a layer. */
export interface PowerLawFit {
  status: FitStatus;
  alpha: number;
  D: number;
  sigma: number;
  xmin: number;
  /** Largest eigenvalue used by the fit; null for a failed fit. */
  xmax: number | null;
  num_pl_spikes: number;
  warning: TrainingWarning;
}

/** The raw result of WWFit on already-thresholded data. */
export interface WwFitResult {
  alpha: number;
  D: number;
  sigma: number;
  xmin: number;
  xmax: number;
  /** Index of the chosen xmin in the fitted data (= `xmin_index_in_nz_sorted`). */
  index: number;
  /** Number of fitted values (n). */
  n: number;
}

export interface WwFitCandidates {
  xmins: Float64Array;
  alphas: Float64Array;
  Ds: Float64Array;
  sigmas: Float64Array;
}

/** C's pow: pow(1, y) = 1 for every y, including ±Infinity and NaN (JavaScript's Math.pow gives NaN there). */
function cpow(base: number, exponent: number): number {
  return base === 1 ? 1 : Math.pow(base, exponent);
}

/** WeightWatcher's `warning` column from α. */
export function trainingWarning(alpha: number): TrainingWarning {
  if (alpha < OVER_TRAINED_THRESH) return 'over-trained';
  if (alpha > UNDER_TRAINED_THRESH) return 'under-trained';
  return '';
}

/** The failed-fit row WeightWatcher writes when the fit throws or α is NaN. */
export function failedFit(): PowerLawFit {
  return {
    status: 'failed', alpha: -1, D: -1, sigma: -1, xmin: -1, xmax: null, num_pl_spikes: -1,
    warning: trainingWarning(-1),
  };
}

/** `evals[evals > 1e-5]` of an ascending vector, as a view (no copy). */
export function aboveThreshold(evals: Float64Array, thresh = EVALS_THRESH): Float64Array {
  let lo = 0;
  let hi = evals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (evals[mid] > thresh) hi = mid;
    else lo = mid + 1;
  }
  return evals.subarray(lo);
}

/**
 * Applies WeightWatcher's integer `xmax` option: a negative integer −k drops the k largest eigenvalues (view, no
 * copy). null/undefined leaves the ESD unchanged. Anything else is rejected: only the integer form is supported
 * with the default `pl_package='ww'`.
 */
export function applyXmax(evals: Float64Array, xmax: number | null | undefined): Float64Array {
  if (xmax === null || xmax === undefined) return evals;
  if (!Number.isInteger(xmax) || xmax >= 0) {
    throw new SpectralError('bad_option', 'xmax', `must be a negative integer (drop the |k| largest), got ${xmax}`);
  }
  return evals.subarray(0, Math.max(0, evals.length + xmax));
}

/** ln of every value (the per-candidate formulas work on these). */
export function logsOf(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = Math.log(x[j]);
  return out;
}

/** α_i exactly as WWFit computes it. */
function candidateAlpha(logx: Float64Array, i: number, n: number): number {
  const nt = n - i;
  return 1 + nt / (pairwiseSum(logx, i, n) - nt * logx[i]);
}

/**
 * The literal KS distance of candidate i (numpy's `max(abs(1 - (x/xmin)**(1-α) - arange(n)/n))`); stops early
 * (returning the partial maximum, a lower bound) once it reaches `stopAt`. NaN propagates as numpy's max does.
 */
function candidateD(x: Float64Array, i: number, alpha: number, stopAt: number): number {
  const n = x.length;
  const nt = n - i;
  const e = -alpha + 1;
  const xm = x[i];
  let dmax = 0;
  for (let j = i; j < n; j++) {
    const v = Math.abs(1 - cpow(x[j] / xm, e) - (j - i) / nt);
    if (v > dmax) {
      dmax = v;
      if (dmax >= stopAt) return dmax;
    } else if (v !== v) {
      return NaN;
    }
  }
  return dmax;
}

function assertFitData(x: Float64Array): void {
  if (x.length < 2) {
    throw new SpectralError('empty', 'power-law fit', `needs at least 2 eigenvalues above ${EVALS_THRESH}, got ${x.length}`);
  }
}

/** Samples per candidate in the cheap lower-bound pass of `wwFit`. */
const BOUND_SAMPLES = 48;

/**
 * Bound on |fast term − literal term| for candidate i, where the fast term is exp(e·(ln x_j − ln x_i)) with
 * precomputed logs and the literal one is pow(x_j / x_i, e), e = 1 − α_i. Error analysis: the log difference is
 * off by ≤ 3·eps·L (L = largest |ln x|), so the exponent by ≤ |e|·3·eps·L + eps·|y|; exp turns that into a relative
 * error on a value ≤ 1 (and exp(y)|y| ≤ 1/e); pow on a rounded quotient adds ≤ (|e| + 1)·eps. Total
 * ≤ |e|·eps·(3L + 1) + 3·eps. We use 1e-12·(1 + |e|·(L + 1)), a safety factor of more than 1000 over that.
 */
function fastMargin(e: number, maxAbsLog: number): number {
  return 1e-12 * (1 + Math.abs(e) * (maxAbsLog + 1));
}

/** Fast KS terms from precomputed logs, sampled every `stride` points from the top (stride 1 = every point). */
function fastScan(logx: Float64Array, i: number, e: number, stride: number, stopAt: number): number {
  const n = logx.length;
  const nt = n - i;
  const li = logx[i];
  let dmax = 0;
  for (let j = n - 1; j > i; j -= stride) {
    const v = Math.abs(1 - Math.exp(e * (logx[j] - li)) - (j - i) / nt);
    if (v > dmax) {
      dmax = v;
      if (dmax > stopAt) return dmax;
    }
  }
  return dmax;
}

/**
 * WWFit on data that is already thresholded and ascending (every value > 0). Throws SpectralError('empty') for
 * fewer than two values (WeightWatcher's WWFit raises there too, which its caller turns into a failed fit).
 *
 * Search strategy (an optimisation that provably returns numpy's first argmin of the literal D):
 *  - every candidate gets a cheap lower bound L_i ≤ D_i: the fast KS terms (see `fastMargin`) at ~48 sampled tail
 *    points, minus the error margin;
 *  - candidates are visited by ascending L_i; the visit ends once L_i exceeds the best D (nobody left can win);
 *  - each visited candidate is scanned with the fast terms, stopping once the partial maximum exceeds best D plus
 *    the margin (then its literal D is certainly larger); only candidates that survive the full fast scan get
 *    their D computed literally (pow of the quotient, as numpy does), and only those literal values are compared,
 *    with ties going to the lower index.
 * So the reported α, D, σ, xmin are the literal WWFit values; the fast terms only decide what to skip.
 */
export function wwFit(x: Float64Array): WwFitResult {
  assertFitData(x);
  const n = x.length;
  const logx = logsOf(x);
  const maxAbsLog = Math.max(Math.abs(logx[0]), Math.abs(logx[n - 1]));
  const count = n - 1;
  const alphas = new Float64Array(count);
  const bounds = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const alpha = candidateAlpha(logx, i, n);
    alphas[i] = alpha;
    if (alpha > 1) {
      const e = -alpha + 1;
      const stride = Math.max(1, Math.floor((n - i) / BOUND_SAMPLES));
      bounds[i] = fastScan(logx, i, e, stride, Infinity) - fastMargin(e, maxAbsLog);
    } else {
      bounds[i] = 1;
    }
    if (bounds[i] !== bounds[i]) bounds[i] = -Infinity; // visit first; the literal scan decides
  }
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => bounds[a] - bounds[b] || a - b);
  let best = -1;
  let bestD = Infinity;
  for (const i of order) {
    const L = bounds[i];
    if (L > bestD) break;
    const alpha = alphas[i];
    let D: number;
    if (alpha > 1) {
      const e = -alpha + 1;
      const margin = fastMargin(e, maxAbsLog);
      const fast = fastScan(logx, i, e, 1, bestD + margin);
      if (fast > bestD + margin) continue;
      D = candidateD(x, i, alpha, Infinity);
      if (D !== D) return result(x, alpha, NaN, firstNaNCandidate(x, alphas, count));
    } else {
      D = 1;
    }
    if (best < 0 || D < bestD || (D === bestD && i < best)) {
      best = i;
      bestD = D;
    }
  }
  return result(x, alphas[best], bestD, best);
}

/** Index of the first candidate below `limit` whose D is NaN (exact scan), else `limit` clamped. */
function firstNaNCandidate(x: Float64Array, alphas: Float64Array, limit: number): number {
  for (let i = 0; i < Math.min(limit + 1, alphas.length); i++) {
    if (alphas[i] > 1 && Number.isNaN(candidateD(x, i, alphas[i], Infinity))) return i;
  }
  return Math.min(limit, alphas.length - 1);
}

function result(x: Float64Array, alpha: number, D: number, index: number): WwFitResult {
  const n = x.length;
  return {
    alpha,
    D,
    sigma: (alpha - 1) / Math.sqrt(n - index),
    xmin: x[index],
    xmax: x[n - 1],
    index,
    n,
  };
}

/** Candidate i's literal α_i (WWFit's formula); `logx` = logsOf(x). O(n − i) additions. */
export function wwCandidateAlpha(logx: Float64Array, i: number): number {
  return candidateAlpha(logx, i, logx.length);
}

/**
 * Is candidate i's literal D_i strictly above `level`? Decided by the fast KS terms when they clear the level by
 * more than their error margin (usually after a few terms), else by the literal scan. α = α_i.
 */
export function wwCandidateDExceeds(x: Float64Array, logx: Float64Array, i: number, alpha: number, level: number): boolean {
  if (!(alpha > 1)) return 1 > level;
  const n = x.length;
  const e = -alpha + 1;
  const margin = fastMargin(e, Math.max(Math.abs(logx[0]), Math.abs(logx[n - 1])));
  if (fastScan(logx, i, e, 1, level + margin) > level + margin) return true;
  return candidateD(x, i, alpha, Infinity) > level;
}

/** Candidate i's literal α_i and D_i (no pruning); `logx` = logsOf(x). O(n − i). */
export function wwCandidateAt(x: Float64Array, logx: Float64Array, i: number): { alpha: number; D: number } {
  const alpha = candidateAlpha(logx, i, x.length);
  return { alpha, D: alpha > 1 ? candidateD(x, i, alpha, Infinity) : 1 };
}

/** Every candidate's xmin, α, D and σ (no pruning), as WWFit's `xmins`, `alphas`, `Ds`, `sigmas` arrays. */
export function wwFitCandidates(x: Float64Array): WwFitCandidates {
  assertFitData(x);
  const n = x.length;
  const logx = logsOf(x);
  const alphas = new Float64Array(n - 1);
  const Ds = new Float64Array(n - 1);
  const sigmas = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) {
    const alpha = candidateAlpha(logx, i, n);
    alphas[i] = alpha;
    Ds[i] = alpha > 1 ? candidateD(x, i, alpha, Infinity) : 1;
    sigmas[i] = (alpha - 1) / Math.sqrt(n - i);
  }
  return { xmins: x.slice(0, n - 1), alphas, Ds, sigmas };
}

/** Number of eigenvalues ≥ xmin in an ascending vector. */
export function countAtLeast(evals: Float64Array, xmin: number): number {
  let lo = 0;
  let hi = evals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (evals[mid] >= xmin) hi = mid;
    else lo = mid + 1;
  }
  return evals.length - lo;
}

export interface FitPowerLawOptions {
  /** WeightWatcher's integer `xmax`: −k drops the k largest eigenvalues before the fit. */
  xmax?: number | null;
}

/**
 * WeightWatcher's default `fit_powerlaw` on a layer's full ascending ESD: threshold, WWFit, num_pl_spikes, warning,
 * and the failure sentinels. Never throws for a degenerate spectrum (that is a failed fit); throws SpectralError
 * only for an invalid `xmax` option.
 */
export function fitPowerLaw(evals: Float64Array, options: FitPowerLawOptions = {}): PowerLawFit {
  const ev = applyXmax(evals, options.xmax);
  const x = aboveThreshold(ev);
  if (x.length < 2) return failedFit();
  const fit = wwFit(x);
  if (Number.isNaN(fit.alpha)) return failedFit();
  return {
    status: 'success',
    alpha: fit.alpha,
    D: fit.D,
    sigma: fit.sigma,
    xmin: fit.xmin,
    xmax: fit.xmax,
    num_pl_spikes: countAtLeast(ev, fit.xmin),
    warning: trainingWarning(fit.alpha),
  };
}
