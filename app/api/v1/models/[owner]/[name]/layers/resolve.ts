import { getModelDetail } from '@/db/queries/model-detail';
import { AppError } from '../../../../_lib/errors';

/** The analysis a layers request is about: the model's shown one, or the asked revision's. */
export async function resolveAnalysis(id: string, revision?: string) {
  const detail = await getModelDetail({ id, revision });
  if (!detail) {
    throw revision
      ? new AppError('not_found:revision', `No analysed revision "${revision}" of model "${id}"`)
      : new AppError('not_found:model', `No model "${id}" on the board`);
  }
  if (!detail.analysis) throw new AppError('not_found:analysis', `Model "${id}" has no analysis yet`);
  return detail.analysis;
}
