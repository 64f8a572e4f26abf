import { z } from 'zod';

const one = (v: unknown) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v);

export const analysesQuerySchema = z.object({
  status: z.preprocess(one, z.enum(['queued', 'running', 'done', 'failed']).optional()),
  model: z.preprocess(one, z.string().regex(/^[\w.-]{1,96}\/[\w.-]{1,96}$/, 'must be a model id of the form owner/name').optional()),
  limit: z.preprocess(one, z.coerce.number().int().min(1).max(1000).default(100)),
  offset: z.preprocess(one, z.coerce.number().int().min(0).default(0)),
});

/** POST body: a repo (optionally `owner/name@revision`), an optional ref/sha, and WeightWatcher options. */
export const enqueueBodySchema = z
  .object({
    repo: z.string().regex(/^[\w.-]{1,96}\/[\w.-]{1,96}(@[\w./-]{1,200})?$/, 'must be owner/name or owner/name@revision'),
    revision: z.string().regex(/^[\w./-]{1,200}$/, 'must be a branch, tag or commit sha').optional(),
    options: z
      .object({
        mpFit: z.boolean().optional(),
        detX: z.boolean().optional(),
        randomize: z.boolean().optional(),
        seed: z.number().int().optional(),
        fixFingers: z.enum(['clip_xmax']).nullable().optional(),
        xmax: z.number().int().nullable().optional(),
        fit: z.enum(['PL', 'TPL']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const analysisItem = z.object({
  id: z.number().int(),
  model: z.string(),
  revision: z.object({ sha: z.string(), ref: z.string(), step: z.number().int().nullable() }),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  error: z.string().nullable().describe('why it failed, in plain words'),
  errorKind: z.string().nullable(),
  layersDone: z.number().int(),
  layersTotal: z.number().int().nullable(),
  attempts: z.number().int(),
  queuedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const analysesResponseSchema = z.object({ analyses: z.array(analysisItem) });

export const enqueueResponseSchema = z
  .object({ enqueued: z.object({ repo: z.string(), revision: z.string().nullable() }), result: z.unknown() });
