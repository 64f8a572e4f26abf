/**
 * Retries with exponential backoff and full jitter (attempt n waits a uniform random time in
 * [0, min(maxMs, baseMs·2^(n−1))], so many workers hitting the same failure spread out), or exactly the Hub's
 * Retry-After when it sent one (honoured up to RETRY_AFTER_CAP_MS, so a hostile answer cannot stall a worker for hours). Only HubErrors marked retryable are retried; permanent ones
 * (401/403/404, ...) fail on the first attempt. Built on p-retry; p-retry's own timer is disabled so the delay
 * above is the only wait.
 */
import pRetry from 'p-retry';
import { HubError, toHubError, type HubErrorContext } from './errors';

export interface RetryInfo {
  /** The attempt that failed (1 = first). */
  attempt: number;
  /** Retries left after this one. */
  retriesLeft: number;
  delayMs: number;
  error: HubError;
}

/** Counters shared by the requests of one analysis (progress, fault summary). */
export interface HubStats {
  requests: number;
  bytesRead: number;
  retries: number;
  /** Failed attempts by kind (retried or not). */
  failures: Partial<Record<HubError['kind'], number>>;
}

export function createHubStats(): HubStats {
  return { requests: 0, bytesRead: 0, retries: 0, failures: {} };
}

export interface RetryOptions {
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  signal?: AbortSignal;
  stats?: HubStats;
  onRetry?: (info: RetryInfo) => void;
  /** For error messages of non-HubErrors. */
  context?: HubErrorContext;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const RETRY_AFTER_CAP_MS = 300_000;

/** Backoff before retry number `attempt` (1-based): full jitter, or Retry-After when given. */
export function backoffDelay(attempt: number, error: HubError, opts: Pick<RetryOptions, 'retryBaseMs' | 'retryMaxMs'>): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, RETRY_AFTER_CAP_MS);
  const ceiling = Math.min(opts.retryMaxMs, opts.retryBaseMs * 2 ** (attempt - 1));
  return Math.random() * ceiling;
}

/** Runs `fn` until it succeeds, a permanent HubError is thrown, retries run out, or `signal` aborts. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        const hubError = toHubError(err, opts.context);
        if (opts.stats) opts.stats.failures[hubError.kind] = (opts.stats.failures[hubError.kind] ?? 0) + 1;
        throw hubError;
      }
    },
    {
      retries: opts.retries,
      minTimeout: 0,
      maxTimeout: 0,
      factor: 1,
      signal: opts.signal,
      shouldRetry: (err) => err instanceof HubError && err.retryable,
      onFailedAttempt: async (err) => {
        const error = err as unknown as HubError & { attemptNumber: number; retriesLeft: number };
        if (!(error instanceof HubError) || !error.retryable || error.retriesLeft <= 0) return;
        const delayMs = backoffDelay(error.attemptNumber, error, opts);
        if (opts.stats) opts.stats.retries += 1;
        opts.onRetry?.({ attempt: error.attemptNumber, retriesLeft: error.retriesLeft, delayMs, error });
        await sleep(delayMs, opts.signal);
      },
    },
  );
}
