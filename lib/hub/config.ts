/**
 * Hub connection settings, read once from the environment (the same variables as the Python client):
 * `HF_ENDPOINT` (base URL, default https://huggingface.co), `HF_TOKEN` (optional; must start with `hf_`, which
 * @huggingface/hub itself enforces with a TypeError — checked here first for a clearer message), and this project's
 * `HF_HUB_TIMEOUT_MS` (per-request timeout, default 30 s) and `HF_HUB_RETRIES` (retries per request, default 5).
 */
import { HubConfigError } from './errors';

export interface HubConfig {
  /** Base URL without a trailing slash (the client builds `${hubUrl}/api/...`; `//api` 404s). */
  hubUrl: string;
  accessToken?: string;
  /** Per-request timeout (each attempt), ms. */
  timeoutMs: number;
  /** Retries after the first attempt for retryable failures (network, 5xx, 429, truncated bodies). */
  retries: number;
  /** First backoff ceiling in ms; attempt n waits a uniform random time in [0, min(retryMaxMs, retryBaseMs·2^(n−1))]. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_HUB_URL = 'https://huggingface.co';

function positiveInt(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new HubConfigError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return value;
}

/** Normalizes a Hub base URL: http(s) only, no trailing slash. */
export function normalizeHubUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new HubConfigError(`HF_ENDPOINT must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubConfigError(`HF_ENDPOINT must be an http(s) URL, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** Checks a token's shape without revealing it in the message. */
export function validateToken(token: string | undefined): string | undefined {
  if (token === undefined || token.trim() === '') return undefined;
  const trimmed = token.trim();
  if (!trimmed.startsWith('hf_')) {
    throw new HubConfigError(
      `HF_TOKEN must be a Hugging Face access token starting with "hf_" (got one starting with "${trimmed.slice(0, 3)}…")`,
    );
  }
  return trimmed;
}

/** Settings from `env` (default process.env), with explicit overrides winning. Throws HubConfigError on bad values. */
export function hubConfig(overrides: Partial<HubConfig> = {}, env: Record<string, string | undefined> = process.env): HubConfig {
  return {
    hubUrl: normalizeHubUrl(overrides.hubUrl ?? env.HF_ENDPOINT ?? DEFAULT_HUB_URL),
    accessToken: validateToken('accessToken' in overrides ? overrides.accessToken : env.HF_TOKEN),
    timeoutMs: overrides.timeoutMs ?? positiveInt('HF_HUB_TIMEOUT_MS', env.HF_HUB_TIMEOUT_MS, 30_000),
    retries: overrides.retries ?? positiveInt('HF_HUB_RETRIES', env.HF_HUB_RETRIES, 5, true),
    retryBaseMs: overrides.retryBaseMs ?? 500,
    retryMaxMs: overrides.retryMaxMs ?? 20_000,
  };
}
