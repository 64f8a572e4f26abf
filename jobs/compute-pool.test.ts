import { afterAll, describe, expect, it } from 'vitest';
import { analyzeMatrix, Bf16Matrix } from '@/lib/spectral';
import { ComputeError, ComputePool, DEFAULT_LAYER_BUDGET_SECONDS, DISPLACED, isDisplaced, layerBudgetMs } from './compute-pool';
import { classifyError } from './errors';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

describe('compute pool (worker threads)', () => {
  const pool = new ComputePool(2);
  afterAll(() => pool.close());

  it('gives exactly the numbers of an in-process analysis, for several matrices at once', async () => {
    const shapes: Array<[number, number]> = [[40, 64], [64, 64], [96, 48]];
    const inputs = shapes.map(([r, c], i) => randomMatrix(r, c, i + 1));
    const expected = await Promise.all(inputs.map((m, i) => analyzeMatrix(m.slice(), shapes[i][0], shapes[i][1])));
    const got = await Promise.all(inputs.map((m, i) => pool.analyze(m, shapes[i][0], shapes[i][1])));
    for (let i = 0; i < shapes.length; i++) {
      expect(got[i].metrics).toEqual(expected[i].metrics);
      expect(got[i].esd.evals).toEqual(expected[i].esd.evals);
    }
  });

  it('takes a BF16 matrix as its bits (transferred) and gives the numbers of its decoded values', async () => {
    const [rows, cols] = [72, 130];
    const bits = Uint16Array.from(new Uint32Array(randomMatrix(rows, cols, 9).buffer), (u) => u >>> 16);
    const decoded = Float32Array.from(new Bf16Matrix(bits.slice()).toFloat32());
    const expected = await analyzeMatrix(decoded, rows, cols);
    const got = await pool.analyze(new Bf16Matrix(bits), rows, cols);
    expect(bits.length).toBe(0); // transferred, not copied
    expect(got.metrics).toEqual(expected.metrics);
    expect(got.esd.evals).toEqual(expected.esd.evals);
  });

  it('copies a view of a larger buffer instead of transferring (and detaching) the whole buffer', async () => {
    const backing = randomMatrix(50, 64, 7);
    const view = backing.subarray(64, 64 + 40 * 64);
    await pool.analyze(view, 40, 64);
    expect(backing.length).toBe(50 * 64);
  });

  it('reports a matrix the spectral core rejects as a ComputeError naming the problem, and keeps working', async () => {
    const bad = new Float32Array(40 * 64).fill(Number.NaN);
    await expect(pool.analyze(bad, 40, 64)).rejects.toBeInstanceOf(ComputeError);
    const ok = await pool.analyze(randomMatrix(40, 64, 3), 40, 64);
    expect(ok.metrics.M).toBe(40);
  });
});

describe('compute pool warm-up', () => {
  it('warm() starts one thread (and its kernels) ahead of the first task, which then runs on it', async () => {
    const pool = new ComputePool(1);
    const threads = () => (pool as unknown as { all: Set<unknown> }).all.size;
    try {
      pool.warm();
      pool.warm();
      expect(threads()).toBe(1);
      const m = randomMatrix(40, 64, 9);
      const expected = await analyzeMatrix(m.slice(), 40, 64);
      const got = await pool.analyze(m, 40, 64);
      expect(got.metrics).toEqual(expected.metrics);
      expect(threads()).toBe(1);
    } finally {
      await pool.close();
    }
    pool.warm(); // closed: nothing starts
    expect(threads()).toBe(0);
  });
});

describe('compute pool time budget', () => {
  it('scales the default budget with the layer size and reads it from the environment', () => {
    expect(layerBudgetMs(128, 128, {})).toBeCloseTo((DEFAULT_LAYER_BUDGET_SECONDS + 128 ** 3 / 1e8) * 1000, 6);
    expect(layerBudgetMs(4096, 11008, {})).toBe(layerBudgetMs(11008, 4096, {}));
    expect(layerBudgetMs(4096, 11008, {})).toBeGreaterThan(layerBudgetMs(4096, 4096, {}));
    const env = { LAYER_BUDGET_SECONDS: '5', LAYER_BUDGET_FLOPS_PER_SECOND: '1e6' };
    expect(layerBudgetMs(100, 200, env)).toBeCloseTo((5 + (200 * 100 * 100) / 1e6) * 1000, 6);
    expect(layerBudgetMs(100, 200, { LAYER_BUDGET_SECONDS: '0' })).toBe(Infinity);
    expect(() => layerBudgetMs(1, 1, { LAYER_BUDGET_SECONDS: 'soon' })).toThrow(/LAYER_BUDGET_SECONDS/);
  });

  it('rejects a task over budget as a per-layer error, replaces the thread and goes on', { timeout: 60_000 }, async () => {
    // 1 ms for the 300-row matrix (its thread cannot even start in time), the default for everything else
    const pool = new ComputePool(1, { budgetMs: (rows) => (rows === 300 ? 1 : 60_000) });
    try {
      const slow = pool.analyze(randomMatrix(300, 400, 5), 300, 400);
      const after = pool.analyze(randomMatrix(40, 64, 6), 40, 64); // queued behind the slow one
      const err = await slow.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ComputeError);
      expect((err as ComputeError).causeName).toBe('LayerTimeout');
      expect((err as Error).message).toMatch(/time budget of 0\.0 s for a 300x400 matrix/);
      const classified = classifyError(err);
      expect(classified).toMatchObject({ kind: 'bad_tensor', permanent: false });
      expect(classified.message).toMatch(/time budget/);
      const ok = await after;
      expect(ok.metrics.M).toBe(40);
      const again = await pool.analyze(randomMatrix(64, 64, 8), 64, 64);
      expect(again.metrics.M).toBe(64);
    } finally {
      await pool.close();
    }
  });

  it('with two tasks per thread, the other task of a thread replaced for an overrun is rejected as displaced (retriable)', { timeout: 60_000 }, async () => {
    const pool = new ComputePool(1, { tasksPerThread: 2, budgetMs: (rows) => (rows === 300 ? 1 : 60_000) });
    const threads = () => (pool as unknown as { all: Set<unknown> }).all.size;
    try {
      const slow = pool.analyze(randomMatrix(300, 400, 5), 300, 400);
      const held = pool.analyze(randomMatrix(40, 64, 6), 40, 64); // handed to the same thread at once
      expect(threads()).toBe(1);
      const [slowErr, heldErr] = await Promise.all([slow, held].map((p) => p.then(() => null, (e: unknown) => e)));
      expect((slowErr as ComputeError).causeName).toBe('LayerTimeout');
      expect(heldErr).toBeInstanceOf(ComputeError);
      expect((heldErr as ComputeError).causeName).toBe(DISPLACED);
      expect(isDisplaced(heldErr)).toBe(true);
      expect(isDisplaced(slowErr)).toBe(false);
      expect((heldErr as Error).message).toMatch(/40x64 matrix was replaced/);
      // not the matrix's fault: retried, never stored as a skipped layer
      expect(classifyError(heldErr)).toMatchObject({ kind: 'internal', permanent: false });
      // submitted again, it is analysed on the fresh thread
      const again = await pool.analyze(randomMatrix(40, 64, 6), 40, 64);
      expect(again.metrics.M).toBe(40);
    } finally {
      await pool.close();
    }
  });

  it('with two tasks per thread, the second task\'s budget starts when the first one settles', { timeout: 60_000 }, async () => {
    // The first task (thread start-up included) takes longer than the second one's whole budget; the second one
    // waits behind it on the thread's kernels and must not be charged for that wait.
    const SECOND_BUDGET_MS = 250;
    const pool = new ComputePool(1, { tasksPerThread: 2, budgetMs: (rows) => (rows === 40 ? SECOND_BUDGET_MS : 60_000) });
    try {
      const t0 = performance.now();
      const first = pool.analyze(randomMatrix(1000, 1500, 11), 1000, 1500).then((r) => ({ r, at: performance.now() - t0 }));
      const second = pool.analyze(randomMatrix(40, 64, 12), 40, 64).then((r) => ({ r, at: performance.now() - t0 }));
      const [a, b] = await Promise.all([first, second]);
      // counted from its submission, the second task would have been over its budget
      expect(b.at).toBeGreaterThan(SECOND_BUDGET_MS);
      expect(a.r.metrics.M).toBe(1000);
      expect(b.r.metrics.M).toBe(40);
    } finally {
      await pool.close();
    }
  });

  it('a second task on a thread counts its eigen time from when the first one settled, not its wait behind it', { timeout: 60_000 }, async () => {
    const pool = new ComputePool(1, { tasksPerThread: 2 });
    try {
      const t0 = performance.now();
      const first = pool.analyze(randomMatrix(1000, 1500, 13), 1000, 1500).then((r) => ({ r, at: performance.now() - t0 }));
      const second = pool.analyze(randomMatrix(300, 400, 14), 300, 400).then((r) => ({ r, at: performance.now() - t0 }));
      const [a, b] = await Promise.all([first, second]);
      expect(b.at).toBeGreaterThan(a.at);
      // its own share: what it took after the first one was back (plus the hand-off), not the first one's time
      expect(b.r.timings.eigen_s).toBeLessThanOrEqual((b.at - a.at) / 1000 + 0.05);
      expect(a.r.timings.eigen_s).toBeGreaterThan(b.r.timings.eigen_s);
    } finally {
      await pool.close();
    }
  });
});
