/**
 * This project's phase heuristic (not WeightWatcher's) on planted spectra of each kind: matrices built from a seeded
 * generator, their exact eigenvalues, WeightWatcher's default fit, then the label. Each kind is checked with two
 * seeds so that the labels follow the construction, not one lucky draw. Plus the reference set's clear-cut layers.
 */
import { describe, expect, it } from 'vitest';
import type { PhaseLabel } from '@/lib/types';
import { eigenvalues } from './eigen';
import { classifyPhase, PHASE_HEURISTIC, phaseDecision, phaseLabel } from './phase';
import { fitPowerLaw } from './powerlaw';
import { createRng, type Rng } from './rng';
import { caseEvals, optionCases } from './testing/option-spectra';

const ROWS = 256;
const COLS = 512;

function normal(r: Rng): number {
  const u = 1 - r.nextFloat();
  const v = r.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** i.i.d. N(0, 1/COLS) entries: the Marchenko–Pastur null model. */
function gaussian(r: Rng): Float64Array {
  const sd = 1 / Math.sqrt(COLS);
  return Float64Array.from({ length: ROWS * COLS }, () => normal(r) * sd);
}

function unitVector(r: Rng, n: number): Float64Array {
  const v = Float64Array.from({ length: n }, () => normal(r));
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

/** Adds rank-one signals θ·u·vᵀ (BBP threshold for this shape: θ ≈ 0.84; outlier λ = (1+θ²)(c+θ²)/θ², c = 1/2). */
function withSpikes(r: Rng, w: Float64Array, thetas: number[]): Float64Array {
  for (const t of thetas) {
    const u = unitVector(r, ROWS);
    const v = unitVector(r, COLS);
    for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) w[i * COLS + j] += t * u[i] * v[j];
  }
  return w;
}

const PLANTED: Array<[PhaseLabel, string, (r: Rng) => Float64Array]> = [
  ['random-like', 'Gaussian noise', gaussian],
  ['bleeding-out', 'noise + two signals just above the BBP threshold (θ = 1.3, 1.4)', (r) => withSpikes(r, gaussian(r), [1.3, 1.4])],
  ['bulk+spikes', 'noise + three strong signals (θ = 3, 4, 5)', (r) => withSpikes(r, gaussian(r), [3, 4, 5])],
  [
    'bulk+spikes',
    'noise + eight strong signals (θ = 2 … 5.5): a low power-law α, but the outliers stand apart from the bulk',
    (r) => withSpikes(r, gaussian(r), [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5]),
  ],
  [
    'bulk-decay',
    'noise with log-normal column scales (σ = 0.35): a bulk that spreads past the MP edge without a heavy tail',
    (r) => {
      const s = Float64Array.from({ length: COLS }, () => Math.exp(0.35 * normal(r)));
      const w = gaussian(r);
      for (let i = 0; i < ROWS; i++) for (let j = 0; j < COLS; j++) w[i * COLS + j] *= s[j];
      return w;
    },
  ],
  [
    'heavy-tailed',
    'symmetric Pareto entries, tail exponent μ = 1.5',
    (r) => Float64Array.from({ length: ROWS * COLS }, () => (r.nextFloat() < 0.5 ? -1 : 1) * Math.pow(1 - r.nextFloat(), -1 / 1.5)),
  ],
  [
    'rank-collapse',
    'a rank-20 product A·B',
    (r) => {
      const k = 20;
      const a = Float64Array.from({ length: ROWS * k }, () => normal(r));
      const b = Float64Array.from({ length: k * COLS }, () => normal(r));
      const w = new Float64Array(ROWS * COLS);
      for (let i = 0; i < ROWS; i++) {
        for (let q = 0; q < k; q++) {
          const aiq = a[i * k + q];
          for (let j = 0; j < COLS; j++) w[i * COLS + j] += aiq * b[q * COLS + j];
        }
      }
      return w;
    },
  ],
];

describe('phase labels on planted spectra', () => {
  it.each(PLANTED)('%s: %s', async (want, _what, make) => {
    for (const seed of [101, 202]) {
      const w = make(createRng(seed));
      const evals = await eigenvalues(w, ROWS, COLS);
      const fit = fitPowerLaw(evals);
      const label = phaseLabel({
        M: ROWS, N: COLS, alpha: fit.status === 'success' ? fit.alpha : -1, num_pl_spikes: fit.num_pl_spikes, evals,
      });
      expect(label).toBe(want);
    }
  });
});

describe('phase labels on the reference set', () => {
  const expected: Record<string, PhaseLabel> = {
    'mp.gauss_256x1024.weight': 'random-like',
    'mp.gauss_512x512.weight': 'random-like',
    'spk.rank1_spike_256x256.weight': 'bulk+spikes',
    'spk.lowrank5_plus_noise_512x1024.weight': 'bulk+spikes',
    'ht.pareto_mu1.5_256x768.weight': 'heavy-tailed',
    'ht.student_t_mu1.5_256x1024.weight': 'heavy-tailed',
  };
  it.each(Object.entries(expected))('%s → %s', async (key, want) => {
    const [c] = optionCases((x) => x.key === key);
    const d = c.tensor.default as Record<string, number>;
    const metrics = { M: d.M, N: d.N, alpha: d.alpha, status: 'success' as const, num_pl_spikes: d.num_pl_spikes, rank_loss: d.rank_loss };
    expect(classifyPhase(metrics, await caseEvals(c))).toBe(want);
    // with WeightWatcher's own mp_fit columns instead of eigenvalues, the same label
    const mp = c.options.mp_fit_detX as Record<string, number>;
    expect(classifyPhase({ ...metrics, num_spikes: mp.num_spikes, mp_softrank: mp.mp_softrank })).toBe(want);
  });
});

describe('phase heuristic details', () => {
  it('is labelled as this project’s own, not WeightWatcher’s', () => {
    expect(PHASE_HEURISTIC).toMatch(/alphaboard's own heuristic, not WeightWatcher/);
    expect(PHASE_HEURISTIC).toMatch(/Martin & Mahoney/);
  });

  it('rank collapse comes from rank_loss alone when no eigenvalues are given', () => {
    expect(phaseLabel({ M: 100, N: 200, alpha: 3, rank_loss: 10, num_spikes: 0, mp_softrank: 1 })).toBe('rank-collapse');
    expect(phaseLabel({ M: 100, N: 200, alpha: 3, rank_loss: 9, num_spikes: 0, mp_softrank: 1 })).not.toBe('rank-collapse');
  });

  it('without eigenvalues, outliers reaching 1.5× the bulk edge count as separated spikes when they are few', () => {
    expect(phaseLabel({ M: 256, N: 512, alpha: 2.5, num_spikes: 2, mp_softrank: 0.2 })).toBe('bulk+spikes');
    expect(phaseLabel({ M: 256, N: 512, alpha: 2.5, num_spikes: 40, mp_softrank: 0.2 })).toBe('heavy-tailed');
    expect(phaseLabel({ M: 256, N: 512, alpha: 5.5, num_spikes: 40, mp_softrank: 0.2 })).toBe('bulk-decay');
    expect(phaseLabel({ M: 256, N: 512, alpha: 5.5, num_spikes: 2, mp_softrank: 0.8 })).toBe('bleeding-out');
  });

  it('falls back to α alone without an MP picture, and a failed fit does not crash', () => {
    expect(phaseLabel({ M: 100, N: 200, alpha: 2.5 })).toBe('heavy-tailed');
    expect(phaseLabel({ M: 100, N: 200, alpha: 5 })).toBe('bulk-decay');
    expect(phaseLabel({ M: 100, N: 200, alpha: 9 })).toBe('random-like');
    expect(phaseLabel({ M: 100, N: 200, alpha: -1 })).toBe('random-like');
    expect(classifyPhase({ M: 100, N: 200, alpha: -1, status: 'failed', num_spikes: 30, mp_softrank: 0.0025 })).toBe('bulk-decay');
  });

  it('a degenerate MP fit (mp_softrank = 0.0025) with a heavy α is heavy-tailed; a failed MP fit is not a bulk', () => {
    const d = phaseDecision({ M: 256, N: 512, alpha: 1.9, num_spikes: 2, mp_softrank: 0.0025 });
    expect(d.mpBulk).toBe(false);
    expect(d.phase).toBe('heavy-tailed');
    expect(phaseLabel({ M: 256, N: 512, alpha: 7, num_spikes: -1, mp_softrank: -1 })).toBe('bulk-decay');
  });
});
