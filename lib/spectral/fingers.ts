/**
 * WeightWatcher 0.7.5.5's `fix_fingers='clip_xmax'` (`fit_powerlaw` → `RMT_Util.fit_clipped_powerlaw`), spec §3.1,
 * built on the default WWFit in `./powerlaw`. "Fingers" are a few isolated largest eigenvalues (finite-size
 * outliers) that inflate α; this variant clips them off one by one until α drops decisively.
 *
 * On the layer's ascending ESD (after the optional integer `xmax` drop) and `x = evals[evals > 1e-5]`:
 *  1. raw fit: WWFit on all of x → `raw_alpha`;
 *  2. for k = 2 … 9 (WeightWatcher's `max_fingers` is always reset to 10 with the default settings, and its loop is
 *     `range(2, max_fingers)`): WWFit on x with its k largest values removed;
 *     - stop at the first k with `α_k + 1.0 < raw_alpha` (`finger_thresh` = 1.0) → that fit is used and
 *       **`num_fingers = k − 1`** is reported although k values were removed (WeightWatcher's off-by-one, kept);
 *     - otherwise stop (keeping the raw fit, num_fingers 0) at the first k with `α_k ≤ 2` (`min_alpha`);
 *  3. WeightWatcher then fits x without its k+1, k+2, k+3 largest values (k = the last one tried) to log a
 *     "spurious finger" warning. Those fits change nothing, but they can raise on small layers, so they are made
 *     here too: any of them failing fails the whole fit.
 *  4. Columns from the chosen fit: alpha, xmin, D, sigma, `xmax` = the largest value of the clipped data;
 *     `num_pl_spikes` = #{λ ≥ xmin} over the unclipped ESD; warning from α; plus `num_fingers` and `raw_alpha`.
 *
 * Failure: a WWFit that raises (fewer than two values — e.g. a layer with ≤ ~12 eigenvalues above the threshold
 * once up to k + 3 are clipped) or a NaN α fails the whole fit, as in WeightWatcher: α = D = σ = xmin =
 * num_pl_spikes = −1, xmax null, warning 'over-trained', num_fingers 0, raw_alpha −1.
 *
 * Tolerance: every fit is the default WWFit, so the columns agree with WeightWatcher as the default fit does
 * (a few ulps on identical eigenvalues).
 *
 * Bound: at most MAX_FINGERS − 2 clipped fits plus the three "spurious finger" fits, each a WWFit of O(n²) bounded
 * work; no loop depends on the data converging. Degenerate spectra (all eigenvalues equal, two values, low rank)
 * give WeightWatcher's own outcome: numbers (α = ∞ for equal values, as WWFit's formula gives) or the sentinels
 * above when a clipped fit has fewer than two values left (degenerate.test.ts).
 */
import {
  aboveThreshold, applyXmax, countAtLeast, failedFit, trainingWarning, wwFit,
  type PowerLawFit, type WwFitResult,
} from './powerlaw';

/** WeightWatcher `DEFAULT_MAX_FINGERS` (the clipping loop runs k = 2 … MAX_FINGERS − 1). */
export const MAX_FINGERS = 10;
/** WeightWatcher `DEFAULT_FINGER_THRESH`: α must drop by more than this for clipping to be accepted. */
export const FINGER_THRESH = 1.0;
/** `min_alpha` of `fit_clipped_powerlaw`: clipping stops once α falls to this. */
export const FINGER_MIN_ALPHA = 2.0;

/** The fit columns with `fix_fingers='clip_xmax'`: the default ones plus `num_fingers` and `raw_alpha`. */
export interface ClippedPowerLawFit extends PowerLawFit {
  num_fingers: number;
  raw_alpha: number;
}

export interface ClipXmaxOptions {
  /** WeightWatcher's integer `xmax` (−k drops the k largest eigenvalues first), as for the default fit. */
  xmax?: number | null;
}

/** WWFit on the first `len` values (Python's `x[:-k]`; an empty or one-value slice raises, as WWFit does). */
function fitPrefix(x: Float64Array, len: number): WwFitResult {
  return wwFit(x.subarray(0, Math.max(0, len)));
}

/**
 * `fit_powerlaw(..., fix_fingers='clip_xmax')` on a layer's ascending ESD. Never throws for a degenerate spectrum
 * (that is a failed fit); throws SpectralError only for an invalid `xmax` option (as `fitPowerLaw` does).
 */
export function fitClipXmax(evals: Float64Array, options: ClipXmaxOptions = {}): ClippedPowerLawFit {
  const ev = applyXmax(evals, options.xmax);
  const x = aboveThreshold(ev);
  const n = x.length;
  let chosen: WwFitResult;
  let raw: WwFitResult;
  let numFingers = 0;
  try {
    raw = fitPrefix(x, n);
    chosen = raw;
    let k = 2;
    for (; k < MAX_FINGERS; k++) {
      const fit = fitPrefix(x, n - k);
      if (fit.alpha + FINGER_THRESH < raw.alpha) {
        chosen = fit;
        numFingers = k - 1;
        break;
      }
      if (fit.alpha <= FINGER_MIN_ALPHA) break;
    }
    if (k === MAX_FINGERS) k = MAX_FINGERS - 1; // Python's loop variable keeps its last value
    for (let j = k + 1; j < k + 4; j++) fitPrefix(x, n - j);
  } catch {
    return { ...failedFit(), num_fingers: 0, raw_alpha: -1 };
  }
  // WeightWatcher's final NaN check fails the fit but still reports the clipping outcome
  if (Number.isNaN(chosen.alpha)) return { ...failedFit(), num_fingers: numFingers, raw_alpha: raw.alpha };
  return {
    status: 'success',
    alpha: chosen.alpha,
    D: chosen.D,
    sigma: chosen.sigma,
    xmin: chosen.xmin,
    xmax: chosen.xmax,
    num_pl_spikes: countAtLeast(ev, chosen.xmin),
    warning: trainingWarning(chosen.alpha),
    num_fingers: numFingers,
    raw_alpha: raw.alpha,
  };
}
