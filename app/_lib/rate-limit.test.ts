import { describe, expect, it } from 'vitest';
import { bodyLimit, classify, clientKey, parseBudget, rateLimitConfig, TokenBuckets, PEER_HEADER } from './rate-limit';

const q = (s = '') => new URLSearchParams(s);

describe('token buckets', () => {
  it('allows the burst, then refuses with Retry-After until tokens refill at the rate', () => {
    const b = new TokenBuckets();
    const budget = { rate: 2, burst: 5 };
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) expect(b.take('api|1.2.3.4', budget, t0).ok).toBe(true);
    const refused = b.take('api|1.2.3.4', budget, t0);
    expect(refused).toEqual({ ok: false, remaining: 0, retryAfter: 1 });
    // Another client has its own bucket.
    expect(b.take('api|5.6.7.8', budget, t0).ok).toBe(true);
    // Half a second at 2/s gives one token back, and only one.
    expect(b.take('api|1.2.3.4', budget, t0 + 500).ok).toBe(true);
    expect(b.take('api|1.2.3.4', budget, t0 + 500).ok).toBe(false);
    // A long pause refills to the burst, never above it.
    let ok = 0;
    for (let i = 0; i < 20; i++) if (b.take('api|1.2.3.4', budget, t0 + 60_000).ok) ok++;
    expect(ok).toBe(5);
  });

  it('gives a Retry-After that covers a slow rate', () => {
    const b = new TokenBuckets();
    const budget = { rate: 0.1, burst: 1 };
    expect(b.take('k', budget, 0).ok).toBe(true);
    expect(b.take('k', budget, 0).retryAfter).toBe(10);
    expect(b.take('k', budget, 9_000).ok).toBe(false);
    expect(b.take('k', budget, 10_000).ok).toBe(true);
  });

  it('bounds its memory', () => {
    const b = new TokenBuckets(100);
    for (let i = 0; i < 1000; i++) b.take(`api|10.0.${i >> 8}.${i & 255}`, { rate: 1, burst: 1 }, 0);
    expect(b.size).toBeLessThanOrEqual(100);
  });
});

describe('configuration', () => {
  it('parses rate:burst and keeps defaults on nonsense', () => {
    expect(parseBudget('5:50', { rate: 1, burst: 1 })).toEqual({ rate: 5, burst: 50 });
    expect(parseBudget('4', { rate: 1, burst: 1 })).toEqual({ rate: 4, burst: 20 });
    expect(parseBudget('x:y', { rate: 1, burst: 2 })).toEqual({ rate: 1, burst: 2 });
    const c = rateLimitConfig({ RATE_LIMIT_API: '100:1000', TRUST_PROXY_HEADER: 'X-Forwarded-For', TRUST_PROXY_HOPS: '2' });
    expect(c.enabled).toBe(true);
    expect(c.budgets.api).toEqual({ rate: 100, burst: 1000 });
    expect(c.trustHeader).toBe('x-forwarded-for');
    expect(c.trustHops).toBe(2);
    expect(rateLimitConfig({ RATE_LIMIT: 'off' }).enabled).toBe(false);
  });

  it('classifies routes into budgets', () => {
    expect(classify('GET', '/', q())).toBe('pages');
    expect(classify('GET', '/models/a/b', q())).toBe('pages');
    expect(classify('GET', '/compare', q('a=x/y&b=z/w'))).toBe('expensive');
    expect(classify('GET', '/api/v1/compare', q())).toBe('expensive');
    expect(classify('GET', '/api/v1/models/a/b/layers/3/esd', q())).toBe('expensive');
    expect(classify('GET', '/api/v1/models', q('format=csv'))).toBe('expensive');
    expect(classify('GET', '/api/v1/models', q('sort=alpha'))).toBe('api');
    expect(classify('GET', '/api/v1/analyses', q())).toBe('api');
    expect(classify('POST', '/api/v1/analyses', q())).toBe('admin');
    expect(classify('POST', '/api/v1/webhooks/hub', q())).toBe('admin');
    expect(classify('GET', '/api/health', q())).toBeNull();
    expect(classify('GET', '/metrics', q())).toBeNull();
  });

  it('keys on the TCP peer unless a trusted proxy header is configured', () => {
    const h = new Headers({ [PEER_HEADER]: '10.0.0.9', 'x-forwarded-for': '6.6.6.6, 1.2.3.4' });
    // A client-sent X-Forwarded-For is ignored without TRUST_PROXY_HEADER.
    expect(clientKey(h, { trustHeader: null, trustHops: 1 })).toBe('10.0.0.9');
    // One trusted proxy appends the address it saw: the rightmost entry; the left ones may be forged.
    expect(clientKey(h, { trustHeader: 'x-forwarded-for', trustHops: 1 })).toBe('1.2.3.4');
    expect(clientKey(h, { trustHeader: 'x-forwarded-for', trustHops: 2 })).toBe('6.6.6.6');
    expect(clientKey(new Headers({ [PEER_HEADER]: '10.0.0.9' }), { trustHeader: 'x-real-ip', trustHops: 1 })).toBe('10.0.0.9');
  });

  it('limits write bodies', () => {
    expect(bodyLimit('/api/v1/analyses', {})).toBe(65_536);
    expect(bodyLimit('/api/v1/analyses', { MAX_BODY_BYTES: '1000' })).toBe(1000);
    expect(bodyLimit('/api/v1/webhooks/hub', {})).toBe(1_000_000);
  });
});
