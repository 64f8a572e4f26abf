import { layerUnits, type LayerUnit } from '@/lib/checkpoint/layer-units';
import type { SourceTensor } from '@/lib/checkpoint/types';
import { blockCount, familyFromConfig, familyFromTensorNames, parseTensorName, relativeDepth } from '@/lib/tensor-names';
import type { AnalysisOptions, LayerResult } from '@/lib/types';
import type { StoredLayerPlacement } from '@/db/queries/layers-write';
import { PermanentJobError } from './errors';

/**
 * Which matrices of a checkpoint an analysis reads, in checkpoint order: WeightWatcher's layer selection on each
 * layer unit (a 2-D tensor, or one expert's slice of a 3-D expert stack; lib/checkpoint/layer-units), minus what an
 * earlier attempt already stored, plus the placement of every unit (block, role, fused flag, relative depth, expert)
 * for cross-model alignment. Units are keyed by `unit.key` (the tensor name, `#<expert>` for a slice). Pure: no I/O.
 */

export type PlanTensor = Pick<SourceTensor, 'name' | 'dtype' | 'shape' | 'start' | 'end' | 'scaleFor'> & Partial<SourceTensor>;

export interface PlannedUnit<T extends PlanTensor> {
  unit: LayerUnit & { tensor: T };
  tensor: T;
  ordinal: number;
}

export interface LayerPlan<T extends PlanTensor> {
  /** Analysable units not stored yet, in checkpoint order: the first is where a resumed run starts. */
  todo: Array<PlannedUnit<T>>;
  /** Weight matrices deliberately left out (too small/large, unreadable dtype), not stored yet, with the reason. */
  skipped: Array<PlannedUnit<T> & { reason: string }>;
  /** Analysable units in all (stored or not). */
  layersTotal: number;
  /** Bytes of all analysable units. */
  analysableBytes: number;
  /** By unit key. */
  placements: Map<string, StoredLayerPlacement>;
}

export function planLayers<T extends PlanTensor>(params: {
  tensors: T[];
  options?: AnalysisOptions;
  /** Unit keys already stored for this analysis. */
  stored?: Set<string>;
  /** config.json (or `{ model_type }`) when known; the family is otherwise guessed from the names. */
  config?: Record<string, unknown> | null;
}): LayerPlan<T> {
  const { tensors, options = {}, stored = new Set<string>() } = params;
  const names = tensors.map((t) => t.name);
  const fromConfig = familyFromConfig(params.config ?? null);
  const family = fromConfig !== 'unknown' ? fromConfig : familyFromTensorNames(names);
  const blocks = blockCount(names);
  const units = layerUnits(tensors.map((t) => ({ file: '', ...t })) as SourceTensor[], options) as Array<LayerUnit & { tensor: T }>;
  const placements = new Map<string, StoredLayerPlacement>();
  for (const [ordinal, unit] of units.entries()) {
    const info = parseTensorName(unit.tensor.name, family);
    placements.set(unit.key, {
      ordinal,
      blockIndex: info.blockIndex,
      relativeDepth: relativeDepth(info, blocks),
      role: info.role,
      fused: info.fused,
    });
  }

  const plan: LayerPlan<T> = { todo: [], skipped: [], layersTotal: 0, analysableBytes: 0, placements };
  let unreadable = 0;
  for (const [ordinal, unit] of units.entries()) {
    const planned = { unit, tensor: unit.tensor, ordinal };
    if (unit.skipReason) {
      if (/dtype/i.test(unit.skipReason)) unreadable++;
      // Matrices left out are recorded with the reason; vectors (norms, biases) and non-weight keys are not layers
      // to anyone and are left out silently.
      if (unit.shape.length >= 2 && (unit.slice || unit.tensor.name.endsWith('.weight')) && !stored.has(unit.key)) {
        plan.skipped.push({ ...planned, reason: unit.skipReason });
      }
      continue;
    }
    plan.layersTotal++;
    plan.analysableBytes += unit.bytes;
    if (!stored.has(unit.key)) plan.todo.push(planned);
  }
  if (plan.layersTotal === 0) {
    throw unreadable > 0
      ? new PermanentJobError('unsupported_dtype', `unsupported dtype: none of the ${tensors.length} tensors has a float dtype the spectral core reads`)
      : new PermanentJobError('no_layers', `no analysable layers: none of the ${tensors.length} tensors is a 2-D weight matrix within the size limits`);
  }
  return plan;
}

/** The stored form of a unit that is not analysed, with the reason. */
export function skippedLayer(unit: Pick<LayerUnit, 'tensor' | 'name' | 'shape' | 'expert'>, reason: string): LayerResult {
  return {
    tensor: unit.tensor.name,
    ...(unit.expert !== null ? { expert: unit.expert } : {}),
    name: unit.name,
    status: 'skipped',
    skip_reason: reason,
    shape: unit.shape,
    dtype: unit.tensor.dtype,
  };
}
