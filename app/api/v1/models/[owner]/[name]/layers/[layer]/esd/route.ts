import { getDeltaAnalysis } from '@/db/queries/delta';
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

/**
 * GET /api/v1/models/{owner}/{name}/layers/{layer}/esd[?revision=] — one layer's eigenvalues and fit;
 * `?delta=true[&base=owner/name]`: a row of the model's delta (ΔW) or adapter analysis instead.
 */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models/{owner}/{name}/layers/{layer}/esd', async () => {
    const { owner, name, layer: rawLayer } = await ctx.params;
    const id = repoIdOf(owner, name);
    const layerParsed = layerParamSchema.safeParse(safeDecode(rawLayer));
    if (!layerParsed.success) throw badInput(layerParsed.error, 'path parameter "layer"');
    const { revision, delta, base } = parseQuery(esdQuerySchema, new URL(req.url).searchParams);
    let analysis: { id: number };
    if (delta) {
      const view = await getDeltaAnalysis({ modelId: id, base });
      if (!view) throw new AppError('not_found:analysis', base ? `No delta analysis of "${id}" against "${base}"` : `No delta or adapter analysis of "${id}"`);
      analysis = view.analysis;
    } else {
      analysis = await resolveAnalysis(id, revision);
    }
    const found = await getLayerEsd({ analysisId: analysis.id, layer: layerParsed.data });
    if (!found) {
      throw new AppError('not_found:layer', `Model "${id}" has no ${delta ? 'ΔW ' : ''}layer "${layerParsed.data}" with a stored ESD`);
    }
    return { model: id, analysisId: analysis.id, ...found };
  });
}
