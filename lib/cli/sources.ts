/**
 * Resolves the CLI's positional argument to a tensor source (lib/checkpoint, any format): a local weights file
 * (`.safetensors`, `.bin`, `.pt`, `.pth`), a local folder (sharded with an index, or every weights file in it), or a
 * Hub repo id `owner/name[@revision]` pinned to its commit sha. A local path wins when it exists; otherwise an
 * `owner/name` form goes to the Hub client (HF_ENDPOINT, HF_TOKEN).
 */
import { stat } from 'node:fs/promises';
import { openLocalSource, type TensorSource } from '@/lib/checkpoint';
import { CliUsageError } from './args';

const REPO_ID = /^([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;
const WEIGHTS_FILE = /\.(safetensors|bin|pt|pth)$/;

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function openSource(spec: string): Promise<TensorSource> {
  if (await pathExists(spec)) return openLocalSource(spec);
  const m = REPO_ID.exec(spec);
  if (!m || WEIGHTS_FILE.test(spec)) {
    throw new CliUsageError(`${spec}: no such file or folder, and not a Hub repo id (owner/name[@revision])`);
  }
  const [{ getModelInfo }, { openHubCheckpoint }] = await Promise.all([import('@/lib/hub'), import('@/lib/checkpoint/hub')]);
  const repo = `${m[1]}/${m[2]}`;
  const info = await getModelInfo({ repo, revision: m[3] ?? 'main' });
  return (await openHubCheckpoint({ repo, sha: info.sha })).source;
}
