import { CheckpointError } from '@/lib/checkpoint/errors';
import { NoCheckpointError } from '@/lib/checkpoint/open';
import { NonFiniteTensorError, UnsupportedDtypeError } from '@/lib/safetensors';
import { ComputeError, DISPLACED } from './compute-pool';

/**
 * Which failures end an analysis and which are retried.
 *
 * Permanent (the analysis is marked failed with the reason, never retried): the repo is gated without access,
 * missing, has no weights in a format the board reads, is over the size cap, or its checkpoint header is corrupt/hostile. Retrying cannot
 * change those answers.
 * Per layer (`bad_tensor`: the layer is stored as skipped with the reason and the rest goes on): NaN/Inf weights,
 * a dtype the spectral core cannot read, a matrix the spectral core rejects.
 * Transient (thrown, so pg-boss retries with backoff): network failures, 5xx/429 after the client's own retries,
 * truncated bodies, database connection loss, a crashed compute thread (or a task lost with a thread replaced for
 * another task's overrun; the pipeline resubmits that one itself).
 */

export class PermanentJobError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface Classified {
  kind: string;
  permanent: boolean;
  message: string;
}

const PERMANENT_HUB_KINDS = new Set([
  'gated', 'not_found', 'no_weights', 'unsupported', 'too_large', 'bad_response',
]);

export function classifyError(err: unknown): Classified {
  const e = err as Error & { kind?: unknown; status?: unknown };
  const message = e?.message ?? String(err);
  if (err instanceof PermanentJobError) return { kind: err.kind, permanent: true, message };
  if (err instanceof NonFiniteTensorError || err instanceof UnsupportedDtypeError) {
    return { kind: 'bad_tensor', permanent: false, message };
  }
  if (err instanceof ComputeError) {
    // A dead thread, or one replaced while it held this matrix for another's overrun (DISPLACED): not the matrix's fault.
    return err.causeName === 'WorkerDied' || err.causeName === DISPLACED
      ? { kind: 'internal', permanent: false, message }
      : { kind: 'bad_tensor', permanent: false, message: `analysis error: ${message}` };
  }
  if (err instanceof NoCheckpointError) return { kind: 'no_weights', permanent: true, message };
  if (err instanceof CheckpointError) {
    // A short read is the network's fault (retry); anything else in a header is the file's (fail).
    if (/truncated read/i.test(message)) return { kind: 'network', permanent: false, message };
    return { kind: 'corrupt_checkpoint', permanent: true, message: `corrupt checkpoint: ${message}` };
  }
  const retryable = (err as { retryable?: unknown })?.retryable;
  if (typeof e?.kind === 'string' && typeof retryable === 'boolean') {
    // lib/hub's HubError says itself whether another try can help (network, 5xx, 429) or not (gated, 404, ...).
    return { kind: e.kind, permanent: !retryable, message };
  }
  if (typeof e?.kind === 'string') {
    if (PERMANENT_HUB_KINDS.has(e.kind)) return { kind: e.kind, permanent: true, message };
    return { kind: e.kind, permanent: false, message };
  }
  if (typeof e?.status === 'number' && [401, 403, 404].includes(e.status)) {
    return { kind: e.status === 404 ? 'not_found' : 'gated', permanent: true, message };
  }
  return { kind: 'internal', permanent: false, message };
}
