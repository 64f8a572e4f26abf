/**
 * The matrices an analysis walks through, in checkpoint order: one per 2-D tensor, and one per expert for a 3-D
 * expert stack `[E, rows, cols]` (Llama 4 `feed_forward.experts.gate_up_proj`, gpt-oss `mlp.experts.*`), each the
 * 2-D slice `W[e]`. WeightWatcher's columns do not depend on orientation, so `[E, in, out]` stacks need no transpose.
 * Selection is WeightWatcher's (lib/spectral/select) on each unit's own 2-D shape.
 */
import { layerName, layerSkipReason } from '@/lib/spectral/select';
import { parseTensorName } from '@/lib/tensor-names/parse';
import type { AnalysisOptions } from '@/lib/types';
import type { SourceTensor } from './types';

export interface LayerUnit {
  tensor: SourceTensor;
  /** 0-based expert: the slice of a 3-D stack, or the index in a per-expert tensor's name (`experts.7.w1`). */
  expert: number | null;
  /** True for a slice of a 3-D expert stack. */
  slice: boolean;
  /** Shape of the matrix analysed (the slice's for a stack). */
  shape: number[];
  /** Bytes read to analyse this unit. */
  bytes: number;
  /** Unique within a checkpoint: the tensor name, `#<expert>` appended for a slice. */
  key: string;
  /** The layer name shown: WeightWatcher's (key without `.weight`), `[<expert>]` appended for a slice. */
  name: string;
  /** Why the unit is not analysed, or null. */
  skipReason: string | null;
}

/** A 3-D tensor of all experts at once: an expert-role tensor whose name carries no expert index. */
export function isExpertStack(t: Pick<SourceTensor, 'name' | 'shape'>): boolean {
  if (t.shape.length !== 3) return false;
  const info = parseTensorName(t.name);
  return (info.role === 'expert' || info.role === 'shared_expert') && info.expert === null;
}

export function unitKey(tensor: string, expert: number | null, slice: boolean): string {
  return slice ? `${tensor}#${expert}` : tensor;
}

export function layerUnits(tensors: readonly SourceTensor[], options: AnalysisOptions = {}): LayerUnit[] {
  const units: LayerUnit[] = [];
  for (const tensor of tensors) {
    if (tensor.scaleFor) continue;
    if (isExpertStack(tensor)) {
      const [experts, ...shape] = tensor.shape;
      const bytes = experts > 0 ? (tensor.end - tensor.start) / experts : 0;
      const key = tensor.name.endsWith('.weight') ? tensor.name : `${tensor.name}.weight`;
      const skipReason = layerSkipReason({ key, shape, dtype: tensor.dtype }, options);
      for (let e = 0; e < experts; e++) {
        units.push({
          tensor, expert: e, slice: true, shape, bytes, skipReason,
          key: unitKey(tensor.name, e, true),
          name: `${layerName(tensor.name)}[${e}]`,
        });
      }
      continue;
    }
    units.push({
      tensor,
      expert: parseTensorName(tensor.name).expert,
      slice: false,
      shape: tensor.shape,
      bytes: tensor.end - tensor.start,
      key: tensor.name,
      name: layerName(tensor.name),
      skipReason: layerSkipReason({ key: tensor.name, shape: tensor.shape, dtype: tensor.dtype }, options),
    });
  }
  return units;
}
