import { afterAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from './rng';
import { gaussian as gaussianFrom, gaussianMatrix } from './testing/planted';
import { KernelPool, loadKernelModule, wasmVariant } from './wasm/pool';

// The fused build (spectral-fma.wasm) rounds each multiply-add once instead of twice, so it may
// differ from the plain build in the last bits but never by more than the Gram route's own error
// (~n·eps·λ_max). These tests pin that: both builds agree to 1e-10 relative on full-rank spectra and
// to 1e-10·λ_max on the numerically-zero tail of a rank-deficient one. They skip where this runtime
// cannot enable relaxed SIMD (or a build is missing).

const both = loadKernelModule('plain') !== null && loadKernelModule('fma') !== null;

const gaussian = (rng: Rng) => gaussianFrom(() => rng.nextFloat());

/** rows x cols product of Gaussian rows x rank and rank x cols factors (float64): rank exactly `rank`. */
function lowRankMatrix(rows: number, cols: number, rank: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const b = Float64Array.from({ length: rows * rank }, () => gaussian(rng));
  const c = Float64Array.from({ length: rank * cols }, () => gaussian(rng));
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < rank; p++) {
      const bip = b[i * rank + p];
      for (let j = 0; j < cols; j++) w[i * cols + j] += bip * c[p * cols + j];
    }
  }
  return w;
}

describe.skipIf(!both)('fused multiply-add kernels (spectral-fma.wasm)', () => {
  const plain = new KernelPool({ variant: 'plain' });
  const fma = new KernelPool({ variant: 'fma' });
  afterAll(async () => {
    await plain.shutdown();
    await fma.shutdown();
  });

  async function compare(data: Float32Array | Float64Array, rows: number, cols: number) {
    const a = (await plain.eigenvalues(data, rows, cols)).values;
    const b = (await fma.eigenvalues(data, rows, cols)).values;
    expect(b.length).toBe(Math.min(rows, cols));
    const top = a[a.length - 1];
    let worstRel = 0;
    let worstAbs = 0;
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(a[i] - b[i]);
      worstAbs = Math.max(worstAbs, diff / top);
      if (Math.abs(a[i]) > 1e-6 * top) worstRel = Math.max(worstRel, diff / Math.abs(a[i]));
    }
    return { a, b, worstRel, worstAbs };
  }

  it('runs the build each pool asked for', () => {
    expect(plain.variant).toBe('plain');
    expect(fma.variant).toBe('fma');
  });

  it('agrees with the plain build on a square matrix', async () => {
    const { worstRel, worstAbs } = await compare(gaussianMatrix(260, 260, 11), 260, 260);
    expect(worstRel).toBeLessThan(1e-10);
    expect(worstAbs).toBeLessThan(1e-10);
  });

  it('agrees with the plain build on tall and wide rectangular matrices', async () => {
    for (const [rows, cols, seed] of [[190, 517, 12], [533, 150, 13]] as const) {
      const { worstRel, worstAbs } = await compare(gaussianMatrix(rows, cols, seed), rows, cols);
      expect(worstRel, `${rows}x${cols}`).toBeLessThan(1e-10);
      expect(worstAbs, `${rows}x${cols}`).toBeLessThan(1e-10);
    }
  });

  it('agrees with the plain build on a rank-deficient matrix (zero tail to 1e-10·λ_max)', async () => {
    const rows = 150, cols = 300, rank = 40;
    const { a, b, worstRel, worstAbs } = await compare(lowRankMatrix(rows, cols, rank, 14), rows, cols);
    expect(worstRel).toBeLessThan(1e-10);
    expect(worstAbs).toBeLessThan(1e-10);
    // both see the same rank: 40 values well above the noise floor, 110 at it
    const floor = 1e-9 * a[a.length - 1];
    expect(a.filter((x) => x > floor).length).toBe(rank);
    expect(b.filter((x) => x > floor).length).toBe(rank);
  });

  it('is the default build unless ALPHABOARD_WASM_FMA=0', () => {
    const saved = process.env.ALPHABOARD_WASM_FMA;
    try {
      delete process.env.ALPHABOARD_WASM_FMA;
      expect(wasmVariant()).toBe('fma');
      process.env.ALPHABOARD_WASM_FMA = '0';
      expect(wasmVariant()).toBe('plain');
      expect(new KernelPool().variant).toBe('plain');
    } finally {
      if (saved === undefined) delete process.env.ALPHABOARD_WASM_FMA;
      else process.env.ALPHABOARD_WASM_FMA = saved;
    }
  });
});
