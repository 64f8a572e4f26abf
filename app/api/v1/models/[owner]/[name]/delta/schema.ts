import { z } from 'zod';
import { metricShape, summarySchema } from '../../../../_lib/shared-schemas';

const n = () => z.number().nullable();

export const deltaQuerySchema = z.object({
  base: z.preprocess(
    (v) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v),
    z.string().max(200).regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name').optional(),
  ),
});

export const deltaRowSchema = z.object({
  ordinal: z.number().int(),
  tensor: z.string().describe("the model's tensor key (adapters: <module>.weight)"),
  expert: z.number().int().nullable(),
  name: z.string(),
  role: z.string(),
  block_index: z.number().int().nullable(),
  relative_depth: n(),
  shape: z.array(z.number().int()),
  dtype: z.string(),
  status: z
    .enum(['success', 'failed', 'skipped', 'unmatched', 'unchanged'])
    .describe('unmatched: in one model only or a shape mismatch (reason in skip_reason); unchanged: ΔW = 0 (a frozen layer)'),
  skip_reason: z.string().nullable(),
  phase: z.string().nullable(),
  ...metricShape,
  delta_rel_frobenius: n().describe('||ΔW||_F / ||W_base||_F'),
  delta_spectral_ratio: n().describe('||ΔW||_2 / ||W_base||_2'),
  delta_stable_rank: n().describe('||ΔW||_F² / ||ΔW||_2²'),
  delta_effective_rank: n().describe('exp of the entropy of the normalised singular values of ΔW (Roy & Vetterli)'),
  delta_alpha: n().describe('α(W) − α(W_base); null unless both fits succeeded'),
  base_tensor: z.string().nullable(),
  base_shape: z.array(z.number().int()).nullable(),
  rows_compared: z.number().int().nullable().describe('rows of ΔW when the row counts differ (resized embeddings)'),
  resized: z.string().nullable(),
  side: z.string().nullable().describe('unmatched rows: model or base'),
  lora_r: z.number().int().nullable(),
  lora_alpha: n(),
  lora_scale: n(),
});

export const deltaResponseSchema = z.object({
  model: z.string(),
  kind: z.enum(['delta', 'adapter']).describe('delta: ΔW = W − W_base of a fine-tune; adapter: ΔW = s·B·A of a PEFT LoRA adapter repo'),
  analysis: z.object({
    id: z.number().int(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    error: z.string().nullable().describe('why it failed: base_model cycle or self reference, gated/missing base, different architectures, unsupported adapter type, ...'),
    errorKind: z.string().nullable(),
    options: z.record(z.string(), z.unknown()),
    layersDone: z.number().int(),
    layersTotal: z.number().int().nullable(),
    waitingToResume: z.boolean(),
    queuedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  }),
  revision: z.object({ sha: z.string(), ref: z.string() }),
  base: z.object({ id: z.string(), sha: z.string(), ref: z.string() }).nullable(),
  summary: summarySchema.nullable().describe("WeightWatcher's summary over ΔW's analysed rows"),
  delta_summary: z.object({
    rows: z.number().int(),
    analysed: z.number().int(),
    unchanged: z.number().int(),
    unmatched: z.number().int(),
    skipped: z.number().int(),
    alpha_mean: n(),
    alpha_median: n(),
    alpha_min: n(),
    alpha_max: n(),
    delta_alpha_mean: n(),
    rel_frobenius_mean: n(),
  }),
  by_depth: z
    .array(
      z.object({
        role: z.string(),
        points: z.array(z.object({ block_index: z.number().int(), relative_depth: n(), alpha: n(), delta_alpha: n(), tensor: z.string() })),
      }),
    )
    .describe("per role, ΔW's alpha and α(W) − α(W_base) by block"),
  layers: z.array(deltaRowSchema).describe('checkpoint order; unmatched base-only tensors last'),
  unmatched: z.array(
    z.object({ tensor: z.string(), side: z.string().nullable(), reason: z.string().nullable(), shape: z.array(z.number().int()), base_shape: z.array(z.number().int()).nullable() }),
  ),
});
