/**
 * Pure-JavaScript float64 eigenvalue routes for the ESD of a weight matrix W (rows × cols, row-major). This is the
 * reference and fallback backend; a faster WASM kernel (eigen-wasm.ts) may replace the Gram and/or tridiagonal
 * steps, which is why they are exported separately.
 *
 * WeightWatcher's CPU path takes `scipy.linalg.svd(W.astype(float64), compute_uv=False)` (LAPACK gesdd) and squares
 * the singular values. Two routes reproduce that here:
 *
 * 1. Gram route (fast, ~4× fewer flops than an SVD): G = the float64 Gram matrix on the smaller side (W·Wᵀ when
 *    rows ≤ cols, else Wᵀ·W; one triangle, accumulated in float64 from float32 input — products of two float32
 *    values are exact in float64, so the only rounding is the accumulation), Householder tridiagonalization,
 *    implicit-shift QL on the tridiagonal (values only). Error analysis: both steps are backward stable, so every
 *    computed eigenvalue carries an ABSOLUTE error δ ≈ c·ε·λ_max with ε = 2.2e-16 and c a modest function of the
 *    size (observed c ≲ 10; pessimistic bounds grow like N + M). Consequences:
 *      - large eigenvalues (everything the power-law tail, norms and λ_max use) are exact to ~1e-14 relative;
 *      - an eigenvalue λ ≥ τ·λ_max is exact to c·ε/τ relative, and its σ = √λ to an absolute c·ε·σ_max/(2√τ);
 *      - but singular values below ~√(c·ε)·σ_max ≈ 1e-7·σ_max are lost in the noise (the squared-condition-number
 *        trap): a rank-deficient matrix's zero singular values come back as ~1e-8·σ_max instead of ~1e-16·σ_max,
 *        which changes rank_loss, matrix_rank, sv_min and entropy. A float32 Gram would be far worse (δ ≈ 1e-7·λ_max:
 *        λ_min of a 4096² Gaussian off by 13 %, α of an orthogonal matrix off by 97 %) and is never used.
 * 2. SVD route (accurate): Householder bidiagonalization + implicit-shift QR on the bidiagonal (Golub–Kahan, the
 *    LINPACK/JAMA formulation, values only). Absolute error ~ε·σ_max on every σ, as LAPACK gesdd, so exact
 *    rank deficiency is resolved the same way WeightWatcher sees it.
 *
 * When the Gram route is not trusted (`gramNeedsSvd`), the singular values are recomputed by the SVD route:
 *  - its smallest eigenvalue is below GRAM_TRUST_RATIO·λ_max (1e-11, i.e. σ_min < 3.2e-6·σ_max). Above it, every
 *    σ has an absolute error ≤ c·ε·σ_max/(2·3.2e-6) ≈ c·3.5e-11·σ_max — inside the sv_min tolerance (1e-7·σ_max) for
 *    any c up to ~2800 (observed c ≲ 10) — and no σ can be near the rank tolerance σ_max·N·ε (≤ 1.1e-11·σ_max), so
 *    rank_loss, matrix_rank, sv_min and entropy are exact;
 *  - or an eigenvalue lies within GRAM_THRESHOLD_MARGIN·ε·λ_max of WeightWatcher's absolute thresholds (1e-5 for
 *    the fit, 1e-6 for weak_rank_loss), where its error could change a count;
 *  - or λ_max ≤ 0.
 * Small matrices (N·M² ≤ SMALL_MATRIX_WORK) use the stricter GRAM_TRUST_RATIO_SMALL = 1e-8, which also keeps
 * sv_min within ~1e-7 relative; the SVD route costs at most about a second there.
 * The fit columns need RELATIVE accuracy of the eigenvalues in the fitted tail, which the ratio above does not
 * give for tiny ones; analyzeMatrix therefore also checks the fit's sensitivity (fit-stability.ts) and switches to
 * the SVD route when the Gram-route fit could differ from WeightWatcher's. The policy is the same at every size:
 * on well-conditioned spectra the Gram route is the MORE accurate one here (eigenvalue error ~1e-15·λ_max against
 * ~1e-14·λ_max for this SVD's QR sweeps), which matters for near-degenerate spectra (e.g. an orthogonal matrix,
 * whose α is set by eigenvalue spreads of ~1e-7).
 *
 * Cost of the fallback: the JS SVD route runs at ~0.9 GFLOP/s (Householder QR first when N ≥ 2M, then
 * bidiagonalization: 1.0 s at 512×2048, 10 s at 1024×4096), so the policy above is tuned to send only spectra that need it (a random square 4096² Gaussian, the
 * worst common case, has λ_min/λ_max ≈ 1.5e-8 and stays on the Gram route unless σ_min is ~40× below typical).
 *
 * Ordering: every function returns values ASCENDING. Failure: a QR/QL iteration that does not converge in 60·n
 * sweeps throws SpectralError('no_convergence') (never observed on finite input); inputs are assumed finite
 * (analyzeMatrix guards them).
 */
import { deflatedSpectrum, deflationNeedsSvd, findSpikes, type DeflationInfo, type ScanPass } from './deflate';
import { SpectralError } from './errors';
import { deflatedMatrix, type LowRank } from './low-rank';
import { asFloat, type WeightMatrix } from './bf16-matrix';

const EPS = 2.220446049250313e-16;

/** λ_min/λ_max below GRAM_TRUST_RATIO (σ_min/σ_max < 3.2e-6) sends a matrix to the SVD route. */
export const GRAM_TRUST_RATIO = 1e-11;
/**
 * Stricter ratio for small matrices (N·M² ≤ SMALL_MATRIX_WORK, where the SVD route costs about a second at most):
 * above 1e-8 the Gram route's σ_min is also within ~1e-7 RELATIVE (c·ε/(2·1e-8) ≈ c·1.1e-8), not only within the
 * absolute 1e-7·σ_max of the tolerance.
 */
export const GRAM_TRUST_RATIO_SMALL = 1e-8;
export const SMALL_MATRIX_WORK = 2 ** 28;
/** Error margin, in units of ε·λ_max, for eigenvalues near WeightWatcher's absolute thresholds. */
export const GRAM_THRESHOLD_MARGIN = 1e4;
/** WeightWatcher's absolute thresholds that turn tiny eigenvalue errors into count changes. */
export const ABSOLUTE_THRESHOLDS = [1e-5, 1e-6] as const;

type Matrix = Float32Array | Float64Array;

/** Which eigenvalue route produced a spectrum ('deflated': the Gram route after deflating outliers, deflate.ts). */
export type EigenRoute = 'gram' | 'svd' | 'deflated';

export interface Spectrum {
  /** Eigenvalues of WᵀW (σ²), ascending, length min(rows, cols). */
  evals: Float64Array;
  /** Singular values, ascending, when the SVD route produced them (then evals[i] = sv[i]²). */
  sv: Float64Array | null;
  route: EigenRoute;
  /** The deflated route's error bound data (route 'deflated' only). */
  deflation?: DeflationInfo;
}

// ---------------------------------------------------------------------------------------------------------------
// Gram matrix

/** Rows of W's "vectors" per chunk copied into a float64 panel (keeps the panel in L2). */
const GRAM_CHUNK = 64;
/** Tile of Gram rows/cols computed together (keeps both panels' rows hot in L1/L2). */
const GRAM_TILE = 32;

/**
 * The float64 Gram matrix on the smaller side, M × M (M = min(rows, cols)), LOWER triangle filled (row-major,
 * G[i*M + j] for j ≤ i; the strict upper triangle is left 0). If rows ≤ cols, G = W·Wᵀ; otherwise G = Wᵀ·W. Both
 * have the same non-zero eigenvalues as WᵀW.
 *
 * Blocking: the length-L summation axis (L = max dim) is cut into chunks of 64; each chunk of the M vectors is copied
 * (upcast) into a contiguous float64 panel M × 64, then tile pairs of the lower triangle accumulate 2×2 blocks of
 * dot products (4 independent sums per 4 loads). Memory: one M×M float64 matrix plus a 64·M panel.
 */
export function gramF64(data: Matrix, rows: number, cols: number): Float64Array {
  const wide = rows <= cols; // vectors = rows (contiguous) when wide, columns (strided) otherwise
  const M = wide ? rows : cols;
  const L = wide ? cols : rows;
  const G = new Float64Array(M * M);
  const panel = new Float64Array(M * GRAM_CHUNK);
  for (let k0 = 0; k0 < L; k0 += GRAM_CHUNK) {
    const K = Math.min(GRAM_CHUNK, L - k0);
    // panel[v*K + k] = vector v, element k0 + k
    if (wide) {
      for (let v = 0; v < M; v++) {
        const src = v * cols + k0;
        const dst = v * K;
        for (let k = 0; k < K; k++) panel[dst + k] = data[src + k];
      }
    } else {
      for (let k = 0; k < K; k++) {
        const src = (k0 + k) * cols;
        for (let v = 0; v < M; v++) panel[v * K + k] = data[src + v];
      }
    }
    accumulatePanel(G, panel, M, K);
  }
  return G;
}

/** G (lower) += P·Pᵀ for a panel P of M rows × K. */
function accumulatePanel(G: Float64Array, P: Float64Array, M: number, K: number): void {
  for (let i0 = 0; i0 < M; i0 += GRAM_TILE) {
    const i1 = Math.min(M, i0 + GRAM_TILE);
    for (let j0 = 0; j0 <= i0; j0 += GRAM_TILE) {
      const j1 = Math.min(M, j0 + GRAM_TILE);
      for (let i = i0; i < i1; i += 2) {
        const two = i + 1 < i1;
        const ai = i * K;
        const bi = ai + K;
        const jEnd = Math.min(j1, i + 1); // lower triangle: j ≤ i (row i+1 gets j ≤ i+1 below)
        let j = j0;
        for (; j + 1 < jEnd; j += 2) {
          const aj = j * K;
          const bj = aj + K;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
          for (let k = 0; k < K; k++) {
            const x0 = P[ai + k], y0 = P[aj + k], y1 = P[bj + k];
            s00 += x0 * y0;
            s01 += x0 * y1;
            if (two) {
              const x1 = P[bi + k];
              s10 += x1 * y0;
              s11 += x1 * y1;
            }
          }
          G[i * M + j] += s00;
          G[i * M + j + 1] += s01;
          if (two) {
            G[(i + 1) * M + j] += s10;
            G[(i + 1) * M + j + 1] += s11;
          }
        }
        for (; j < jEnd; j++) {
          const aj = j * K;
          let s0 = 0, s1 = 0;
          for (let k = 0; k < K; k++) {
            const y = P[aj + k];
            s0 += P[ai + k] * y;
            if (two) s1 += P[bi + k] * y;
          }
          G[i * M + j] += s0;
          if (two) G[(i + 1) * M + j] += s1;
        }
        // row i+1 also needs column j = i+1 when it falls inside this tile (its diagonal)
        if (two && i + 1 < j1 && i + 1 >= j0) {
          const aj = (i + 1) * K;
          let s = 0;
          for (let k = 0; k < K; k++) s += P[bi + k] * P[aj + k];
          G[(i + 1) * M + i + 1] += s;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Symmetric tridiagonal reduction and QL

export interface Tridiagonal {
  /** Diagonal, length n. */
  d: Float64Array;
  /** Sub-diagonal, e[i] couples i and i+1 (length n, e[n−1] = 0). */
  e: Float64Array;
}

/**
 * Householder reduction of a symmetric matrix (LOWER triangle of `a`, row-major n × n; destroyed) to tridiagonal
 * form, values only (EISPACK tred2 ordering: rows from the bottom up, so every access is along a contiguous row of
 * the lower triangle). Each step forms p = A·u with a symmetric row-oriented product and applies the rank-2 update
 * A −= u·qᵀ + q·uᵀ to the trailing lower triangle. Rows are scaled by their 1-norm to avoid under/overflow.
 */
export function tridiagonalize(a: Float64Array, n: number): Tridiagonal {
  const off = new Float64Array(n); // tred2 convention: off[i] couples i-1 and i
  const u = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const rowI = i * n;
    if (l === 0) {
      off[i] = a[rowI];
      continue;
    }
    let scale = 0;
    for (let k = 0; k <= l; k++) scale += Math.abs(a[rowI + k]);
    if (scale === 0) {
      off[i] = a[rowI + l];
      continue;
    }
    // u = scaled row i left of the diagonal, turned into the Householder vector; H = uᵀu/2
    let h = 0;
    for (let k = 0; k <= l; k++) {
      const v = a[rowI + k] / scale;
      u[k] = v;
      h += v * v;
    }
    const f = u[l];
    const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    off[i] = scale * g;
    h -= f * g;
    u[l] = f - g;
    // q = A·u / H over the leading (l+1)×(l+1) block, symmetric product from the lower triangle, row by row
    for (let j = 0; j <= l; j++) q[j] = 0;
    for (let j = 0; j <= l; j++) {
      const rowJ = j * n;
      const uj = u[j];
      let sum = 0;
      for (let k = 0; k < j; k++) {
        const ajk = a[rowJ + k];
        sum += ajk * u[k];
        q[k] += ajk * uj;
      }
      q[j] += sum + a[rowJ + j] * uj;
    }
    let fsum = 0;
    for (let j = 0; j <= l; j++) {
      q[j] /= h;
      fsum += q[j] * u[j];
    }
    // q ← q − (uᵀq / 2H)·u, then A ← A − u·qᵀ − q·uᵀ (lower triangle). u·uᵀ/H is scale-free, so no rescaling.
    const hh = fsum / (h + h);
    for (let j = 0; j <= l; j++) q[j] -= hh * u[j];
    for (let j = 0; j <= l; j++) {
      const rowJ = j * n;
      const uj = u[j];
      const qj = q[j];
      for (let k = 0; k <= j; k++) a[rowJ + k] -= uj * q[k] + qj * u[k];
    }
  }
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i - 1] = off[i];
  return { d, e };
}

/** √(a² + b²) without destructive under/overflow (Math.hypot is much slower in V8). */
function hypot2(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  if (x < y) {
    const t = x;
    x = y;
    y = t;
  }
  if (x === 0) return 0;
  const r = y / x;
  return x * Math.sqrt(1 + r * r);
}

/**
 * Eigenvalues of a symmetric tridiagonal matrix by implicit QL with Wilkinson shifts (values only; d and e are
 * copied). Returns them ascending. Each eigenvalue has absolute error ~ε·‖T‖.
 */
export function tridiagonalEigenvalues(tri: Tridiagonal): Float64Array {
  const n = tri.d.length;
  const d = Float64Array.from(tri.d);
  const e = Float64Array.from(tri.e);
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) + dd === dd) break;
      }
      if (m === l) break;
      if (iter++ >= 60 * Math.max(n, 1)) {
        throw new SpectralError('no_convergence', 'tridiagonal QL', `no convergence for eigenvalue ${l} of ${n}`);
      }
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = hypot2(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = hypot2(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        f = 0;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort();
}

/** Eigenvalues of WᵀW by the Gram route (ascending; tiny negative rounding residue is possible). */
export function gramEigenvalues(data: Matrix, rows: number, cols: number): Float64Array {
  const M = Math.min(rows, cols);
  const G = gramF64(data, rows, cols);
  return tridiagonalEigenvalues(tridiagonalize(G, M));
}

// ---------------------------------------------------------------------------------------------------------------
// SVD route

/**
 * Singular values of W (ascending, length min(rows, cols)) by Householder bidiagonalization and implicit-shift QR
 * on the bidiagonal (Golub–Kahan–Reinsch as in LINPACK dsvdc / JAMA, values only), after a Householder QR when
 * m ≥ 2n. W is copied into a float64 column-major m × n array with m ≥ n (Wᵀ when rows < cols — same singular
 * values), so every Householder application runs along contiguous columns. Cost ≈ 4·m·n² flops (≈ 2·m·n² + 2·n³
 * with the QR); memory one float64 copy of W. Absolute error ~1e-14·σ_max² on σ² (measured), as LAPACK's.
 */
export function singularValuesSvd(data: Matrix, rows: number, cols: number): Float64Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const A = new Float64Array(m * n); // column-major: A[j*m + i]
  if (tall) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) A[j * m + i] = data[i * cols + j];
  } else {
    for (let i = 0; i < A.length; i++) A[i] = data[i]; // row-major W = column-major Wᵀ
  }
  if (m >= QR_FIRST_ASPECT * n && n > 1) return bidiagonalSingularValues(qrTriangle(A, m, n), n, n);
  return bidiagonalSingularValues(A, m, n);
}

/** Aspect ratio m/n from which the SVD route first reduces W to its n × n triangular factor R (fewer flops). */
const QR_FIRST_ASPECT = 2;

/**
 * Householder QR of a column-major m × n matrix (m > n, destroyed); returns R as a column-major n × n array.
 * The singular values of R are those of A. Cost ≈ 2·m·n² − ⅔·n³ flops; with the bidiagonalization of R (≈ 8/3·n³)
 * this beats bidiagonalizing A directly (≈ 4·m·n² − 4/3·n³) once m ≥ 2n.
 */
function qrTriangle(A: Float64Array, m: number, n: number): Float64Array {
  const R = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const ck = k * m;
    let nrm = 0;
    for (let i = k; i < m; i++) nrm = hypot2(nrm, A[ck + i]);
    let diag = 0;
    if (nrm !== 0) {
      if (A[ck + k] < 0) nrm = -nrm;
      for (let i = k; i < m; i++) A[ck + i] /= nrm;
      A[ck + k] += 1;
      diag = -nrm;
      applyLeftReflector(A, m, n, k);
    }
    R[k * n + k] = diag;
    for (let j = k + 1; j < n; j++) R[j * n + k] = A[j * m + k]; // row k of R is final after step k
  }
  return R;
}

/** Singular values (ascending) of a column-major m × n array with m ≥ n (destroyed): bidiagonalization + QR. */
function bidiagonalSingularValues(A: Float64Array, m: number, n: number): Float64Array {
  const s = new Float64Array(Math.min(m + 1, n));
  const e = new Float64Array(n);
  const work = new Float64Array(m);
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  for (let k = 0; k < Math.max(nct, nrt); k++) {
    const ck = k * m;
    if (k < nct) {
      let nrm = 0;
      for (let i = k; i < m; i++) nrm = hypot2(nrm, A[ck + i]);
      s[k] = nrm;
      if (s[k] !== 0) {
        if (A[ck + k] < 0) s[k] = -s[k];
        const inv = s[k];
        for (let i = k; i < m; i++) A[ck + i] /= inv;
        A[ck + k] += 1;
      }
      s[k] = -s[k];
    }
    if (k < nct && s[k] !== 0) applyLeftReflector(A, m, n, k);
    for (let j = k + 1; j < n; j++) e[j] = A[j * m + k];
    if (k < nrt) {
      let nrm = 0;
      for (let i = k + 1; i < n; i++) nrm = hypot2(nrm, e[i]);
      e[k] = nrm;
      if (e[k] !== 0) {
        if (e[k + 1] < 0) e[k] = -e[k];
        const inv = e[k];
        for (let i = k + 1; i < n; i++) e[i] /= inv;
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] !== 0) {
        applyRightReflector(A, m, n, k, e, work);
      }
    }
  }
  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = A[nct * m + nct];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = A[(p - 1) * m + nrt];
  e[p - 1] = 0;
  bidiagonalQr(s, e, p);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.abs(s[i]);
  return out.sort();
}

/**
 * Left Householder step of the bidiagonalization: for every column j > k, A_j −= (u·A_j / u_k)·u with u = A[k.., k].
 * Two columns per pass share the loads of u (the inner loops are the hot spot of the SVD route).
 */
function applyLeftReflector(A: Float64Array, m: number, n: number, k: number): void {
  const ck = k * m;
  const ukk = A[ck + k];
  let j = k + 1;
  for (; j + 1 < n; j += 2) {
    const c0 = j * m;
    const c1 = c0 + m;
    let t0 = 0, t1 = 0;
    for (let i = k; i < m; i++) {
      const u = A[ck + i];
      t0 += u * A[c0 + i];
      t1 += u * A[c1 + i];
    }
    t0 = -t0 / ukk;
    t1 = -t1 / ukk;
    for (let i = k; i < m; i++) {
      const u = A[ck + i];
      A[c0 + i] += t0 * u;
      A[c1 + i] += t1 * u;
    }
  }
  for (; j < n; j++) {
    const cj = j * m;
    let t = 0;
    for (let i = k; i < m; i++) t += A[ck + i] * A[cj + i];
    t = -t / ukk;
    for (let i = k; i < m; i++) A[cj + i] += t * A[ck + i];
  }
}

/**
 * Right Householder step: work = Σ_{j>k} e_j·A_j over rows > k, then A_j −= (e_j / e_{k+1})·work. Two columns per
 * pass halve the traffic on `work`.
 */
function applyRightReflector(A: Float64Array, m: number, n: number, k: number, e: Float64Array, work: Float64Array): void {
  for (let i = k + 1; i < m; i++) work[i] = 0;
  let j = k + 1;
  for (; j + 1 < n; j += 2) {
    const c0 = j * m;
    const c1 = c0 + m;
    const e0 = e[j];
    const e1 = e[j + 1];
    for (let i = k + 1; i < m; i++) work[i] += e0 * A[c0 + i] + e1 * A[c1 + i];
  }
  for (; j < n; j++) {
    const cj = j * m;
    const ej = e[j];
    for (let i = k + 1; i < m; i++) work[i] += ej * A[cj + i];
  }
  const pivot = e[k + 1];
  j = k + 1;
  for (; j + 1 < n; j += 2) {
    const c0 = j * m;
    const c1 = c0 + m;
    const t0 = -e[j] / pivot;
    const t1 = -e[j + 1] / pivot;
    for (let i = k + 1; i < m; i++) {
      const w = work[i];
      A[c0 + i] += t0 * w;
      A[c1 + i] += t1 * w;
    }
  }
  for (; j < n; j++) {
    const cj = j * m;
    const t = -e[j] / pivot;
    for (let i = k + 1; i < m; i++) A[cj + i] += t * work[i];
  }
}

/**
 * Singular values of the upper bidiagonal (s = diagonal, e = super-diagonal) by implicit-shift QR sweeps with
 * deflation and splitting (Golub–Kahan). Operates in place on the first p entries; results may be unsorted.
 */
function bidiagonalQr(s: Float64Array, e: Float64Array, p0: number): void {
  let p = p0;
  const tiny = 2 ** -966;
  let iter = 0;
  const maxIter = 75 * Math.max(p0, 1);
  while (p > 0) {
    let k: number;
    let kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      if (Math.abs(e[k]) <= tiny + EPS * (Math.abs(s[k]) + Math.abs(s[k + 1]))) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]) : 0);
        if (Math.abs(s[ks]) <= tiny + EPS * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    switch (kase) {
      case 1: {
        // deflate a negligible s[p-1]
        let f = e[p - 2];
        e[p - 2] = 0;
        for (let j = p - 2; j >= k; j--) {
          const t = hypot2(s[j], f);
          const cs = s[j] / t;
          const sn = f / t;
          s[j] = t;
          if (j !== k) {
            f = -sn * e[j - 1];
            e[j - 1] = cs * e[j - 1];
          }
        }
        break;
      }
      case 2: {
        // split at a negligible s[k-1]
        let f = e[k - 1];
        e[k - 1] = 0;
        for (let j = k; j < p; j++) {
          const t = hypot2(s[j], f);
          const cs = s[j] / t;
          const sn = f / t;
          s[j] = t;
          f = -sn * e[j];
          e[j] = cs * e[j];
        }
        break;
      }
      case 3: {
        if (++iter > maxIter) {
          throw new SpectralError('no_convergence', 'bidiagonal QR', `no convergence after ${maxIter} sweeps`);
        }
        const scale = Math.max(
          Math.abs(s[p - 1]), Math.abs(s[p - 2]), Math.abs(e[p - 2]), Math.abs(s[k]), Math.abs(e[k]),
        );
        const sp = s[p - 1] / scale;
        const spm1 = s[p - 2] / scale;
        const epm1 = e[p - 2] / scale;
        const sk = s[k] / scale;
        const ek = e[k] / scale;
        const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
        const c = sp * epm1 * (sp * epm1);
        let shift = 0;
        if (b !== 0 || c !== 0) {
          shift = Math.sqrt(b * b + c);
          if (b < 0) shift = -shift;
          shift = c / (b + shift);
        }
        let f = (sk + sp) * (sk - sp) + shift;
        let g = sk * ek;
        for (let j = k; j < p - 1; j++) {
          let t = hypot2(f, g);
          let cs = f / t;
          let sn = g / t;
          if (j !== k) e[j - 1] = t;
          f = cs * s[j] + sn * e[j];
          e[j] = cs * e[j] - sn * s[j];
          g = sn * s[j + 1];
          s[j + 1] = cs * s[j + 1];
          t = hypot2(f, g);
          cs = f / t;
          sn = g / t;
          s[j] = t;
          f = cs * e[j] + sn * s[j + 1];
          s[j + 1] = -sn * e[j] + cs * s[j + 1];
          g = sn * e[j + 1];
          e[j + 1] = cs * e[j + 1];
        }
        e[p - 2] = f;
        break;
      }
      default: {
        // convergence of s[k]
        if (s[k] <= 0) s[k] = s[k] < 0 ? -s[k] : 0;
        iter = 0;
        p--;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Route choice

/**
 * True when a Gram-route spectrum (ascending) cannot be trusted to WeightWatcher's tolerances (see the module
 * comment): its smallest eigenvalue is under trustRatio·λ_max (GRAM_TRUST_RATIO by default;
 * `spectrum` passes GRAM_TRUST_RATIO_SMALL for small matrices), or an eigenvalue is within
 * GRAM_THRESHOLD_MARGIN·ε·λ_max of an absolute threshold, or λ_max is not positive.
 */
export function gramNeedsSvd(evals: Float64Array, trustRatio = GRAM_TRUST_RATIO): boolean {
  const n = evals.length;
  if (n === 0) return false;
  const lmax = evals[n - 1];
  if (!(lmax > 0)) return true;
  if (evals[0] < trustRatio * lmax) return true;
  const margin = GRAM_THRESHOLD_MARGIN * EPS * lmax;
  for (const thr of ABSOLUTE_THRESHOLDS) {
    for (let i = 0; i < n; i++) if (Math.abs(evals[i] - thr) <= margin) return true;
  }
  return false;
}

export interface SpectrumOptions {
  /** 'auto' (default) = Gram with the SVD fallback described above; or force one route. */
  route?: 'auto' | EigenRoute;
  /**
   * Replaces the Gram-route eigen solver (e.g. a WASM kernel); must return ascending eigenvalues of WᵀW, or of
   * W₁ᵀW₁ for W₁ = W − L·Rᵀ when `lowRank` is given (formed as low-rank.ts does).
   */
  gramEigen?: (data: WeightMatrix, rows: number, cols: number, lowRank?: LowRank, signal?: AbortSignal) => Float64Array | Promise<Float64Array>;
  /**
   * Start `gramEigen` on W itself before the outlier scan (route 'auto' only): the scan runs on this thread while the
   * solver's own threads compute the Gram matrix, and the solve is aborted (through `signal`) when the scan finds
   * outliers. For solvers that run elsewhere (the WASM kernels); a solver on this thread gains nothing from it.
   */
  speculate?: boolean;
  /** Runs when the outlier scan finds a non-finite sum of squares (findSpikes' `onNonFinite`). */
  onNonFinite?: () => void;
  /** The outlier scan's pass in the WebAssembly kernels (findSpikes' `scanPass`: the same numbers, faster). */
  scanPass?: ScanPass;
}

/** σ² of ascending singular values. */
export function squares(sv: Float64Array): Float64Array {
  const out = new Float64Array(sv.length);
  for (let i = 0; i < sv.length; i++) out[i] = sv[i] * sv[i];
  return out;
}

/** The spectrum of W by the route policy above (see the module comment). */
export async function spectrum(
  data: WeightMatrix,
  rows: number,
  cols: number,
  options: SpectrumOptions = {},
): Promise<Spectrum> {
  const route = options.route ?? 'auto';
  const svdSpectrum = (): Spectrum => {
    const sv = singularValuesSvd(asFloat(data), rows, cols);
    return { evals: squares(sv), sv, route: 'svd' };
  };
  if (route === 'svd') return svdSpectrum();
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  const ratio = N * M * M <= SMALL_MATRIX_WORK ? GRAM_TRUST_RATIO_SMALL : GRAM_TRUST_RATIO;
  let speculative: { evals: Promise<Float64Array>; abort: AbortController } | null = null;
  if (route === 'auto' || route === 'deflated') {
    // Outlier directions: deflate them out of W and take the Gram route on the rest (deflate.ts).
    if (route === 'auto' && options.speculate && options.gramEigen) {
      const abort = new AbortController();
      const evals = Promise.resolve(options.gramEigen(data, rows, cols, undefined, abort.signal));
      evals.catch(() => {}); // awaited below unless aborted
      speculative = { evals, abort };
      await new Promise((resolve) => setImmediate(resolve)); // the solver's first job is posted before the scan
    }
    let basis: ReturnType<typeof findSpikes>;
    try {
      basis = findSpikes(data, rows, cols, options.onNonFinite, options.scanPass);
    } catch (err) {
      speculative?.abort.abort();
      throw err;
    }
    if (basis) {
      speculative?.abort.abort();
      const lowRankEigen = options.gramEigen
        ? (d: WeightMatrix, r: number, c: number, lr: LowRank) => options.gramEigen!(d, r, c, lr)
        : (d: WeightMatrix, r: number, c: number, lr: LowRank) => gramEigenvalues(deflatedMatrix(asFloat(d), r, c, lr), r, c);
      const defl = await deflatedSpectrum(data, rows, cols, basis, lowRankEigen);
      if (defl) {
        if (route === 'auto' && deflationNeedsSvd(defl.evals, defl.info, rows, cols, ratio, ABSOLUTE_THRESHOLDS)) return svdSpectrum();
        return { evals: defl.evals, sv: null, route: 'deflated', deflation: defl.info };
      }
    }
  }
  const evals = speculative && !speculative.abort.signal.aborted
    ? await speculative.evals
    : options.gramEigen
      ? await options.gramEigen(data, rows, cols)
      : gramEigenvalues(asFloat(data), rows, cols);
  if (route === 'auto' && gramNeedsSvd(evals, ratio)) return svdSpectrum();
  for (let i = 0; i < evals.length; i++) if (evals[i] < 0) evals[i] = 0;
  return { evals, sv: null, route: 'gram' };
}
