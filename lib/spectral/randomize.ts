/**
 * WeightWatcher 0.7.5.5's `randomize=True` columns (`apply_random_esd` + `apply_mp_fit(random=True)`), spec §5.2:
 * the ESD of the layer with all its entries shuffled, which destroys learned correlations but keeps the entry
 * distribution. Spikes that survive the shuffle ("correlation traps", `rand_num_spikes`) come from a few huge
 * entries, not from learning.
 *
 *  1. Shuffle every entry of W (a copy; the caller's data is untouched) and take the eigenvalues of the shuffled
 *     matrix with `eigenvalues()` (the spectral core's exact dispatcher). `replicas = 5` if M < 100, else 1; the
 *     replicas' eigenvalues are concatenated and sorted ascending. → `max_rand_eval` = their maximum.
 *  2. A second, single-replica shuffle r gives `rand_distance` = Jensen–Shannon distance between the layer's sorted
 *     eigenvalues and r treated as probability vectors, paired element by element (scipy.stats.entropy semantics:
 *     P = λ/Σλ, R = r/Σr, Mix = (λ + r)/Σ(λ + r), √((KL(P‖Mix) + KL(R‖Mix))/2), natural log, 0·log 0 = 0);
 *     `ww_softrank = max(r)/max(λ)`; `ww_maxdist = max(λ) − max(r)`.
 *  3. WeightWatcher's MP fit (`./mp-fit`) on the replicated eigenvalues with the layer's N and M →
 *     `rand_num_spikes, rand_sigma_mp, rand_mp_softrank, rand_W_scale, rand_bulk_max, rand_bulk_min`
 *     (−1 each when the fit fails).
 *
 * Reproducibility: WeightWatcher shuffles with numpy's global unseeded generator, so its columns are not
 * reproducible and cannot be matched bit for bit. Here the shuffles use a seeded xoshiro128** stream (`./rng`):
 * the same seed gives identical columns, different seeds give different shuffles. Without a seed the fixed
 * `DEFAULT_RANDOMIZE_SEED` is used, so repeated analyses of the same checkpoint agree. The columns agree with
 * WeightWatcher's statistically (max_rand_eval within a few per cent, rand_distance close; see randomize.test.ts).
 *
 * Memory: one shuffled copy of W at a time (the buffer is reused for every replica).
 */
import { eigenvalues as coreEigenvalues } from './eigen';
import { mpFit } from './mp-fit';
import { pairwiseSum } from './pairwise-sum';
import { createRng, shuffleInPlace } from './rng';
import { SpectralError } from './errors';

type Matrix = Float32Array | Float64Array;

/** Seed used when the caller gives none (reproducible by default). */
export const DEFAULT_RANDOMIZE_SEED = 0;

/** WeightWatcher's randomize columns, under their WeightWatcher names. */
export interface RandomizeResult {
  max_rand_eval: number;
  rand_distance: number;
  ww_softrank: number;
  ww_maxdist: number;
  rand_num_spikes: number;
  rand_sigma_mp: number;
  rand_mp_softrank: number;
  rand_W_scale: number;
  rand_bulk_max: number;
  rand_bulk_min: number;
}

export interface RandomizeOptions {
  /** Seed of the shuffles (any finite number, reduced to 32 bits). Default DEFAULT_RANDOMIZE_SEED. */
  seed?: number;
  /** Eigenvalue routine (ascending eigenvalues of WᵀW); default the spectral core's `eigenvalues()`. */
  eigenvalues?: (data: Matrix, rows: number, cols: number) => Promise<Float64Array>;
}

/** WeightWatcher's replica count: 5 shuffles for layers with fewer than 100 eigenvalues, else 1. */
export function randomReplicas(M: number): number {
  return M < 100 ? 5 : 1;
}

/** Σ_i p_i ln(p_i/q_i) (scipy `rel_entr` summed in numpy order): 0 where p_i = 0, +∞ where q_i = 0 < p_i. */
function relEntropySum(p: Float64Array, q: Float64Array): number {
  const terms = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const x = p[i];
    const y = q[i];
    if (x > 0 && y > 0) terms[i] = x * Math.log(x / y);
    else if (x === 0 && y >= 0) terms[i] = 0;
    else terms[i] = Infinity;
  }
  return pairwiseSum(terms);
}

function normalized(v: Float64Array): Float64Array {
  const s = pairwiseSum(v);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (1.0 * v[i]) / s;
  return out;
}

/**
 * Jensen–Shannon distance between two equally long non-negative vectors treated as probability vectors (paired
 * element by element), natural log — WeightWatcher's `jensen_shannon_distance` over scipy.stats.entropy.
 */
export function jensenShannonDistance(p: Float64Array, q: Float64Array): number {
  if (p.length !== q.length) {
    throw new SpectralError('bad_shape', 'jensenShannonDistance', `vectors differ in length (${p.length} vs ${q.length})`);
  }
  const m = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) m[i] = (p[i] + q[i]) / 2;
  const pn = normalized(p);
  const qn = normalized(q);
  const mn = normalized(m);
  const divergence = (relEntropySum(pn, mn) + relEntropySum(qn, mn)) / 2;
  return Math.sqrt(divergence);
}

/** Eigenvalues are σ² ≥ 0; a Gram-route rounding residue below zero is clamped so the distance stays finite. */
function clampNonNegative(v: Float64Array): Float64Array {
  let neg = false;
  for (let i = 0; i < v.length; i++) if (v[i] < 0) neg = true;
  if (!neg) return v;
  return v.map((x) => (x < 0 ? 0 : x));
}

function maxOf(v: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > m) m = v[i];
  return m;
}

/**
 * WeightWatcher's randomize columns for one layer. `data` is W row-major (rows × cols) as stored, `evals` the
 * layer's own ascending eigenvalues. Throws SpectralError for a bad shape or non-finite entries (via the
 * eigenvalue routine); the MP part never throws (its failure gives −1 columns).
 */
export async function randomizeColumns(
  data: Matrix,
  rows: number,
  cols: number,
  evals: Float64Array,
  options: RandomizeOptions = {},
): Promise<RandomizeResult> {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0 || data.length !== rows * cols) {
    throw new SpectralError('bad_shape', 'randomize', `data of length ${data.length} does not match shape ${rows}x${cols}`);
  }
  const eig = options.eigenvalues ?? coreEigenvalues;
  const rng = createRng(options.seed ?? DEFAULT_RANDOMIZE_SEED);
  const M = Math.min(rows, cols);
  const N = Math.max(rows, cols);
  const buffer = data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length);
  const shuffledSpectrum = async (): Promise<Float64Array> => {
    buffer.set(data);
    shuffleInPlace(buffer, rng);
    return clampNonNegative(await eig(buffer, rows, cols));
  };

  const replicas = randomReplicas(M);
  const parts: Float64Array[] = [];
  for (let r = 0; r < replicas; r++) parts.push(await shuffledSpectrum());
  const randEvals = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    randEvals.set(p, offset);
    offset += p.length;
  }
  randEvals.sort();

  let randDistance = NaN;
  let wwSoftrank = NaN;
  let wwMaxdist = NaN;
  if (evals.length > 0) {
    const single = await shuffledSpectrum();
    const own = clampNonNegative(evals);
    randDistance = jensenShannonDistance(own, single);
    const lmax = maxOf(own);
    const rmax = maxOf(single);
    wwSoftrank = rmax / lmax;
    wwMaxdist = lmax - rmax;
  }

  const mp = mpFit(randEvals, N, M);
  return {
    max_rand_eval: maxOf(randEvals),
    rand_distance: randDistance,
    ww_softrank: wwSoftrank,
    ww_maxdist: wwMaxdist,
    rand_num_spikes: mp.num_spikes,
    rand_sigma_mp: mp.sigma_mp,
    rand_mp_softrank: mp.mp_softrank,
    rand_W_scale: mp.W_scale,
    rand_bulk_max: mp.bulk_max,
    rand_bulk_min: mp.bulk_min,
  };
}

/** Alias under the name the layer pipeline imports. */
export const randomizeLayer = randomizeColumns;
