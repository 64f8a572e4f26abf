/** Reading safetensors checkpoints: hostile-input-safe headers, exact dtype decoding, one tensor at a time. */
export { bufferSource, fileSource, type ByteSource } from './byte-source';
export {
  checkpointFromSources,
  type Checkpoint,
  INDEX_FILE,
  openLocalCheckpoint,
  pairFp8Scales,
  parseIndex,
  SINGLE_FILE,
  type CheckpointFile,
  type CheckpointOptions,
  type CheckpointTensor,
  type DecodedTensor,
  type LocalCheckpoint,
} from './checkpoint';
export { applyScale, countNonFinite, decodeTensor, decodeTensorForAnalysis, inferBlockSize, type TensorScale } from './decode';
export {
  byteLength,
  countNonFiniteBf16,
  DECODABLE_DTYPES,
  decodeBf16Into,
  decodeElements,
  DTYPE_BITS,
  isDecodableDtype,
  isFp8Dtype,
  isKnownDtype,
  type SafetensorsDtype,
} from './dtype';
export { NonFiniteTensorError, SafetensorsError, UnsupportedDtypeError } from './errors';
export {
  MAX_HEADER_BYTES,
  numel,
  parseHeaderBytes,
  parseHeaderLength,
  readExactly,
  readHeader,
  validateHeader,
  type SafetensorsHeader,
  type TensorEntry,
} from './header';
export { encodeHeader, encodeSafetensors, encodeTensorData, writeSafetensorsFile, type TensorSpec } from './write';
export { decodeMxfp4, MXFP4_BLOCK_BYTES, MXFP4_BLOCK_VALUES, mxfp4DecodedShape } from './mxfp4';
