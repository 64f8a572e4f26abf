/** Tensor names -> (block, role, fused, expert), and model families from config.json or the names themselves. */
export { familyFromConfig, familyFromTensorNames, MODEL_FAMILIES, type ModelFamily } from './families';
export { blockCount, isVisionTensor, parseTensorName, relativeDepth } from './parse';
