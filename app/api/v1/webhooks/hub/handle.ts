import { createHash, timingSafeEqual } from 'node:crypto';
import { planRevision } from '@/jobs/plan';
import { loadWatchlist, parseRepoSpec, refsOf } from '@/jobs/watchlist';
import { AppError } from '../../_lib/errors';
import type { HubWebhookPayload, HubWebhookResponse } from './schema';

/**
 * Hub webhooks (`POST /api/v1/webhooks/hub`): the Hub tells the board about a new commit instead of the board
 * waiting for the next discovery run.
 *
 * - Authentication: the webhook's secret, sent by the Hub in `X-Webhook-Secret`, must equal `HUB_WEBHOOK_SECRET`
 *   (compared in constant time over SHA-256 digests, so neither content nor length leaks). Unset = webhooks off (503).
 * - What is acted on: `event.scope` = `repo.content` (action create or update) on a MODEL repo that is on the
 *   watchlist (the configured list merged with the stored one, as discovery uses it). Per updated ref:
 *   `refs/heads/<b>` / `refs/tags/<t>` when that branch or tag is one the watchlist follows (`main` by default);
 *   `refs/pr/<n>` (the conversion bot's safetensors pull request) re-plans the followed default branch, putting
 *   back a failed analysis of its sha, since the board reads the bot's PR for a commit that has only pickles.
 *   A payload without `updatedRefs` plans the default branch.
 * - Planning is the shared path (jobs/plan.ts planRevision): the ref is pinned to its current sha on the Hub and
 *   one analysis per (repo, sha, options) is created and queued; a repeated delivery finds it and its queued job
 *   (pg-boss singletonKey), so nothing is queued twice. In a web-only process the job goes to the shared queue.
 * - Everything else (other scopes, deletions, datasets and Spaces, repos not watched, refs not followed) is
 *   acknowledged with 200 and the reason, so the Hub does not report failures for events we do not need.
 */

export function requireWebhookSecret(req: Request): void {
  const expected = process.env.HUB_WEBHOOK_SECRET?.trim();
  if (!expected) {
    throw new AppError('unavailable:admin', 'Hub webhooks are disabled: set HUB_WEBHOOK_SECRET on the server to enable them');
  }
  const given = req.headers.get('x-webhook-secret');
  if (given == null || given === '') throw new AppError('unauthorized:admin', 'Missing "X-Webhook-Secret" header');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(given.trim()), digest(expected))) throw new AppError('unauthorized:admin', 'Wrong webhook secret');
}

interface PlanItem {
  ref: string;
  trigger: string;
  requeueFailed: boolean;
}

/** Which followed refs of a watched repo an update touches. */
export function refsToPlan(followed: string[], payload: HubWebhookPayload): PlanItem[] {
  const items = new Map<string, PlanItem>();
  const add = (ref: string, trigger: string, requeueFailed: boolean) => {
    const had = items.get(ref);
    if (!had) items.set(ref, { ref, trigger, requeueFailed });
    else if (requeueFailed) had.requeueFailed = true;
  };
  const updated = payload.updatedRefs;
  if (!updated || updated.length === 0) {
    if (followed.includes('main')) add('main', 'refs/heads/main', false);
    return [...items.values()];
  }
  for (const u of updated) {
    if (!u.newSha) continue; // a deleted ref: nothing new to analyse
    const m = /^refs\/(heads|tags|pr)\/(.+)$/.exec(u.ref);
    if (!m) continue;
    if (m[1] === 'pr') {
      if (/^\d+$/.test(m[2]) && followed.includes('main')) add('main', u.ref, true);
    } else if (followed.includes(m[2])) {
      add(m[2], u.ref, false);
    }
  }
  return [...items.values()];
}

function ignored(repo: string | null, reason: string): HubWebhookResponse {
  return { repo, outcome: 'ignored', reason, queued: [] };
}

/** Hub failures while pinning the ref, as API errors (the Hub shows the status in the webhook's activity tab). */
function hubError(err: unknown, repo: string): AppError | null {
  const kind = (err as { kind?: unknown })?.kind;
  const message = err instanceof Error ? err.message : String(err);
  if (kind === 'not_found') return new AppError('not_found:model', `Repo "${repo}" (or its revision) was not found on the Hub`);
  if (kind === 'gated') return new AppError('forbidden:hub', `Repo "${repo}" is gated: needs a token with access`);
  if (kind === 'network' || kind === 'rate_limited' || kind === 'server' || kind === 'bad_response') {
    return new AppError('unavailable:hub', `The Hub could not be reached or answered badly: ${message}`);
  }
  return null;
}

export async function handleHubWebhook(payload: HubWebhookPayload): Promise<HubWebhookResponse> {
  const name = payload.repo.name;
  const { scope, action } = payload.event;
  if (scope !== 'repo.content') return ignored(name, `event scope "${scope}" is not repo.content`);
  if (action !== 'update' && action !== 'create') return ignored(name, `event action "${action}" brings no new commit`);
  if (payload.repo.type && payload.repo.type !== 'model') return ignored(name, `repo type "${payload.repo.type}" is not a model`);
  let repoId: string;
  try {
    ({ repoId } = parseRepoSpec(name));
  } catch {
    return ignored(name, 'repo name is not of the form owner/name');
  }
  const watched = (await loadWatchlist()).find((w) => w.repoId === repoId);
  if (!watched) return ignored(repoId, 'repo is not on the watchlist');
  const plan = refsToPlan(refsOf(watched), payload);
  if (plan.length === 0) return ignored(repoId, `no followed ref changed (following ${refsOf(watched).join(', ')})`);

  const queued: HubWebhookResponse['queued'] = [];
  for (const item of plan) {
    const planned = await planRevision({ repoId, ref: item.ref, source: 'watchlist', requeueFailed: item.requeueFailed }).catch(
      (err) => {
        throw hubError(err, repoId) ?? err;
      },
    );
    queued.push({
      ref: planned.ref,
      trigger: item.trigger,
      sha: planned.sha,
      analysisId: planned.analysis.id,
      status: planned.analysis.status,
      created: planned.created,
    });
  }
  return { repo: repoId, outcome: 'queued', reason: null, queued };
}
