/**
 * One error type for every Hub failure, with a `kind` callers act on (fail fast, retry, skip) and a message a
 * person can read in the UI. Messages start with the kind's phrase, e.g. `gated: needs a token with access (...)`.
 *
 * Retryable: network (resets, timeouts, truncated bodies), server (5xx), rate_limited (429, with Retry-After).
 * Permanent: gated (401/403), not_found (404), no_weights, unsupported, too_large, bad_response.
 */
import { HubApiError, InvalidApiResponseFormatError, SafetensorParseError } from '@huggingface/hub';

export type HubErrorKind =
  | 'gated'
  | 'not_found'
  | 'no_weights'
  | 'unsupported'
  | 'too_large'
  | 'rate_limited'
  | 'network'
  | 'server'
  | 'bad_response';

const RETRYABLE: ReadonlySet<HubErrorKind> = new Set(['rate_limited', 'network', 'server']);

export interface HubErrorInit {
  status?: number;
  url?: string;
  requestId?: string;
  /** Milliseconds the Hub asked us to wait (Retry-After). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class HubError extends Error {
  readonly kind: HubErrorKind;
  readonly status?: number;
  readonly url?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
  readonly retryable: boolean;

  constructor(kind: HubErrorKind, message: string, init: HubErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'HubError';
    this.kind = kind;
    // Counted for the operators' metrics (jobs/metric-counters.ts reads this map).
    const hubErrors = (((globalThis as any)[Symbol.for('alphaboard.metric-counters')] ??= { layers_stored: {}, hub_errors: {}, rate_limited: {} }).hub_errors);
    hubErrors[kind] = (hubErrors[kind] ?? 0) + 1;
    this.status = init.status;
    this.url = init.url;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = RETRYABLE.has(kind);
  }
}

/** A bad HF_ENDPOINT / HF_TOKEN / timeout setting. */
export class HubConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubConfigError';
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What a failure was about, for the message: `owner/name@rev` and optionally a file. */
export interface HubErrorContext {
  repo?: string;
  revision?: string;
  file?: string;
  /** Whether a token was sent (changes the advice for gated repos). */
  hadToken?: boolean;
}

function subject(ctx: HubErrorContext): string {
  const repo = ctx.repo ? `${ctx.repo}${ctx.revision ? `@${ctx.revision}` : ''}` : 'the Hub';
  return ctx.file ? `${repo}: ${ctx.file}` : repo;
}

/** HubError for an HTTP status (used for responses seen directly and for the client's HubApiError). */
export function errorForStatus(
  status: number,
  detail: string,
  ctx: HubErrorContext,
  init: HubErrorInit & { errorCode?: string | null } = {},
): HubError {
  const where = subject(ctx);
  const tail = `HTTP ${status}${detail ? `: ${detail}` : ''}${init.url ? ` (${init.url})` : ''}`;
  const notFound = status === 404 || init.errorCode === 'RepoNotFound' || init.errorCode === 'RevisionNotFound' ||
    (status === 401 && /repository not found/i.test(detail));
  if (notFound) return new HubError('not_found', `not found: ${where} (${tail})`, { ...init, status });
  if (status === 401 || status === 403) {
    const invalid = status === 401 && /invalid (credentials|token|username)/i.test(detail);
    const advice = invalid
      ? 'the HF_TOKEN given was rejected as invalid'
      : ctx.hadToken
        ? 'the HF_TOKEN given has no access to it'
        : 'set HF_TOKEN to a token that has access';
    return new HubError('gated', `gated: needs a token with access (${where}; ${advice}; ${tail})`, { ...init, status });
  }
  if (status === 429) {
    const wait = init.retryAfterMs === undefined ? '' : `, retry after ${Math.ceil(init.retryAfterMs / 1000)} s`;
    return new HubError('rate_limited', `rate limited by the Hub${wait} (${where}; ${tail})`, { ...init, status });
  }
  if (status >= 500 || status === 408) return new HubError(status === 408 ? 'network' : 'server', `Hub server error (${where}; ${tail})`, { ...init, status });
  return new HubError('bad_response', `unexpected Hub response (${where}; ${tail})`, { ...init, status });
}

function isAbortLike(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * Maps anything a Hub call threw to a HubError (HubErrors pass through). Network-level failures (undici's
 * "fetch failed"/"terminated", resets, timeouts) become retryable `network` errors.
 */
export function toHubError(err: unknown, ctx: HubErrorContext = {}): HubError {
  if (err instanceof HubError) return err;
  if (err instanceof HubApiError) {
    const detail = err.message.replace(/\. URL: .*$/s, '');
    return errorForStatus(err.statusCode, detail, ctx, { url: err.url, requestId: err.requestId, cause: err });
  }
  if (err instanceof InvalidApiResponseFormatError || err instanceof SafetensorParseError) {
    return new HubError('bad_response', `unexpected Hub response (${subject(ctx)}: ${(err as Error).message})`, { cause: err });
  }
  if (isAbortLike(err)) {
    return new HubError('network', `network: request timed out or was aborted (${subject(ctx)})`, { cause: err });
  }
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new HubError('network', `network: ${e?.message ?? 'request failed'}${reason && reason !== e?.message ? ` (${reason})` : ''} (${subject(ctx)})`, { cause: err });
}
