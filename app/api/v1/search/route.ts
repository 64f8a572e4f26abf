import { searchModels } from '@/db/queries/search';
import { parseQuery, readResponse } from '../_lib/respond';
import { searchQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

/** GET /api/v1/search?q=&limit= — type-ahead over model ids. */
export async function GET(req: Request): Promise<Response> {
  return readResponse(req, 'GET /api/v1/search', async () => {
    const { q, limit } = parseQuery(searchQuerySchema, new URL(req.url).searchParams);
    return { models: await searchModels({ q, limit }) };
  });
}
