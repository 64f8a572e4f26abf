import { afterAll, describe, expect, it } from 'vitest';
import { analyzeMatrix } from '@/lib/spectral';
import { ComputeError, ComputePool } from './compute-pool';

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
