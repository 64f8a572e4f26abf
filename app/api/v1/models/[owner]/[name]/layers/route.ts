import { listLayersJson } from '@/db/queries/layers';
import { parseQuery, rawJson, readResponse, repoIdOf } from '../../../../_lib/respond';
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
    // The rows arrive as JSON text (written by the database, cached per settled analysis) and are sent as they are.
    const layers = await listLayersJson({ analysisId: analysis.id, modelId: id, status: analysis.status });
    const head = {
      model: id,
      analysis: { id: analysis.id, status: analysis.status, revision: { sha: analysis.revision.sha, ref: analysis.revision.ref, step: analysis.revision.step } },
    };
    return rawJson(`${JSON.stringify(head).slice(0, -1)},"layers":${layers}}`);
  });
}
