/**
 * The optional connection parameters every lib/hub function accepts (anchor: @huggingface/hub's own functions take
 * `hubUrl`, `accessToken` and `fetch`), resolved against `hubConfig()` so callers can pass nothing and get
 * HF_ENDPOINT / HF_TOKEN, or point a call at the stand-in Hub in a test.
 */
import { hubConfig, type HubConfig } from './config';
import { HubError, type HubErrorContext } from './errors';
import { createHubFetch } from './hub-fetch';
import type { HubStats, RetryInfo } from './retry';

export interface HubCallParams extends Partial<HubConfig> {
  /** Underlying fetch (default globalThis.fetch); retries and timeouts are layered on top of it. */
  fetch?: typeof fetch;
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
  /** Counters to add this call's requests, bytes and retries to. */
  stats?: HubStats;
  /** Called before each retry (for logging). */
  onRetry?: (info: RetryInfo) => void;
}

export interface ResolvedHub {
  config: HubConfig;
  /** Credentials and URL as the client's functions take them. */
  client: { hubUrl: string; accessToken?: string; fetch: typeof fetch };
}

export function resolveHub(params: HubCallParams, context: HubErrorContext): ResolvedHub {
  const overrides: Partial<HubConfig> = {};
  for (const key of ['hubUrl', 'accessToken', 'timeoutMs', 'retries', 'retryBaseMs', 'retryMaxMs'] as const) {
    if (key in params) (overrides as Record<string, unknown>)[key] = params[key];
  }
  const config = hubConfig(overrides);
  const fetch = createHubFetch({
    ...config,
    fetch: params.fetch,
    signal: params.signal,
    stats: params.stats,
    onRetry: params.onRetry,
    context: { ...context, hadToken: !!config.accessToken },
  });
  return { config, client: { hubUrl: config.hubUrl, accessToken: config.accessToken, fetch } };
}

/** `owner/name` check (the Hub's repo id shape); throws a not_found HubError naming the bad id. */
export function parseRepoId(repo: string): { owner: string; name: string } {
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(repo ?? '');
  if (!m || m[1].startsWith('.') || m[2].startsWith('.')) {
    throw new InvalidRepoIdError(repo);
  }
  return { owner: m[1], name: m[2] };
}


/** A repo id that cannot exist on the Hub (not `owner/name`). */
export class InvalidRepoIdError extends HubError {
  constructor(repo: string) {
    super('not_found', `not found: "${repo}" is not a Hub repo id (expected owner/name)`);
  }
}
