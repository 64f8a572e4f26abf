import { createHash } from 'node:crypto';
import { getModelDetail } from '@/db/queries/model-detail';
import { badgeParts, renderBadge } from '../../badge-svg';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ owner: string; name: string }> };

/**
 * Badges are embedded in model cards and fetched through image proxies; a few minutes of staleness is fine, and
 * a proxy may keep serving the old one for a day while it revalidates.
 */
export const BADGE_CACHE_CONTROL = 'public, max-age=300, s-maxage=300, stale-while-revalidate=86400';

const ID_PART = /^[\w.-]{1,96}$/;

function svgResponse(req: Request, svg: string, status = 200): Response {
  const etag = `"${createHash('sha1').update(svg).digest('base64url')}"`;
  const headers: Record<string, string> = {
    etag,
    'cache-control': status === 200 ? BADGE_CACHE_CONTROL : 'no-store',
    'x-content-type-options': 'nosniff',
  };
  const inm = req.headers.get('if-none-match');
  if (status === 200 && inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(svg, { status, headers: { 'content-type': 'image/svg+xml; charset=utf-8', ...headers } });
}

/** GET /badge/{owner}/{name}.svg — the model's mean alpha as an SVG badge ("not analysed yet" until it has one). */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  const { owner, name: file } = await ctx.params;
  const name = decodeURIComponent(file).replace(/\.svg$/i, '');
  if (!/\.svg$/i.test(decodeURIComponent(file)) || !ID_PART.test(owner) || !ID_PART.test(name)) {
    const parts = { label: 'alphaboard α', message: 'bad model id', colour: '#6c757d', description: 'not a badge URL of the form /badge/owner/name.svg' };
    return svgResponse(req, renderBadge(parts), 404);
  }
  const id = `${owner}/${name}`;
  let alpha: number | null = null;
  try {
    const detail = await getModelDetail({ id });
    const a = detail?.analysis;
    if (a && a.status === 'done' && a.summary) alpha = a.summary.alpha;
  } catch (err) {
    console.error(`[badge] ${id}: ${(err as Error).message}`);
    const parts = { label: 'alphaboard α', message: 'unavailable', colour: '#6c757d', description: `${id}: the board could not be read` };
    return svgResponse(req, renderBadge(parts), 503);
  }
  return svgResponse(req, renderBadge(badgeParts(id, alpha)));
}
