import { createHash } from 'node:crypto';
import { analysisRefById, getModelPageView, pageViewJson, VIEW_VERSION } from '@/db/queries/model-page';
import { AppError, errorResponse } from '../../../v1/_lib/errors';
import { matches } from '../../../v1/_lib/respond';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ analysis: string }> };

/** A done analysis' view never changes (its URL names the analysis and the view's version): cacheable for good. */
const DONE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * GET /api/views/model-page/{analysis} — what a model page's charts, ESD viewer and layer table draw from one
 * analysis (db/queries/model-page.ts: chart columns, expert bands, the first spectrum, the table's first lines), as
 * JSON. The page sends only this URL (pageViewUrl). Not part of the public API (/api/v1): its shape follows the page.
 * ETag: a done analysis' is its id and the view's version, so a revalidation is answered 304 before the view is
 * read; any other analysis' is the body's hash, and it is not cached without revalidation.
 */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  try {
    const { analysis } = await ctx.params;
    if (!/^[1-9]\d{0,14}$/.test(analysis)) throw new AppError('bad_request:api', `"${analysis}" is not an analysis id`);
    const ref = await analysisRefById(Number(analysis));
    if (!ref) throw new AppError('not_found:analysis', `No analysis ${analysis}`);
    const done = ref.status === 'done';
    const headers: Record<string, string> = { 'cache-control': done ? DONE_CACHE_CONTROL : 'no-cache', vary: 'accept-encoding' };
    if (done) {
      headers.etag = `"mp${VIEW_VERSION}-${ref.analysisId}"`;
      if (matches(req, headers.etag)) return new Response(null, { status: 304, headers });
    }
    const body = pageViewJson(await getModelPageView(ref));
    if (!done) {
      headers.etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      if (matches(req, headers.etag)) return new Response(null, { status: 304, headers });
    }
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
  } catch (err) {
    return errorResponse(err, 'GET /api/views/model-page/{analysis}');
  }
}
