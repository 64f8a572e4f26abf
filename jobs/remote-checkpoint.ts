import { createHubStats, getCheckpointIndex, remoteSource, type HubStats, type RemoteSource, type RemoteTensor as HubTensor } from '@/lib/hub';
import { decodeTensor, pairFp8Scales, type SafetensorsDtype, type TensorScale } from '@/lib/safetensors';
import type { Logger } from 'pino';

/**
 * A Hub checkpoint at a pinned sha as the analysis pipeline reads it: the tensor index (absolute offsets, weight_map
 * order) and a `read` that fetches ONE tensor by an HTTP range request (lib/hub's retried, byte-count-checked
 * ByteSource) and decodes it (lib/safetensors), applying an FP8 weight's scale tensor when it has one.
 * Nothing but the requested tensor's bytes is downloaded, so memory per read is one tensor.
 */

export interface RemoteTensor extends HubTensor {
  /** Set on FP8 scale tensors (`X.weight_scale_inv` / `X.weight_scale`): the weight they scale. */
  scaleFor?: string;
  /** Set on FP8 weights that have a scale tensor. */
  scaleTensor?: string;
}

export interface DecodedRemoteTensor {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

export interface RemoteCheckpoint {
  tensors: RemoteTensor[];
  /** Sum of the weight files' sizes. */
  bytesTotal: number;
  stats: HubStats;
  read(tensor: RemoteTensor, signal?: AbortSignal): Promise<DecodedRemoteTensor>;
}

export async function openRemoteCheckpoint(params: {
  repoId: string;
  revision: string;
  signal?: AbortSignal;
  log?: Logger;
}): Promise<RemoteCheckpoint> {
  const stats = createHubStats();
  const onRetry = (info: unknown) => params.log?.warn({ retry: info }, 'retrying Hub request');
  const hub = { stats, onRetry, signal: params.signal };
  const index = await getCheckpointIndex({ ...hub, repo: params.repoId, revision: params.revision });
  const sizes = new Map(index.files.map((f) => [f.path, f.size]));
  const sources = new Map<string, Promise<RemoteSource>>();
  const sourceOf = (file: string) => {
    let s = sources.get(file);
    if (!s) {
      s = remoteSource({ ...hub, repo: params.repoId, revision: params.revision, file, size: sizes.get(file) });
      sources.set(file, s);
      s.catch(() => sources.delete(file));
    }
    return s;
  };

  const byName = new Map<string, RemoteTensor>(index.tensors.map((t) => [t.name, { ...t }]));
  const tensors = index.tensors.map((t) => byName.get(t.name)!);
  pairFp8Scales(tensors, byName);

  // lib/hub validated every dtype against lib/safetensors' table when it parsed the header.
  const entryOf = (t: RemoteTensor) => ({ ...t, dtype: t.dtype as SafetensorsDtype });
  const readRaw = async (t: RemoteTensor, signal?: AbortSignal) => (await sourceOf(t.file)).read(t.start, t.end, signal);

  return {
    tensors,
    bytesTotal: index.files.reduce((s, f) => s + f.size, 0),
    stats,
    async read(t, signal) {
      let scale: TensorScale | null = null;
      if (t.scaleTensor) {
        const s = byName.get(t.scaleTensor)!;
        scale = { data: decodeTensor(await readRaw(s, signal), entryOf(s)), shape: s.shape, name: s.name };
      }
      const data = decodeTensor(await readRaw(t, signal), entryOf(t), scale);
      const rows = t.shape[0] ?? 1;
      const cols = t.shape.slice(1).reduce((a, b) => a * b, 1);
      return { data, rows, cols };
    },
  };
}
