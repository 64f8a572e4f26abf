import { z } from 'zod';
import { layerSchema } from '../../../../_lib/shared-schemas';

export { revisionQuerySchema as layersQuerySchema } from '../schema';

export const layersResponseSchema = z
  .object({
    model: z.string(),
    analysis: z.object({
      id: z.number().int(),
      status: z.enum(['queued', 'running', 'done', 'failed']),
      revision: z.object({ sha: z.string(), ref: z.string(), step: z.number().int().nullable() }),
    }),
    layers: z.array(layerSchema).describe('checkpoint order; WeightWatcher column names; bookkeeping fields as in the CLI JSON'),
  });
