// Eigenvalues of a symmetric tridiagonal matrix (values only, no vectors), float64: the root-free
// QL iteration of Pal, Walker and Kahan (as in LAPACK's dsterf) with Wilkinson's shift.
//
// d[0..n) is the diagonal, e[i] couples d[i] and d[i+1] (e[n-1] ignored). On return d holds the
// eigenvalues, unsorted. The method is backward stable: each eigenvalue is exact for a matrix
// within O(eps ||T||) of T. An off-diagonal is deflated when e[m]² <= eps² |d[m] d[m+1]| or
// |e[m]| <= eps ||T||: the second (EISPACK-style, norm-relative) test keeps clusters of
// eigenvalues at the rounding-noise level (exact rank deficiency of a Gram matrix) from stalling;
// it perturbs eigenvalues by at most eps ||T||, below the error the reduction already made.

const EPS: f64 = 2.220446049250313e-16;
const BIG: f64 = 1e150;
const SMALL: f64 = 1e-150;

@inline function hyp(a: f64, b: f64): f64 {
  const x = Math.abs(a), y = Math.abs(b);
  const mx = Math.max(x, y);
  if (mx > BIG || (mx < SMALL && mx > 0.0)) {
    const mn = Math.min(x, y) / mx;
    return mx * Math.sqrt(1.0 + mn * mn);
  }
  return Math.sqrt(x * x + y * y);
}

@inline function D(p: usize, i: i32): f64 { return load<f64>(p + ((<usize>i) << 3)); }
@inline function S(p: usize, i: i32, v: f64): void { store<f64>(p + ((<usize>i) << 3), v); }

/** max_i (|d[i]| + |e[i-1]| + |e[i]|): the ∞-norm of the tridiagonal matrix (e[n-1] = 0). */
function rowSumNorm(n: i32, d: usize, e: usize): f64 {
  let tnorm: f64 = 0.0;
  for (let i = 0; i < n; i++) {
    const row = Math.abs(D(d, i)) + Math.abs(D(e, i)) + (i > 0 ? Math.abs(D(e, i - 1)) : 0.0);
    if (row > tnorm) tnorm = row;
  }
  return tnorm;
}

/**
 * The iteration runs on the squares of the off-diagonal, so a plane rotation costs three divisions
 * and no square root (about 1.5x faster here than QL with square roots, to ~1e-14 of ||T|| of it).
 * Returns 0, or (1 + index) of the eigenvalue that failed to converge in 60 sweeps. e is destroyed.
 */
export function tqlRootFree(n: i32, d: usize, e: usize): i32 {
  if (n <= 1) return 0;
  S(e, n - 1, 0.0);
  const tnorm = rowSumNorm(n, d, e);
  const floor2 = (EPS * tnorm) * (EPS * tnorm);
  const eps2 = EPS * EPS;
  for (let i = 0; i < n - 1; i++) S(e, i, D(e, i) * D(e, i));
  for (let l = 0; l < n; l++) {
    let iter = 0;
    while (true) {
      let m = l;
      for (; m < n - 1; m++) {
        const em = D(e, m);
        if (em <= eps2 * Math.abs(D(d, m) * D(d, m + 1)) || em <= floor2) break;
      }
      if (m == l) break;
      if (iter++ == 60) return l + 1;
      // shift from the leading 2x2 block (Wilkinson), as in tqlValues
      const p0 = D(d, l);
      const rte = Math.sqrt(D(e, l));
      let sigma = (D(d, l + 1) - p0) / (2.0 * rte);
      const r0 = hyp(sigma, 1.0);
      sigma = p0 - rte / (sigma + (sigma >= 0.0 ? r0 : -r0));
      let c: f64 = 1.0, s: f64 = 0.0;
      let gamma = D(d, m) - sigma;
      let p = gamma * gamma;
      for (let i = m - 1; i >= l; i--) {
        const bb = D(e, i);
        const r = p + bb;
        if (i != m - 1) S(e, i + 1, s * r);
        const oldc = c;
        c = p / r;
        s = bb / r;
        const oldgam = gamma;
        const alpha = D(d, i);
        gamma = c * (alpha - sigma) - s * oldgam;
        S(d, i + 1, oldgam + (alpha - gamma));
        p = c != 0.0 ? (gamma * gamma) / c : oldc * bb;
      }
      S(e, l, s * p);
      S(d, l, sigma + gamma);
    }
  }
  return 0;
}
