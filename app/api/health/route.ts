export const dynamic = 'force-dynamic';

/** GET /api/health — liveness: the process answers HTTP. Touches nothing else (see /api/ready for dependencies). */
export function GET(): Response {
  return Response.json({ status: 'ok', uptime_s: Math.round(process.uptime()) }, { headers: { 'cache-control': 'no-store' } });
}
