import { layerSkipReason } from '@/lib/spectral/select';
import { blockCount, familyFromConfig, familyFromTensorNames, parseTensorName, relativeDepth } from '@/lib/tensor-names';
import type { AnalysisOptions, LayerResult } from '@/lib/types';
import type { StoredLayerPlacement } from '@/db/queries/layers-write';
import { PermanentJobError } from './errors';

/**
 * Which tensors of a checkpoint an analysis reads, in checkpoint order: WeightWatcher's layer selection
 * (lib/spectral/select), minus what an earlier attempt already stored, plus the placement of every tensor (block,
 * role, fused flag, relative depth) for cross-model alignment. Pure: no I/O.
 */

export interface PlanTensor {
  name: string;
  dtype: string;
  shape: number[];
  start: number;
  end: number;
  /** Set on FP8 scale tensors: applied to their weight, not layers of their own. */
  scaleFor?: string;
}

export interface LayerPlan<T extends PlanTensor> {
  /** Analysable layers not stored yet, in checkpoint order: the first is where a resumed run starts. */
  todo: Array<{ tensor: T; ordinal: number }>;
  /** Weight matrices deliberately left out (too small/large, unreadable dtype), not stored yet, with the reason. */
  skipped: Array<{ tensor: T; ordinal: number; reason: string }>;
  /** Analysable layers in all (stored or not). */
  layersTotal: number;
  /** Bytes of all analysable layers. */
  analysableBytes: number;
  placements: Map<string, StoredLayerPlacement>;
}

export function planLayers<T extends PlanTensor>(params: {
  tensors: T[];
  options?: AnalysisOptions;
  /** Tensors already stored for this analysis. */
  stored?: Set<string>;
  /** config.json (or `{ model_type }`) when known; the family is otherwise guessed from the names. */
  config?: Record<string, unknown> | null;
}): LayerPlan<T> {
  const { tensors, options = {}, stored = new Set<string>() } = params;
  const names = tensors.map((t) => t.name);
  const fromConfig = familyFromConfig(params.config ?? null);
  const family = fromConfig !== 'unknown' ? fromConfig : familyFromTensorNames(names);
  const blocks = blockCount(names);
  const placements = new Map<string, StoredLayerPlacement>();
  for (const [ordinal, name] of names.entries()) {
    const info = parseTensorName(name, family);
    placements.set(name, { ordinal, blockIndex: info.blockIndex, relativeDepth: relativeDepth(info, blocks), role: info.role, fused: info.fused });
  }

  const plan: LayerPlan<T> = { todo: [], skipped: [], layersTotal: 0, analysableBytes: 0, placements };
  let unreadable = 0;
  for (const [ordinal, tensor] of tensors.entries()) {
    if (tensor.scaleFor) continue;
    const reason = layerSkipReason({ key: tensor.name, shape: tensor.shape, dtype: tensor.dtype }, options);
    if (reason) {
      if (/dtype/i.test(reason)) unreadable++;
      // Matrices left out are recorded with the reason; vectors (norms, biases) and non-weight keys are not layers
      // to anyone and are left out silently.
      if (tensor.shape.length >= 2 && tensor.name.endsWith('.weight') && !stored.has(tensor.name)) {
        plan.skipped.push({ tensor, ordinal, reason });
      }
      continue;
    }
    plan.layersTotal++;
    plan.analysableBytes += tensor.end - tensor.start;
    if (!stored.has(tensor.name)) plan.todo.push({ tensor, ordinal });
  }
  if (plan.layersTotal === 0) {
    throw unreadable > 0
      ? new PermanentJobError('unsupported_dtype', `unsupported dtype: none of the ${tensors.length} tensors has a float dtype the spectral core reads`)
      : new PermanentJobError('no_layers', `no analysable layers: none of the ${tensors.length} tensors is a 2-D weight matrix within the size limits`);
  }
  return plan;
}

/** The stored form of a tensor that is not analysed, with the reason. */
export function skippedLayer(tensor: PlanTensor, reason: string): LayerResult {
  return {
    tensor: tensor.name,
    name: tensor.name.replace(/\.weight$/, ''),
    status: 'skipped',
    skip_reason: reason,
    shape: tensor.shape,
    dtype: tensor.dtype,
  };
}
