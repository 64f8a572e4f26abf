/**
 * Resolves the CLI's positional argument to a tensor source (lib/checkpoint, any format): a local weights file
 * (`.safetensors`, `.bin`, `.pt`, `.pth`), a local folder (sharded with an index, or every weights file in it), or a
 * Hub repo id `owner/name[@revision]` pinned to its commit sha. A local path wins when it exists; otherwise an
 * `owner/name` form goes to the Hub client (HF_ENDPOINT, HF_TOKEN).
 */
import { stat } from 'node:fs/promises';
import { hubLocation, localLocation, openLocalSource, type CheckpointLocation, type TensorSource } from '@/lib/checkpoint';
import { isAdapterLocation, openAdapter, type OpenedAdapter } from '@/lib/delta/adapter';
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

function parseRepoSpec(spec: string): { repo: string; revision: string } {
  const m = REPO_ID.exec(spec);
  if (!m || WEIGHTS_FILE.test(spec)) {
    throw new CliUsageError(`${spec}: no such file or folder, and not a Hub repo id (owner/name[@revision])`);
  }
  return { repo: `${m[1]}/${m[2]}`, revision: m[3] ?? 'main' };
}

/** Where a spec's files live: a local path, or a Hub repo pinned to its commit sha. */
export async function resolveLocation(spec: string): Promise<CheckpointLocation> {
  if (await pathExists(spec)) return localLocation(spec);
  const { repo, revision } = parseRepoSpec(spec);
  const { getModelInfo } = await import('@/lib/hub');
  const info = await getModelInfo({ repo, revision });
  return hubLocation({ repo, revision: info.sha });
}

/**
 * A PEFT adapter when the spec is a folder or repo with adapter_config.json at its top level (detected before the
 * checkpoint formats see adapter_model.safetensors as an ordinary checkpoint), else null. A single weights file is
 * never an adapter.
 */
export async function openAdapterIfAny(spec: string): Promise<OpenedAdapter | null> {
  if (await pathExists(spec)) {
    if (!(await stat(spec)).isDirectory()) return null;
    const location = await localLocation(spec);
    return (await isAdapterLocation(location)) ? openAdapter(location) : null;
  }
  if (!REPO_ID.exec(spec) || WEIGHTS_FILE.test(spec)) return null;
  let location: CheckpointLocation;
  try {
    location = await resolveLocation(spec);
    if (!(await isAdapterLocation(location))) return null;
  } catch {
    return null; // the checkpoint route (openSource) reports the repo's problem in its own words
  }
  return openAdapter(location);
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
