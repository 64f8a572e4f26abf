/**
 * Per-client request budgets (token buckets), used by the proxy (proxy.ts) in front of every page and API route.
 *
 * Each client (its IP address, see clientKey) has one bucket per route class. A bucket holds up to `burst` tokens
 * and refills at `rate` tokens per second; a request takes one token, and an empty bucket answers 429 with
 * Retry-After (the seconds until a token is back). Buckets live in this process's memory: with several web
 * processes each one enforces its own budget (a per-node budget), see README "Abuse limits".
 *
 * Configuration (env): RATE_LIMIT=off disables all limits; RATE_LIMIT_PAGES / _API / _EXPENSIVE / _ADMIN are
 * `<tokens per second>:<burst>` (e.g. `20:100`); TRUST_PROXY_HEADER names a header set by a trusted reverse proxy
 * (`x-forwarded-for`, `x-real-ip`, …) to take the client address from, TRUST_PROXY_HOPS (1) how many proxies append
 * to x-forwarded-for. Without TRUST_PROXY_HEADER the client is the TCP peer.
 */

export type RouteClass = 'pages' | 'api' | 'expensive' | 'admin';

export interface Budget {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: the burst a client may send at once. */
  burst: number;
}

export const DEFAULT_BUDGETS: Record<RouteClass, Budget> = {
  pages: { rate: 10, burst: 60 },
  api: { rate: 20, burst: 100 },
  expensive: { rate: 2, burst: 30 },
  admin: { rate: 0.5, burst: 10 },
};

/** Parse `<rate>:<burst>` (burst defaults to 5 × rate); anything unparsable keeps the default. */
export function parseBudget(value: string | undefined, fallback: Budget): Budget {
  if (!value || !value.trim()) return fallback;
  const [r, b] = value.split(':').map((s) => Number(s.trim()));
  if (!Number.isFinite(r) || r <= 0) return fallback;
  const burst = b === undefined || !Number.isFinite(b) || b < 1 ? Math.max(1, Math.ceil(r * 5)) : Math.floor(b);
  return { rate: r, burst };
}

export interface RateLimitConfig {
  enabled: boolean;
  budgets: Record<RouteClass, Budget>;
  trustHeader: string | null;
  trustHops: number;
}

export function rateLimitConfig(env: Record<string, string | undefined> = process.env): RateLimitConfig {
  const off = /^(off|0|false|no)$/i.test(env.RATE_LIMIT ?? '');
  const hops = Number(env.TRUST_PROXY_HOPS ?? 1);
  return {
    enabled: !off,
    budgets: {
      pages: parseBudget(env.RATE_LIMIT_PAGES, DEFAULT_BUDGETS.pages),
      api: parseBudget(env.RATE_LIMIT_API, DEFAULT_BUDGETS.api),
      expensive: parseBudget(env.RATE_LIMIT_EXPENSIVE, DEFAULT_BUDGETS.expensive),
      admin: parseBudget(env.RATE_LIMIT_ADMIN, DEFAULT_BUDGETS.admin),
    },
    trustHeader: env.TRUST_PROXY_HEADER?.trim().toLowerCase() || null,
    trustHops: Number.isInteger(hops) && hops >= 1 ? hops : 1,
  };
}

/** Which budget a request draws from. Operator endpoints (health, readiness, metrics) are not limited (null). */
export function classify(method: string, pathname: string, search: URLSearchParams): RouteClass | null {
  if (pathname === '/api/health' || pathname === '/api/ready' || pathname === '/metrics') return null;
  // Build assets: immutable files, usually served by a CDN.
  if (pathname.startsWith('/_next/static/') || pathname === '/favicon.ico' || pathname === '/icon.svg') return null;
  const write = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
  if (pathname === '/api/v1/analyses' && write) return 'admin';
  if (pathname.startsWith('/api/v1/webhooks/')) return 'admin';
  if (pathname === '/api/v1/compare' || pathname === '/compare') return 'expensive';
  if (/^\/api\/v1\/models\/[^/]+\/[^/]+\/layers\/[^/]+\/esd$/.test(pathname)) return 'expensive';
  if (pathname === '/api/v1/models' && search.has('format')) return 'expensive';
  if (pathname.startsWith('/api/')) return 'api';
  return 'pages';
}

/** The TCP peer header the HTTP observer (jobs/http-observer.ts) stamps on each request, replacing any sent. */
export const PEER_HEADER = 'x-alphaboard-peer';

/**
 * The client's key: with a trusted proxy header, the address that proxy saw (for x-forwarded-for, the entry
 * `trustHops` from the right: the ones to its left are client-supplied and can be forged); otherwise the TCP peer.
 */
export function clientKey(headers: Headers, config: Pick<RateLimitConfig, 'trustHeader' | 'trustHops'>): string {
  if (config.trustHeader) {
    const raw = headers.get(config.trustHeader);
    if (raw) {
      const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
      const pick = parts[Math.max(0, parts.length - config.trustHops)];
      if (pick) return pick;
    }
  }
  // The observer's stamp; `next dev` (no observer) falls back to what Next sets from the socket.
  return headers.get(PEER_HEADER) ?? headers.get('x-forwarded-for')?.split(',')[0].trim() ?? 'unknown';
}

interface Bucket {
  tokens: number;
  updated: number;
}

export interface TakeResult {
  ok: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until one token is back (only when !ok; at least 1). */
  retryAfter: number;
}

/** Token buckets keyed by `class|client`. Memory is bounded: full buckets are dropped, and at most maxKeys kept. */
export class TokenBuckets {
  private buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly maxKeys = 100_000) {}

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, budget: Budget, now = Date.now()): TakeResult {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now, true);
      b = { tokens: budget.burst, updated: now };
      this.buckets.set(key, b);
    } else {
      const elapsed = Math.max(0, now - b.updated) / 1000;
      b.tokens = Math.min(budget.burst, b.tokens + elapsed * budget.rate);
      b.updated = now;
    }
    if (now - this.lastSweep > 60_000) this.sweep(now, false);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, remaining: Math.floor(b.tokens), retryAfter: 0 };
    }
    return { ok: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / budget.rate)) };
  }

  /** Drop buckets idle for over 10 minutes (a bucket refills within that at any sane rate); `hard`: also the oldest half. */
  private sweep(now: number, hard: boolean): void {
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (now - b.updated > 600_000) this.buckets.delete(k);
    if (hard && this.buckets.size >= this.maxKeys) {
      let drop = Math.ceil(this.buckets.size / 2);
      for (const k of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}

/** The 429 answer: JSON error, Retry-After, never cached. */
export function tooManyRequests(cls: RouteClass, budget: Budget, retryAfter: number): { status: 429; headers: Record<string, string>; body: string } {
  return {
    status: 429,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': String(retryAfter) },
    body: JSON.stringify({
      error: {
        code: `too_many_requests:${cls}`,
        message: `Too many requests: this client's ${cls} budget is ${budget.rate}/s (burst ${budget.burst}); retry after ${retryAfter} s`,
      },
    }),
  };
}

/** Largest request body (bytes) a write route accepts; null: the route takes no body limit here. */
export function bodyLimit(pathname: string, env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.MAX_BODY_BYTES);
  const base = Number.isFinite(n) && n > 0 ? n : 65_536;
  // Hub webhook payloads carry the repo and the updated refs: a few kB, well under 1 MB.
  if (pathname.startsWith('/api/v1/webhooks/')) return Math.max(base, 1_000_000);
  return base;
}
