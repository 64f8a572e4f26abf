import { describe, expect, it } from 'vitest';
import { HubApiError } from '@huggingface/hub';
import { errorForStatus, HubError, parseRetryAfter, toHubError } from './errors';

const apiError = (status: number, message: string) => {
  const err = new HubApiError('http://hub/x', status, 'req-1');
  err.message = `${message}. URL: http://hub/x`;
  return err;
};

describe('HubError mapping', () => {
  it('maps 401/403 to gated with the exact message prefix and advice', () => {
    const noToken = toHubError(apiError(401, 'Access to model a/b is restricted'), { repo: 'a/b', revision: 'main' });
    expect(noToken.kind).toBe('gated');
    expect(noToken.message.startsWith('gated: needs a token with access')).toBe(true);
    expect(noToken.message).toContain('set HF_TOKEN');
    expect(noToken.retryable).toBe(false);
    const withToken = toHubError(apiError(403, 'not in the authorized list'), { repo: 'a/b', hadToken: true });
    expect(withToken.kind).toBe('gated');
    expect(withToken.message).toContain('the HF_TOKEN given has no access');
    const invalid = toHubError(apiError(401, 'Invalid credentials in Authorization header'), { repo: 'a/b', hadToken: true });
    expect(invalid.message).toMatch(/^gated: needs a token with access .*rejected as invalid/);
  });

  it('maps 404 (and 401 "Repository not found") to not_found', () => {
    expect(toHubError(apiError(404, 'Repository not found')).kind).toBe('not_found');
    expect(toHubError(apiError(401, 'Repository not found')).kind).toBe('not_found');
  });

  it('maps 429 to rate_limited with the Retry-After delay, 5xx to server; both retryable', () => {
    const limited = errorForStatus(429, 'slow down', { repo: 'a/b' }, { retryAfterMs: 2000 });
    expect(limited).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 2000, status: 429 });
    expect(limited.message).toContain('retry after 2 s');
    expect(toHubError(apiError(503, 'unavailable'))).toMatchObject({ kind: 'server', retryable: true, status: 503, url: 'http://hub/x', requestId: 'req-1' });
  });

  it('maps network failures and timeouts to retryable network errors', () => {
    const reset = toHubError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), { repo: 'a/b' });
    expect(reset).toMatchObject({ kind: 'network', retryable: true });
    expect(reset.message).toContain('ECONNRESET');
    expect(toHubError(new DOMException('timed out', 'TimeoutError')).kind).toBe('network');
  });

  it('passes HubErrors through', () => {
    const err = new HubError('no_weights', 'no weights: x');
    expect(toHubError(err)).toBe(err);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
