import { z } from 'zod';
import { leaderboardParamsSchema } from '@/db/queries/leaderboard-params';
import { summarySchema } from '../_lib/shared-schemas';

export const MODEL_FIELDS = [
  'id', 'owner', 'name', 'family', 'architecture', 'parameterCount', 'dtype', 'license', 'gated', 'downloads', 'likes',
  'baseModel', 'type', 'synthetic', 'revision', 'ref', 'step', 'analysedAt', 'status', 'progress', 'error', 'summary', 'benchmarks',
] as const;

/** Maximum rows of one export (`all=true`). */
export const EXPORT_LIMIT = 10_000;

export const modelsQuerySchema = leaderboardParamsSchema.extend({
  fields: z.preprocess(
    (v) => (v == null || v === '' ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean)),
    z.array(z.enum(MODEL_FIELDS)).optional(),
  ),
  format: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.enum(['json', 'csv']).default('json')),
  all: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.enum(['true', 'false']).optional()).transform((v) => v === 'true'),
});

export const modelItemSchema = z
  .object({
    id: z.string(),
    owner: z.string(),
    name: z.string(),
    family: z.string().nullable(),
    architecture: z.string().nullable(),
    parameterCount: z.number().nullable(),
    dtype: z.string().nullable(),
    license: z.string().nullable(),
    gated: z.boolean(),
    downloads: z.number().nullable(),
    likes: z.number().nullable(),
    baseModel: z.string().nullable(),
    type: z.enum(['model', 'fine-tune', 'adapter']).describe('adapter: a PEFT adapter repo; fine-tune: a base_model other than itself'),
    synthetic: z.boolean(),
    revision: z.string().nullable().describe('analysed commit sha'),
    ref: z.string().nullable(),
    step: z.number().int().nullable(),
    analysedAt: z.string().nullable(),
    status: z.enum(['queued', 'running', 'done', 'failed']).nullable(),
    progress: z
      .object({
        layersDone: z.number().int(),
        layersTotal: z.number().int().nullable(),
        waitingToResume: z.boolean().describe('running, but its worker stopped heart-beating: it resumes at the first missing layer'),
      })
      .nullable(),
    error: z.string().nullable(),
    summary: summarySchema.nullable(),
    benchmarks: z.record(z.string(), z.number()),
  })
  .partial()
  .required({ id: true });

export const modelsResponseSchema = z
  .object({
    models: z.array(modelItemSchema),
    total: z.number().int(),
    page: z.number().int(),
    pageSize: z.number().int(),
    sort: z.string(),
    dir: z.enum(['asc', 'desc']),
  });
