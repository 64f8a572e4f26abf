/**
 * All eigenvalues of WᵀW through the WebAssembly SIMD kernels (lib/spectral/wasm), on a pool of
 * worker threads sharing one WebAssembly.Memory.
 *
 * Route: G = A·Aᵀ over the smaller side (half Gram, float64 accumulation of exactly converted
 * inputs) → two-stage Householder reduction to tridiagonal form (dense → band of half-width 32 with
 * matrix-matrix products on both threads, dense-band.ts; band → tridiagonal by bulge chasing,
 * band-tridiag.ts) → root-free QL. The blocked one-stage reduction (tridiag.ts) stays available
 * (ALPHABOARD_REDUCTION=one-stage) and gives the same eigenvalues to rounding. Every step is an
 * orthogonal similarity or backward stable, so the eigenvalues are those of the float64 Gram
 * matrix to O(n·eps·λ_max) absolute error, i.e. ~1e-13 relative for the bulk of a full-rank
 * spectrum. Near-zero singular values come back as ~sqrt(eps)·σ_max (the Gram squares the
 * condition number), so callers that need rank columns exactly must check λ_min/λ_max and switch
 * to an SVD (eigen.ts does). */
import type { LowRank } from './low-rank';
import { Bf16Matrix, type WeightMatrix } from './bf16-matrix';
import { getPool, loadKernelModule, shutdown, type EigenJobTimings } from './wasm/pool';

/** The outlier scan's pass (deflate.ts) in the kernels, on the calling thread; see wasm/pool.ts. */
export { scanPassWasm } from './wasm/pool';

export type { EigenJobTimings, WasmVariant } from './wasm/pool';
export { wasmVariant } from './wasm/pool';

/** Terminates the kernel workers and frees their shared memory (they restart on the next call). */
export const shutdownWasm = shutdown;

/** True when spectral.wasm and its worker are present and the runtime has shared memory + SIMD. */
export function wasmAvailable(): boolean {
  return loadKernelModule() !== null;
}

function assertInput(data: WeightMatrix, rows: number, cols: number, scan = true): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`eigenvaluesWasm: bad shape ${rows}x${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new RangeError(`eigenvaluesWasm: ${data.length} values for a ${rows}x${cols} matrix`);
  }
  if (!scan) return;
  if (data instanceof Bf16Matrix) {
    const bits = data.bits;
    for (let i = 0; i < bits.length; i++) {
      if ((bits[i] & 0x7f80) === 0x7f80) throw new RangeError(`eigenvaluesWasm: non-finite value at index ${i}`);
    }
    return;
  }
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) throw new RangeError(`eigenvaluesWasm: non-finite value ${x} at index ${i}`);
  }
}

/**
 * Ascending float64 eigenvalues of WᵀW (all min(rows, cols) of them) with the time of each step.
 * `data` is W row-major (float32, float64 or BF16 bits); with `lowRank`, the eigenvalues of W₁ᵀW₁ for W₁ = W − L·Rᵀ (formed in
 * float64 slab by slab, low-rank.ts; the deflated route of deflate.ts). Throws RangeError on a bad shape or non-finite input, Error when the
 * kernels are unavailable or the QL iteration does not converge.
 */
export async function eigenvaluesWasmDetailed(
  data: WeightMatrix,
  rows: number,
  cols: number,
  lowRank?: LowRank,
): Promise<{ values: Float64Array; timings: EigenJobTimings }> {
  assertInput(data, rows, cols);
  return getPool().eigenvalues(data, rows, cols, lowRank);
}

/**
 * eigenvaluesWasm for a caller that checks every entry of `data` is finite itself (eigen.ts's dispatcher does, before
 * any route or in the outlier scan): skips a second pass over W (~1 ns per entry, ~45 ms for a 4096x11008 layer).
 * `signal` aborts the solve between two of its steps (the job stops at the next slab or before the reduction) with
 * an AbortError; the kernels are then free for the next solve.
 */
export async function eigenvaluesWasmFiniteInput(
  data: WeightMatrix,
  rows: number,
  cols: number,
  lowRank?: LowRank,
  signal?: AbortSignal,
): Promise<Float64Array> {
  assertInput(data, rows, cols, false);
  return (await getPool().eigenvalues(data, rows, cols, lowRank, signal)).values;
}

/** Ascending float64 eigenvalues of WᵀW (all min(rows, cols) of them); of (W − L·Rᵀ)ᵀ(W − L·Rᵀ) with `lowRank`. */
export async function eigenvaluesWasm(data: WeightMatrix, rows: number, cols: number, lowRank?: LowRank): Promise<Float64Array> {
  return (await eigenvaluesWasmDetailed(data, rows, cols, lowRank)).values;
}
