/**
 * The deflated Gram route: all eigenvalues of WᵀW for a layer with a few singular values far above the rest (an
 * outlier direction: "super weights", outlier features, fine-tune deltas), at the Gram route's speed and with errors
 * set by the BULK, not by σ_max.
 *
 * Why: the Gram route's eigenvalues carry an absolute error ~c·ε·λ_max (eigen-js.ts). With one singular value 300×
 * the bulk edge, λ_max is 9e4× the bulk and the fitted tail's relative error grows by that factor, so fit-stability.ts
 * sent such layers to the pure-JS SVD (10-25× slower). Here the large directions are taken out of W itself and the
 * Gram route runs on what is left.
 *
 * Route (W is rows × cols, u = 2^-53, G = WᵀW):
 * 1. Detection and the large right singular directions, in JS on W itself (findSpikes): block power iteration with
 *    Rayleigh–Ritz, p = 2 columns to start (one more each time the last one still looks like a spike, up to 8), one
 *    fused pass over W per iteration (row i: y = W_i·X, then Z += W_iᵀ·y while the row is in cache), so G·X costs
 *    one read of W (for float32 W with p = 2, the WebAssembly kernels' pass on the calling thread when they run:
 *    wasm/assembly/scan.ts, bit for bit the same numbers in half the time). After the first pass, a layer whose
 *    one-step estimate x_tᵀG²x_t / x_tᵀGx_t is below DETECT_RATIO × the mean of the other eigenvalues
 *    ((‖W‖_F² − est)/(n − 1)) stops: no outlier (one pass over W,
 *    ~1-2 % of the layer's time). Otherwise the iteration runs until the residual block of the top k Ritz pairs
 *    (those above DETECT_RATIO × the mean of the rest) satisfies ‖R‖²/θ_k ≤ 0.01·ε·μ (μ: the next Ritz value or the
 *    mean of the rest), or gives up (no deflation) after MAX_ITERATIONS or when the residual stops falling.
 *    Result: V (cols × k, orthonormal to rounding), L = W·V (rows × k, from the same pass), Ritz values θ_1..θ_k.
 * 2. W₁ = W − L·Vᵀ, each entry rounded once (low-rank.ts), formed slab by slab inside the Gram kernel's copy
 *    (wasm/pool.ts), then the ordinary Gram route on W₁ (WASM kernels or the JS reference).
 * 3. The spectrum: θ_1..θ_k together with the eigenvalues of W₁ᵀW₁ less its k smallest (the k directions removed).
 *
 * Error analysis (every bound below is computed for the layer at hand and carried into the fit check):
 * Let Ṽ be an orthonormal basis of range(V), Q = [Ṽ, V⊥] orthogonal, B = WṼ, C = WV⊥. The eigenvalues of G are those
 * of QᵀGQ = [[BᵀB, BᵀC], [CᵀB, CᵀC]].
 *  (a) Coupling. With the off-diagonal block R = V⊥ᵀGṼ dropped, every eigenvalue moves by at most ‖R‖²/η, η the gap
 *      between the spectra of the two diagonal blocks (quadratic residual bound for Hermitian block matrices,
 *      Mathias 1998 / Li & Li 2005). ‖R‖ ≤ ‖G·Ṽ − Ṽ·M‖ for any M, bounded by the computed residual of the last pass
 *      plus its rounding ((rows + cols + 4p)·ε·‖W‖_F²·√k) plus 2‖W‖_F²·‖VᵀV − I‖_F. The route requires θ_k ≥ 2·μ_max
 *      (μ_max: largest eigenvalue left in W₁) so η ≥ θ_k/2; with the convergence test above, ‖R‖²/η ≤ 0.02·ε·μ_max.
 *      The spike eigenvalues are the eigenvalues of VᵀGV = LᵀL (relative error O(ε), Ostrowski), within the same bound.
 *  (b) Directions along V. W₁ = W(I − VVᵀ) − ΔL·Vᵀ with ΔL the rounding of L = W·V (‖ΔL‖ ≤ (cols + 2p)·ε·‖W‖_F·√k),
 *      and I − VVᵀ differs from the projector V⊥V⊥ᵀ by Ṽ·D·Ṽᵀ with ‖D‖ ≤ ‖VᵀV − I‖. Both are rank-k terms in the
 *      Ṽ-columns of W₁Q = [X, C]; the nonzero eigenvalues of [X, C]ᵀ[X, C] are those of CCᵀ + XXᵀ, a positive
 *      semidefinite rank-k update of CCᵀ, so by Weyl every eigenvalue moves by at most ‖X‖² — QUADRATIC in the
 *      O(ε·σ_max) rounding, i.e. ~ε²·λ_max: negligible. (The k near-zero eigenvalues of CCᵀ are the ones removed.)
 *  (c) Rounding of W₁ (low-rank.ts): ‖ΔW₁‖_F ≤ ε_W = ε·‖W₁‖_F (+ a 2^-70 term), so (Weyl on singular values)
 *      |Δλ| ≤ 2√λ·ε_W + ε_W². A plain W_ij − L_i·V_j would give ε·σ_max here instead.
 *  (d) The Gram route on W₁: absolute error c·ε·λ_max(W₁ᵀW₁) = c·ε·μ_max, the same analysis as eigen-js.ts with μ_max in
 *      place of λ_max (constant GRAM_ERROR_CONSTANT = 1000, observed ≲ 10).
 * Total, for an eigenvalue x of the bulk: |Δx| ≤ C·ε·max(x, μ_max) + 2√x·ε_W + ε_W² + ‖X‖² + ‖R‖²/η. Against the
 * Gram route's C·ε·λ_max this is λ_max/μ_max times smaller (9e4 for a 300× spike), and against the SVD route's
 * ~c·ε·σ_max on σ (WeightWatcher's own path) it is smaller wherever x > μ_max²/λ_max·1e-2 — everywhere in practice.
 * The fit check (fit-stability.ts) takes this bound (`deflatedErrorModel`) in place of the Gram route's.
 *
 * Where deflation cannot hold the guarantee, and the SVD route stays (`deflationNeedsSvd`):
 *  - rank-deficient or nearly so: the smallest eigenvalue left is below the trust ratio × μ_max (the Gram of W₁ squares
 *    W₁'s own condition number, as for any Gram route), or near WeightWatcher's absolute thresholds (1e-5, 1e-6) or the
 *    rank tolerance σ_max·N·ε within 10× the bound above — the same tests eigen-js.ts applies to plain layers, so
 *    rank-deficient layers keep the SVD route with or without a spike;
 *  - a fit that is still unstable under the bound above (fit-stability.ts).
 * And where no deflation is attempted (the plain route and its policy apply): no eigenvalue far above the mean,
 * no convergence (no gap between the large values and the rest), θ_k < 2·μ_max after the solve, or the removed
 * eigenvalues not at noise level (a safety check; never expected).
 */
import { GRAM_ERROR_CONSTANT, SVD_HELPS_BELOW, type EigenErrorModel } from './fit-stability';
import type { LowRank } from './low-rank';
import { createRng } from './rng';
import { asFloat, Bf16Matrix, type WeightMatrix } from './bf16-matrix';

type Matrix = Float32Array | Float64Array;

const EPS = 2.220446049250313e-16;
/** An eigenvalue counts as an outlier when it is at least this many times the mean of the eigenvalues below it. */
export const DETECT_RATIO = 100;
/** Block size limit of the power iteration (and so the most directions deflated). */
export const MAX_SPIKES = 8;
export const MAX_ITERATIONS = 14;
/** Convergence: ‖R‖²/θ_k ≤ CONVERGENCE·ε·μ. */
const CONVERGENCE = 0.01;
/** Matrices with fewer than this many eigenvalues are never deflated. */
const MIN_EVALS = 16;

/**
 * Whether findSpikes reads every entry of a rows × cols matrix (its first pass sums the squares of all of them):
 * then a non-finite entry shows as a non-finite sum and its `onNonFinite` runs, so callers need no separate scan.
 */
export function spikeScanReadsEveryEntry(rows: number, cols: number): boolean {
  return Math.min(rows, cols) >= MIN_EVALS;
}

/** The large right singular directions of W found by findSpikes. */
export interface SpikeBasis {
  k: number;
  /** V, cols × k row-major (index j·k + t) */
  right: Float64Array;
  /** L = W·V, rows × k row-major */
  left: Float64Array;
  /** Ritz values θ_1 ≥ ... ≥ θ_k (eigenvalues of LᵀL) */
  theta: Float64Array;
  /** bound on ‖R‖ (the coupling block), see (a) */
  couplingNorm: number;
  /** bound on ‖X‖ (rank-k rounding along V), see (b) */
  alongNorm: number;
  /** ‖W‖_F² */
  fro2: number;
  iterations: number;
}

/** What the fit check needs to know about a deflated spectrum. */
export interface DeflationInfo {
  k: number;
  /** largest eigenvalue left in W₁ᵀW₁ (the bulk's λ_max) */
  muMax: number;
  /** λ_max of the whole spectrum (θ_1) */
  lambdaMax: number;
  /** bound on ‖fl(W₁) − W₁‖_F */
  epsW: number;
  /** ‖X‖² + ‖R‖²/η */
  quad: number;
  /** power iterations (passes over W) findSpikes took */
  iterations: number;
}

/** Absolute error bound of a deflated-route eigenvalue x (module comment, "Total"). */
export function deflatedErrorBound(info: DeflationInfo, x: number): number {
  const v = Math.max(x, 0);
  return GRAM_ERROR_CONSTANT * EPS * Math.max(v, info.muMax) + 2 * Math.sqrt(v) * info.epsW + info.epsW * info.epsW + info.quad;
}

/**
 * The fit check's view of a deflated spectrum: the bound above, and below which eigenvalues the SVD route (absolute
 * error ~c·ε·σ_max on σ, c ~10× the Gram route's) would be the more accurate one. fit-stability.ts takes
 * x < SVD_HELPS_BELOW·λ_max for the Gram route, i.e. where C·ε·λ_max > C·ε·√(λ_max·x)/√SVD_HELPS_BELOW; the same
 * comparison term by term here gives x < SVD_HELPS_BELOW·μ_max²/λ_max for the C·ε·μ_max term and
 * x < SVD_HELPS_BELOW·(quad/(C·ε))²/λ_max for the additive one (the ε_W term never reaches it: ε_W ≪ C·ε·σ_max).
 */
export function deflatedErrorModel(info: DeflationInfo): EigenErrorModel {
  const unit = GRAM_ERROR_CONSTANT * EPS;
  const lmax = info.lambdaMax;
  const below = 4 * SVD_HELPS_BELOW * Math.max(info.muMax ** 2, (info.quad / unit) ** 2) / lmax;
  return { lambdaMax: lmax, abs: (x) => deflatedErrorBound(info, x), svdHelpsBelow: below };
}

// ---------------------------------------------------------------------------------------------------------------
// Small dense helpers (p ≤ MAX_SPIKES + 1 columns, interleaved storage: element (j, t) at j·p + t)

/** Cyclic Jacobi on a symmetric p × p matrix (row-major): eigenvalues descending and eigenvectors (columns of S). */
function jacobiEigen(h: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(h);
  const s = new Float64Array(p * p);
  for (let i = 0; i < p; i++) s[i * p + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < p; i++) {
      diag += a[i * p + i] * a[i * p + i];
      for (let j = i + 1; j < p; j++) off += a[i * p + j] * a[i * p + j];
    }
    if (off <= 1e-34 * diag || off === 0) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = a[i * p + j];
        if (aij === 0) continue;
        const tau = (a[j * p + j] - a[i * p + i]) / (2 * aij);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = t * c;
        for (let q = 0; q < p; q++) {
          const x = a[q * p + i], y = a[q * p + j];
          a[q * p + i] = c * x - sn * y;
          a[q * p + j] = sn * x + c * y;
        }
        for (let q = 0; q < p; q++) {
          const x = a[i * p + q], y = a[j * p + q];
          a[i * p + q] = c * x - sn * y;
          a[j * p + q] = sn * x + c * y;
        }
        for (let q = 0; q < p; q++) {
          const x = s[q * p + i], y = s[q * p + j];
          s[q * p + i] = c * x - sn * y;
          s[q * p + j] = sn * x + c * y;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => a[y * p + y] - a[x * p + x]);
  const values = new Float64Array(p);
  const vectors = new Float64Array(p * p);
  order.forEach((src, dst) => {
    values[dst] = a[src * p + src];
    for (let q = 0; q < p; q++) vectors[q * p + dst] = s[q * p + src];
  });
  return { values, vectors };
}

/** M (m × p interleaved) · S (p × q row-major) → m × q interleaved. */
function rotate(m: Float64Array, rowsM: number, p: number, s: Float64Array, q: number): Float64Array {
  const out = new Float64Array(rowsM * q);
  for (let i = 0; i < rowsM; i++) {
    for (let c = 0; c < q; c++) {
      let acc = 0;
      for (let t = 0; t < p; t++) acc += m[i * p + t] * s[t * q + c];
      out[i * q + c] = acc;
    }
  }
  return out;
}

/** Orthonormalises the p columns of x (m × p interleaved) in place: modified Gram–Schmidt, twice. */
function orthonormalize(x: Float64Array, m: number, p: number, refill: () => number): void {
  for (let t = 0; t < p; t++) {
    for (let attempt = 0; attempt < 3; attempt++) {
      let before = 0;
      for (let j = 0; j < m; j++) before += x[j * p + t] * x[j * p + t];
      for (let pass = 0; pass < 2; pass++) {
        for (let s = 0; s < t; s++) {
          let d = 0;
          for (let j = 0; j < m; j++) d += x[j * p + s] * x[j * p + t];
          for (let j = 0; j < m; j++) x[j * p + t] -= d * x[j * p + s];
        }
      }
      let nrm = 0;
      for (let j = 0; j < m; j++) nrm += x[j * p + t] * x[j * p + t];
      if (nrm > 1e-20 * before && nrm > 0) {
        const inv = 1 / Math.sqrt(nrm);
        for (let j = 0; j < m; j++) x[j * p + t] *= inv;
        break;
      }
      for (let j = 0; j < m; j++) x[j * p + t] = refill(); // a dependent column: start it again at random
    }
  }
}

/**
 * A faster implementation of fusedPass for p = 2 and a float32 or BF16 W, with the same results bit for bit (BF16:
 * those of its float32 decoding; the WebAssembly kernels' `scanPassWasm`, eigen-wasm.ts): findSpikes runs it for its
 * passes when given one.
 */
export type ScanPass = (data: Float32Array | Bf16Matrix, rows: number, cols: number, x: Float64Array, y: Float64Array, z: Float64Array, wantFro: boolean) => number;

/**
 * One read of W: Y = W·X (rows × p) and Z = Wᵀ·Y = G·X (cols × p), row by row; returns ‖W‖_F² when asked (else 0).
 * X, Y and Z hold their p columns interleaved.
 */
export function fusedPass(data: Matrix, rows: number, cols: number, x: Float64Array, p: number, y: Float64Array, z: Float64Array, wantFro: boolean): number {
  z.fill(0);
  let fro = 0;
  if (p === 2) {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      let a0 = 0, a1 = 0, f = 0;
      for (let j = 0; j < cols; j++) {
        const w = data[o + j];
        a0 += w * x[2 * j];
        a1 += w * x[2 * j + 1];
        if (wantFro) f += w * w;
      }
      fro += f;
      y[2 * i] = a0;
      y[2 * i + 1] = a1;
      for (let j = 0; j < cols; j++) {
        const w = data[o + j];
        z[2 * j] += w * a0;
        z[2 * j + 1] += w * a1;
      }
    }
    return fro;
  }
  const acc = new Float64Array(p);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    acc.fill(0);
    let f = 0;
    for (let j = 0; j < cols; j++) {
      const w = data[o + j];
      const xb = j * p;
      for (let t = 0; t < p; t++) acc[t] += w * x[xb + t];
      if (wantFro) f += w * w;
    }
    fro += f;
    for (let t = 0; t < p; t++) y[i * p + t] = acc[t];
    for (let j = 0; j < cols; j++) {
      const w = data[o + j];
      const zb = j * p;
      for (let t = 0; t < p; t++) z[zb + t] += w * acc[t];
    }
  }
  return fro;
}

/** Leading Ritz values that are outliers: θ_t ≥ DETECT_RATIO × mean of the eigenvalues below (from ‖W‖_F²). */
function countOutliers(theta: Float64Array, fro2: number, n: number): number {
  let rest = fro2;
  let k = 0;
  for (let t = 0; t < theta.length; t++) {
    rest -= theta[t];
    const mean = Math.max(rest, 0) / (n - t - 1);
    if (theta[t] >= DETECT_RATIO * mean && theta[t] > 0) k++;
    else break;
  }
  return k;
}

/**
 * The outlier directions of W, or null when it has none the deflated route can use (see the module comment).
 * Deterministic (seeded start vectors). `onNonFinite` runs
 * when the first pass finds the sum of squares of the entries not finite (a NaN or ±Infinity entry, or an overflow);
 * it may throw (eigen.ts reports the first offending entry from there), else no deflation is attempted.
 * `scanPass` replaces the JS passes with two columns over a float32 W (same results).
 */
export function findSpikes(data: WeightMatrix, rows: number, cols: number, onNonFinite?: () => void, scanPass?: ScanPass): SpikeBasis | null {
  const n = Math.min(rows, cols);
  if (n < MIN_EVALS) return null;
  const rng = createRng(0x5eed + rows * 31 + cols);
  const random = () => rng.nextFloat() - 0.5;
  let p = 2;
  let x: Float64Array = new Float64Array(cols * p).map(random);
  orthonormalize(x, cols, p, random);
  let fro2 = 0;
  let prevRes = Infinity;
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const y = new Float64Array(rows * p);
    const z = new Float64Array(cols * p);
    const f = scanPass && p === 2 && !(data instanceof Float64Array)
      ? scanPass(data, rows, cols, x, y, z, it === 0)
      : fusedPass(asFloat(data), rows, cols, x, p, y, z, it === 0);
    if (it === 0) {
      fro2 = f;
      if (!Number.isFinite(fro2)) onNonFinite?.();
      if (!(fro2 > 0) || !Number.isFinite(fro2)) return null;
      // one-step estimates x_tᵀG²x_t / x_tᵀGx_t: close to λ_max after one pass when an outlier exists
      let est = 0;
      for (let t = 0; t < p; t++) {
        let zz = 0, yy = 0;
        for (let j = 0; j < cols; j++) zz += z[j * p + t] * z[j * p + t];
        for (let i = 0; i < rows; i++) yy += y[i * p + t] * y[i * p + t];
        if (yy > 0) est = Math.max(est, zz / yy);
      }
      if (!(est >= (DETECT_RATIO * Math.max(fro2 - est, 0)) / (n - 1))) return null;
    }
    // Rayleigh–Ritz on span(X): H = YᵀY = XᵀGX
    const h = new Float64Array(p * p);
    for (let a = 0; a < p; a++) {
      for (let b = a; b < p; b++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += y[i * p + a] * y[i * p + b];
        h[a * p + b] = s;
        h[b * p + a] = s;
      }
    }
    const { values: theta, vectors: s } = jacobiEigen(h, p);
    const xr = rotate(x, cols, p, s, p);
    const zr = rotate(z, cols, p, s, p);
    const res = new Float64Array(p);
    for (let t = 0; t < p; t++) {
      let r2 = 0;
      for (let j = 0; j < cols; j++) {
        const d = zr[j * p + t] - theta[t] * xr[j * p + t];
        r2 += d * d;
      }
      res[t] = Math.sqrt(r2);
    }
    const k = countOutliers(theta, fro2, n);
    if (k === p && p < MAX_SPIKES + 1 && p < n / 2) {
      // even the last column looks like an outlier: widen the block
      const wider = new Float64Array(cols * (p + 1));
      for (let j = 0; j < cols; j++) {
        for (let t = 0; t < p; t++) wider[j * (p + 1) + t] = zr[j * p + t];
        wider[j * (p + 1) + p] = random();
      }
      p += 1;
      x = wider;
      orthonormalize(x, cols, p, random);
      prevRes = Infinity;
      continue;
    }
    if (it >= 1 && k === 0) return null;
    if (k > 0 && k < p) {
      let r2 = 0;
      for (let t = 0; t < k; t++) r2 += res[t] * res[t];
      const rk = Math.sqrt(r2);
      let rest = fro2;
      for (let t = 0; t < k; t++) rest -= theta[t];
      const mu = Math.max(theta[k], Math.max(rest, 0) / (n - k), Number.MIN_VALUE);
      if ((rk * rk) / theta[k - 1] <= CONVERGENCE * EPS * mu) {
        const yr = rotate(y, rows, p, s, p);
        const right = new Float64Array(cols * k);
        const left = new Float64Array(rows * k);
        for (let j = 0; j < cols; j++) for (let t = 0; t < k; t++) right[j * k + t] = xr[j * p + t];
        for (let i = 0; i < rows; i++) for (let t = 0; t < k; t++) left[i * k + t] = yr[i * p + t];
        // ‖VᵀV − I‖_F
        let orth2 = 0;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            let d = 0;
            for (let j = 0; j < cols; j++) d += right[j * k + a] * right[j * k + b];
            if (a === b) d -= 1;
            orth2 += d * d;
          }
        }
        const orthErr = Math.sqrt(orth2) + cols * EPS;
        const sqk = Math.sqrt(k);
        const couplingNorm = rk + (rows + cols + 4 * p) * EPS * fro2 * sqk + 2 * fro2 * orthErr;
        const alongNorm = (cols + 2 * p) * EPS * Math.sqrt(fro2) * sqk + 2 * Math.sqrt(fro2) * orthErr;
        return { k, right, left, theta: theta.slice(0, k), couplingNorm, alongNorm, fro2, iterations: it + 1 };
      }
      if (it >= 3 && rk > 0.1 * prevRes) return null; // no gap to converge on
      prevRes = rk;
    }
    x = zr;
    orthonormalize(x, cols, p, random);
  }
  return null;
}

/** The backend that gives the ascending eigenvalues of (W − L·Rᵀ)ᵀ(W − L·Rᵀ) (all min(rows, cols) of them). */
export type LowRankGramEigen = (data: WeightMatrix, rows: number, cols: number, lowRank: LowRank) => Float64Array | Promise<Float64Array>;

export interface DeflatedSpectrum {
  /** ascending, all min(rows, cols) eigenvalues of WᵀW (negative rounding clamped to 0) */
  evals: Float64Array;
  info: DeflationInfo;
}

/**
 * Steps 2 and 3 of the route for a basis from findSpikes; null when the result cannot be certified (θ_k < 2·μ_max,
 * or the removed eigenvalues are not at noise level) — the caller then takes the plain route.
 */
export async function deflatedSpectrum(
  data: WeightMatrix,
  rows: number,
  cols: number,
  basis: SpikeBasis,
  gramEigen: LowRankGramEigen,
): Promise<DeflatedSpectrum | null> {
  const { k } = basis;
  const n = Math.min(rows, cols);
  const all = await gramEigen(data, rows, cols, { k, left: basis.left, right: basis.right });
  if (all.length !== n) return null;
  const muMax = Math.max(all[n - 1], 0);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(all[i]);
  trace = trace * 1.01 + n * GRAM_ERROR_CONSTANT * EPS * muMax;
  let lsum = 0;
  for (let t = 0; t < k; t++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += basis.left[i * k + t] * basis.left[i * k + t];
    lsum += Math.sqrt(s);
  }
  const epsW = EPS * Math.sqrt(trace) * 1.01 + 2 ** -70 * k * lsum * 1.01;
  const thetaK = basis.theta[k - 1];
  const base: DeflationInfo = { k, muMax, lambdaMax: basis.theta[0], epsW, quad: basis.alongNorm ** 2, iterations: basis.iterations };
  const eta = thetaK * (1 - 1e-12) - muMax - deflatedErrorBound(base, muMax);
  if (!(thetaK >= 2 * muMax) || !(eta >= thetaK / 2)) return null;
  const info: DeflationInfo = { ...base, quad: base.quad + basis.couplingNorm ** 2 / eta };
  // the k removed eigenvalues must be at noise level
  const noise = 2 * deflatedErrorBound(info, 2 * deflatedErrorBound(info, 0));
  if (k > 0 && !(all[k - 1] <= noise)) return null;
  const evals = new Float64Array(n);
  for (let i = k; i < n; i++) evals[i - k] = Math.max(all[i], 0);
  for (let t = 0; t < k; t++) evals[n - 1 - t] = basis.theta[t];
  evals.sort();
  return { evals, info };
}

/**
 * True when a deflated spectrum cannot give WeightWatcher's rank and threshold columns (module comment): its
 * smallest bulk eigenvalue below trustRatio·μ_max, an eigenvalue within 10× its error bound of one of `thresholds`,
 * or the smallest σ within reach of the rank tolerance σ_max·N·ε. The same tests eigen-js.ts applies to the plain
 * Gram route, with the deflated error bound in place of c·ε·λ_max.
 */
export function deflationNeedsSvd(
  evals: Float64Array,
  info: DeflationInfo,
  rows: number,
  cols: number,
  trustRatio: number,
  thresholds: readonly number[],
): boolean {
  const n = evals.length;
  if (!(info.muMax > 0)) return true;
  if (evals[0] < trustRatio * info.muMax) return true;
  for (const thr of thresholds) {
    const margin = 10 * deflatedErrorBound(info, thr);
    for (let i = 0; i < n; i++) if (Math.abs(evals[i] - thr) <= margin) return true;
  }
  const tol = Math.sqrt(evals[n - 1]) * Math.max(rows, cols) * EPS;
  const smin2 = evals[0] - 10 * deflatedErrorBound(info, evals[0]);
  return !(smin2 > 100 * tol * tol);
}
