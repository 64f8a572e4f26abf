/**
 * The `fetch` handed to @huggingface/hub for metadata calls (listing, model info, safetensors headers, probes):
 * each attempt gets its own timeout, and network failures, 5xx, 429 (Retry-After honoured) and truncated bodies
 * are retried here, below the client, so one flaky request does not fail a whole listing or header parse.
 * Bodies of successful responses are read fully inside the attempt (they are small: JSON, headers, probes), so a
 * body cut mid-way is retried too; bodies over `MAX_BUFFERED_BYTES` are passed through as streams.
 * Non-retryable statuses (401/403/404, ...) are handed back untouched, so the client's own handling applies
 * (404 EntryNotFound → null, HubApiError otherwise).
 */
import { errorForStatus, HubError, parseRetryAfter, type HubErrorContext } from './errors';
import { withRetries, type RetryOptions } from './retry';

const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface HubFetchOptions extends RetryOptions {
  timeoutMs: number;
  /** Underlying fetch (tests); default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Statuses worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** HubError for a retryable response (body drained; Retry-After read). */
export async function retryableResponseError(res: Response, url: string, ctx: HubErrorContext): Promise<HubError> {
  const body = await res.text().catch(() => '');
  let detail = body.slice(0, 200);
  try {
    const json = JSON.parse(body) as { error?: string; message?: string };
    detail = json.error ?? json.message ?? detail;
  } catch {
    // not JSON: keep the text
  }
  return errorForStatus(res.status, detail, ctx, {
    url,
    requestId: res.headers.get('x-request-id') ?? undefined,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}

/** One attempt's signal: the caller's (if any) combined with a fresh timeout. */
export function attemptSignal(timeoutMs: number, ...signals: Array<AbortSignal | null | undefined>): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(timeoutMs), ...signals.filter((s): s is AbortSignal => !!s)]);
}

function requestUrl(input: RequestInfo | URL): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** A fetch with per-attempt timeout, retries and full-body reads (see above). */
export function createHubFetch(opts: HubFetchOptions): typeof fetch {
  const base = opts.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const url = requestUrl(input);
    return withRetries(
      async () => {
        if (opts.stats) opts.stats.requests += 1;
        const res = await base(input, { ...init, signal: attemptSignal(opts.timeoutMs, init?.signal, opts.signal) });
        if (isRetryableStatus(res.status)) throw await retryableResponseError(res, url, opts.context ?? {});
        if (!res.ok && init?.method === 'HEAD' && res.status !== 404) {
          // a HEAD answer has no body for the client to read its error from: map it here (404 stays the client's "absent")
          throw errorForStatus(res.status, res.headers.get('x-error-message') ?? '', opts.context ?? {}, {
            url,
            errorCode: res.headers.get('x-error-code'),
            requestId: res.headers.get('x-request-id') ?? undefined,
          });
        }
        if (!res.ok || init?.method === 'HEAD') return res;
        const declared = Number(res.headers.get('content-length') ?? NaN);
        if (declared > MAX_BUFFERED_BYTES) return res;
        const body = await res.arrayBuffer();
        // Content-Length counts encoded bytes: compare only identity bodies (fetch decodes gzip/br and itself
        // fails on a cut compressed stream)
        const encoding = res.headers.get('content-encoding');
        const identity = !encoding || encoding === 'identity';
        if (identity && Number.isFinite(declared) && body.byteLength !== declared) {
          throw new HubError('network', `network: truncated body: got ${body.byteLength} of ${declared} bytes (${url})`, { url });
        }
        if (opts.stats) opts.stats.bytesRead += body.byteLength;
        const headers = new Headers(res.headers);
        if (!identity) {
          // the body is decoded now: drop the headers that describe the encoded form
          headers.delete('content-encoding');
          headers.delete('content-length');
        }
        const copy = new Response(res.status === 204 ? null : body, { status: res.status, statusText: res.statusText, headers });
        Object.defineProperty(copy, 'url', { value: res.url || url });
        return copy;
      },
      { ...opts, signal: init?.signal ?? opts.signal ?? undefined },
    );
  };
}
