/**
 * The default power-law fit against (a) WeightWatcher's own per-candidate arrays (evals.json), (b) a brute-force,
 * literal re-implementation of WWFit's formulas on random tails of many shapes (no pruning, no search order), and
 * (c) WeightWatcher's failure and option semantics.
 */
import { describe, expect, it } from 'vitest';
import {
  aboveThreshold, countAtLeast, EVALS_THRESH, fitPowerLaw, trainingWarning, wwFit, wwFitCandidates,
} from './powerlaw';
import { loadEvals, relErr } from './testing/conformance-cases';
import { seededRandom } from './testing/planted';

/** WWFit written out literally: every candidate, plain loops, running sums, numpy argmin. */
function bruteForceWwFit(x: number[]): { alpha: number; D: number; sigma: number; xmin: number; index: number } {
  const n = x.length;
  let best = -1;
  let bestD = Infinity;
  let bestAlpha = NaN;
  for (let i = 0; i < n - 1; i++) {
    const nt = n - i;
    let sumLog = 0;
    for (let j = i; j < n; j++) sumLog += Math.log(x[j]);
    const alpha = 1 + nt / (sumLog - nt * Math.log(x[i]));
    let D = 1;
    if (alpha > 1) {
      D = 0;
      for (let j = i; j < n; j++) {
        const ratio = x[j] / x[i];
        const cdf = 1 - (ratio === 1 ? 1 : Math.pow(ratio, 1 - alpha));
        D = Math.max(D, Math.abs(cdf - (j - i) / nt));
      }
    }
    if (D < bestD) {
      bestD = D;
      best = i;
      bestAlpha = alpha;
    }
  }
  return { alpha: bestAlpha, D: bestD, sigma: (bestAlpha - 1) / Math.sqrt(n - best), xmin: x[best], index: best };
}

function randomTail(rand: () => number, kind: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (kind % 5) {
      case 0: out.push(Math.pow(1 - rand(), -1 / (0.3 + 4 * rand()))); break; // Pareto, random exponent
      case 1: out.push(1 + Math.floor(rand() * 6)); break; // heavy duplicates
      case 2: out.push(1 + rand() * 1e-4); break; // near-degenerate (orthogonal-like)
      case 3: out.push(Math.exp(rand() * 12 - 6)); break; // log-uniform over many decades
      default: out.push(i < n - 3 ? 0.5 + rand() : 50 * (1 + rand())); // bulk + spikes
    }
  }
  return out.sort((a, b) => a - b);
}

describe('WWFit against a brute-force literal implementation', () => {
  it('agrees on 400 random tails (index exact, α/D to 1e-12 relative)', () => {
    const rand = seededRandom(2024);
    for (let t = 0; t < 400; t++) {
      const n = 2 + Math.floor(rand() * (t % 10 === 0 ? 900 : 120));
      const x = randomTail(rand, t, n);
      const want = bruteForceWwFit(x);
      const got = wwFit(Float64Array.from(x));
      const msg = `tail ${t} (kind ${t % 5}, n ${n})`;
      // Summation order differs (pairwise vs running); the argmin can only move on a near tie.
      if (got.index !== want.index) {
        const cands = wwFitCandidates(Float64Array.from(x));
        expect(Math.abs(cands.Ds[got.index] - cands.Ds[want.index]), msg).toBeLessThan(1e-12);
        continue;
      }
      expect(relErr(got.alpha, want.alpha), msg).toBeLessThan(1e-12);
      expect(Math.abs(got.D - want.D), msg).toBeLessThan(1e-12);
      expect(got.xmin).toBe(want.xmin);
      expect(got.xmax).toBe(x[n - 1]);
    }
  });

  it('the pruned search returns exactly the first argmin of the full candidate arrays', () => {
    const rand = seededRandom(77);
    for (let t = 0; t < 200; t++) {
      const x = Float64Array.from(randomTail(rand, t, 2 + Math.floor(rand() * 300)));
      const c = wwFitCandidates(x);
      let bi = 0;
      for (let i = 1; i < c.Ds.length; i++) if (c.Ds[i] < c.Ds[bi]) bi = i;
      const got = wwFit(x);
      expect(got.index).toBe(bi);
      expect(got.D).toBe(c.Ds[bi]);
      expect(got.alpha).toBe(c.alphas[bi]);
    }
  });
});

describe('WeightWatcher per-candidate arrays (evals.json)', () => {
  const { evals, wwfit_candidate_arrays: arrays } = loadEvals();
  it.each(Object.entries(arrays))('%s: every xmin, α, D, σ to 1e-13 relative', (key, want) => {
    const x = aboveThreshold(Float64Array.from(evals[key].evals_ascending));
    const got = wwFitCandidates(x);
    expect(got.xmins.length).toBe(want.xmins.length);
    for (const col of ['xmins', 'alphas', 'Ds', 'sigmas'] as const) {
      want[col].forEach((w, i) => expect(relErr(got[col][i], w), `${col}[${i}]`).toBeLessThan(1e-13));
    }
  });
});

describe('fitPowerLaw semantics', () => {
  it('thresholds at 1e-5 strictly and counts num_pl_spikes over the full ESD', () => {
    const ev = Float64Array.from([0, 1e-6, EVALS_THRESH, 2e-5, 0.5, 1, 2, 3, 5, 8, 13]);
    expect(aboveThreshold(ev)[0]).toBe(2e-5);
    const fit = fitPowerLaw(ev);
    expect(fit.status).toBe('success');
    expect(fit.xmax).toBe(13);
    expect(fit.num_pl_spikes).toBe(countAtLeast(ev, fit.xmin));
  });

  it('fails with the sentinels when fewer than two eigenvalues pass the threshold', () => {
    for (const ev of [[], [1e-7, 1e-6], [0, 0, 3]]) {
      const fit = fitPowerLaw(Float64Array.from(ev));
      expect(fit).toEqual({
        status: 'failed', alpha: -1, D: -1, sigma: -1, xmin: -1, xmax: null, num_pl_spikes: -1, warning: 'over-trained',
      });
    }
  });

  it('xmax = -k drops the k largest eigenvalues before the fit and the spike count', () => {
    const rand = seededRandom(8);
    const ev = Float64Array.from(randomTail(rand, 0, 200));
    const dropped = fitPowerLaw(ev, { xmax: -3 });
    const manual = fitPowerLaw(ev.subarray(0, 197));
    expect(dropped).toEqual(manual);
    expect(() => fitPowerLaw(ev, { xmax: 2 })).toThrow(/negative integer/);
  });

  it('warning follows WeightWatcher thresholds 2 and 6', () => {
    expect(trainingWarning(1.99)).toBe('over-trained');
    expect(trainingWarning(2)).toBe('');
    expect(trainingWarning(6)).toBe('');
    expect(trainingWarning(6.01)).toBe('under-trained');
    expect(trainingWarning(-1)).toBe('over-trained');
  });

  it('is scale covariant: α, D and the xmin index of c·λ equal those of λ', () => {
    const rand = seededRandom(31);
    const ev = Float64Array.from(randomTail(rand, 3, 300)).map((v) => v + 1);
    const a = fitPowerLaw(ev);
    for (const c of [1e-3, 7.5, 1e4]) {
      const b = fitPowerLaw(ev.map((v) => v * c));
      expect(relErr(b.alpha, a.alpha)).toBeLessThan(1e-9);
      expect(Math.abs(b.D - a.D)).toBeLessThan(1e-9);
      expect(relErr(b.xmin, a.xmin * c)).toBeLessThan(1e-12);
    }
  });

  it('fits M = 4096 quickly (functional guard, not a benchmark)', () => {
    const rand = seededRandom(4096);
    const ev = Float64Array.from(randomTail(rand, 0, 4096));
    const t0 = performance.now();
    fitPowerLaw(ev);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
