import { listLayers } from '@/db/queries/layers';
import { parseQuery, readResponse, repoIdOf } from '../../../../_lib/respond';
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
    const layers = await listLayers({ analysisId: analysis.id });
    return {
      model: id,
      analysis: { id: analysis.id, status: analysis.status, revision: { sha: analysis.revision.sha, ref: analysis.revision.ref, step: analysis.revision.step } },
      layers,
    };
  });
}
