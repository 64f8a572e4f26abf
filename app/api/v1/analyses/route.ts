import { listAnalyses } from '@/db/queries/analyses';
import { enqueueRepo } from '@/jobs/enqueue-repo';
import { AppError, errorResponse } from '../_lib/errors';
import { badInput, parseQuery, readResponse } from '../_lib/respond';
import { requireAdmin } from './admin-auth';
import { analysesQuerySchema, enqueueBodySchema } from './schema';

export const dynamic = 'force-dynamic';

const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());

/** GET /api/v1/analyses — queued, running, failed and done analyses, newest first, with failure reasons. */
export async function GET(req: Request): Promise<Response> {
  return readResponse(req, 'GET /api/v1/analyses', async () => {
    const q = parseQuery(analysesQuerySchema, new URL(req.url).searchParams);
    const rows = await listAnalyses({ status: q.status, modelId: q.model, limit: q.limit, offset: q.offset });
    return {
      analyses: rows.map((a) => ({
        id: a.id, model: a.modelId, revision: { sha: a.sha, ref: a.ref, step: a.step }, status: a.status,
        error: a.error, errorKind: a.errorKind, layersDone: a.layersDone, layersTotal: a.layersTotal, attempts: a.attempts,
        queuedAt: iso(a.queuedAt), startedAt: iso(a.startedAt), finishedAt: iso(a.finishedAt),
      })),
    };
  });
}

/** Hub failures carry a `kind` (lib/hub): the ones a caller can act on get their own status and message. */
function hubError(err: unknown, repo: string): AppError | null {
  const kind = (err as { kind?: unknown })?.kind;
  const message = err instanceof Error ? err.message : String(err);
  if (kind === 'not_found') return new AppError('not_found:model', `Repo "${repo}" (or its revision) was not found on the Hub`);
  if (kind === 'gated') return new AppError('forbidden:hub', `Repo "${repo}" is gated: needs a token with access`);
  if (kind === 'no_weights' || kind === 'unsupported' || kind === 'too_large') return new AppError('bad_request:api', `Repo "${repo}" cannot be analysed: ${message}`);
  if (kind === 'network' || kind === 'rate_limited' || kind === 'server' || kind === 'bad_response') {
    return new AppError('unavailable:hub', `The Hub could not be reached or answered badly: ${message}`);
  }
  return null;
}

/** POST /api/v1/analyses — enqueue a repo (admin bearer token). 202 with what was enqueued. */
export async function POST(req: Request): Promise<Response> {
  try {
    requireAdmin(req);
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      throw new AppError('bad_request:api', 'Request body must be JSON: {"repo": "owner/name", "revision"?: "main"}');
    }
    const parsed = enqueueBodySchema.safeParse(body);
    if (!parsed.success) throw badInput(parsed.error, 'body field');
    const [repo, atRevision] = parsed.data.repo.split('@');
    const revision = parsed.data.revision ?? atRevision ?? null;
    const result = await enqueueRepo({ repoId: repo, revision: revision ?? undefined, options: parsed.data.options }).catch((e) => {
      throw hubError(e, repo) ?? e;
    });
    return Response.json({ enqueued: { repo, revision }, result }, { status: 202, headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err, 'POST /api/v1/analyses');
  }
}
