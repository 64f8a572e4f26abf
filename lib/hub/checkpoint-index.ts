/**
 * Where every tensor of a Hub checkpoint lives: file, dtype, shape and ABSOLUTE byte range, for single-file and
 * sharded (model.safetensors.index.json) repos alike, in weight_map order (header order for a single file).
 *
 * The client's `parseSafetensorsMetadata` finds the layout and parses the headers, but does not return the header
 * length N, so the first 8 bytes of each file are read here (absolute offset = 8 + N + relative offset). Each
 * header is then validated by lib/safetensors (`parseHeaderLength`, `validateHeader`) exactly as a local file
 * is, so a hostile remote header fails with the same SafetensorsError naming the tensor and the problem.
 */
import { modelInfo, parseSafetensorsMetadata, SafetensorParseError, type SafetensorsParseFromRepo } from '@huggingface/hub';
import { SafetensorsError } from '../safetensors/errors';
import { parseHeaderLength, validateHeader, type SafetensorsHeader, type TensorEntry } from '../safetensors/header';
import { HubError, toHubError } from './errors';
import { parseRepoId, resolveHub, type HubCallParams } from './hub-params';
import { remoteSource, type RemoteSource } from './remote-source';

export interface RemoteTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Path of the file in the repo (pass to remoteSource). */
  file: string;
  /** Absolute byte offsets in `file`, end exclusive. */
  start: number;
  end: number;
}

export interface RemoteCheckpointFile {
  path: string;
  size: number;
  headerLength: number;
  dataStart: number;
}

export interface CheckpointIndex {
  repo: string;
  revision: string;
  sharded: boolean;
  files: RemoteCheckpointFile[];
  tensors: RemoteTensor[];
}

export interface CheckpointIndexParams extends HubCallParams {
  repo: string;
  /** A commit sha (from getModelInfo) for a reproducible index. */
  revision: string;
}

const PARALLEL_FILES = 4;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads a file's 8-byte prefix and checks N against its size (SafetensorsError when N runs past the end). */
async function headerLengthOf(source: RemoteSource): Promise<number> {
  const prefix = await source.read(0, Math.min(8, source.size));
  return parseHeaderLength(prefix, source.size, source.label);
}

/** Tensors, files and absolute offsets of the checkpoint at `revision`. Throws HubError or SafetensorsError. */
export async function getCheckpointIndex(params: CheckpointIndexParams): Promise<CheckpointIndex> {
  const { repo, revision } = params;
  parseRepoId(repo);
  const { client } = resolveHub(params, { repo, revision });
  const open = (file: string) => remoteSource({ ...params, file });

  let parsed: SafetensorsParseFromRepo;
  try {
    parsed = await parseSafetensorsMetadata({ ...client, repo, revision });
  } catch (err) {
    if (err instanceof SafetensorParseError) {
      // the client saw a malformed header; say precisely what is wrong (e.g. N past the end of the file)
      const file = /Failed to parse file ([^:]+):/.exec(err.message)?.[1];
      if (file) await headerLengthOf(await open(file));
      throw new SafetensorsError({ file: `${repo}@${revision}${file ? `:${file}` : ''}`, problem: err.message, cause: err });
    }
    if (err instanceof Error && /does not seem to contain safetensors/.test(err.message)) {
      // the client's probes treat every 404 as "no such file": make sure the repo and revision exist
      await modelInfo({ ...client, name: repo, revision }).catch((e) => {
        throw toHubError(e, { repo, revision, hadToken: !!client.accessToken });
      });
      throw new HubError('no_safetensors', `no safetensors: ${repo}@${revision} has neither model.safetensors nor model.safetensors.index.json`);
    }
    throw toHubError(err, { repo, revision, hadToken: !!client.accessToken });
  }

  const headers: Record<string, unknown> = parsed.sharded ? parsed.headers : { 'model.safetensors': parsed.header };
  const paths = parsed.sharded ? Object.keys(parsed.headers) : (parsed.filepaths.length ? parsed.filepaths : ['model.safetensors']);
  if (!parsed.sharded && paths[0] !== 'model.safetensors') {
    headers[paths[0]] = parsed.header;
  }
  const validated = await mapLimit(paths, PARALLEL_FILES, async (path) => {
    const source = await open(path);
    const headerLength = await headerLengthOf(source);
    const header: SafetensorsHeader = validateHeader(headers[path], { headerLength, fileSize: source.size, label: source.label });
    return { path, size: source.size, header };
  });

  const byName = new Map<string, RemoteTensor>();
  for (const { path, header } of validated) {
    for (const t of header.tensors) {
      const prior = byName.get(t.name);
      if (prior) throw new SafetensorsError({ file: `${repo}@${revision}:${path}`, tensor: t.name, problem: `also present in ${prior.file}` });
      byName.set(t.name, remoteTensor(t, path));
    }
  }

  let tensors: RemoteTensor[];
  const weightMap = parsed.sharded ? parsed.index.weight_map : undefined;
  if (weightMap) {
    tensors = [];
    for (const [name, shard] of Object.entries(weightMap)) {
      const t = byName.get(name);
      if (!t || t.file !== shard) {
        throw new SafetensorsError({ file: `${repo}@${revision}:${shard}`, tensor: name, problem: "listed in the index's weight_map but absent from this shard" });
      }
      tensors.push(t);
      byName.delete(name);
    }
    tensors.push(...byName.values());
  } else {
    tensors = [...byName.values()];
  }

  return {
    repo,
    revision,
    sharded: parsed.sharded,
    files: validated.map(({ path, size, header }) => ({ path, size, headerLength: header.headerLength, dataStart: header.dataStart })),
    tensors,
  };
}

function remoteTensor(t: TensorEntry, file: string): RemoteTensor {
  return { name: t.name, dtype: t.dtype, shape: t.shape, file, start: t.start, end: t.end };
}

/** The tensors of the checkpoint at `revision`, in weight_map order, with absolute offsets. */
export async function getCheckpointTensors(params: CheckpointIndexParams): Promise<RemoteTensor[]> {
  return (await getCheckpointIndex(params)).tensors;
}
