import { currentRowOf } from '@/db/queries/leaderboard';
import { getModelDetail } from '@/db/queries/model-detail';
import { AppError } from '../../../../_lib/errors';

/**
 * The analysis a layers request is about: the model's shown one (from the leaderboard snapshot, which holds exactly
 * that analysis for every model), or the asked revision's.
 */
export async function resolveAnalysis(id: string, revision?: string): Promise<{ id: number; status: string; revision: { sha: string; ref: string; step: number | null } }> {
  if (!revision) {
    const row = await currentRowOf(id);
    if (row === null) throw new AppError('not_found:model', `No model "${id}" on the board`);
    if (row && (row.analysisId === null || !row.status || !row.revision)) throw new AppError('not_found:analysis', `Model "${id}" has no analysis yet`);
    if (row) return { id: row.analysisId!, status: row.status!, revision: row.revision! };
  }
  const detail = await getModelDetail({ id, revision });
  if (!detail) {
    throw revision
      ? new AppError('not_found:revision', `No analysed revision "${revision}" of model "${id}"`)
      : new AppError('not_found:model', `No model "${id}" on the board`);
  }
  if (!detail.analysis) throw new AppError('not_found:analysis', `Model "${id}" has no analysis yet`);
  return detail.analysis;
}
