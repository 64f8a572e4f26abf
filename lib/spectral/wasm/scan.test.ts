import { describe, expect, it } from 'vitest';
import { findSpikes, fusedPass } from '../deflate';
import { gaussianMatrix, seededRandom } from '../testing/planted';
import { loadKernelModule, scanPassWasm } from './pool';

/** Runs the JS pass and the kernels' pass on the same input; every output must be the same number, bit for bit. */
function bothPasses(w: Float32Array, rows: number, cols: number, wantFro: boolean, seed: number) {
  const rand = seededRandom(seed);
  const x = Float64Array.from({ length: 2 * cols }, () => rand() - 0.5);
  const js = { y: new Float64Array(2 * rows), z: new Float64Array(2 * cols), fro: 0 };
  const kernel = { y: new Float64Array(2 * rows), z: new Float64Array(2 * cols).fill(7), fro: 0 };
  js.fro = fusedPass(w, rows, cols, x, 2, js.y, js.z, wantFro);
  kernel.fro = scanPassWasm(w, rows, cols, x, kernel.y, kernel.z, wantFro);
  return { js, kernel };
}

function expectBitwise(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const differ = a.findIndex((v, i) => !Object.is(v, b[i]));
  expect(differ, `first difference at ${differ}`).toBe(-1);
}

function matrix(rows: number, cols: number, seed: number): Float32Array {
  return Float32Array.from(gaussianMatrix(rows, cols, seed), (v) => 0.02 * v);
}

describe.skipIf(!loadKernelModule())('the outlier scan pass in the kernels (scan.ts)', () => {
  it.each([
    [1, 5], [3, 17], [4, 8], [7, 33], [64, 130],
    // 2051 rows of 1100: two blocks of rows through kernel memory, the second ending in a partial group of 4
    [2051, 1100],
  ])('gives the JS pass\'s y, z and sum of squares bit for bit (%i x %i)', (rows, cols) => {
    const w = matrix(rows, cols, rows * 7 + cols);
    for (const wantFro of [true, false]) {
      const { js, kernel } = bothPasses(w, rows, cols, wantFro, rows + cols);
      expectBitwise(kernel.y, js.y);
      expectBitwise(kernel.z, js.z);
      expect(Object.is(kernel.fro, js.fro)).toBe(true);
      if (!wantFro) expect(kernel.fro).toBe(0);
      else expect(kernel.fro).toBeGreaterThan(0);
    }
  });

  it('carries a NaN or an infinite entry into the sum of squares, as the JS pass does', () => {
    const rows = 9, cols = 21;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const w = matrix(rows, cols, 3);
      w[5 * cols + 4] = bad;
      const { js, kernel } = bothPasses(w, rows, cols, true, 11);
      expect(Number.isFinite(kernel.fro)).toBe(false);
      expect(Object.is(kernel.fro, js.fro)).toBe(true);
      expectBitwise(kernel.y, js.y);
      expectBitwise(kernel.z, js.z);
    }
  });

  it('leaves findSpikes\' result unchanged on a layer with outlier directions', () => {
    const rows = 150, cols = 403;
    const w = matrix(rows, cols, 5);
    const rand = seededRandom(9);
    const a = Float64Array.from({ length: rows }, () => rand() - 0.5);
    const b = Float64Array.from({ length: cols }, () => rand() - 0.5);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[i * cols + j] += 0.4 * a[i] * b[j];
    const plain = findSpikes(w, rows, cols);
    const fast = findSpikes(w, rows, cols, undefined, scanPassWasm);
    expect(plain).not.toBeNull();
    expect(fast!.k).toBe(plain!.k);
    expect(fast!.iterations).toBe(plain!.iterations);
    expectBitwise(fast!.theta, plain!.theta);
    expectBitwise(fast!.right, plain!.right);
    expectBitwise(fast!.left, plain!.left);
  });
});
