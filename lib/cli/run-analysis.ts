/**
 * Analyses every tensor of a checkpoint, one at a time (only one decoded tensor is alive at once), in the
 * checkpoint's tensor order, and returns the CLI's layer list plus the model summary.
 *
 * Per tensor: WeightWatcher's selection (`layerSkipReason`) from the header alone; analysed tensors are decoded
 * (BF16/F16 upcast exactly to float32, FP8 dequantized) and passed to `analyzeMatrix`. A tensor that cannot be
 * analysed (NaN/Inf weights, undecodable dtype) becomes a skipped entry whose `skip_reason` starts with "error:"
 * and names the tensor and the problem; the other tensors are still analysed (nothing lost).
 * `layer_id` counts every `.weight` key from 1, analysed or not, as WeightWatcher numbers state-dict layers.
 */
import type { CheckpointTensor, DecodedTensor } from '@/lib/safetensors';
import { analyzeMatrix, layerName, layerSkipReason, summarize } from '@/lib/spectral';
import type { AnalysisOptions, LayerResult, ModelStats } from '@/lib/types';

/** What run-analysis needs from a checkpoint (local files or a Hub repo). */
export interface TensorSource {
  label: string;
  tensors: CheckpointTensor[];
  read(entry: CheckpointTensor): Promise<DecodedTensor>;
}

export interface CliLayer extends LayerResult {
  layer_id?: number;
  longname?: string;
  layer_type?: string;
  rf?: number;
  has_esd?: boolean;
}

export interface AnalysisReport {
  source: string;
  layers: CliLayer[];
  summary: ModelStats;
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
  const total = source.tensors.length;
  for (let index = 0; index < total; index++) {
    const entry = source.tensors[index];
    const started = performance.now();
    const base = { tensor: entry.name, name: layerName(entry.name), shape: [...entry.shape], dtype: entry.dtype };
    const isWeight = entry.name.endsWith('.weight');
    if (isWeight) weightIndex++;
    let layer: CliLayer;
    const skip = layerSkipReason({ key: entry.name, shape: entry.shape, dtype: entry.dtype }, options);
    if (skip) {
      layer = { ...base, status: 'skipped', skip_reason: skip, phase: null };
    } else {
      try {
        const readStart = performance.now();
        const decoded = await source.read(entry);
        const read_s = (performance.now() - readStart) / 1000;
        const result = await analyzeMatrix(decoded.data, decoded.rows, decoded.cols, { ...options, subject: entry.name });
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
        const named = message.includes(entry.name) ? message : `${entry.name}: ${message}`;
        layer = { ...base, status: 'skipped', skip_reason: `error: ${named}`, phase: null };
      }
    }
    layers.push(layer);
    onProgress?.({ index, total, layer, seconds: (performance.now() - started) / 1000 });
  }
  return { source: source.label, layers, summary: summarize(layers), errors };
}
