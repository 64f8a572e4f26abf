/**
 * A ByteSource over one file of a Hub repo at a pinned revision: each `read(start, end)` is one HTTP range request
 * through the client's `downloadFile(...)` blob (`blob.slice(a, b).arrayBuffer()` → `Range: bytes=a-(b-1)`), so
 * only the bytes asked for travel — never a whole shard.
 *
 * Every read: its own timeout (AbortSignal; HF_HUB_TIMEOUT_MS plus one second per MiB requested, so a large tensor
 * on a slow link is not cut off while a stalled small read still is), a byte-count check (a body shorter than the range is a retryable
 * `network` error, never short data), retries with full-jitter backoff for resets, timeouts, 5xx and 429 (waiting
 * Retry-After when sent), and fail-fast for 401/403/404. A response that ignores Range (200 instead of 206) is
 * refused before its body is read. Requests, bytes and retries are counted in `stats` for progress and the fault
 * summary.
 */
import { downloadFile, fileDownloadInfo } from '@huggingface/hub';
import type { ByteSource } from '../safetensors/byte-source';
import { HubError, toHubError, type HubErrorContext } from './errors';
import { attemptSignal, isRetryableStatus, retryableResponseError } from './hub-fetch';
import { parseRepoId, resolveHub, type HubCallParams } from './hub-params';
import { createHubStats, withRetries, type HubStats } from './retry';

const MIB = 1024 * 1024;

export interface RemoteSourceParams extends HubCallParams {
  repo: string;
  /** Pin a commit sha (from getModelInfo) so every read sees the same bytes. */
  revision: string;
  /** Path of the file in the repo, e.g. `model-00001-of-00002.safetensors`. */
  file: string;
  /** File size when already known (saves the probe request). */
  size?: number;
}

export interface RemoteSource extends ByteSource {
  /** Requests, bytes read, retries and failures by kind for this source (or the shared object passed in). */
  stats: HubStats;
}

/** Opens a remote file: probes its size (unless given), then serves range reads. Throws HubError. */
export async function remoteSource(params: RemoteSourceParams): Promise<RemoteSource> {
  const { repo, revision, file } = params;
  parseRepoId(repo);
  const stats = params.stats ?? createHubStats();
  const context: HubErrorContext = { repo, revision, file };
  const { config, client } = resolveHub({ ...params, stats }, context);
  context.hadToken = !!config.accessToken;
  const label = `${repo}@${revision}:${file}`;
  const baseFetch = params.fetch ?? globalThis.fetch;

  let size = params.size;
  let url = `${config.hubUrl}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  let etag = '';
  if (size === undefined) {
    let info;
    try {
      info = await fileDownloadInfo({ ...client, repo, path: file, revision });
    } catch (err) {
      throw toHubError(err, context);
    }
    if (!info) throw new HubError('not_found', `not found: ${label} (no such file at this revision)`);
    size = info.size;
    url = info.url;
    etag = info.etag;
  }
  const fileSize = size;

  /** The fetch for one attempt: bound to the attempt's signal; retryable statuses become HubErrors here so their Retry-After is not lost. */
  const attemptFetch = (signal: AbortSignal, expectRange: boolean): typeof fetch => async (input, init) => {
    stats.requests += 1;
    const res = await baseFetch(input, { ...init, signal });
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (isRetryableStatus(res.status)) throw await retryableResponseError(res, target, context);
    if (expectRange && res.status === 200) {
      await res.body?.cancel();
      throw new HubError('bad_response', `unexpected Hub response (${label}: the server ignored the Range header and sent the whole file)`, { url: target, status: 200 });
    }
    return res;
  };

  return {
    size: fileSize,
    label,
    stats,
    async read(start, end, signal) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > fileSize) {
        throw new RangeError(`${label}: cannot read bytes [${start},${end}) of a ${fileSize}-byte file`);
      }
      if (end === start) return new Uint8Array(0);
      return withRetries(
        async () => {
          const attempt = attemptSignal(config.timeoutMs + Math.round(((end - start) / MIB) * 1000), signal, params.signal);
          const blob = await downloadFile({
            ...client,
            repo,
            path: file,
            revision,
            xet: false,
            downloadInfo: { size: fileSize, etag, url },
            fetch: attemptFetch(attempt, true),
          });
          if (!blob) throw new HubError('not_found', `not found: ${label}`);
          const bytes = new Uint8Array(await blob.slice(start, end).arrayBuffer());
          if (bytes.length !== end - start) {
            throw new HubError('network', `network: truncated body: got ${bytes.length} of ${end - start} bytes for [${start},${end}) of ${label}`);
          }
          stats.bytesRead += bytes.length;
          return bytes;
        },
        { ...config, signal: signal ?? params.signal, stats, onRetry: params.onRetry, context },
      );
    },
  };
}
