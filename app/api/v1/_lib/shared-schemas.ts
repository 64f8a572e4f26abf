import { z } from 'zod';
import { WW_DEFAULT_METRIC_COLUMNS, WW_OPTIONAL_METRIC_COLUMNS } from '@/lib/types';

/**
 * Response pieces shared by several endpoints. They document the API (the OpenAPI document is generated from
 * them with z.toJSONSchema) and the OpenAPI test checks real responses against that document.
 */

const n = () => z.number().nullable();

export const errorSchema = z
  .object({ error: z.object({ code: z.string().describe('type:surface, e.g. not_found:model'), message: z.string() }) });

export const summarySchema = z
  .object({
    log_norm: n(), alpha: n(), alpha_weighted: n(), log_alpha_norm: n(), log_spectral_norm: n(), stable_rank: n(),
    mp_softrank: n().optional(), layers_analyzed: z.number(), median_alpha: n(), mean_D: n(),
    share_alpha_lt_2: n(), share_alpha_gt_6: n(), correlation_traps: n().optional(),
  })
  .describe("WeightWatcher's get_summary() (means over analysed layers) plus medians and shares");

export const revisionSchema = z.object({ sha: z.string(), ref: z.string(), step: z.number().int().nullable() });

export const analysisSchema = z.object({
  id: z.number().int(),
  revisionId: z.number().int(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  error: z.string().nullable(),
  errorKind: z.string().nullable(),
  options: z.record(z.string(), z.unknown()),
  layersDone: z.number().int(),
  layersTotal: z.number().int().nullable(),
  bytesRead: z.number(),
  bytesTotal: z.number().nullable(),
  secondsPerLayer: n(),
  etaSeconds: n(),
  waitingToResume: z
    .boolean()
    .describe('running, but its worker stopped heart-beating (crashed, restarted or paused): it resumes at the first missing layer once a worker picks it up'),
  summary: summarySchema.nullable(),
  checkpoint: z
    .object({
      format: z.string().describe('safetensors | pytorch-zip | pytorch-legacy'),
      sha: z.string().describe('commit whose files were read'),
      ref: z.string().nullable().describe("refs/pr/N when the weights came from the Hub conversion bot's safetensors PR, else null"),
      files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string().optional() })),
      note: z.string().optional().describe("what could not be read, e.g. an adapter's base that is not on the board"),
    })
    .nullable()
    .describe('what the analysis read; null for analyses stored before this was recorded'),
  timings: z.record(z.string(), z.number()).nullable(),
  queuedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const roleAggregateSchema = z.object({
  layers: z.number().int(),
  alpha_mean: z.number(),
  alpha_median: z.number(),
  alpha_min: z.number(),
  alpha_max: z.number(),
});

export const modelInfoSchema = z.object({
  id: z.string(), owner: z.string(), name: z.string(), family: z.string().nullable(), architecture: z.string().nullable(),
  parameterCount: n(), dtype: z.string().nullable(), license: z.string().nullable(), gated: z.boolean(),
  downloads: n(), likes: n(), baseModel: z.string().nullable(), tags: z.array(z.string()), source: z.string(),
  synthetic: z.boolean(), updatedAt: z.string().nullable(),
});

// Optional WeightWatcher columns the database does not store (rand_sigma_mp, ...) are simply absent.
export const metricShape = {
  ...Object.fromEntries(WW_DEFAULT_METRIC_COLUMNS.map((c) => [c, c === 'warning' ? z.string().nullable() : n()])),
  ...Object.fromEntries(WW_OPTIONAL_METRIC_COLUMNS.map((c) => [c, n().optional()])),
};

export const layerSchema = z
  .object({
    id: z.number().int(),
    ordinal: z.number().int(),
    tensor: z.string().describe('full tensor key'),
    name: z.string().describe('tensor key without .weight'),
    block_index: z.number().int().nullable(),
    relative_depth: n(),
    role: z.string().describe('q k v o qkv q_a q_b kv_a kv_b gate up down gate_up expert shared_expert router vision embedding lm_head other'),
    expert: z.number().int().nullable().describe('0-based MoE expert; null on dense rows'),
    fused: z.boolean(),
    shape: z.array(z.number().int()),
    dtype: z.string(),
    status: z.enum(['success', 'failed', 'skipped']),
    skip_reason: z.string().nullable(),
    phase: z.string().nullable().describe("this project's phase heuristic, not a WeightWatcher output"),
    read_s: n(), eigen_s: n(), fit_s: n(),
    reused_from: z
      .string()
      .nullable()
      .describe('"<model id> <tensor or name>" the metrics were copied from because identical bytes were analysed there; null when computed here'),
    content_hash: z.string().nullable().describe('xxhash64 (hex) of the stored bytes'),
    ...metricShape,
  });

export const esdSchema = z.object({
  evals: z.array(z.number()).describe('ascending eigenvalues of W^T W (all, or an evenly ranked subsample)'),
  complete: z.boolean(),
  fit: z.object({ alpha: z.number(), xmin: z.number(), xmax: n(), D: z.number(), status: z.enum(['success', 'failed']) }),
  mp: z.object({ bulk_min: z.number(), bulk_max: z.number(), sigma_mp: z.number(), Q: z.number() }).nullable().optional(),
});
