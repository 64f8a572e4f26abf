/** Tensor names -> (block, role, fused), and model families from config.json or the names themselves. */
export { familyFromConfig, familyFromTensorNames, MODEL_FAMILIES, type ModelFamily } from './families';
export { blockCount, parseTensorName, relativeDepth } from './parse';
