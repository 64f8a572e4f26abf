/**
 * Hub repos as a CLI tensor source, through the project's Hub client (lib/hub: HF_ENDPOINT, HF_TOKEN, retries):
 * the revision is pinned to its commit sha, the checkpoint index (every tensor's file and absolute byte range,
 * sharded or not) is read from the headers, and each file becomes a range-read ByteSource. The safetensors reader
 * then assembles them (`checkpointFromSources`), so FP8 scales are applied as for local files and only one tensor
 * at a time is downloaded. Hub failures surface as HubError messages (gated, not_found, no_safetensors, ...).
 */
import { getCheckpointIndex, getModelInfo, remoteSource, type CheckpointIndex } from '@/lib/hub';
import { checkpointFromSources, type ByteSource, type SafetensorsHeader } from '@/lib/safetensors';
import type { TensorSource } from './run-analysis';

/** Per-file headers rebuilt from the index (offsets are already absolute and validated by lib/hub). */
function headersOf(index: CheckpointIndex): Map<string, SafetensorsHeader> {
  const headers = new Map<string, SafetensorsHeader>();
  for (const f of index.files) {
    headers.set(f.path, { headerLength: f.headerLength, dataStart: f.dataStart, metadata: {}, tensors: [] });
  }
  for (const t of index.tensors) {
    headers.get(t.file)?.tensors.push({
      name: t.name, dtype: t.dtype as SafetensorsHeader['tensors'][number]['dtype'], shape: t.shape, start: t.start, end: t.end,
    });
  }
  return headers;
}

export async function openHubSource(repo: string, revision?: string): Promise<TensorSource> {
  const info = await getModelInfo({ repo, revision: revision ?? 'main' });
  const index = await getCheckpointIndex({ repo, revision: info.sha });
  const headers = headersOf(index);
  const opened: Array<{ source: ByteSource; header: SafetensorsHeader }> = [];
  for (const f of index.files) {
    const source = await remoteSource({ repo, revision: info.sha, file: f.path, size: f.size });
    opened.push({ source, header: headers.get(f.path)! });
  }
  const labelOf = new Map(index.files.map((f, i) => [f.path, opened[i].source.label]));
  const order = index.tensors.map((t) => [t.name, labelOf.get(t.file)!] as [string, string]);
  const ck = checkpointFromSources(`${repo}@${info.sha}`, opened, order);
  return { label: `${repo}@${info.sha}`, tensors: ck.tensors, read: (entry) => ck.read(entry) };
}
