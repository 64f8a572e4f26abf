/**
 * A Hub repo at a pinned revision as a checkpoint location: files from the tree listing (sizes and LFS SHA-256),
 * each opened as lib/hub's retried range-read ByteSource (only the bytes asked for travel), small JSON files read
 * whole.
 */
import { downloadFile } from '@huggingface/hub';
import { remoteSource, toHubError, type HubCallParams, type HubStats } from '@/lib/hub';
import { resolveHub } from '@/lib/hub/hub-params';
import { listRepoFiles } from '@/lib/hub/repo-files';
import { CheckpointError } from './errors';
import type { CheckpointFileInfo, CheckpointLocation } from './types';

/** Index and config files above this are refused (a real index is a few hundred KB). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function hubLocation(params: HubCallParams & { repo: string; revision: string; stats?: HubStats }): CheckpointLocation {
  const { repo, revision } = params;
  const label = `${repo}@${revision}`;
  let listing: Promise<CheckpointFileInfo[]> | null = null;
  const list = () => (listing ??= listRepoFiles(params));
  const open = async (path: string) => {
    const file = (await list()).find((f) => f.path === path);
    return remoteSource({ ...params, repo, revision, file: path, size: file?.size });
  };
  return {
    label,
    list,
    open,
    async readJson(path) {
      const file = (await list()).find((f) => f.path === path);
      if (!file) return null;
      const where = `${label}:${path}`;
      if (file.size > MAX_JSON_BYTES) throw new CheckpointError({ file: where, problem: `${file.size} bytes is too large for a JSON file` });
      // Small files are fetched whole (plain files need not honour Range); the retried fetch handles 5xx and resets.
      const { client } = resolveHub(params, { repo, revision, file: path });
      let text: string;
      try {
        const blob = await downloadFile({ ...client, repo, path, revision, xet: false });
        if (!blob) return null;
        text = await blob.text();
      } catch (err) {
        throw toHubError(err, { repo, revision, file: path, hadToken: !!client.accessToken });
      }
      try {
        return JSON.parse(text);
      } catch (cause) {
        throw new CheckpointError({ file: where, problem: `not valid JSON (${(cause as Error).message})`, cause });
      }
    },
  };
}
