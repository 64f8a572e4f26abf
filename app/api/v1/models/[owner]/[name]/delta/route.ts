import { getDeltaAnalysis } from '@/db/queries/delta';
import { AppError } from '../../../../_lib/errors';
import { parseQuery, readResponse, repoIdOf } from '../../../../_lib/respond';
import { deltaQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ owner: string; name: string }> };

/**
 * GET /api/v1/models/{owner}/{name}/delta[?base=owner/name] — the model's delta analysis against its base (or the
 * asked base), or an adapter repo's adapter analysis: per-row ΔW columns and delta columns, unmatched tensors,
 * a summary and alpha / Δalpha by depth per role.
 */
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  return readResponse(req, 'GET /api/v1/models/{owner}/{name}/delta', async () => {
    const { owner, name } = await ctx.params;
    const id = repoIdOf(owner, name);
    const { base } = parseQuery(deltaQuerySchema, new URL(req.url).searchParams);
    const view = await getDeltaAnalysis({ modelId: id, base });
    if (!view) {
      throw new AppError(
        'not_found:analysis',
        base ? `No delta analysis of "${id}" against "${base}"` : `No delta or adapter analysis of "${id}" (no base_model on its card, or not on the board)`,
      );
    }
    return view;
  });
}
