import { getModelDetail } from '@/db/queries/model-detail';
import { AppError } from '../../../_lib/errors';
import { parseQuery, readResponse, repoIdOf } from '../../../_lib/respond';
import { revisionQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ owner: string; name: string }> };

/** GET /api/v1/models/{owner}/{name}[?revision=] — model, revision history, base model, shown analysis. */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models/{owner}/{name}', async () => {
    const { owner, name } = await ctx.params;
    const id = repoIdOf(owner, name);
    const { revision } = parseQuery(revisionQuerySchema, new URL(req.url).searchParams);
    const detail = await getModelDetail({ id, revision });
    if (!detail) {
      throw revision
        ? new AppError('not_found:revision', `No analysed revision "${revision}" of model "${id}"`)
        : new AppError('not_found:model', `No model "${id}" on the board`);
    }
    return detail;
  });
}
