/**
 * Delta analyses producing the CLI's layer rows (and reusable by the job pipeline):
 *
 * `analyzeDelta(model, base, options)`: streams both checkpoints unit by unit in the fine-tune's order (pairing
 * rules: ./pairing.ts). Per pair it reads the base matrix, then the fine-tune's, forms ΔW = W_ft − W_base in float64
 * over the rows compared, and analyses ΔW with WeightWatcher's full column set (and the options given), then W_ft
 * and W_base for α(W_ft) − α(W_base) (fit options only: --fit, --fix-fingers, --xmax). At most the two matrices and
 * ΔW are alive at once, never a model. Row statuses:
 *  - `success` / `failed`: ΔW analysed (a failed fit is WeightWatcher's sentinels, as for any matrix);
 *  - `unchanged`: ΔW = 0 exactly (a frozen layer), no fit attempted;
 *  - `unmatched`: a tensor in one model only, or a shape mismatch other than the row count, with `reason`;
 *  - `skipped`: WeightWatcher would not analyse ΔW's shape (skip_reason as usual), or an "error: ..." reading or
 *    analysing the pair (the other rows are still produced).
 * Row fields beside WeightWatcher's columns: `base_tensor`, `base_shape`, `rows_compared` + `resized` (row counts
 * differ), and the delta columns of ./delta-metrics.ts.
 *
 * `analyzeAdapter(adapter, options)`: one row per LoRA module, ΔW = s·B·A through the r × r route (./adapter.ts).
 */
import type { LayerUnit, TensorSource } from '@/lib/checkpoint';
import { summarize } from '@/lib/spectral';
import { analyzeEigenvalues, analyzeMatrix, type AnalyzeMatrixResult } from '@/lib/spectral/analyze-matrix';
import { layerSkipReason } from '@/lib/spectral/select';
import { summarizeByRole } from '@/lib/spectral/summary';
import { parseTensorName } from '@/lib/tensor-names';
import type { AnalysisOptions, LayerResult } from '@/lib/types';
import type { AnalysisReport, CliLayer, ProgressEvent } from '@/lib/cli/run-analysis';
import { AdapterError, type AdapterConfig, checkLoraShapes, groupLoraTensors, loraEigenvalues, moduleScaling, type OpenedAdapter } from './adapter';
import { deltaColumns, sumOfSquares, type DeltaColumns } from './delta-metrics';
import { normaliseTensorName, pairUnits } from './pairing';

export type DeltaStatus = CliLayer['status'] | 'unmatched' | 'unchanged';

export interface DeltaLayer extends Omit<CliLayer, 'status'>, Partial<DeltaColumns> {
  status: DeltaStatus;
  /** Why a tensor is unmatched. */
  reason?: string;
  /** Which model an unmatched tensor is in. */
  side?: 'model' | 'base';
  base_tensor?: string;
  base_shape?: number[];
  rows_compared?: number;
  resized?: string;
  /** Adapter rows: the module's r, lora_alpha and scaling s, and the factor keys. */
  lora_r?: number;
  lora_alpha?: number;
  lora_scale?: number;
  lora_tensors?: string[];
}

export interface DeltaReport extends Omit<AnalysisReport, 'layers'> {
  layers: DeltaLayer[];
  /** `delta` (model vs base) or `adapter`. */
  mode: 'delta' | 'adapter';
  base?: string;
  base_format?: string;
  adapter?: AdapterConfig;
}

export type DeltaProgress = Omit<ProgressEvent, 'layer'> & { layer: DeltaLayer };

/** Analyses one matrix (WeightWatcher's columns); the job pipeline passes its compute pool's threads. */
export type MatrixAnalyser = (
  data: Float32Array | Float64Array,
  rows: number,
  cols: number,
  options: Parameters<typeof analyzeMatrix>[3],
) => Promise<AnalyzeMatrixResult>;

/**
 * Hooks for callers that store rows as they come (the board's jobs). Without them the CLI behaviour is unchanged.
 * The analyser may take ownership of the buffers it is given (a thread transfer): each is used for nothing after.
 */
export interface DeltaRunHooks {
  /** Default: `analyzeMatrix` on the calling thread. */
  analyzeMatrix?: MatrixAnalyser;
  /**
   * Rows already stored (a resumed run): neither read nor reported. Called with the row's unit key (the tensor name,
   * `#<expert>` for a slice of a 3-D expert stack; an adapter module's `<module>.weight`).
   */
  isDone?: (key: string) => boolean;
  /** Errors to throw instead of recording as an `error:` row (e.g. network failures a job retries). */
  rethrow?: (err: unknown) => boolean;
  /** Awaited after each row is produced; returning false stops the run there (the report holds the rows so far). */
  onLayer?: (layer: DeltaLayer, index: number, total: number) => Promise<boolean | void>;
}

const localAnalyser: MatrixAnalyser = (data, rows, cols, options) => analyzeMatrix(data, rows, cols, options);

export class DeltaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeltaError';
  }
}

function metricsRow(result: AnalyzeMatrixResult): Partial<DeltaLayer> {
  const { status, ...metrics } = result.metrics;
  return { layer_type: 'dense', rf: 1, has_esd: true, status, ...metrics, phase: result.phase };
}

function fitOnly(options: AnalysisOptions): AnalysisOptions {
  const { mpFit: _m, randomize: _r, seed: _s, detX: _d, ...rest } = options;
  return rest;
}

function summaryOf(layers: DeltaLayer[]): DeltaReport['summary'] {
  const analysed = layers.filter((l) => l.status === 'success' || l.status === 'failed') as unknown as LayerResult[];
  return { ...summarize(analysed), by_role: summarizeByRole(analysed, (l) => parseTensorName(l.tensor).role) };
}

/** Rows [0, rows) of a row-major matrix with `cols` columns, as float64 minus `sub` (same extent). */
function difference(a: Float32Array | Float64Array, b: Float32Array | Float64Array, rows: number, cols: number): Float64Array {
  const n = rows * cols;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
  return out;
}

/**
 * W_base and W_base + s·B·A analysed densely (one base matrix and one merged matrix in memory): what the adapter
 * does to the layer it adapts. B is [d_out, r], A is [r, d_in], both row-major.
 */
async function mergedWithBase(
  base: TensorSource,
  baseTensor: TensorSource['tensors'][number],
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: { dOut: number; dIn: number; r: number },
  scale: number,
  options: AnalysisOptions,
  analyse: MatrixAnalyser,
) {
  const w = await base.read(baseTensor);
  const { dOut, dIn, r } = shape;
  const merged = Float64Array.from(w.data);
  const baseFrobenius2 = sumOfSquares(merged);
  for (let i = 0; i < dOut; i++) {
    const row = i * dIn;
    for (let k = 0; k < r; k++) {
      const bik = scale * b[i * r + k];
      if (bik === 0) continue;
      const ak = k * dIn;
      for (let j = 0; j < dIn; j++) merged[row + j] += bik * a[ak + j];
    }
  }
  const baseRes = await analyse(w.data, dOut, dIn, { ...options, subject: `${baseTensor.name} (base)` });
  const mergedRes = await analyse(merged, dOut, dIn, { ...options, subject: `${baseTensor.name} (base + ΔW)` });
  return {
    baseFrobenius2,
    baseSpectral2: baseRes.metrics.spectral_norm ?? null,
    baseAlpha: { alpha: baseRes.metrics.alpha, status: baseRes.metrics.status },
    mergedAlpha: { alpha: mergedRes.metrics.alpha, status: mergedRes.metrics.status },
  };
}

function isZero(d: Float64Array): boolean {
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false;
  return true;
}

function errorText(err: unknown, name: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${message.includes(name) ? message : `${name}: ${message}`}`;
}

function unitBase(u: LayerUnit): Pick<DeltaLayer, 'tensor' | 'expert' | 'name' | 'shape' | 'dtype'> {
  return {
    tensor: u.tensor.name,
    ...(u.expert !== null ? { expert: u.expert } : {}),
    name: u.name,
    shape: [...u.shape],
    dtype: u.tensor.dtype,
  };
}

/** Fine-tune vs base, pair by pair (see the module comment). Throws DeltaError when no tensor pairs at all. */
export async function analyzeDelta(
  model: TensorSource,
  base: TensorSource,
  options: AnalysisOptions,
  onProgress?: (e: DeltaProgress) => void,
  hooks: DeltaRunHooks = {},
): Promise<DeltaReport> {
  const analyse = hooks.analyzeMatrix ?? localAnalyser;
  const entries = pairUnits(model.tensors, base.tensors, options);
  const pairs = entries.filter((e) => e.kind === 'pair');
  if (pairs.length === 0) {
    throw new DeltaError(
      `no tensor pairs between ${model.label} and its base ${base.label}: no tensor name in common (different architectures?)`,
    );
  }
  const layers: DeltaLayer[] = [];
  let errors = 0;
  let weightIndex = 0;
  const total = entries.length;
  for (let index = 0; index < total; index++) {
    const entry = entries[index];
    const started = performance.now();
    const unit = entry.kind === 'unmatched' ? entry.unit : entry.model;
    if (hooks.isDone?.(unit.key)) {
      if (entry.kind === 'pair' && (unit.slice || unit.tensor.name.endsWith('.weight'))) weightIndex++;
      continue;
    }
    let layer: DeltaLayer;
    if (entry.kind === 'unmatched') {
      layer = { ...unitBase(entry.unit), status: 'unmatched', side: entry.side, reason: entry.reason, phase: null };
      if (entry.other) {
        layer.base_tensor = entry.other.tensor.name;
        layer.base_shape = [...entry.other.shape];
      }
    } else {
      const { model: mu, base: bu, rows, cols } = entry;
      if (mu.slice || mu.tensor.name.endsWith('.weight')) weightIndex++;
      const head: DeltaLayer = {
        ...unitBase(mu),
        status: 'skipped',
        base_tensor: bu.tensor.name,
        base_shape: [...bu.shape],
        phase: null,
      };
      if (entry.resized) {
        head.rows_compared = rows;
        head.resized = `rows ${entry.resized.baseRows} (base) vs ${entry.resized.modelRows} (fine-tune): ΔW over the first ${rows} rows`;
      }
      const skip = entry.resized
        ? layerSkipReason({ key: mu.tensor.name, shape: [rows, cols], dtype: mu.tensor.dtype }, options)
        : mu.skipReason ?? bu.skipReason;
      if (skip) {
        layer = { ...head, skip_reason: skip };
      } else {
        try {
          const readStart = performance.now();
          const bm = await base.read(bu.tensor, bu.slice ? { expert: bu.expert! } : {});
          const mm = await model.read(mu.tensor, mu.slice ? { expert: mu.expert! } : {});
          const read_s = (performance.now() - readStart) / 1000;
          const delta = difference(mm.data, bm.data, rows, cols);
          const baseFrob2 = sumOfSquares(bm.data.subarray(0, rows * cols));
          if (isZero(delta)) {
            layer = {
              ...head, layer_id: weightIndex, longname: mu.name, status: 'unchanged',
              delta_rel_frobenius: 0, delta_spectral_ratio: 0,
            };
          } else {
            const subject = `${mu.name} (ΔW)`;
            const fo = fitOnly(options);
            // Three independent analyses (ΔW, W_ft, W_base): a pool with several threads runs them side by side.
            const [d, fm, fb] = await Promise.all([
              analyse(delta, rows, cols, { ...options, subject }),
              analyse(mm.data, mm.rows, mm.cols, { ...fo, subject: mu.name }),
              analyse(bm.data, bm.rows, bm.cols, { ...fo, subject: bu.name }),
            ]);
            layer = {
              ...head,
              layer_id: weightIndex,
              longname: mu.name,
              ...metricsRow(d),
              ...deltaColumns({
                deltaEvals: d.evals ?? [],
                baseFrobenius2: baseFrob2,
                baseSpectral2: fb.metrics.spectral_norm,
                modelAlpha: { alpha: fm.metrics.alpha, status: fm.metrics.status },
                baseAlpha: { alpha: fb.metrics.alpha, status: fb.metrics.status },
              }),
              timings: { read_s, eigen_s: d.timings.eigen_s, fit_s: d.timings.fit_s },
            } as DeltaLayer;
          }
        } catch (err) {
          if (hooks.rethrow?.(err)) throw err;
          errors++;
          layer = { ...head, skip_reason: errorText(err, mu.name) };
        }
      }
    }
    layers.push(layer);
    onProgress?.({ index, total, layer, seconds: (performance.now() - started) / 1000 });
    if ((await hooks.onLayer?.(layer, index, total)) === false) break;
  }
  return {
    source: model.label,
    format: model.format,
    mode: 'delta',
    base: base.label,
    base_format: base.format,
    layers,
    summary: summaryOf(layers),
    errors,
  };
}

/** A PEFT LoRA adapter, module by module (ΔW = s·B·A, r × r route). */
export async function analyzeAdapter(
  adapter: OpenedAdapter,
  options: AnalysisOptions,
  onProgress?: (e: DeltaProgress) => void,
  hooks: DeltaRunHooks & {
    /**
     * The base checkpoint, when it can be read: each module must fit the base matrix of its name, and W_base + ΔW is
     * analysed too, giving delta_alpha = α(W_base + ΔW) − α(W_base) and ΔW's size relative to W_base.
     */
    base?: TensorSource;
  } = {},
): Promise<DeltaReport> {
  const { config, source } = adapter;
  const analyse = hooks.analyzeMatrix ?? localAnalyser;
  const baseByName = hooks.base ? new Map(hooks.base.tensors.map((t) => [normaliseTensorName(t.name), t])) : null;
  const { modules, other } = groupLoraTensors(source.tensors);
  if (modules.length === 0) throw new AdapterError(`${adapter.label}: no lora_A / lora_B tensors in the adapter weights`);
  const minEvals = options.minEvals ?? 10;
  const layers: DeltaLayer[] = [];
  let errors = 0;
  const total = modules.length + other.length;
  let index = 0;
  let stopped = false;
  for (const mod of modules) {
    if (hooks.isDone?.(`${mod.module}.weight`)) {
      index++;
      continue;
    }
    const started = performance.now();
    const { r, alpha, scale } = moduleScaling(config, mod.module);
    const head: DeltaLayer = {
      tensor: `${mod.module}.weight`,
      name: mod.module,
      shape: mod.A && mod.B ? [mod.B.shape[0], mod.A.shape[mod.A.shape.length - 1]] : [],
      dtype: (mod.A ?? mod.B)!.dtype,
      status: 'skipped',
      lora_r: r,
      lora_alpha: alpha,
      lora_scale: scale,
      lora_tensors: [mod.A?.name, mod.B?.name].filter((x): x is string => typeof x === 'string'),
      phase: null,
    };
    let layer: DeltaLayer;
    try {
      if (!mod.A || !mod.B) throw new AdapterError(`${mod.module}: has ${mod.A ? 'lora_A' : 'lora_B'} but no ${mod.A ? 'lora_B' : 'lora_A'}`);
      const shape = checkLoraShapes(mod.module, mod.A.shape, mod.B.shape, r);
      head.shape = [shape.dOut, shape.dIn];
      const baseTensor = baseByName?.get(normaliseTensorName(head.tensor)) ?? null;
      if (baseTensor) {
        head.base_tensor = baseTensor.name;
        head.base_shape = [...baseTensor.shape];
        if (baseTensor.shape.length !== 2 || baseTensor.shape[0] !== shape.dOut || baseTensor.shape[1] !== shape.dIn) {
          throw new AdapterError(
            `${mod.module}: ΔW [${shape.dOut}, ${shape.dIn}] does not fit the base ${hooks.base!.label}'s ${baseTensor.name} [${baseTensor.shape.join(', ')}]`,
          );
        }
      }
      const skip =
        r < minEvals
          ? `rank ${r} below min_evals ${minEvals}`
          : layerSkipReason({ key: head.tensor, shape: head.shape, dtype: 'F64' }, options);
      if (skip) {
        layer = { ...head, skip_reason: skip };
      } else {
        const a = await source.read(mod.A);
        const b = await source.read(mod.B);
        if (isZero(Float64Array.from(b.data)) || isZero(Float64Array.from(a.data)) || scale === 0) {
          layer = { ...head, status: 'unchanged', delta_rel_frobenius: null, delta_spectral_ratio: null };
        } else {
          const t0 = performance.now();
          const evals = await loraEigenvalues(a.data, b.data, shape, scale);
          const eigen_s = (performance.now() - t0) / 1000;
          const res = await analyzeEigenvalues(evals, shape.dOut, shape.dIn, { ...options, subject: `${mod.module} (ΔW)` });
          const merged = baseTensor ? await mergedWithBase(hooks.base!, baseTensor, a.data, b.data, shape, scale, options, analyse) : null;
          layer = {
            ...head,
            longname: mod.module,
            ...metricsRow(res),
            ...deltaColumns({
              deltaEvals: evals,
              baseFrobenius2: merged?.baseFrobenius2 ?? null,
              baseSpectral2: merged?.baseSpectral2 ?? null,
              modelAlpha: merged?.mergedAlpha ?? null,
              baseAlpha: merged?.baseAlpha ?? null,
            }),
            timings: { eigen_s, fit_s: res.timings.fit_s },
          } as DeltaLayer;
        }
      }
    } catch (err) {
      if (hooks.rethrow?.(err)) throw err;
      errors++;
      layer = { ...head, skip_reason: errorText(err, mod.module) };
    }
    layers.push(layer);
    onProgress?.({ index: index++, total, layer, seconds: (performance.now() - started) / 1000 });
    if ((await hooks.onLayer?.(layer, index - 1, total)) === false) {
      stopped = true;
      break;
    }
  }
  for (const t of stopped ? [] : other) {
    if (hooks.isDone?.(t.name)) {
      index++;
      continue;
    }
    const layer: DeltaLayer = {
      tensor: t.name, name: t.name, shape: [...t.shape], dtype: t.dtype, status: 'skipped',
      skip_reason: 'not a LoRA factor (lora_A / lora_B): not analysed', phase: null,
    };
    layers.push(layer);
    onProgress?.({ index: index++, total, layer, seconds: 0 });
    if ((await hooks.onLayer?.(layer, index - 1, total)) === false) break;
  }
  const { peft_type, base_model_name_or_path, r, lora_alpha, use_rslora, target_modules, rank_pattern, alpha_pattern } = config;
  return {
    source: adapter.label,
    format: source.format,
    mode: 'adapter',
    adapter: { peft_type, base_model_name_or_path, r, lora_alpha, use_rslora, target_modules, rank_pattern, alpha_pattern },
    layers,
    summary: summaryOf(layers),
    errors,
  };
}
