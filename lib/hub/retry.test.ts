import { describe, expect, it } from 'vitest';
import { HubError } from './errors';
import { backoffDelay, createHubStats, RETRY_AFTER_CAP_MS, withRetries, type RetryInfo } from './retry';

const opts = { retries: 3, retryBaseMs: 100, retryMaxMs: 1000 };

describe('backoffDelay', () => {
  it('draws full jitter under an exponentially growing ceiling capped at retryMaxMs', () => {
    const err = new HubError('server', 'boom');
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, err, opts);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('waits exactly the Retry-After when given, within a hard cap', () => {
    expect(backoffDelay(1, new HubError('rate_limited', 'x', { retryAfterMs: 2500 }), opts)).toBe(2500);
    expect(backoffDelay(1, new HubError('rate_limited', 'x', { retryAfterMs: 10 ** 9 }), opts)).toBe(RETRY_AFTER_CAP_MS);
  });
});

describe('withRetries', () => {
  const fast = { retries: 3, retryBaseMs: 1, retryMaxMs: 2 };

  it('retries retryable failures and counts them', async () => {
    const stats = createHubStats();
    const seen: RetryInfo[] = [];
    let calls = 0;
    const value = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new HubError(calls === 1 ? 'network' : 'server', 'flaky');
        return 'ok';
      },
      { ...fast, stats, onRetry: (i) => seen.push(i) },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(stats).toMatchObject({ retries: 2, failures: { network: 1, server: 1 } });
    expect(seen.map((s) => [s.attempt, s.error.kind])).toEqual([[1, 'network'], [2, 'server']]);
  });

  it('fails fast on permanent errors and maps foreign errors to HubError', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw new HubError('not_found', 'not found: x'); }, fast)).rejects.toMatchObject({ kind: 'not_found' });
    expect(calls).toBe(1);
    calls = 0;
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    await expect(withRetries(async () => { calls++; throw reset; }, fast)).rejects.toMatchObject({ kind: 'network' });
    expect(calls).toBe(4);
  });
});
