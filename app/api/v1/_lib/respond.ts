import { createHash } from 'node:crypto';
import { gunzip } from 'node:zlib';
import type { z } from 'zod';
import { AppError, errorResponse } from './errors';

/** Bodies inflated in one piece up to this size; beyond it zlib's usual chunking applies. */
const ONE_PIECE_MAX = 64 << 20;

/**
 * Inflate a stored gzip body on libuv's thread pool, into one output buffer: the gzip trailer states the inflated
 * size (mod 2^32), so the output is allocated once (one byte over, so that zlib finishes inside it; 64 at least, zlib's
 * minimum) instead of grown in 16 kB chunks that each come back to the main thread and are joined at the end. The
 * main thread only starts it and takes the result. Inflating a 374 kB layers body costs ~0.6 ms of CPU; done in
 * place (`gunzipSync`) it ran on the thread that also runs PGlite and every other request, and showed in the layers
 * API's p99 on the embedded database.
 */
export function inflateStored(gzip: Buffer): Promise<Buffer> {
  const size = gzip.length >= 18 ? gzip.readUInt32LE(gzip.length - 4) : 0;
  const options = size > 0 && size <= ONE_PIECE_MAX ? { chunkSize: Math.max(64, size + 1) } : {};
  return new Promise((resolve, reject) => gunzip(gzip, options, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * Response helpers for the read endpoints: a strong ETag over the body (304 on a matching If-None-Match) and a
 * short shared Cache-Control, so a CDN or browser can serve repeats. Bodies are also memoised for a moment per URL
 * (the reads behind them are cached in db/queries/read-cache.ts), which keeps the hot path to a hash lookup.
 */

export const READ_CACHE_CONTROL = 'public, max-age=5, s-maxage=10, stale-while-revalidate=60';

const KEY = Symbol.for('alphaboard.api-bodies');
const bodies: Map<string, { expires: number; body: string; etag: string; type: string }> = ((globalThis as any)[KEY] ??= new Map());
const BODY_TTL_MS = () => {
  const v = process.env.READ_CACHE_TTL_MS;
  return v === undefined || v === '' ? 1000 : Number(v);
};

function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** Whether the request's If-None-Match names `etag` (weak comparison) or is `*`. */
export function matches(req: Request, etag: string): boolean {
  const header = req.headers.get('if-none-match');
  if (!header) return false;
  // Weak comparison (RFC 9110 §8.8.3.2), as If-None-Match asks for.
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => opaque(t) === opaque(etag) || t.trim() === '*');
}

function send(req: Request, entry: { body: string; etag: string; type: string }, extra?: Record<string, string>): Response {
  const headers = { etag: entry.etag, 'cache-control': READ_CACHE_CONTROL, vary: 'accept-encoding', ...extra };
  if (matches(req, entry.etag)) return new Response(null, { status: 304, headers });
  return new Response(entry.body, { status: 200, headers: { 'content-type': entry.type, ...headers } });
}

const GZIP_JSON = Symbol('gzip-json');

/**
 * A JSON body stored gzip-compressed, with its ETag. It is inflated for every client: Next drops a route's own
 * Content-Encoding header (and compresses responses itself for clients that accept it), so the stored bytes cannot
 * be sent as they are.
 */
export function gzipJson(gzip: Buffer, etag: string): { [GZIP_JSON]: { gzip: Buffer; etag: string } } {
  return { [GZIP_JSON]: { gzip, etag } };
}

async function sendGzipJson(req: Request, p: { gzip: Buffer; etag: string }): Promise<Response> {
  const headers: Record<string, string> = { etag: p.etag, 'cache-control': READ_CACHE_CONTROL, vary: 'accept-encoding' };
  if (matches(req, p.etag)) return new Response(null, { status: 304, headers });
  headers['content-type'] = 'application/json; charset=utf-8';
  return new Response((await inflateStored(p.gzip)) as unknown as BodyInit, { status: 200, headers });
}

/**
 * Run a read handler: `load` returns the body (an object → JSON, or `{ text, type }` for CSV); errors become
 * JSON errors. The body is memoised per URL for READ_CACHE_TTL_MS (default 1 s).
 */
export async function readResponse(
  req: Request,
  context: string,
  load: () => Promise<unknown | { text: string; type: string; filename?: string } | { [GZIP_JSON]: { gzip: Buffer; etag: string } }>,
): Promise<Response> {
  const key = req.url;
  const ttl = BODY_TTL_MS();
  const hit = ttl > 0 ? bodies.get(key) : undefined;
  if (hit && hit.expires > Date.now()) return send(req, hit);
  try {
    const value = await load();
    if (value && typeof value === 'object' && GZIP_JSON in value) return await sendGzipJson(req, (value as { [GZIP_JSON]: { gzip: Buffer; etag: string } })[GZIP_JSON]);
    let body: string;
    let type = 'application/json; charset=utf-8';
    let extra: Record<string, string> | undefined;
    if (value && typeof value === 'object' && 'text' in value && 'type' in value) {
      const v = value as { text: string; type: string; filename?: string };
      body = v.text;
      type = v.type;
      if (v.filename) extra = { 'content-disposition': `attachment; filename="${v.filename}"` };
    } else {
      body = JSON.stringify(value);
    }
    const entry = { expires: Date.now() + ttl, body, etag: etagOf(body), type };
    if (ttl > 0 && !extra) {
      bodies.set(key, entry);
      if (bodies.size > 2000) bodies.delete(bodies.keys().next().value!);
    }
    return send(req, entry, extra);
  } catch (err) {
    return errorResponse(err, context);
  }
}

/** Parse `URLSearchParams` (repeated keys become arrays) with a zod schema; a failure names the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, params: URLSearchParams): z.output<S> {
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    raw[key] = all.length > 1 ? all : all[0];
  }
  const res = schema.safeParse(raw);
  if (!res.success) throw badInput(res.error, 'query parameter');
  return res.data;
}

export function badInput(error: z.ZodError, what: string): AppError {
  const issue = error.issues[0];
  if (!issue.path.length) return new AppError('bad_request:api', `${what}: ${issue.message}`);
  return new AppError('bad_request:api', `${what} "${issue.path.join('.')}": ${issue.message}`);
}

/** `owner/name` from route params, validated. */
export function repoIdOf(owner: string, name: string): string {
  const ok = /^[\w.-]{1,96}$/;
  if (!ok.test(owner) || !ok.test(name)) {
    throw new AppError('bad_request:api', `"${owner}/${name}" is not a model id of the form owner/name`);
  }
  return `${owner}/${name}`;
}
