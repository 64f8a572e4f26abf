/**
 * Opens whatever checkpoint a location holds: lists its files, reads config.json when present, and hands the
 * listing to the first format (./formats) that recognises it.
 */
import { CheckpointError } from './errors';
import { CHECKPOINT_FORMATS } from './formats';
import { localLocation } from './local-location';
import type { CheckpointFileInfo, CheckpointLocation, TensorSource } from './types';

/** No format recognised the files: its own class, so a Hub caller can say "no weights" rather than "corrupt". */
export class NoCheckpointError extends CheckpointError {
  constructor(file: string) {
    super({ file, problem: `no weights: found none of ${CHECKPOINT_FORMATS.map((f) => f.describe).join('; ')}` });
    this.name = 'NoCheckpointError';
  }
}

export async function openCheckpoint(location: CheckpointLocation, listing?: CheckpointFileInfo[]): Promise<TensorSource> {
  const files = listing ?? (await location.list());
  const format = CHECKPOINT_FORMATS.find((f) => f.matches(files));
  if (!format) throw new NoCheckpointError(location.label);
  const hasConfig = files.some((f) => f.path === 'config.json');
  const config = hasConfig ? ((await location.readJson('config.json')) as Record<string, unknown> | null) : null;
  return format.open(location, files, config && typeof config === 'object' && !Array.isArray(config) ? config : null);
}

/** A local weights file (any format) or a checkpoint folder. */
export async function openLocalSource(fileOrDir: string): Promise<TensorSource> {
  return openCheckpoint(await localLocation(fileOrDir));
}
