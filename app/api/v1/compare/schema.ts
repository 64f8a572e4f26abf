import { z } from 'zod';
import { modelInfoSchema, summarySchema } from '../_lib/shared-schemas';

const repoId = z.preprocess(
  (v) => (Array.isArray(v) ? v[0] : v),
  z.string({ error: 'is required (owner/name)' }).regex(/^[\w.-]{1,96}\/[\w.-]{1,96}$/, 'must be a model id of the form owner/name'),
);

export const compareQuerySchema = z.object({ a: repoId, b: repoId });

const side = z.object({
  model: modelInfoSchema,
  analysis: z
    .object({ id: z.number().int(), status: z.string(), revision: z.object({ sha: z.string(), ref: z.string() }), summary: summarySchema.nullable() })
    .nullable(),
  points: z.array(
    z.object({
      name: z.string(), role: z.string(), group: z.string(), block_index: z.number().int().nullable(),
      relative_depth: z.number().nullable(), alpha: z.number(), D: z.number().nullable(),
    }),
  ),
});

const slotSide = z
  .object({
    block: z.number().int().nullable(),
    depth: z.number().nullable(),
    alpha: z.number(),
    names: z.array(z.string()),
    experts: z.number().int().optional().describe('present when alpha is the median over this many experts of one block and projection'),
  })
  .nullable();

export const compareResponseSchema = z
  .object({
    a: side,
    b: side,
    alignment: z.string().describe('the rule that pairs layers of the two models'),
    rows: z.array(z.object({ slot: z.string(), group: z.string(), depth: z.number().nullable(), a: slotSide, b: slotSide, delta: z.number().nullable() })),
    summaryDeltas: z.array(z.object({ key: z.string(), a: z.number().nullable(), b: z.number().nullable(), delta: z.number().nullable() })),
  });
