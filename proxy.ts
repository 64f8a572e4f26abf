import { NextResponse, type NextRequest } from 'next/server';
import { bodyLimit, classify, clientKey, rateLimitConfig, TokenBuckets, tooManyRequests } from './app/_lib/rate-limit';
import { SECURITY_HEADERS, apiCsp, pageCsp } from './app/_lib/security-headers';
import { countEvent } from './jobs/metric-counters';

/**
 * Runs before every page and API request (Next 16 proxy, Node.js runtime): per-client rate limits (429 with
 * Retry-After and a JSON error), request body limits on writes (413 / 411), and the security headers, with a fresh
 * CSP nonce per page request (Next puts it on its own scripts; see app/_lib/security-headers.ts).
 */

const buckets: TokenBuckets = ((globalThis as any)[Symbol.for('alphaboard.rate-limit')] ??= new TokenBuckets());
const limits = rateLimitConfig();
const isDev = process.env.NODE_ENV === 'development';

function withHeaders(res: Response | NextResponse, csp: string): Response | NextResponse {
  for (const [k, v] of SECURITY_HEADERS) res.headers.set(k, v);
  res.headers.set('content-security-policy', csp);
  return res;
}

function jsonError(status: number, code: string, message: string, extra: Record<string, string> = {}): Response {
  return withHeaders(
    Response.json({ error: { code, message } }, { status, headers: { 'cache-control': 'no-store', ...extra } }),
    apiCsp(),
  );
}

export function proxy(request: NextRequest) {
  const { pathname, searchParams } = request.nextUrl;
  const method = request.method.toUpperCase();
  const isApi = pathname.startsWith('/api/') || pathname === '/metrics' || pathname.startsWith('/badge/');

  // In `next start` the HTTP observer (jobs/metrics.ts) already applied the limits before Next parsed the request,
  // where a refusal costs least; this is the fallback for servers without it (`next dev`).
  if (limits.enabled && !(globalThis as any)[Symbol.for('alphaboard.http-observer')]) {
    const cls = classify(method, pathname, searchParams);
    if (cls) {
      const client = clientKey(request.headers, limits);
      const budget = limits.budgets[cls];
      const r = buckets.take(`${cls}|${client}`, budget);
      if (!r.ok) {
        countEvent('rate_limited', cls);
        const answer = tooManyRequests(cls, budget, r.retryAfter);
        return withHeaders(new Response(answer.body, { status: answer.status, headers: answer.headers }), apiCsp());
      }
    }
  }

  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && pathname.startsWith('/api/')) {
    const limit = bodyLimit(pathname);
    const length = request.headers.get('content-length');
    if (length === null && request.headers.get('transfer-encoding')) {
      return jsonError(411, 'length_required:api', 'Write requests must send Content-Length');
    }
    if (length !== null && !(Number(length) <= limit)) {
      return jsonError(413, 'payload_too_large:api', `Request body over the limit of ${limit} bytes`);
    }
  }

  if (isApi) return withHeaders(NextResponse.next(), apiCsp());

  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const csp = pageCsp(nonce, isDev);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('content-security-policy', csp);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }), csp);
}

export const config = {
  // Static build assets are immutable files with no user input: they get the static headers from next.config.ts only.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|icon.svg).*)'],
};
