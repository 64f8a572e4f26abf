import { getLayersPayload } from '@/db/queries/layers-payload';
import { gzipJson, parseQuery, readResponse, repoIdOf } from '../../../../_lib/respond';
import { resolveAnalysis } from './resolve';
import { layersQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ owner: string; name: string }> };

/** GET /api/v1/models/{owner}/{name}/layers[?revision=] — every layer of the shown (or asked) analysis. */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models/{owner}/{name}/layers', async () => {
    const { owner, name } = await ctx.params;
    const id = repoIdOf(owner, name);
    const { revision } = parseQuery(layersQuerySchema, new URL(req.url).searchParams);
    const analysis = await resolveAnalysis(id, revision);
    // The body is built once per analysis (JSON written by the database, gzip-compressed) and stored when done.
    const payload = await getLayersPayload({ analysisId: analysis.id, modelId: id, status: analysis.status, revision: analysis.revision });
    return gzipJson(payload.gzip, payload.etag);
  });
}
