/**
 * Nelder–Mead simplex minimisation with the semantics of SciPy's `scipy.optimize.fmin` (the `_minimize_neldermead`
 * routine it wraps), written from the published algorithm so that WeightWatcher's optimiser calls can be reproduced
 * step for step:
 *
 * - initial simplex: x0 plus, for every coordinate k, x0 with x0[k] scaled by 1.05 (`nonzdelt`), or set to 0.00025
 *   (`zdelt`) when x0[k] is exactly 0;
 * - standard coefficients: reflection ρ = 1, expansion χ = 2, contraction ψ = 0.5, shrink σ = 0.5 (non-adaptive);
 * - vertices re-sorted by function value after every iteration with a stable sort (numpy's argsort on ≤ 16 values
 *   is an insertion sort, hence stable);
 * - stop when max |x_i − x_0| ≤ xatol AND max |f_i − f_0| ≤ fatol (both absolute, default 1e-4), or after
 *   `maxiter` iterations or `maxfev` function evaluations (both default 200·n). The evaluation limit is enforced as
 *   SciPy does: the call that would exceed it is not made and the iteration ends there.
 *
 * The decision sequence (reflect / expand / outside contract / inside contract / shrink) and the comparisons
 * (`<` versus `<=`) follow SciPy exactly, so with the same objective values the same vertices are visited.
 * Objective values may be ±Infinity (they compare like numpy floats); NaN is treated as numpy treats it in these
 * comparisons (every comparison false, and argsort places NaN last).
 *
 * Bound: whatever the options, at most NELDER_MEAD_HARD_LIMIT iterations and evaluations (SciPy would loop forever
 * with both limits infinite and a simplex that never contracts, e.g. on a NaN objective). Reaching a limit is not an
 * error: the best vertex is returned with `status` 1 (evaluations) or 2 (iterations), SciPy's `warnflag`.
 * WeightWatcher's callers (powerlaw's `Distribution.fit`, `scipy.optimize.brute`'s polish) ignore that flag and
 * use the vertex, and so do tpl.ts and mp-fit.ts, which keeps their results WeightWatcher's.
 */

export interface NelderMeadOptions {
  /** Absolute tolerance on the simplex's extent in x (SciPy `xtol` / `xatol`). Default 1e-4. */
  xatol?: number;
  /** Absolute tolerance on the spread of function values (SciPy `ftol` / `fatol`). Default 1e-4. */
  fatol?: number;
  /** Default 200 × dimension. */
  maxiter?: number;
  /** Default 200 × dimension. */
  maxfev?: number;
}

export interface NelderMeadResult {
  /** Best vertex found. */
  x: Float64Array;
  /** Objective at `x` (the minimum over the final simplex). */
  fun: number;
  /** Iterations (SciPy's count, starting at 1). */
  nit: number;
  /** Objective evaluations made. */
  nfev: number;
  /** 0 converged, 1 evaluation limit reached, 2 iteration limit reached (SciPy's `warnflag`). */
  status: 0 | 1 | 2;
}

/** Hard cap on iterations and on evaluations, whatever the options say. */
export const NELDER_MEAD_HARD_LIMIT = 1_000_000;

class EvaluationLimit extends Error {}

function nanMax(a: number, b: number): number {
  return a !== a || b !== b ? NaN : a > b ? a : b;
}

/** numpy's ordering for argsort: NaN sorts after every number. */
function lessForSort(a: number, b: number): boolean {
  if (a !== a) return false;
  if (b !== b) return true;
  return a < b;
}

/** Stable insertion sort of the simplex by function value (vertices and values moved together). */
function sortSimplex(sim: Float64Array[], fsim: Float64Array): void {
  for (let i = 1; i < fsim.length; i++) {
    const f = fsim[i];
    const v = sim[i];
    let j = i - 1;
    while (j >= 0 && lessForSort(f, fsim[j])) {
      fsim[j + 1] = fsim[j];
      sim[j + 1] = sim[j];
      j--;
    }
    fsim[j + 1] = f;
    sim[j + 1] = v;
  }
}

/**
 * Minimises `f` from `x0` with SciPy `fmin` semantics (see the module comment). `f` receives a fresh Float64Array
 * that it must not keep. Never throws for a bad objective value; exceptions thrown by `f` propagate.
 */
export function nelderMead(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const n = x0.length;
  if (n === 0) throw new RangeError('nelderMead: x0 must have at least one coordinate');
  const xatol = options.xatol ?? 1e-4;
  const fatol = options.fatol ?? 1e-4;
  let maxiter = options.maxiter;
  let maxfev = options.maxfev;
  if (maxiter === undefined && maxfev === undefined) {
    maxiter = 200 * n;
    maxfev = 200 * n;
  } else if (maxiter === undefined) {
    maxiter = maxfev === Infinity ? 200 * n : Infinity;
  } else if (maxfev === undefined) {
    maxfev = maxiter === Infinity ? 200 * n : Infinity;
  }
  const maxIter = Math.min(maxiter as number, NELDER_MEAD_HARD_LIMIT);
  const maxFev = Math.min(maxfev as number, NELDER_MEAD_HARD_LIMIT);

  const rho = 1;
  const chi = 2;
  const psi = 0.5;
  const sigma = 0.5;
  const nonzdelt = 0.05;
  const zdelt = 0.00025;

  let nfev = 0;
  const call = (x: Float64Array): number => {
    if (nfev >= maxFev) throw new EvaluationLimit();
    nfev++;
    return f(Float64Array.from(x));
  };

  const sim: Float64Array[] = [];
  sim.push(Float64Array.from(x0));
  for (let k = 0; k < n; k++) {
    const y = Float64Array.from(x0);
    y[k] = y[k] !== 0 ? (1 + nonzdelt) * y[k] : zdelt;
    sim.push(y);
  }
  const fsim = new Float64Array(n + 1).fill(Infinity);
  try {
    for (let k = 0; k <= n; k++) fsim[k] = call(sim[k]);
  } catch (e) {
    if (!(e instanceof EvaluationLimit)) throw e;
  }
  sortSimplex(sim, fsim);

  let iterations = 1;
  const xbar = new Float64Array(n);
  const point = (a: number, b: number, base: Float64Array): Float64Array => {
    // a * xbar + b * base, element-wise, in the operand order numpy evaluates ((a*xbar) + (b*base))
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a * xbar[i] + b * base[i];
    return out;
  };

  while (nfev < maxFev && iterations < maxIter) {
    let stop = false;
    try {
      // numpy's max propagates NaN, and NaN <= tol is false: a NaN anywhere prevents convergence
      let xspread = 0;
      let fspread = 0;
      for (let j = 1; j <= n; j++) {
        for (let i = 0; i < n; i++) xspread = nanMax(xspread, Math.abs(sim[j][i] - sim[0][i]));
        fspread = nanMax(fspread, Math.abs(fsim[0] - fsim[j]));
      }
      if (xspread <= xatol && fspread <= fatol) {
        stop = true;
      } else {
        // xbar = sum of all vertices but the worst, divided by n (numpy add.reduce over axis 0: sequential)
        for (let i = 0; i < n; i++) {
          let s = sim[0][i];
          for (let j = 1; j < n; j++) s += sim[j][i];
          xbar[i] = s / n;
        }
        const worst = sim[n];
        const xr = point(1 + rho, -rho, worst);
        const fxr = call(xr);
        let doshrink = false;
        if (fxr < fsim[0]) {
          const xe = point(1 + rho * chi, -rho * chi, worst);
          const fxe = call(xe);
          if (fxe < fxr) {
            sim[n] = xe;
            fsim[n] = fxe;
          } else {
            sim[n] = xr;
            fsim[n] = fxr;
          }
        } else if (fxr < fsim[n - 1]) {
          sim[n] = xr;
          fsim[n] = fxr;
        } else if (fxr < fsim[n]) {
          const xc = point(1 + psi * rho, -psi * rho, worst);
          const fxc = call(xc);
          if (fxc <= fxr) {
            sim[n] = xc;
            fsim[n] = fxc;
          } else {
            doshrink = true;
          }
        } else {
          const xcc = point(1 - psi, psi, worst);
          const fxcc = call(xcc);
          if (fxcc < fsim[n]) {
            sim[n] = xcc;
            fsim[n] = fxcc;
          } else {
            doshrink = true;
          }
        }
        if (doshrink) {
          for (let j = 1; j <= n; j++) {
            const v = new Float64Array(n);
            for (let i = 0; i < n; i++) v[i] = sim[0][i] + sigma * (sim[j][i] - sim[0][i]);
            sim[j] = v;
            fsim[j] = call(v);
          }
        }
        iterations++;
      }
    } catch (e) {
      if (!(e instanceof EvaluationLimit)) throw e;
    }
    sortSimplex(sim, fsim);
    if (stop) break;
  }

  let fun = fsim[0];
  for (let j = 1; j <= n; j++) fun = fsim[j] !== fsim[j] || fun !== fun ? NaN : Math.min(fun, fsim[j]);
  const status: 0 | 1 | 2 = nfev >= maxFev ? 1 : iterations >= maxIter ? 2 : 0;
  return { x: Float64Array.from(sim[0]), fun, nit: iterations, nfev, status };
}
