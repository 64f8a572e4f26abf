import { listLeaderboard } from '@/db/queries/leaderboard';
import { parseQuery, readResponse } from '../_lib/respond';
import { toCsv, toModelItem } from './shape';
import { EXPORT_LIMIT, modelsQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

/** GET /api/v1/models — the leaderboard: filter, sort, page, fields; `format=csv`, `all=true` for exports. */
export async function GET(req: Request): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models', async () => {
    const { fields, format, all, ...view } = parseQuery(modelsQuerySchema, new URL(req.url).searchParams);
    const params = all ? { ...view, page: 1, pageSize: EXPORT_LIMIT } : view;
    const page = await listLeaderboard(params);
    if (format === 'csv') return { text: toCsv(page.rows), type: 'text/csv; charset=utf-8', filename: 'alphaboard-models.csv' };
    return {
      models: page.rows.map((r) => toModelItem(r, fields)),
      total: page.total,
      page: page.page,
      pageSize: page.pageSize,
      sort: page.sort,
      dir: page.dir,
    };
  });
}
