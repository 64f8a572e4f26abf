/**
 * Security headers sent with every response (proxy.ts adds them to pages and API answers; next.config.ts adds the
 * static ones to build assets too).
 *
 * Pages get a nonce-based Content-Security-Policy: a fresh nonce per request, which Next reads from the request's
 * CSP header and puts on its own inline and chunk scripts; other scripts may only come from this origin's files
 * ('self': the build's chunks, which Next's runtime loads by URL). No 'strict-dynamic': under it a browser also runs
 * inline scripts that page code inserts through the DOM, which is exactly what an injected script looks like. The
 * JSON/CSV answers of this origin cannot serve as scripts (X-Content-Type-Options: nosniff). Styles allow
 * 'unsafe-inline' (charts and layout use style attributes; a nonce would make browsers ignore 'unsafe-inline'),
 * which cannot run code.
 */

export const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'strict-origin-when-cross-origin'],
  ['x-frame-options', 'DENY'],
  ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()'],
  ['cross-origin-opener-policy', 'same-origin'],
];

export function pageCsp(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** JSON, CSV and SVG answers: nothing in them may load or run anything, nor be framed. */
export function apiCsp(): string {
  return "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
}
