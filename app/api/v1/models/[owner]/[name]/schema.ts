import { z } from 'zod';
import { analysisSchema, modelInfoSchema, roleAggregateSchema } from '../../../_lib/shared-schemas';

export const revisionQuerySchema = z.object({
  revision: z.preprocess((v) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v), z.string().max(200).regex(/^[\w./-]+$/, 'must be a sha or a ref').optional()),
});

const revisionInfoSchema = z.object({
  id: z.number().int(),
  sha: z.string(),
  ref: z.string(),
  step: z.number().int().nullable(),
  committedAt: z.string().nullable(),
  analyses: z.array(analysisSchema),
});

export const modelDetailResponseSchema = z
  .object({
    model: modelInfoSchema,
    revisions: z.array(revisionInfoSchema).describe('newest first (checkpoint series: highest step first)'),
    analysis: analysisSchema
      .extend({
        revision: revisionInfoSchema.omit({ analyses: true }),
        summary_by_role: z
          .record(z.string(), roleAggregateSchema)
          .describe("per layer role, alpha over analysed rows (count, mean, median, min, max); summary keeps WeightWatcher's plain mean over all rows"),
        identical_to: z
          .string()
          .nullable()
          .describe('the model whose identical weights every analysed layer was reused from (a mirror); null otherwise'),
      })
      .nullable()
      .describe('the analysis shown: latest done-or-running (of the asked revision), else latest of any status'),
    latestAttempt: analysisSchema.nullable().describe('the newest analysis when it differs from the shown one'),
    base: z.object({ id: z.string(), onBoard: z.boolean() }).nullable(),
    fineTunes: z.array(z.string()),
  });
