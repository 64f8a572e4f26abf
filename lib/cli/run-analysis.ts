/**
 * Analyses every matrix of a checkpoint (any format, through lib/checkpoint), one at a time, in the checkpoint's
 * tensor order, and returns the CLI's layer list plus the model summary. The next analysable tensor is read and decoded
 * while the current one is analysed (the kernels run on their own threads), so at most two decoded tensors are alive.
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
  type Unit = (typeof units)[number];
  const read = (unit: Unit) => {
    const readStart = performance.now();
    const pending = source
      .read(unit.tensor, unit.slice ? { expert: unit.expert! } : {})
      .then((decoded) => ({ decoded, read_s: (performance.now() - readStart) / 1000 }));
    pending.catch(() => {}); // awaited in its turn, where its error is reported
    return pending;
  };
  const nextAnalysable = (from: number) => {
    for (let i = from; i < total; i++) if (!units[i].skipReason) return i;
    return -1;
  };
  let ahead: { index: number; pending: ReturnType<typeof read> } | null = null;
  const first = nextAnalysable(0);
  if (first >= 0) ahead = { index: first, pending: read(units[first]) };
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
      const pending = ahead?.index === index ? ahead.pending : read(unit);
      const following = nextAnalysable(index + 1);
      ahead = following >= 0 ? { index: following, pending: read(units[following]) } : null;
      try {
        const { decoded, read_s } = await pending;
        const result = await analyzeMatrix(decoded.data, decoded.rows, decoded.cols, { ...options, subject: unit.name });
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
