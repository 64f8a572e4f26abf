/**
 * The top-level files of a repo at a revision (`listFiles`, not recursive), with sizes and, for LFS files, the
 * SHA-256 of their content (the LFS oid): what a checkpoint format looks for, and what lets the board recognise a
 * file it has already analysed under another repo name without downloading it.
 */
import { listFiles } from '@huggingface/hub';
import { toHubError } from './errors';
import { parseRepoId, resolveHub, type HubCallParams } from './hub-params';

export interface RepoFile {
  path: string;
  size: number;
  /** SHA-256 of the file content (LFS files only). */
  sha256?: string;
}

export async function listRepoFiles(params: HubCallParams & { repo: string; revision: string }): Promise<RepoFile[]> {
  const { repo, revision } = params;
  parseRepoId(repo);
  const { client } = resolveHub(params, { repo, revision });
  const out: RepoFile[] = [];
  try {
    for await (const entry of listFiles({ ...client, repo, revision, recursive: false })) {
      if (entry.type !== 'file') continue;
      const sha256 = entry.lfs?.oid;
      out.push({ path: entry.path, size: entry.size, ...(typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) ? { sha256 } : {}) });
    }
  } catch (err) {
    throw toHubError(err, { repo, revision, hadToken: !!client.accessToken });
  }
  return out;
}
