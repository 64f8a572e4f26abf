/**
 * One layer, end to end: WeightWatcher 0.7.5.5's per-layer pipeline (spec §0) on a 2-D weight matrix.
 *
 * Order (as WeightWatcher's): guards → eigenvalues (apply_esd; layers with outlier directions deflated first,
 * deflate.ts; on the Gram and deflated routes the fit's sensitivity to the route's eigenvalue errors is checked,
 * and the SVD route taken when it could matter — eigen-js.ts, fit-stability.ts) → power-law fit (apply_powerlaw; default PL, or clip_xmax fingers / TPL when asked) → [MP fit]
 * → [randomized ESD] → [detX] → norm metrics → phase label (this project's heuristic, phase.ts; never a
 * WeightWatcher output). None of the optional steps changes the eigenvalues or a default column: option columns are
 * only added.
 *
 * Input: row-major float32/float64 data (or a BF16 tensor's bits, bf16-matrix.ts) with its shape, exactly as stored (no transposition, no normalisation —
 * WeightWatcher's 2-D layers are not rescaled). Failure modes: a bad shape or any NaN/±Infinity entry throws
 * SpectralError naming `options.subject` (the tensor key); an unsupported option value throws
 * SpectralError('bad_option'); a degenerate spectrum is NOT an error — it is a failed fit with WeightWatcher's
 * sentinels (status 'failed', α = −1, ...), as WeightWatcher reports it.
 */
import type { AnalysisOptions, EsdData, LayerMetrics, OptionalLayerMetrics, PhaseLabel } from '@/lib/types';
import { deflatedErrorModel } from './deflate';
import { detX } from './detx';
import { computeSpectrum, type EigenRoute } from './eigen';
import { SpectralError } from './errors';
import { buildEsdData } from './esd-data';
import { esdColumns } from './esd';
import { fitClipXmax } from './fingers';
import { gramFitIsStable } from './fit-stability';
import { mpFit } from './mp-fit';
import { normColumns } from './norms';
import { classifyPhase } from './phase';
import { fitPowerLaw, type PowerLawFit } from './powerlaw';
import { randomizeColumns } from './randomize';
import { fitTruncatedPowerLaw } from './tpl';
import { asFloat, type WeightMatrix } from './bf16-matrix';

export interface AnalyzeMatrixOptions extends AnalysisOptions {
  /** Names the matrix in errors (the tensor key). */
  subject?: string;
  /** Force an eigenvalue route (tests, benchmarks); default: the documented automatic policy. */
  route?: 'auto' | EigenRoute;
  /** 'js' forces the pure-JS eigen backend (tests, bisecting); default: the fastest self-checked backend. */
  backend?: 'auto' | 'js';
}

export interface AnalyzeMatrixResult {
  metrics: LayerMetrics & OptionalLayerMetrics;
  esd: EsdData;
  phase: PhaseLabel | null;
  timings: { eigen_s: number; fit_s: number };
  /** Which eigenvalue route produced the spectrum ('gram', 'deflated' or 'svd'). */
  route: EigenRoute;
  /** All M eigenvalues of WᵀW the columns were computed from, ascending (the ESD plot data may subsample them). */
  evals?: Float64Array;
}

type FitWithExtras = Omit<PowerLawFit, 'xmax'> & {
  xmax: number | null;
  num_fingers?: number;
  raw_alpha?: number;
  Lambda?: number;
};

async function runFit(evals: Float64Array, options: AnalysisOptions): Promise<FitWithExtras> {
  const xmax = options.xmax ?? null;
  if (options.fit === 'TPL') return fitTruncatedPowerLaw(evals, { xmax });
  if (options.fit !== undefined && options.fit !== 'PL') {
    throw new SpectralError('bad_option', 'fit', `unsupported value ${String(options.fit)} (PL or TPL)`);
  }
  if (options.fixFingers === 'clip_xmax') return fitClipXmax(evals, { xmax });
  if (options.fixFingers !== undefined && options.fixFingers !== null) {
    throw new SpectralError('bad_option', 'fixFingers', `unsupported value ${String(options.fixFingers)} (only clip_xmax)`);
  }
  return fitPowerLaw(evals, { xmax });
}

/** WeightWatcher's default columns (+ option columns) for one matrix, its plot data, phase and timings. */
export async function analyzeMatrix(
  data: WeightMatrix,
  rows: number,
  cols: number,
  options: AnalyzeMatrixOptions = {},
): Promise<AnalyzeMatrixResult> {
  const subject = options.subject ?? 'matrix';
  const t0 = performance.now();
  const backend = options.backend;
  let spec = await computeSpectrum(data, rows, cols, { route: options.route, subject, backend });
  const model = spec.deflation ? deflatedErrorModel(spec.deflation) : undefined;
  if (spec.route !== 'svd' && (options.route ?? 'auto') === 'auto' && !gramFitIsStable(spec.evals, options.xmax ?? null, model)) {
    // The Gram-route (or deflated-route) eigenvalues could change the fit (fit-stability.ts, deflate.ts): take
    // WeightWatcher's SVD route instead.
    spec = await computeSpectrum(data, rows, cols, { route: 'svd', subject, backend });
  }
  const t1 = performance.now();
  return finishFromSpectrum(spec.evals, spec.sv ?? undefined, rows, cols, options, { data, t0, t1, route: spec.route });
}

/**
 * WeightWatcher's columns from precomputed eigenvalues of WᵀW (ascending, all M = min(rows, cols) of them, zeros
 * included) for a rows × cols matrix that is never formed: the same fit, ESD, norm and option columns as
 * `analyzeMatrix` would give on the dense matrix with those eigenvalues (norms from eigenvalues: Frobenius² = Σλ,
 * spectral² = max λ, ...). Used for low-rank matrices (a LoRA adapter's s·B·A) whose nonzero eigenvalues come from
 * an r × r problem. `--randomize` needs the entries themselves and throws SpectralError('bad_option') here.
 */
export async function analyzeEigenvalues(
  evals: Float64Array,
  rows: number,
  cols: number,
  options: AnalyzeMatrixOptions = {},
): Promise<AnalyzeMatrixResult> {
  const subject = options.subject ?? 'matrix';
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new SpectralError('bad_shape', subject, `bad shape ${rows}x${cols}`);
  }
  if (evals.length !== Math.min(rows, cols)) {
    throw new SpectralError('bad_shape', subject, `expected ${Math.min(rows, cols)} eigenvalues for ${rows}x${cols}, got ${evals.length}`);
  }
  for (let i = 0; i < evals.length; i++) {
    if (!Number.isFinite(evals[i])) throw new SpectralError('non_finite', subject, `eigenvalue ${i} is not finite`);
    if (i > 0 && evals[i] < evals[i - 1]) throw new SpectralError('not_sorted', subject, 'eigenvalues must be ascending');
  }
  if (options.randomize) {
    throw new SpectralError('bad_option', 'randomize', 'needs the matrix entries, not only its eigenvalues');
  }
  const t = performance.now();
  return finishFromSpectrum(evals, undefined, rows, cols, options, { data: null, t0: t, t1: t, route: 'svd' });
}

async function finishFromSpectrum(
  evals: Float64Array,
  sv: Float64Array | undefined,
  rows: number,
  cols: number,
  options: AnalyzeMatrixOptions,
  ctx: { data: WeightMatrix | null; t0: number; t1: number; route: EigenRoute },
): Promise<AnalyzeMatrixResult> {
  const { data, t0, t1 } = ctx;
  const esd = esdColumns(evals, rows, cols, sv);
  const fit = await runFit(evals, options);
  const extras: OptionalLayerMetrics = {};
  if (fit.num_fingers !== undefined) extras.num_fingers = fit.num_fingers;
  if (fit.raw_alpha !== undefined) extras.raw_alpha = fit.raw_alpha;
  if (fit.Lambda !== undefined) extras.Lambda = fit.Lambda;

  let mp: ReturnType<typeof mpFit> | null = null;
  if (options.mpFit) {
    mp = mpFit(evals, esd.N, esd.M);
    Object.assign(extras, mp);
  }
  if (options.randomize && data) {
    Object.assign(extras, await randomizeColumns(asFloat(data), rows, cols, evals, { seed: options.seed }));
  }
  if (options.detX) Object.assign(extras, detX(evals));
  const norms = normColumns(evals, fit.alpha, esd.N);
  const t2 = performance.now();

  const metrics: LayerMetrics & OptionalLayerMetrics = {
    ...esd,
    alpha: fit.alpha,
    xmin: fit.xmin,
    xmax: fit.xmax,
    D: fit.D,
    sigma: fit.sigma,
    num_pl_spikes: fit.num_pl_spikes,
    status: fit.status,
    warning: fit.warning,
    ...norms,
    ...extras,
  };
  const phase = classifyPhase(metrics, evals);
  return {
    metrics,
    esd: buildEsdData(
      evals,
      fit,
      mp && mp.sigma_mp > 0 ? { bulk_min: mp.bulk_min, bulk_max: mp.bulk_max, sigma_mp: mp.sigma_mp, Q: esd.Q } : null,
    ),
    phase,
    timings: { eigen_s: (t1 - t0) / 1000, fit_s: (t2 - t1) / 1000 },
    route: ctx.route,
    evals,
  };
}
