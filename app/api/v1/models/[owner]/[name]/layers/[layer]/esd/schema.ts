import { z } from 'zod';
import { esdSchema } from '../../../../../../_lib/shared-schemas';

import { revisionQuerySchema } from '../../../schema';
import { deltaQuerySchema } from '../../../delta/schema';

/** `revision` picks the model analysis; `delta=true` the delta (or adapter) analysis instead, against `base` if given. */
export const esdQuerySchema = revisionQuerySchema.merge(deltaQuerySchema).extend({
  delta: z
    .preprocess((v) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v), z.enum(['true', 'false']).optional())
    .transform((v) => v === 'true'),
});

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
