import { z } from 'zod';

export const searchQuerySchema = z.object({
  q: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(200)),
  limit: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.coerce.number().int().min(1).max(50).default(10)),
});

export const searchResponseSchema = z
  .object({
    models: z.array(z.object({ id: z.string(), family: z.string().nullable(), parameterCount: z.number().nullable(), status: z.string().nullable() })),
  });
