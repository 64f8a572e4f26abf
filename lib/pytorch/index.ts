/** Reading PyTorch checkpoints (torch.save zip and legacy formats) without executing anything. */
export { DisallowedGlobalError, PytorchCheckpointError } from './errors';
export { gatherStrided, isContiguous, maxRelativeIndex, shapeNumel } from './gather';
export {
  ALLOWED_GLOBALS,
  DEFAULT_PICKLE_LIMITS,
  STORAGE_TYPES,
  TORCH_DTYPES,
  unpickle,
  type PickleLimits,
  type PyValue,
} from './pickle';
export {
  decodePytorchTensor,
  decodePytorchTensorForAnalysis,
  DEFAULT_MAX_PICKLE_BYTES,
  detectPytorchFormat,
  matrixDims,
  readPytorchIndex,
  readPytorchTensor,
  readPytorchTensors,
  selectStateDict,
  STATE_DICT_KEYS,
  type PytorchFormat,
  type PytorchIndex,
  type PytorchMatrix,
  type PytorchReadOptions,
  type PytorchTensorEntry,
} from './reader';
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip';
