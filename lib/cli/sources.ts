/**
 * Resolves the CLI's positional argument to a tensor source: a local `.safetensors` file, a local folder (sharded
 * with `model.safetensors.index.json`, or every `*.safetensors` in it), or a Hub repo id `owner/name[@revision]`.
 * A local path wins when it exists; otherwise an `owner/name` form goes to the Hub client (HF_ENDPOINT, HF_TOKEN).
 */
import { stat } from 'node:fs/promises';
import { openLocalCheckpoint } from '@/lib/safetensors';
import type { TensorSource } from './run-analysis';
import { CliUsageError } from './args';

const REPO_ID = /^([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function openSource(spec: string): Promise<TensorSource> {
  if (await pathExists(spec)) {
    const ck = await openLocalCheckpoint(spec);
    return { label: spec, tensors: ck.tensors, read: (entry) => ck.read(entry) };
  }
  const m = REPO_ID.exec(spec);
  if (!m || spec.endsWith('.safetensors')) {
    throw new CliUsageError(`${spec}: no such file or folder, and not a Hub repo id (owner/name[@revision])`);
  }
  const { openHubSource } = await import('./hub-source');
  return openHubSource(`${m[1]}/${m[2]}`, m[3]);
}
