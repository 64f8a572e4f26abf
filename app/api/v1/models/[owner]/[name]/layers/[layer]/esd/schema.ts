import { z } from 'zod';
import { esdSchema } from '../../../../../../_lib/shared-schemas';

export { revisionQuerySchema as esdQuerySchema } from '../../../schema';

export const layerParamSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[\w.\-/]+$/, 'must be a layer ordinal, a layer name or a tensor key');

export const esdResponseSchema = z
  .object({
    model: z.string(),
    analysisId: z.number().int(),
    layer: z.object({
      id: z.number().int(), ordinal: z.number().int(), name: z.string(), tensor: z.string(), role: z.string(),
      status: z.string(), alpha: z.number().nullable(), xmin: z.number().nullable(), xmax: z.number().nullable(),
      D: z.number().nullable(), num_pl_spikes: z.number().nullable(), phase: z.string().nullable(),
    }),
    esd: esdSchema,
  });
