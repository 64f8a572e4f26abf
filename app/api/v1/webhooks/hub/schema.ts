import { z } from 'zod';

/**
 * The part of the Hub's webhook payload this route reads (https://huggingface.co/docs/hub/webhooks). Everything
 * else in the payload (discussion, comment, webhook, movedTo, ...) is accepted and ignored.
 */
export const hubWebhookPayloadSchema = z
  .object({
    event: z.object({ action: z.string().max(64), scope: z.string().max(128) }).loose(),
    repo: z
      .object({
        type: z.string().max(32).optional(),
        name: z.string().max(200),
        headSha: z.string().max(64).optional(),
      })
      .loose(),
    updatedRefs: z
      .array(z.object({ ref: z.string().max(300), oldSha: z.string().max(64).nullish(), newSha: z.string().max(64).nullish() }).loose())
      .max(1000)
      .optional(),
  })
  .loose();

export type HubWebhookPayload = z.infer<typeof hubWebhookPayloadSchema>;

const queuedItem = z.object({
  ref: z.string().describe('the ref planned: a branch or tag of the repo (main for a conversion pull request)'),
  trigger: z.string().describe('the updated ref of the payload that caused it'),
  sha: z.string().describe('commit sha the ref resolved to'),
  analysisId: z.number().int(),
  status: z.string(),
  created: z.boolean().describe('false when this analysis already existed (a repeated delivery)'),
});

export const hubWebhookResponseSchema = z.object({
  repo: z.string().nullable(),
  /** accepted: something was planned; ignored: acknowledged, nothing to do (with the reason). */
  outcome: z.enum(['queued', 'ignored']),
  reason: z.string().nullable(),
  queued: z.array(queuedItem),
});

export type HubWebhookResponse = z.infer<typeof hubWebhookResponseSchema>;
