/**
 * Is a power-law fit computed from Gram-route eigenvalues the fit WeightWatcher's SVD eigenvalues would give?
 *
 * The Gram route's eigenvalues carry an absolute error of about c·ε·λ_max (eigen-js.ts), i.e. a RELATIVE error
 * rel(x) ≤ C·ε·λ_max / x on an eigenvalue x, with C = GRAM_ERROR_CONSTANT = 1000 (observed c ≲ 10). The fit only
 * sees relative quantities, so this propagates as follows (first order, for candidate i with tail ratios r = x_j/x_i):
 *  - every ln r_j moves by ≤ 2·rel(x_i), so Σ ln r moves by ≤ 2n·rel(x_i) and α_i − 1 = n/Σ ln r by a relative
 *    κ ≤ 2·rel(x_i)·(α_i − 1);
 *  - each KS term moves by ≤ r^{−(α−1)}·|Δ((α−1)·ln r)| ≤ 2·rel(x_i)·(α_i − 1)·(1 + 1/e) (using y·e^{−y} ≤ 1/e),
 *    so |ΔD_i| ≤ S_i = 3·rel(x_i)·(α_i − 1);
 *  - the reported α moves by ≤ 2·rel(xmin)·(α − 1)².
 * The fit is accepted when the reported xmin, α and D are stable to 1e-8 relative (100× inside the 1e-6 tolerance,
 * with the error constant itself ~100× pessimistic) and no
 * candidate whose D could move by more than 1e-9 can overtake the winner (D_i − S_i > D_w + S_w). Candidates with
 * smaller S_i are not re-checked: a tie within 1e-9 is decided by rounding in WeightWatcher itself.
 * Only eigenvalues below SVD_HELPS_BELOW·λ_max are held to this: above it the SVD route is no more accurate, so
 * switching would not bring the fit closer to WeightWatcher's.
 * A failed fit (α = −1) is accepted only when λ_min ≥ 1e-8·λ_max, because log_alpha_norm = log10 Σ 1/λ_i is then
 * dominated by the smallest eigenvalue.
 *
 * In practice only spectra whose fitted tail reaches down to ~1e-4·λ_max or below are sent to the SVD route.
 *
 * Other routes with their own error bound (the deflated route, deflate.ts) pass an EigenErrorModel: the absolute
 * error bound of an eigenvalue x (rel(x) = abs(x)/x above) and the level below which the SVD route would be the more
 * accurate one (SVD_HELPS_BELOW·λ_max for the Gram route). The Gram route's model reproduces the checks above exactly.
 */
import { aboveThreshold, applyXmax, logsOf, wwCandidateAlpha, wwCandidateDExceeds, wwFit } from './powerlaw';

const EPS = 2.220446049250313e-16;
/** Bound on the Gram route's eigenvalue error in units of ε·λ_max (observed ≲ 10). */
export const GRAM_ERROR_CONSTANT = 1e3;
/** Relative accuracy required of the reported α. */
export const ALPHA_STABILITY = 1e-8;
/** Candidates whose D may move by more than this are re-checked against the winner. */
export const D_SENSITIVITY_FLOOR = 1e-9;
/**
 * The SVD route only helps for eigenvalues well below λ_max: its error on σ is absolute (~ε·σ_max), i.e. a relative
 * error 2·c·ε·√(λ_max/λ) on λ, against c·ε·λ_max/λ for the Gram route — and its constant c is ~10× larger here.
 * Above λ = 1e-2·λ_max the Gram route is at least as accurate, so an instability coming only from such eigenvalues
 * (a near-degenerate spectrum, e.g. an orthogonal matrix with α ~ 1e8) is not a reason to switch routes.
 */
export const SVD_HELPS_BELOW = 1e-2;
/** With a failed fit, λ_min/λ_max below this sends the layer to the SVD route. */
export const FAILED_FIT_MIN_RATIO = 1e-8;

/** A route's eigenvalue error bound, as the fit check uses it. */
export interface EigenErrorModel {
  lambdaMax: number;
  /** absolute error bound of a computed eigenvalue x */
  abs: (x: number) => number;
  /** eigenvalues below this are held to the check (the SVD route would be more accurate there) */
  svdHelpsBelow: number;
}

/** The Gram route's model: GRAM_ERROR_CONSTANT·ε·λ_max on every eigenvalue. */
export function gramErrorModel(lmax: number): EigenErrorModel {
  const unit = GRAM_ERROR_CONSTANT * EPS * lmax;
  return { lambdaMax: lmax, abs: () => unit, svdHelpsBelow: SVD_HELPS_BELOW * lmax };
}

/**
 * True when WeightWatcher's default fit of `evals` (ascending, Gram route) is insensitive to the Gram route's
 * eigenvalue errors (or to `model`'s, for another route). `xmax` is the fit's integer option (the check follows the
 * same data the fit sees).
 */
export function gramFitIsStable(evals: Float64Array, xmax: number | null = null, model?: EigenErrorModel): boolean {
  const n = evals.length;
  if (n === 0) return true;
  const lmax = evals[n - 1];
  const err = model ?? gramErrorModel(lmax);
  const x = aboveThreshold(applyXmax(evals, xmax));
  if (x.length < 2) {
    if (!model) return evals[0] >= FAILED_FIT_MIN_RATIO * lmax;
    return err.abs(evals[0]) <= ((GRAM_ERROR_CONSTANT * EPS) / FAILED_FIT_MIN_RATIO) * evals[0];
  }
  const fit = wwFit(x);
  if (!Number.isFinite(fit.alpha) || !Number.isFinite(fit.D)) return false;
  const relW = err.abs(fit.xmin) / fit.xmin;
  const am1 = fit.alpha - 1;
  const svdWouldHelp = (v: number) => v < err.svdHelpsBelow;
  if (svdWouldHelp(fit.xmin)) {
    if (relW > ALPHA_STABILITY) return false; // xmin itself (and xmax ≥ xmin)
    if ((2 * relW * am1 * am1) / Math.abs(fit.alpha) > ALPHA_STABILITY) return false;
    if (3 * relW * am1 > ALPHA_STABILITY * fit.D) return false;
  }
  const Sw = 3 * relW * am1;
  const logx = logsOf(x);
  for (let i = 0; i < x.length - 1; i++) {
    if (i === fit.index) continue;
    if (!svdWouldHelp(x[i])) break; // ascending: every later candidate is as accurate on the Gram route
    // Cheap O(1) bound first: Σ ln r ≥ ln(x_max/x_i), so α_i − 1 ≤ n_i / ln(x_max/x_i).
    const relI = err.abs(x[i]) / x[i];
    const span = logx[x.length - 1] - logx[i];
    if (span > 0 && (3 * relI * (x.length - i)) / span <= D_SENSITIVITY_FLOOR) continue;
    const alpha = wwCandidateAlpha(logx, i);
    if (!(alpha > 1)) continue; // D_i = 1 whatever the rounding (Σ ln r ≥ 0 keeps α_i ≥ 1)
    const Si = 3 * relI * (alpha - 1);
    if (Si <= D_SENSITIVITY_FLOOR) continue;
    if (!wwCandidateDExceeds(x, logx, i, alpha, fit.D + Sw + Si)) return false;
  }
  return true;
}
