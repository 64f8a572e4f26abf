import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { eigenvaluesWasm, eigenvaluesWasmDetailed, wasmAvailable } from './eigen-wasm';
import { gramEigenvalues } from './eigen-js';
import { createRng, type Rng } from './rng';
import { gaussian as gaussianFrom, gaussianMatrix } from './testing/planted';
import { KernelPool, shutdown } from './wasm/pool';

const gaussian = (rng: Rng) => gaussianFrom(() => rng.nextFloat());

/** n x k matrix with orthonormal columns (column-major), by twice-iterated modified Gram-Schmidt. */
function orthonormalColumns(n: number, k: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * k);
  for (let i = 0; i < q.length; i++) q[i] = gaussian(rng);
  for (let j = 0; j < k; j++) {
    const cj = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const cp = p * n;
        let s = 0;
        for (let r = 0; r < n; r++) s += q[cp + r] * q[cj + r];
        for (let r = 0; r < n; r++) q[cj + r] -= s * q[cp + r];
      }
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[cj + r] ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < n; r++) q[cj + r] /= norm;
  }
  return q;
}

/** W = U diag(s) Vᵀ (rows x cols, row-major float64) with random orthonormal U, V: σ(W) = s exactly. */
function plantedMatrix(rows: number, cols: number, s: number[], seed: number): Float64Array {
  const rng = createRng(seed);
  const m = s.length;
  const u = orthonormalColumns(rows, m, rng);
  const v = orthonormalColumns(cols, m, rng);
  const w = new Float64Array(rows * cols);
  for (let p = 0; p < m; p++) {
    for (let i = 0; i < rows; i++) {
      const a = u[p * rows + i] * s[p];
      const row = i * cols;
      for (let j = 0; j < cols; j++) w[row + j] += a * v[p * cols + j];
    }
  }
  return w;
}

function maxRelativeError(got: Float64Array, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.abs(want[i]));
  return worst;
}

const available = wasmAvailable();

afterAll(async () => {
  await shutdown();
});

describe.skipIf(!available)('eigenvaluesWasm', () => {
  // Shapes straddle the kernel's block sizes: panel width 32, 4-row strips, 256-row cache blocks,
  // Gram chunks of 256 along the inner dimension; both orientations exercise both Gram packings.
  const shapes: [number, number][] = [
    [1, 1], [1, 9], [9, 1], [2, 3], [3, 2], [5, 5], [31, 33], [33, 31], [64, 97], [97, 64],
    [150, 300], [300, 150], [270, 270],
  ];

  it.each(shapes)('recovers a planted spectrum %ix%i (float64 input) to 1e-10 relative', async (rows, cols) => {
    const m = Math.min(rows, cols);
    const rng = createRng(rows * 1000 + cols);
    const s = Array.from({ length: m }, () => 1 + 9 * rng.nextFloat()); // σ in [1, 10]: cond(G) <= 100
    const w = plantedMatrix(rows, cols, s, rows + 7 * cols);
    const got = await eigenvaluesWasm(w, rows, cols);
    const want = s.map((x) => x * x).sort((a, b) => a - b);
    expect(got.length).toBe(m);
    expect(maxRelativeError(got, want)).toBeLessThan(1e-10);
  });

  it.each([[40, 120], [120, 40], [200, 200], [257, 513], [513, 257]])(
    'matches the JS Gram route on a float32 Gaussian %ix%i to 1e-10 relative',
    async (rows, cols) => {
      const w = gaussianMatrix(rows, cols, rows ^ (cols << 8));
      const got = await eigenvaluesWasm(w, rows, cols);
      const want = gramEigenvalues(w, rows, cols);
      // rectangular Gaussians are well conditioned; the square one has a tiny λ_min whose error is
      // bounded by eps·λ_max, so compare against λ_max there
      const lmax = want[want.length - 1];
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        const scale = rows === cols ? lmax : Math.abs(want[i]);
        worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
      }
      expect(worst).toBeLessThan(1e-10);
      for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThanOrEqual(got[i - 1]);
    },
  );

  it('gives the same eigenvalues for W and Wᵀ', async () => {
    const rows = 90, cols = 170;
    const w = gaussianMatrix(rows, cols, 42);
    const t = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = w[i * cols + j];
    const a = await eigenvaluesWasm(w, rows, cols);
    const b = await eigenvaluesWasm(t, cols, rows);
    expect(maxRelativeError(a, b)).toBeLessThan(1e-12);
  });

  it('gives the same numbers on one thread and on two', async () => {
    const w = gaussianMatrix(300, 500, 7);
    const one = new KernelPool({ threads: 1 });
    const two = new KernelPool({ threads: 2 });
    try {
      const a = (await one.eigenvalues(w, 300, 500)).values;
      const b = (await two.eigenvalues(w, 300, 500)).values;
      expect(maxRelativeError(a, b)).toBeLessThan(1e-12);
    } finally {
      await one.shutdown();
      await two.shutdown();
    }
  });

  it('gives bitwise the same numbers on every run on two threads, however the threads are timed', async () => {
    // the update of one panel is fused with the next panel's Y = A·V; a thread that runs ahead of the look-ahead
    // adds its blocks' Y later, in the same order, so the sums (and the eigenvalues) never depend on timing
    const w = gaussianMatrix(700, 760, 11);
    const pool = new KernelPool({ threads: 2 });
    try {
      const first = (await pool.eigenvalues(w, 700, 760)).values;
      for (let run = 0; run < 3; run++) {
        const again = (await pool.eigenvalues(w, 700, 760)).values;
        expect(Buffer.from(again.buffer).equals(Buffer.from(first.buffer))).toBe(true);
      }
      expect(maxRelativeError(first, gramEigenvalues(w, 700, 760))).toBeLessThan(1e-10);
    } finally {
      await pool.shutdown();
    }
  });

  it.each([8, 16, 32])('gives the same numbers with the two-stage reduction (band %i) as with the one-stage one', async (bandwidth) => {
    const one = new KernelPool({ reduction: 'one-stage' });
    const two = new KernelPool({ reduction: 'two-stage', bandwidth });
    try {
      for (const [rows, cols] of [[5, 9], [17, 40], [33, 33], [130, 70], [301, 260], [64, 513]]) {
        const w = gaussianMatrix(rows, cols, rows * 7 + cols + bandwidth);
        const a = await one.eigenvalues(w, rows, cols);
        const b = await two.eigenvalues(w, rows, cols);
        expect(a.timings.reduction).toBe('one-stage');
        expect(b.timings.reduction).toBe('two-stage');
        const lmax = a.values[a.values.length - 1];
        for (let i = 0; i < a.values.length; i++) expect(Math.abs(a.values[i] - b.values[i])).toBeLessThan(1e-13 * lmax);
      }
    } finally {
      await one.shutdown();
      await two.shutdown();
    }
  });

  it('gives the same numbers when W is streamed into WebAssembly memory in slabs of its inner dimension', async () => {
    const whole = new KernelPool({ kc: 16 });
    const slabs = new KernelPool({ kc: 16, slabBytes: 1 }); // one chunk of 16 per slab
    try {
      for (const [rows, cols] of [[40, 203], [203, 40], [33, 33], [9, 100]]) {
        for (const w of [gaussianMatrix(rows, cols, rows + cols), Float64Array.from(gaussianMatrix(rows, cols, 3))]) {
          const a = (await whole.eigenvalues(w, rows, cols)).values;
          const b = (await slabs.eigenvalues(w, rows, cols)).values;
          expect(maxRelativeError(a, b)).toBeLessThan(1e-12);
          expect(maxRelativeError(b, gramEigenvalues(w, rows, cols))).toBeLessThan(1e-10);
        }
      }
    } finally {
      await whole.shutdown();
      await slabs.shutdown();
    }
  });

  it('keeps two slabs of W in kernel memory at most, whatever its inner dimension', async () => {
    const rows = 64, cols = 120_000; // 31 MB of float32
    const w = gaussianMatrix(rows, cols, 9);
    const pool = new KernelPool({ slabBytes: 1 << 20 });
    try {
      const { values } = await pool.eigenvalues(w, rows, cols);
      expect(maxRelativeError(values, gramEigenvalues(w, rows, cols))).toBeLessThan(1e-10);
      expect(pool.memoryBytes).toBeLessThan(8 << 20);
    } finally {
      await pool.shutdown();
    }
  });

  it('stops an aborted solve at its next step and leaves the kernels free for the next one', async () => {
    const pool = new KernelPool({ kc: 16, slabBytes: 1 }); // many slabs: many steps
    const [rows, cols] = [48, 400];
    const w = gaussianMatrix(rows, cols, 21);
    try {
      const before = new AbortController();
      before.abort();
      await expect(pool.eigenvalues(w, rows, cols, undefined, before.signal)).rejects.toThrow(/abort/i);
      const during = new AbortController();
      const run = pool.eigenvalues(w, rows, cols, undefined, during.signal);
      await new Promise((resolve) => setImmediate(resolve)); // the first slab is with the kernels now
      during.abort();
      await expect(run).rejects.toThrow(/abort/i);
      const { values } = await pool.eigenvalues(w, rows, cols);
      expect(maxRelativeError(values, gramEigenvalues(w, rows, cols))).toBeLessThan(1e-10);
      // an unaborted signal changes nothing but the slab sizes
      const withSignal = (await pool.eigenvalues(w, rows, cols, undefined, new AbortController().signal)).values;
      expect(maxRelativeError(withSignal, values)).toBeLessThan(1e-12);
    } finally {
      await pool.shutdown();
    }
  });

  it('hands the workers to the next job before running QL on the calling thread', async () => {
    const pool = new KernelPool({});
    const a = gaussianMatrix(120, 300, 4);
    const b = gaussianMatrix(100, 260, 5);
    const log: string[] = [];
    const runOnAll = (pool as unknown as { runOnAll(job: { op: string; rows: number }): Promise<unknown> }).runOnAll.bind(pool);
    (pool as unknown as { runOnAll: typeof runOnAll }).runOnAll = (job) => {
      log.push(`${job.op} ${job.rows === 120 ? 'a' : 'b'}`);
      return runOnAll(job);
    };
    try {
      const ra = pool.eigenvalues(a, 120, 300).then((r) => (log.push('a done'), r));
      const rb = pool.eigenvalues(b, 100, 260).then((r) => (log.push('b done'), r));
      const [va, vb] = await Promise.all([ra, rb]);
      expect(log.indexOf('gram b')).toBeGreaterThan(log.indexOf('reduce a'));
      expect(log.indexOf('gram b')).toBeLessThan(log.indexOf('a done')); // b's Gram is under way while a's QL runs
      expect(maxRelativeError(va.values, gramEigenvalues(a, 120, 300))).toBeLessThan(1e-10);
      expect(maxRelativeError(vb.values, gramEigenvalues(b, 100, 260))).toBeLessThan(1e-10);
      expect(va.timings.tql_s).toBeGreaterThan(0);
    } finally {
      await pool.shutdown();
    }
  });

  it('serialises concurrent calls on the shared memory', async () => {
    const a = gaussianMatrix(80, 200, 1);
    const b = gaussianMatrix(220, 60, 2);
    const [ra, rb] = await Promise.all([eigenvaluesWasm(a, 80, 200), eigenvaluesWasm(b, 220, 60)]);
    expect(maxRelativeError(ra, gramEigenvalues(a, 80, 200))).toBeLessThan(1e-10);
    expect(maxRelativeError(rb, gramEigenvalues(b, 220, 60))).toBeLessThan(1e-10);
  });

  it('returns exact zeros of a zero matrix and handles a rank-one matrix', async () => {
    expect(Array.from(await eigenvaluesWasm(new Float32Array(12 * 20), 12, 20))).toEqual(new Array(12).fill(0));
    const rows = 40, cols = 70;
    const w = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[i * cols + j] = (i + 1) * Math.cos(j);
    let fro2 = 0;
    for (const x of w) fro2 += x * x;
    const got = await eigenvaluesWasm(w, rows, cols);
    expect(got[rows - 1]).toBeCloseTo(fro2, 6);
    expect(Math.abs(got[0])).toBeLessThan(1e-10 * fro2);
  });

  it('converges on rank-deficient and widely graded spectra', async () => {
    // rank 12 of 150: 138 eigenvalues at the rounding-noise level must deflate, not stall
    const rows = 150, cols = 260;
    const s = Array.from({ length: 12 }, (_, i) => 1 + i);
    const low = plantedMatrix(rows, cols, s, 99);
    const got = await eigenvaluesWasm(low, rows, cols);
    const lmax = 144;
    for (let i = 0; i < rows - 12; i++) expect(Math.abs(got[i])).toBeLessThan(1e-12 * lmax);
    expect(maxRelativeError(got.slice(rows - 12), s.map((x) => x * x))).toBeLessThan(1e-10);
    // σ from 1e-3 to 1e3: λ spans 12 decades; the bound is |Δλ| <~ n·eps·λ_max
    const wide = Array.from({ length: 120 }, (_, i) => 10 ** (-3 + (6 * i) / 119));
    const w2 = plantedMatrix(120, 200, wide, 5);
    const got2 = await eigenvaluesWasm(w2, 120, 200);
    const want2 = wide.map((x) => x * x);
    for (let i = 0; i < 120; i++) expect(Math.abs(got2[i] - want2[i])).toBeLessThan(1e-12 * 1e6 + 1e-10 * want2[i]);
  });

  it('reports the time of each step', async () => {
    const { timings } = await eigenvaluesWasmDetailed(gaussianMatrix(64, 128, 3), 64, 128);
    for (const key of ['copy_s', 'gram_s', 'tridiag_s', 'tql_s'] as const) expect(timings[key]).toBeGreaterThanOrEqual(0);
  });

  it('does not keep a process alive once the job is done, and workers ignore the parent\'s flags', async () => {
    // --input-type=module is inherited by workers by default and would crash them at start
    const entry = path.resolve(__dirname, 'eigen-wasm.ts');
    const code = `import { eigenvaluesWasm } from ${JSON.stringify(entry)};
      const v = await eigenvaluesWasm(new Float32Array([3, 0, 0, 4]), 2, 2);
      console.log(Array.from(v).join(','));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('9,16');
  });

  it('rejects bad shapes and non-finite values by name', async () => {
    await expect(eigenvaluesWasm(new Float32Array(5), 2, 3)).rejects.toThrow(/5 values for a 2x3 matrix/);
    await expect(eigenvaluesWasm(new Float32Array(0), 0, 3)).rejects.toThrow(/bad shape/);
    const w = new Float32Array(6);
    w[4] = Number.NaN;
    await expect(eigenvaluesWasm(w, 2, 3)).rejects.toThrow(/non-finite value NaN at index 4/);
  });
});
