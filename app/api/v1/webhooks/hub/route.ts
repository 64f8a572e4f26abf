import { AppError, errorResponse } from '../../_lib/errors';
import { badInput } from '../../_lib/respond';
import { handleHubWebhook, requireWebhookSecret } from './handle';
import { hubWebhookPayloadSchema } from './schema';

export const dynamic = 'force-dynamic';

/** Hub payloads are a few kB; anything far larger is not one. */
const MAX_BODY_BYTES = 1_000_000;

/**
 * POST /api/v1/webhooks/hub — the Hugging Face Hub's webhook (header `X-Webhook-Secret` = HUB_WEBHOOK_SECRET).
 * 202 when a new commit of a watched repo was planned (idempotent per repo, sha and options), 200 when the event
 * was acknowledged and ignored (with the reason). See ./handle.ts.
 */
export async function POST(req: Request): Promise<Response> {
  try {
    requireWebhookSecret(req);
    const text = await req.text();
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new AppError('bad_request:api', 'Webhook payload is too large');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError('bad_request:api', 'Webhook payload must be JSON');
    }
    const parsed = hubWebhookPayloadSchema.safeParse(body);
    if (!parsed.success) throw badInput(parsed.error, 'payload field');
    const result = await handleHubWebhook(parsed.data);
    return Response.json(result, { status: result.outcome === 'queued' ? 202 : 200, headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err, 'POST /api/v1/webhooks/hub');
  }
}
