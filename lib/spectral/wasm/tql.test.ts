import { describe, expect, it } from 'vitest';
import { tridiagonalEigenvalues } from '../eigen-js';
import { seededRandom } from '../testing/planted';
import { instantiateKernels } from './testing/kernels';

/** Symmetric tridiagonal test matrices (d, e with e[n-1] = 0) of several kinds. */
function tridiagonal(n: number, kind: 'random' | 'graded' | 'noise-cluster' | 'glued', seed: number) {
  const rand = seededRandom(seed);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'random') {
      d[i] = 10 * (rand() - 0.3);
      e[i] = rand() - 0.5;
    } else if (kind === 'graded') {
      const g = 10 ** ((-12 * i) / n);
      d[i] = g * (1 + rand());
      e[i] = 0.3 * g * rand();
    } else if (kind === 'noise-cluster') {
      // half the spectrum at the rounding-noise level of the other half (a rank-deficient Gram)
      d[i] = i < n / 2 ? 1e-14 * rand() : 1 + rand();
      e[i] = i < n / 2 ? 1e-14 * rand() : rand();
    } else {
      // Wilkinson-like glued blocks: near-multiple eigenvalues
      d[i] = Math.abs((i % 21) - 10);
      e[i] = i % 21 === 20 ? 1e-10 : 1;
    }
  }
  e[n - 1] = 0;
  return { d, e };
}

const variants = (['plain', 'fma'] as const).filter((v) => instantiateKernels(v) !== null);

describe.each(variants)('tridiagonal eigenvalues (%s build)', (variant) => {
  it.each([
    ['random', 1], ['random', 2], ['random', 3], ['random', 257], ['graded', 400], ['noise-cluster', 300], ['glued', 315],
  ] as const)('root-free QL agrees with the JS reference on a %s matrix of order %i', (kind, n) => {
    const k = instantiateKernels(variant)!;
    const { d, e } = tridiagonal(n, kind, n * 13);
    const want = tridiagonalEigenvalues({ d, e });
    const scale = Math.max(Math.abs(want[0]), Math.abs(want[n - 1]));
    for (const fn of ['tqlRootFree']) {
      const pd = k.alloc(n);
      const pe = k.alloc(n);
      k.f64(pd, n).set(d);
      k.f64(pe, n).set(e);
      expect(k.exports[fn](n, pd, pe)).toBe(0);
      const got = Float64Array.from(k.f64(pd, n)).sort();
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-13 * Math.max(scale, 1e-300) * Math.max(1, Math.log2(n)));
    }
  });
});
