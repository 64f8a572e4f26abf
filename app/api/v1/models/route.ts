import { listLeaderboard, type LeaderboardRow } from '@/db/queries/leaderboard';
import { parseQuery, readResponse } from '../_lib/respond';
import { toCsv, toModelItem } from './shape';
import { EXPORT_LIMIT, modelsQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

/**
 * A row's full list item as JSON, kept per row object: the snapshot hands out the same row object until its model
 * changes (a running analysis' "waiting to resume" gives a new one), so a page of 50 rows is 50 lookups and a join
 * rather than serialising 50 summaries per request.
 */
const itemJson = new WeakMap<LeaderboardRow, string>();

function fullItemJson(r: LeaderboardRow): string {
  let s = itemJson.get(r);
  if (s === undefined) itemJson.set(r, (s = JSON.stringify(toModelItem(r))));
  return s;
}

/** GET /api/v1/models — the leaderboard: filter, sort, page, fields; `format=csv`, `all=true` for exports. */
export async function GET(req: Request): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models', async () => {
    const { fields, format, all, ...view } = parseQuery(modelsQuerySchema, new URL(req.url).searchParams);
    const params = all ? { ...view, page: 1, pageSize: EXPORT_LIMIT } : view;
    const page = await listLeaderboard(params);
    if (format === 'csv') return { text: toCsv(page.rows), type: 'text/csv; charset=utf-8', filename: 'alphaboard-models.csv' };
    const items = fields?.length ? page.rows.map((r) => JSON.stringify(toModelItem(r, fields))) : page.rows.map(fullItemJson);
    // The same text as JSON.stringify({ models, total, page, pageSize, sort, dir }).
    const rest = JSON.stringify({ total: page.total, page: page.page, pageSize: page.pageSize, sort: page.sort, dir: page.dir });
    return { text: `{"models":[${items.join(',')}],${rest.slice(1)}`, type: 'application/json; charset=utf-8' };
  });
}
