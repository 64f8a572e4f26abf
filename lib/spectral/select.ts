/**
 * WeightWatcher's layer selection for a safetensors state dict (spec §1.1: `PyStateDictLayer` + `layer_supported`),
 * decided from the header alone (key, shape, dtype) so nothing is downloaded for a tensor that will be skipped.
 *
 * Order of the checks (the first that applies is the reason):
 *  1. only keys ending in `.weight` are layers (`.bias`, `*.weight_scale_inv`, buffers are never analysed);
 *  2. 2-D tensors are DENSE layers (embeddings and lm_head included); 1-D and other ranks are UNKNOWN and skipped;
 *     4-D tensors are Conv2D layers in WeightWatcher, which this project does not analyse (LLM checkpoints have
 *     none) — they get their own reason rather than silently different numbers;
 *  3. size filters on M = min dim and N = max dim: M < min_evals (10), M > max_evals (15000), N > max_N (50000);
 *  4. (this project) dtypes the reader cannot decode (integer / packed-quantized) are skipped with a reason.
 * Returns null when the tensor is analysed. Reasons are human-readable and stable (they are stored and shown).
 */
import type { AnalysisOptions } from '@/lib/types';

export const DEFAULT_MIN_EVALS = 10;
export const DEFAULT_MAX_EVALS = 15000;
export const DEFAULT_MAX_N = 50000;

/** Dtypes the checkpoint readers decode to floats (FP8 with its scale tensor, MXFP4 blocks with their scales). */
const ANALYSABLE_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'MXFP4']);

export interface TensorDescriptor {
  key: string;
  shape: readonly number[];
  dtype: string;
}

/** Why WeightWatcher (and this project) would not analyse this tensor, or null when it is analysed. */
export function layerSkipReason(
  tensor: TensorDescriptor,
  options: Pick<AnalysisOptions, 'minEvals' | 'maxEvals' | 'maxN'> = {},
): string | null {
  const minEvals = options.minEvals ?? DEFAULT_MIN_EVALS;
  const maxEvals = options.maxEvals ?? DEFAULT_MAX_EVALS;
  const maxN = options.maxN ?? DEFAULT_MAX_N;
  const { key, shape, dtype } = tensor;
  if (!key.endsWith('.weight')) return "key does not end in '.weight'";
  if (shape.length === 4) return '4-D tensor: Conv2D layers are not analysed by this project';
  if (shape.length !== 2) return 'not 2-D: PyStateDict layer type UNKNOWN';
  const N = Math.max(shape[0], shape[1]);
  const M = Math.min(shape[0], shape[1]);
  if (M < minEvals) return `min(N,M)=${M} < min_evals=${minEvals}`;
  if (M > maxEvals) return `min(N,M)=${M} > max_evals=${maxEvals}`;
  if (N > maxN) return `max(N,M)=${N} > max_N=${maxN}`;
  if (!ANALYSABLE_DTYPES.has(dtype)) return `dtype ${dtype} cannot be analysed (integer or packed-quantized weights)`;
  return null;
}

/** The layer name WeightWatcher shows: the key without its `.weight` suffix. */
export function layerName(key: string): string {
  return key.endsWith('.weight') ? key.slice(0, -'.weight'.length) : key;
}
