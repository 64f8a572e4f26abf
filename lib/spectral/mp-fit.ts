/**
 * WeightWatcher 0.7.5.5's Marchenko–Pastur fit (`analyze(mp_fit=True)`: `apply_mp_fit` → `mp_fit` →
 * `RMT_Util.fit_density_with_range` / `resid_mp`), reproduced step by step (spec §5.1). Input: a layer's ESD,
 * ascending, all M eigenvalues (or the concatenated replicas of a randomized layer), plus the layer's N and M.
 *
 *  1. Rescale to mean 1: `W_scale = s = √len / √Σλ` (Σ in numpy's pairwise order), `λ' = s²·λ`.
 *  2. `σ₀ = √(λ'_max / (1 + 1/√Q)²)`, Q = N/M.
 *  3. Data `y = λ'`, or the singular values `y = √λ'` when Q == 1 (exact float equality, as WeightWatcher tests it).
 *  4. Linear-kernel KDE of y (sklearn `KernelDensity(kernel='linear', bandwidth=0.1)`:
 *     `f(t) = (1/(n·h)) Σ max(0, 1 − |t − y_i|/h)`) on `t = linspace(0, max(y) + 0.5, 1000)`; only grid points with
 *     `f > 0.01` (strict) enter the residual, the others contribute 0 (points with f exactly 0.01 are dropped).
 *     The KDE does not depend on σ, so it is computed once, by a sweep over the sorted y with prefix sums:
 *     O(n + 1000) instead of O(n·1000).
 *  5. Residual R(σ) = Σ (ρ_σ(t) − f(t))² over the kept points, where ρ_σ is the MP density
 *     `Q·√((b−t)(t−a)) / (2π σ² t)`, a = (σ(1−√(1/Q)))², b = (σ(1+√(1/Q)))², NaN → 0 (numpy `nan_to_num`); if
 *     `b < t_peak`, `b > max(t_kept)` or `a > t_peak` (t_peak = first kept grid point with the largest KDE value)
 *     every kept residual is 1000. For Q == 1 the quarter-circle law `√(4 − t²)/(π σ²)` is used instead, with no
 *     penalty (its support stays [0, 2]: only its height depends on σ — a WeightWatcher quirk, kept).
 *  6. σ_mp = `scipy.optimize.brute(R, (slice(0.05σ₀, 2σ₀, 0.01σ₀),))`: R on numpy's `arange` grid (first minimum
 *     wins), then polished by `scipy.optimize.fmin` (Nelder–Mead, xtol = ftol = 1e-4) from the grid minimum.
 *  7. `bulk_max = (σ_mp(1 + 1/√Q))²/s²`, `bulk_min = (σ_mp(1 − 1/√Q))²/s²` (original units);
 *     `num_spikes = #{λ' > (σ_mp(1+1/√Q))² + √TW}` with `TW = Q^(−1/2) · bulk_max'^(2/3) · M^(−2/3)` (M = the
 *     layer's M, also for replicated randomized spectra); `mp_softrank = bulk_max' / λ'_max`.
 *
 * Failure: anything WeightWatcher's code would raise on (no eigenvalues, no KDE point above 0.01 for Q ≠ 1) and any
 * non-finite result give WeightWatcher's sentinels, all six columns −1 (`MP_FIT_FAILED`).
 *
 * Tolerance: against WeightWatcher's own outputs the columns agree to ≤ 5e-15 relative on all 43 reference tensors,
 * num_spikes exactly (the grid, the comparisons and the simplex path are the same; the KDE differs from sklearn's
 * tree sum by ~1e-15). num_spikes could differ by one only if an eigenvalue sat within rounding of the
 * Tracy–Widom edge; the issue's bar is 1e-4 relative and num_spikes within 1.
 * Bounds: the σ grid has ⌈1.95/0.01⌉ = 195 points for any positive finite σ₀ (an invalid grid — σ₀ zero, NaN or
 * infinite, as for an all-zero ESD — throws and gives the sentinels), the polish is Nelder–Mead with SciPy's caps
 * (200 iterations and evaluations; at the cap the best vertex is used, as brute's polish does), the KDE sweep is
 * O(n + 1000). Nothing waits for convergence without a cap.
 * A value mp_softrank = 0.0025 (= 0.05²) means the grid search ended on its lowest point: a degenerate MP fit,
 * typical of strongly heavy-tailed or low-rank layers (WeightWatcher gives the same).
 */
import { nelderMead } from './nelder-mead';
import { pairwiseSum } from './pairwise-sum';

/** WeightWatcher's MP-fit columns (`mp_fit=True`), under their WeightWatcher names. */
export interface MpFitResult {
  num_spikes: number;
  sigma_mp: number;
  mp_softrank: number;
  bulk_max: number;
  bulk_min: number;
  W_scale: number;
}

/** The row WeightWatcher writes when `mp_fit` raises. */
export const MP_FIT_FAILED: Readonly<MpFitResult> = Object.freeze({
  num_spikes: -1, sigma_mp: -1, mp_softrank: -1, bulk_max: -1, bulk_min: -1, W_scale: -1,
});

/** KDE bandwidth WeightWatcher uses (`bw = 0.1`). */
export const MP_KDE_BANDWIDTH = 0.1;
/** KDE grid size (`np.linspace(..., 1000)`). */
export const MP_KDE_GRID = 1000;
/** Grid points whose KDE is not above this are ignored by the residual (`THRESH` in `resid_mp`). */
export const MP_KDE_THRESH = 0.01;
/** Residual assigned to every kept grid point when the MP support does not cover the KDE peak. */
const MP_PENALTY = 1000;

/** `np.linspace(start, stop, num)` (endpoint included, last value set to `stop` exactly). */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  for (let i = 0; i < num; i++) out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * `np.arange(start, stop, step)` for floats: length ⌈(stop − start)/step⌉, values start + i·δ with
 * δ = (start + step) − start (numpy fills from the first two values), the second value being start + step itself.
 */
export function arange(start: number, stop: number, step: number): Float64Array {
  const len = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(len);
  if (len === 0) return out;
  out[0] = start;
  if (len > 1) out[1] = start + step;
  const delta = out.length > 1 ? out[1] - out[0] : step;
  for (let i = 2; i < len; i++) out[i] = start + i * delta;
  return out;
}

/**
 * Linear-kernel KDE `(1/(n·h)) Σ max(0, 1 − |t − y_i|/h)` of ascending `y` at ascending grid `t`, in O(n + grid):
 * for each t only the y in (t − h, t + h) contribute, and Σ|t − y| over that window splits into
 * (count·t − Σy) left of t and (Σy − count·t) right of t, read from prefix sums.
 */
export function linearKde(y: Float64Array, t: Float64Array, h: number): Float64Array {
  const n = y.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + y[i];
  const out = new Float64Array(t.length);
  const norm = 1 / (n * h);
  let lo = 0; // first index with y > t − h
  let mid = 0; // first index with y > t
  let hi = 0; // first index with y >= t + h
  for (let k = 0; k < t.length; k++) {
    const tk = t[k];
    while (lo < n && y[lo] <= tk - h) lo++;
    if (mid < lo) mid = lo;
    while (mid < n && y[mid] <= tk) mid++;
    if (hi < mid) hi = mid;
    while (hi < n && y[hi] < tk + h) hi++;
    const cl = mid - lo;
    const cr = hi - mid;
    const distLeft = cl * tk - (prefix[mid] - prefix[lo]);
    const distRight = prefix[hi] - prefix[mid] - cr * tk;
    const s = cl + cr - (distLeft + distRight) / h;
    out[k] = s > 0 ? s * norm : 0;
  }
  return out;
}

/** numpy `nan_to_num` for one value. */
function nanToNum(v: number): number {
  if (v !== v) return 0;
  if (v === Infinity) return Number.MAX_VALUE;
  if (v === -Infinity) return -Number.MAX_VALUE;
  return v;
}

/** WeightWatcher's `calc_sigma(Q, evals)`: the σ that puts the MP bulk edge at λ_max. */
export function calcSigma(Q: number, lambdaMax: number): number {
  const invSqQ = 1.0 / Math.sqrt(Q);
  const d = 1 + invSqQ;
  return Math.sqrt(lambdaMax / (d * d));
}

/** The σ → R(σ) objective of `resid_mp` over a fixed KDE. */
export function mpResidual(y: Float64Array, Q: number): (sigma: number) => number {
  if (y.length === 0) throw new RangeError('mp fit: no eigenvalues');
  const ymax = y[y.length - 1];
  const grid = linspace(0, ymax + 0.5, MP_KDE_GRID);
  const dens = linearKde(y, grid, MP_KDE_BANDWIDTH);
  const keptX: number[] = [];
  const keptY: number[] = [];
  let bad = 0;
  for (let k = 0; k < grid.length; k++) {
    if (dens[k] > MP_KDE_THRESH) {
      keptX.push(grid[k]);
      keptY.push(dens[k]);
    } else if (dens[k] < MP_KDE_THRESH) {
      bad++;
    }
  }
  const nk = keptX.length;
  const resid = new Float64Array(nk + bad); // kept residuals first, then zeros, as WeightWatcher concatenates
  if (Q === 1) {
    return (sigma: number) => {
      const c = 1 / (Math.PI * sigma * sigma);
      for (let i = 0; i < nk; i++) {
        const x = keptX[i];
        const r = nanToNum(c * Math.sqrt(4 - x * x)) - keptY[i];
        resid[i] = r * r;
      }
      return pairwiseSum(resid);
    };
  }
  if (nk === 0) throw new RangeError('mp fit: no KDE grid point above the density threshold');
  let peakY = -Infinity;
  let tPeak = NaN;
  for (let i = 0; i < nk; i++) {
    if (keptY[i] > peakY) {
      peakY = keptY[i];
      tPeak = keptX[i];
    }
  }
  const tMax = keptX[nk - 1];
  const yq = 1 / Q;
  const r = Math.sqrt(1 / Q);
  return (sigma: number) => {
    const bs = sigma * (1 + r);
    const as = sigma * (1 - r);
    const b = bs * bs;
    const a = as * as;
    if (b < tPeak || b > tMax || a > tPeak) {
      for (let i = 0; i < nk; i++) resid[i] = MP_PENALTY * MP_PENALTY;
    } else {
      const c0 = 2 * Math.PI * sigma * sigma;
      for (let i = 0; i < nk; i++) {
        const x = keptX[i];
        const v = nanToNum((1 / (c0 * x * yq)) * Math.sqrt((b - x) * (x - a)));
        const d = v - keptY[i];
        resid[i] = d * d;
      }
    }
    return pairwiseSum(resid);
  };
}

/** `scipy.optimize.brute` over one `slice(lo, hi, step)` followed by its default `fmin` polish. */
export function bruteWithPolish(f: (x: number) => number, lo: number, hi: number, step: number): number {
  const grid = arange(lo, hi, step);
  if (grid.length === 0) throw new RangeError('mp fit: empty sigma grid');
  let best = 0;
  let bestF = f(grid[0]);
  if (bestF === bestF) {
    for (let i = 1; i < grid.length; i++) {
      const v = f(grid[i]);
      if (v !== v) {
        best = i; // numpy argmin returns the first NaN
        break;
      }
      if (v < bestF) {
        bestF = v;
        best = i;
      }
    }
  }
  const res = nelderMead((x) => f(x[0]), [grid[best]]);
  return res.x[0];
}

/**
 * WeightWatcher's `mp_fit` on an ascending ESD. `N`, `M` are the layer's dimensions (Q = N/M). Never throws:
 * failures give `MP_FIT_FAILED` (−1 everywhere), as WeightWatcher's `apply_mp_fit` does.
 */
export function mpFit(evals: Float64Array, N: number, M: number): MpFitResult {
  try {
    return mpFitOrThrow(evals, N, M);
  } catch {
    return { ...MP_FIT_FAILED };
  }
}

/** As `mpFit`, but throws instead of returning the sentinels (for diagnostics and tests). */
export function mpFitOrThrow(evals: Float64Array, N: number, M: number): MpFitResult {
  const n = evals.length;
  if (n === 0) throw new RangeError('mp fit: no eigenvalues');
  if (!(N > 0 && M > 0)) throw new RangeError(`mp fit: invalid dimensions N=${N}, M=${M}`);
  const Q = N / M;
  const wscale = Math.sqrt(n) / Math.sqrt(pairwiseSum(evals));
  const s2 = wscale * wscale;
  const scaled = new Float64Array(n);
  let lambdaMax = -Infinity;
  for (let i = 0; i < n; i++) {
    scaled[i] = s2 * evals[i];
    if (scaled[i] > lambdaMax) lambdaMax = scaled[i];
  }
  for (let i = 1; i < n; i++) {
    if (!(scaled[i - 1] <= scaled[i])) throw new RangeError('mp fit: eigenvalues must be ascending and finite');
  }
  const sigma0 = calcSigma(Q, lambdaMax);
  let y = scaled;
  if (Q === 1) {
    y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = Math.sqrt(scaled[i]);
  }
  const resid = mpResidual(y, Q);
  const sigmaMp = bruteWithPolish(resid, 0.05 * sigma0, 2.0 * sigma0, 0.01 * sigma0);

  const upper = sigmaMp * (1 + 1 / Math.sqrt(Q));
  const lower = sigmaMp * (1 - 1 / Math.sqrt(Q));
  const bulkMax = upper * upper;
  const bulkMin = lower * lower;
  const TW = (1 / Math.sqrt(Q)) * Math.pow(bulkMax, 2 / 3) * Math.pow(M, -2 / 3);
  const edge = bulkMax + Math.sqrt(TW);
  let numSpikes = 0;
  for (let i = n - 1; i >= 0 && scaled[i] > edge; i--) numSpikes++;
  const result: MpFitResult = {
    num_spikes: numSpikes,
    sigma_mp: sigmaMp,
    mp_softrank: bulkMax / lambdaMax,
    bulk_max: bulkMax / s2,
    bulk_min: bulkMin / s2,
    W_scale: wscale,
  };
  for (const v of Object.values(result)) {
    if (!Number.isFinite(v)) throw new RangeError('mp fit: non-finite result');
  }
  return result;
}
