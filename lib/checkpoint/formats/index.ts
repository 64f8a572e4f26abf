/**
 * The checkpoint formats the board reads, in order of preference: when a revision holds several (safetensors
 * beside the legacy pickle files, as most repos converted since 2023 do), the first that matches is read.
 * A new format (GGUF, GPTQ, ...) is a new file in this folder and one line here.
 */
import type { CheckpointFormat } from '../types';
import { pytorchFormat } from './pytorch';
import { safetensorsFormat } from './safetensors';

export const CHECKPOINT_FORMATS: readonly CheckpointFormat[] = [safetensorsFormat, pytorchFormat];
