/**
 * Weight matrices with planted spectra, for the synthetic demo checkpoints.
 *
 * - heavy-tailed ("well-trained"): W = U·diag(s)·Vᵀ with orthonormal U, V (one a random basis, the other a signed
 *   permutation), so the eigenvalues of WᵀW are exactly s² — drawn from a Pareto law p(λ) ∝ λ^(−alpha) — and a
 *   power-law fit recovers roughly the planted alpha;
 * - random-like ("under-trained"): i.i.d. Gaussian entries, a Marchenko–Pastur bulk;
 * - bulk+spikes: Gaussian plus a few rank-one spikes well above the bulk edge;
 * - heavy-tailed i.i.d. (symmetric Pareto) entries for embeddings.
 * Every matrix is rescaled to an entry RMS of `std` (realistic magnitudes: ~0.02), which keeps its eigenvalues far
 * above WeightWatcher's 1e-5 absolute threshold. Row-major Float64Array, rows × cols. Deterministic under the Rng.
 */
import { createRng, type Rng } from '../spectral/rng';

export { createRng, type Rng };

/** Standard normal deviates (Box–Muller; the second value is cached). */
export function normalSampler(rng: Rng): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = rng.nextFloat();
    const v = rng.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Scales `w` in place to entry RMS `std` (Frobenius² = rows·cols·std²). */
export function rescale(w: Float64Array, std: number): Float64Array {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += w[i] * w[i];
  const factor = sum > 0 ? std / Math.sqrt(sum / w.length) : 0;
  for (let i = 0; i < w.length; i++) w[i] *= factor;
  return w;
}

/** rows × cols i.i.d. N(0, std²). */
export function gaussianMatrix(rows: number, cols: number, std: number, rng: Rng): Float64Array {
  const normal = normalSampler(rng);
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = normal() * std;
  return w;
}

/**
 * rows × cols i.i.d. symmetric Pareto entries, P(|x| > t) ∝ t^(−mu), rescaled to RMS `std`: heavy-tailed entries
 * (mu < 4 gives a heavy-tailed ESD, as for embeddings of trained models). mu > 2 keeps the variance finite.
 */
export function paretoEntriesMatrix(rows: number, cols: number, mu: number, std: number, rng: Rng): Float64Array {
  const w = new Float64Array(rows * cols);
  const inv = -1 / mu;
  for (let i = 0; i < w.length; i++) {
    let u = 0;
    while (u === 0) u = rng.nextFloat();
    const x = Math.pow(u, inv) - 1;
    w[i] = rng.nextFloat() < 0.5 ? -x : x;
  }
  return rescale(w, std);
}

/**
 * n × k matrix (row-major) with orthonormal columns: modified Gram–Schmidt on Gaussian columns, applied twice
 * ("twice is enough") so orthogonality holds to ~1e-15 and the planted eigenvalues are exact to rounding.
 */
export function orthonormalColumns(n: number, k: number, rng: Rng): Float64Array {
  if (k > n) throw new RangeError(`cannot make ${k} orthonormal columns of length ${n}`);
  const normal = normalSampler(rng);
  // column-major while orthogonalising (contiguous columns), transposed at the end
  const q = new Float64Array(n * k);
  for (let i = 0; i < q.length; i++) q[i] = normal();
  for (let j = 0; j < k; j++) {
    const cj = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const cp = p * n;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[cp + i] * q[cj + i];
        for (let i = 0; i < n; i++) q[cj + i] -= dot * q[cp + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[cj + i] * q[cj + i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[cj + i] /= norm;
  }
  const out = new Float64Array(n * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) out[i * k + j] = q[j * n + i];
  return out;
}

/** `count` eigenvalues from a Pareto law with density ∝ λ^(−alpha) on [1, ∞), descending. alpha > 1. */
export function paretoEigenvalues(count: number, alpha: number, rng: Rng): Float64Array {
  if (!(alpha > 1)) throw new RangeError(`Pareto exponent must exceed 1, got ${alpha}`);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let u = 0;
    while (u === 0) u = rng.nextFloat();
    out[i] = Math.pow(u, -1 / (alpha - 1));
  }
  return out.sort().reverse();
}

const basisCache = new Map<string, Float64Array>();

/**
 * n × k orthonormal columns, Haar-distributed marginally: a cached basis per (n, k) — computed once from a fixed
 * seed, as orthonormalizing is the expensive step — with its rows permuted and its columns sign-flipped by `rng`.
 * Row permutations and sign flips preserve orthonormality (and the Haar law), so every draw is exact.
 */
export function randomOrthonormal(n: number, k: number, rng: Rng): Float64Array {
  const key = `${n}x${k}`;
  let basis = basisCache.get(key);
  if (!basis) {
    basis = orthonormalColumns(n, k, createRng(n * 65_537 + k));
    basisCache.set(key, basis);
  }
  const perm = permutation(n, rng);
  const signs = Float64Array.from({ length: k }, () => (rng.nextFloat() < 0.5 ? -1 : 1));
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const src = perm[i] * k;
    const dst = i * k;
    for (let j = 0; j < k; j++) out[dst + j] = basis[src + j] * signs[j];
  }
  return out;
}

/** Fisher–Yates permutation of 0..n-1. */
function permutation(n: number, rng: Rng): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * W (rows × cols) whose WᵀW has exactly the eigenvalues `lambdas` (M = min(rows, cols) of them), then rescaled to
 * RMS `std` (one factor for every λ, so a power-law exponent is unchanged). W = U·diag(√λ)·Vᵀ with one factor a
 * random orthonormal basis of the long side and the other a random signed permutation: O(rows·cols) per matrix.
 */
export function matrixWithEigenvalues(rows: number, cols: number, lambdas: Float64Array, std: number, rng: Rng): Float64Array {
  const m = Math.min(rows, cols);
  if (lambdas.length !== m) throw new RangeError(`need ${m} eigenvalues for a ${rows}x${cols} matrix, got ${lambdas.length}`);
  const long = Math.max(rows, cols);
  const basis = randomOrthonormal(long, m, rng);
  const perm = permutation(m, rng);
  const s = lambdas.map(Math.sqrt);
  const w = new Float64Array(rows * cols);
  if (rows >= cols) {
    // W = U·diag(s)·Pᵀ: column perm[k] of W is s_k times column k of U
    for (let i = 0; i < rows; i++) for (let k = 0; k < m; k++) w[i * cols + perm[k]] = basis[i * m + k] * s[k];
  } else {
    // W = P·diag(s)·Vᵀ: row perm[k] of W is s_k times column k of V
    for (let k = 0; k < m; k++) {
      const row = perm[k] * cols;
      for (let j = 0; j < cols; j++) w[row + j] = basis[j * m + k] * s[k];
    }
  }
  return rescale(w, std);
}

/** A heavy-tailed layer: planted Pareto(alpha) eigenvalues. */
export function heavyTailedMatrix(rows: number, cols: number, alpha: number, std: number, rng: Rng): Float64Array {
  return matrixWithEigenvalues(rows, cols, paretoEigenvalues(Math.min(rows, cols), alpha, rng), std, rng);
}

/**
 * Bulk + spikes: Gaussian N(0, std²) plus `spikes.length` rank-one terms θ·u·vᵀ (unit u, v), θ given in multiples
 * of the bulk's top singular value std·(√rows + √cols), so each spike stands clear of the Marchenko–Pastur edge.
 */
export function spikedMatrix(rows: number, cols: number, spikes: number[], std: number, rng: Rng): Float64Array {
  const w = gaussianMatrix(rows, cols, std, rng);
  const edge = std * (Math.sqrt(rows) + Math.sqrt(cols));
  const normal = normalSampler(rng);
  const unit = (n: number) => {
    const x = new Float64Array(n);
    let norm = 0;
    for (let i = 0; i < n; i++) {
      x[i] = normal();
      norm += x[i] * x[i];
    }
    norm = Math.sqrt(norm);
    return x.map((v) => v / norm);
  };
  for (const strength of spikes) {
    const a = unit(rows);
    const b = unit(cols);
    const theta = strength * edge;
    for (let i = 0; i < rows; i++) {
      const ai = theta * a[i];
      for (let j = 0; j < cols; j++) w[i * cols + j] += ai * b[j];
    }
  }
  return w;
}

/** a·x + b·y elementwise (same shapes), rescaled to RMS `std`: used to blend random-like and trained weights. */
export function blend(x: Float64Array, a: number, y: Float64Array, b: number, std: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i] + b * y[i];
  return rescale(out, std);
}

/** Transposes a row-major rows × cols matrix (GPT-2's Conv1D stores [in, out]). */
export function transpose(w: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j];
  return out;
}

/**
 * rows × cols matrix of rank k = sv.length with exactly the singular values `sv`: U·diag(sv)·Vᵀ, U (rows × k) and
 * V (cols × k) with orthonormal columns drawn from `rng` (no rescaling). Used for planted fine-tune updates ΔW.
 */
export function lowRankMatrix(rows: number, cols: number, sv: readonly number[], rng: Rng): Float64Array {
  const k = sv.length;
  const u = orthonormalColumns(rows, k, rng);
  const v = orthonormalColumns(cols, k, rng);
  const w = new Float64Array(rows * cols);
  const us = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < k; p++) us[p] = u[i * k + p] * sv[p];
    const row = i * cols;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += us[p] * v[j * k + p];
      w[row + j] = s;
    }
  }
  return w;
}
