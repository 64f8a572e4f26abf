import { renderMetrics } from '@/jobs/metrics';

export const dynamic = 'force-dynamic';

/**
 * GET /metrics — Prometheus text format (jobs/metrics.ts). Restrict it at the reverse proxy (or set METRICS_TOKEN:
 * then it needs `Authorization: Bearer $METRICS_TOKEN`).
 */
export async function GET(req: Request): Promise<Response> {
  const token = process.env.METRICS_TOKEN?.trim();
  if (token) {
    const { timingSafeEqual, createHash } = await import('node:crypto');
    const got = req.headers.get('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? '';
    const digest = (s: string) => createHash('sha256').update(s).digest();
    if (!timingSafeEqual(digest(got), digest(token))) {
      return Response.json({ error: { code: 'unauthorized:metrics', message: 'Missing or wrong metrics token' } }, { status: 401 });
    }
  }
  try {
    const { body, contentType } = await renderMetrics();
    return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
  } catch {
    return Response.json({ error: { code: 'internal:metrics', message: 'Metrics could not be collected; the error was logged.' } }, { status: 500 });
  }
}
