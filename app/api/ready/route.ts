import { readiness } from './readiness';

export const dynamic = 'force-dynamic';

/**
 * GET /api/ready — readiness for a load balancer: 200 when the database answers, this release's migrations are
 * applied and the queue answers; else 503. The Hub's reachability is reported and never fails readiness.
 */
export async function GET(): Promise<Response> {
  let body;
  try {
    body = await readiness();
  } catch {
    body = { ready: false, checks: {}, hub: null };
  }
  return Response.json({ status: body.ready ? 'ready' : 'not_ready', ...body }, { status: body.ready ? 200 : 503, headers: { 'cache-control': 'no-store' } });
}
