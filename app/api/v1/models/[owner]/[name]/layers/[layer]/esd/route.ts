import { getLayerEsd } from '@/db/queries/layers';
import { AppError } from '../../../../../../_lib/errors';
import { badInput, parseQuery, readResponse, repoIdOf } from '../../../../../../_lib/respond';
import { resolveAnalysis } from '../../resolve';
import { esdQuerySchema, layerParamSchema } from './schema';

export const dynamic = 'force-dynamic';

/** Route params may arrive still percent-encoded; a malformed escape is left as is (and then fails validation). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

type Ctx = { params: Promise<{ owner: string; name: string; layer: string }> };

/** GET /api/v1/models/{owner}/{name}/layers/{layer}/esd[?revision=] — one layer's eigenvalues and fit. */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models/{owner}/{name}/layers/{layer}/esd', async () => {
    const { owner, name, layer: rawLayer } = await ctx.params;
    const id = repoIdOf(owner, name);
    const layerParsed = layerParamSchema.safeParse(safeDecode(rawLayer));
    if (!layerParsed.success) throw badInput(layerParsed.error, 'path parameter "layer"');
    const { revision } = parseQuery(esdQuerySchema, new URL(req.url).searchParams);
    const analysis = await resolveAnalysis(id, revision);
    const found = await getLayerEsd({ analysisId: analysis.id, layer: layerParsed.data });
    if (!found) throw new AppError('not_found:layer', `Model "${id}" has no layer "${layerParsed.data}" with a stored ESD`);
    return { model: id, analysisId: analysis.id, ...found };
  });
}
