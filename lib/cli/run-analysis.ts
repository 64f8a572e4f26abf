/**
 * Analyses every matrix of a checkpoint (any format, through lib/checkpoint) in the checkpoint's tensor order, and
 * returns the CLI's layer list plus the model summary. Two are in flight: the next analysable tensor is read, decoded
 * and its analysis started while the current one is analysed, so its Gram (on the kernel threads) overlaps the
 * current one's QL and fit (on this thread), and at most two decoded tensors are alive.
 *
 * Per layer unit (a 2-D tensor, or one expert's slice of a 3-D expert stack; lib/checkpoint/layer-units):
 * WeightWatcher's selection (`layerSkipReason`) from the header alone; analysed tensors are decoded
 * (BF16/F16 upcast exactly to float32, FP8 dequantized) and passed to `analyzeMatrix`. A tensor that cannot be
 * analysed (NaN/Inf weights, undecodable dtype) becomes a skipped entry whose `skip_reason` starts with "error:"
 * and names the tensor and the problem; the other tensors are still analysed (nothing lost).
 * `layer_id` counts every `.weight` key from 1, analysed or not, as WeightWatcher numbers state-dict layers.
 */
import { layerUnits, type TensorSource } from '@/lib/checkpoint';
import { analyzeMatrix, summarize } from '@/lib/spectral';
import { summarizeByRole, type RoleSummary } from '@/lib/spectral/summary';
import { parseTensorName } from '@/lib/tensor-names';
import type { AnalysisOptions, LayerResult, ModelStats } from '@/lib/types';

export interface CliLayer extends LayerResult {
  /** 0-based expert index of an MoE expert's matrix (absent on dense layers). */
  expert?: number;
  layer_id?: number;
  longname?: string;
  layer_type?: string;
  rf?: number;
  has_esd?: boolean;
}

export interface AnalysisReport {
  source: string;
  /** The checkpoint format read (safetensors, pytorch-zip, pytorch-legacy). */
  format: string;
  layers: CliLayer[];
  /** WeightWatcher's get_summary (plain means over every analysed row) and, under `by_role`, alpha per role. */
  summary: ModelStats & { by_role: Record<string, RoleSummary> };
  errors: number;
}

export interface ProgressEvent {
  index: number;
  total: number;
  layer: CliLayer;
  seconds: number;
}

export async function analyzeCheckpoint(
  source: TensorSource,
  options: AnalysisOptions,
  onProgress?: (e: ProgressEvent) => void,
): Promise<AnalysisReport> {
  const layers: CliLayer[] = [];
  let weightIndex = 0;
  let errors = 0;
  const units = layerUnits(source.tensors, options);
  const total = units.length;
  // Two layers in flight: when a layer's turn comes, the next analysable one is read and handed to `analyzeMatrix`
  // as soon as its read is done (its read waits for this one's), so its Gram runs on the kernel threads while this
  // one's QL and fit run here (lib/spectral/wasm/pool.ts). At most two decoded tensors are alive; results are
  // reported in the checkpoint's order, each layer's error with that layer.
  interface Started {
    index: number;
    /** Settles when the tensor is read and decoded (or its read failed). */
    read: Promise<unknown>;
    result: Promise<{ result: Awaited<ReturnType<typeof analyzeMatrix>>; read_s: number }>;
  }
  let lastSettled = 0;
  const start = (index: number, after: Started | null): Started => {
    const unit = units[index];
    const gate = after ? after.read.then(() => undefined, () => undefined) : Promise.resolve();
    let readStart = 0;
    const read = gate.then(() => {
      readStart = performance.now();
      // BF16 stays as its bits: the kernels convert it as they load it (lib/spectral/bf16-matrix.ts)
      return source.read(unit.tensor, { keepBf16: true, ...(unit.slice ? { expert: unit.expert! } : {}) });
    });
    const result = read.then(async (decoded) => {
      const read_s = (performance.now() - readStart) / 1000;
      const began = performance.now();
      const analysed = await analyzeMatrix(decoded.data, decoded.rows, decoded.cols, { ...options, subject: unit.name });
      // eigen time counted from when the layer before settled (until then this one waited behind it for the kernels)
      const waited = Math.max(0, lastSettled - began) / 1000;
      if (waited > 0) analysed.timings = { ...analysed.timings, eigen_s: Math.max(0, analysed.timings.eigen_s - waited) };
      return { result: analysed, read_s };
    });
    result.then(
      () => (lastSettled = performance.now()),
      () => (lastSettled = performance.now()),
    );
    read.catch(() => {});
    result.catch(() => {}); // awaited in its turn, where its error is reported
    return { index, read, result };
  };
  const nextAnalysable = (from: number) => {
    for (let i = from; i < total; i++) if (!units[i].skipReason) return i;
    return -1;
  };
  let ahead: Started | null = null;
  for (let index = 0; index < total; index++) {
    const unit = units[index];
    const entry = unit.tensor;
    const started = performance.now();
    const base = {
      tensor: entry.name,
      ...(unit.expert !== null ? { expert: unit.expert } : {}),
      name: unit.name,
      shape: [...unit.shape],
      dtype: entry.dtype,
    };
    if (unit.slice || entry.name.endsWith('.weight')) weightIndex++;
    let layer: CliLayer;
    if (unit.skipReason) {
      layer = { ...base, status: 'skipped', skip_reason: unit.skipReason, phase: null };
    } else {
      const current: Started = ahead?.index === index ? ahead : start(index, null);
      const following = nextAnalysable(index + 1);
      ahead = following >= 0 ? start(following, current) : null;
      try {
        const { result, read_s } = await current.result;
        const { status, ...metrics } = result.metrics;
        layer = {
          ...base,
          layer_id: weightIndex,
          longname: base.name,
          layer_type: 'dense',
          rf: 1,
          has_esd: true,
          status,
          ...metrics,
          phase: result.phase,
          timings: { read_s, ...result.timings },
        };
      } catch (err) {
        errors++;
        const message = err instanceof Error ? err.message : String(err);
        const named = message.includes(entry.name) ? message : `${unit.name}: ${message}`;
        layer = { ...base, status: 'skipped', skip_reason: `error: ${named}`, phase: null };
      }
    }
    layers.push(layer);
    onProgress?.({ index, total, layer, seconds: (performance.now() - started) / 1000 });
  }
  const summary = { ...summarize(layers), by_role: summarizeByRole(layers, (l) => parseTensorName(l.tensor).role) };
  return { source: source.label, format: source.format, layers, summary, errors };
}
