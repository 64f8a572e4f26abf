import { z } from 'zod';
import { analysisSchema, modelInfoSchema, roleAggregateSchema, summarySchema } from '../../../_lib/shared-schemas';

/** A fine-tune or adapter of a base, with its delta (or adapter) analysis in short. */
export const derivedModelSchema = z.object({
  id: z.string(),
  type: z.enum(['fine-tune', 'adapter']),
  analysis: z
    .object({
      id: z.number().int(),
      status: z.enum(['queued', 'running', 'done', 'failed']),
      error: z.string().nullable(),
      summary: summarySchema.nullable().describe("WeightWatcher's summary over ΔW's analysed rows"),
    })
    .nullable()
    .describe('its delta analysis against this base (fine-tunes) or its adapter analysis; null when none yet'),
});

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
    fineTunes: z.array(z.string()).describe("ids of models whose card's base_model is this one"),
    type: z.enum(['model', 'fine-tune', 'adapter']),
    base_model: z.string().nullable().describe("the card's base_model (null when none or when it names the model itself); its delta: GET .../delta"),
    fine_tunes: z.array(derivedModelSchema).describe('full checkpoints whose base_model is this one, with their delta analysis against it'),
    adapters: z.array(derivedModelSchema).describe('PEFT adapters whose base_model is this one, with their adapter analysis'),
  });
