import { ALIGNMENT_RULE } from '@/db/queries/align-layers';
import { getComparison, type CompareSide } from '@/db/queries/compare';
import { AppError } from '../_lib/errors';
import { parseQuery, readResponse } from '../_lib/respond';
import { compareQuerySchema } from './schema';

export const dynamic = 'force-dynamic';

function side(s: CompareSide) {
  const a = s.detail.analysis;
  return {
    model: s.detail.model,
    analysis: a ? { id: a.id, status: a.status, revision: { sha: a.revision.sha, ref: a.revision.ref }, summary: a.summary } : null,
    points: s.points,
  };
}

/** GET /api/v1/compare?a=owner/name&b=owner/name — two models aligned layer by layer. */
export async function GET(req: Request): Promise<Response> {
  return readResponse(req, 'GET /api/v1/compare', async () => {
    const { a, b } = parseQuery(compareQuerySchema, new URL(req.url).searchParams);
    const { comparison, missing } = await getComparison({ a, b });
    if (!comparison) throw new AppError('not_found:model', `No model ${missing.map((m) => `"${m}"`).join(' or ')} on the board`);
    return { a: side(comparison.a), b: side(comparison.b), alignment: ALIGNMENT_RULE, rows: comparison.rows, summaryDeltas: comparison.summaryDeltas };
  });
}
