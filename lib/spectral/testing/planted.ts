/**
 * Matrices with a known spectrum for property tests: W = U·diag(s)·Vᵀ with U, V random orthogonal factors built as
 * products of Householder reflections (exactly orthogonal up to rounding, cheap to apply), so the singular values
 * are s by construction — including exact zeros for a planted rank deficiency. Deterministic under a seed.
 */

import { createRng, seededRandom } from '../rng';

export { seededRandom };


/** Standard normal by Box–Muller. */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** rows × cols float32 matrix of standard normal entries from a seeded xoshiro stream (createRng). */
export function gaussianMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const rand = () => rng.nextFloat();
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = gaussian(rand);
  return a;
}

/** Applies `reflections` random Householder reflections H = I − 2vvᵀ to the columns of a (n × k, row-major). */
function reflectRows(a: Float64Array, n: number, k: number, rand: () => number, reflections: number): void {
  const v = new Float64Array(n);
  const w = new Float64Array(k);
  for (let r = 0; r < reflections; r++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      v[i] = gaussian(rand);
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] /= norm;
    w.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) w[j] += v[i] * a[i * k + j];
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) a[i * k + j] -= 2 * v[i] * w[j];
  }
}

/**
 * rows × cols float64 matrix with singular values `s` (length min(rows, cols), any order, zeros allowed):
 * W = U·diag(s)·Vᵀ with U, V products of `reflections` random Householder reflections each.
 */
export function plantedMatrix(
  rows: number,
  cols: number,
  s: ArrayLike<number>,
  seed = 1,
  reflections = 6,
): Float64Array {
  const rand = seededRandom(seed);
  const M = Math.min(rows, cols);
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < M; i++) w[i * cols + i] = s[i];
  reflectRows(w, rows, cols, rand, reflections); // U · (diag s)
  // columns: apply reflections from the right by transposing, reflecting rows, transposing back
  const t = new Float64Array(cols * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = w[i * cols + j];
  reflectRows(t, cols, rows, rand, reflections);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[i * cols + j] = t[j * rows + i];
  return w;
}

/** Transpose of a row-major rows × cols matrix. */
export function transpose<T extends Float32Array | Float64Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as { new (n: number): T })(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}
