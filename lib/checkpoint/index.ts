/** The tensor-source seam: open any checkpoint (local or Hub, any format) and read it one tensor at a time. */
export { CheckpointError } from './errors';
export { contentHash } from './content-hash';
export { CHECKPOINT_FORMATS } from './formats';
export { localLocation } from './local-location';
export { hubLocation } from './hub-location';
export { openHubCheckpoint, type HubCheckpoint } from './hub';
export { layerUnits, unitKey, type LayerUnit } from './layer-units';
export { NoCheckpointError, openCheckpoint, openLocalSource } from './open';
export type {
  CheckpointFileInfo,
  CheckpointFormat,
  CheckpointFormatName,
  CheckpointLocation,
  DecodedMatrix,
  ReadOptions,
  SourceTensor,
  TensorSource,
} from './types';
