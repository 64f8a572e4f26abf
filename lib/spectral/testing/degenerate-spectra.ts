/**
 * Degenerate weight matrices for the property tests of the spectral core (degenerate.test.ts): spectra with no
 * spread or almost none, exact low rank, extreme dynamic range, subnormal entries and sizes at the min_evals edge.
 * Each case is a matrix as the CLI would read it (row-major float32 or float64), deterministic, small enough that
 * every option runs in well under a second.
 */
import { plantedMatrix } from './planted';

export interface DegenerateCase {
  name: string;
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

/** rows × cols matrix with `s` on its diagonal (singular values exactly |s|, eigenvalues exactly s² as doubles). */
export function diagonalMatrix(rows: number, cols: number, s: ArrayLike<number>, f32 = false): Float32Array | Float64Array {
  const out = f32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols, s.length); i++) out[i * cols + i] = s[i];
  return out;
}

function filled(n: number, f: (i: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => f(i));
}

/** The degenerate cases (names are stable: tests and reports refer to them). */
export function degenerateCases(): DegenerateCase[] {
  const cases: DegenerateCase[] = [];
  const add = (name: string, rows: number, cols: number, data: Float32Array | Float64Array) =>
    cases.push({ name, rows, cols, data });
  // every eigenvalue equal
  add('identity 64x96', 64, 96, diagonalMatrix(64, 96, filled(64, () => 1), true));
  add('orthogonal 128x128 (float32)', 128, 128, Float32Array.from(plantedMatrix(128, 128, filled(128, () => 1), 7)));
  add('orthogonal 40x40 (float64)', 40, 40, plantedMatrix(40, 40, filled(40, () => 1), 3));
  add('all equal 2.5, 32x48', 32, 48, diagonalMatrix(32, 48, filled(32, () => Math.sqrt(2.5))));
  add('all equal below the fit threshold', 24, 24, diagonalMatrix(24, 24, filled(24, () => 3e-3)));
  add('all zero 16x32', 16, 32, new Float32Array(16 * 32));
  // two distinct values
  add('two values 1 and 4, 32x32', 32, 32, diagonalMatrix(32, 32, filled(32, (i) => (i < 16 ? 1 : 2))));
  add('two values, one of them once', 30, 50, diagonalMatrix(30, 50, filled(30, (i) => (i === 29 ? 3 : 1))));
  add('two values 1 and 1+1e-12', 20, 30, diagonalMatrix(20, 30, filled(20, (i) => (i % 2 ? 1 + 5e-13 : 1))));
  // one nonzero eigenvalue / exact low rank
  add('one nonzero eigenvalue', 20, 40, diagonalMatrix(20, 40, filled(20, (i) => (i === 0 ? 5 : 0))));
  for (const r of [1, 2, 3]) {
    add(`exact rank ${r}, 48x64`, 48, 64, plantedMatrix(48, 64, filled(48, (i) => (i < r ? 3 - i : 0)), 10 + r));
  }
  // extreme dynamic range
  add('eigenvalues 1e-30..1e30', 61, 80, diagonalMatrix(61, 80, filled(61, (i) => Math.pow(10, i / 2 - 15))));
  add('eigenvalues 1e-30 and 1e30 only', 20, 20, diagonalMatrix(20, 20, filled(20, (i) => (i < 10 ? 1e-15 : 1e15))));
  // subnormal entries (their squares underflow to 0)
  add('float64 subnormals', 16, 24, diagonalMatrix(16, 24, filled(16, (i) => 1e-310 * (i + 1))));
  add('float32 subnormals with a few normal values', 16, 24, diagonalMatrix(16, 24, filled(16, (i) => (i < 12 ? 1e-40 * (i + 1) : i)), true));
  // sizes at the min_evals edge (M = 10)
  add('min_evals edge: 10x100 all equal', 10, 100, diagonalMatrix(10, 100, filled(10, () => 1)));
  add('min_evals edge: 10x10 two values', 10, 10, diagonalMatrix(10, 10, filled(10, (i) => (i < 5 ? 1 : 2))));
  add('min_evals edge: 10x64 rank 1', 10, 64, plantedMatrix(10, 64, filled(10, (i) => (i === 0 ? 1 : 0)), 5));
  return cases;
}
