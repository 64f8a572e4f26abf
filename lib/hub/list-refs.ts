/**
 * Branches and tags of a repo (`GET /api/models/{repo}/refs`; @huggingface/hub 2.17 has no function for it, so
 * this follows the client's conventions: same hubUrl, bearer token and fetch), and the training-checkpoint series
 * among them (`step1000`, `step2000`, ... as Pythia and OLMo publish them), in step order.
 */
import { HubError, toHubError, errorForStatus } from './errors';
import { parseRepoId, resolveHub, type HubCallParams } from './hub-params';

export interface RepoRef {
  name: string;
  kind: 'branch' | 'tag';
  sha: string;
}

export interface CheckpointRef extends RepoRef {
  /** Training step parsed from the ref name. */
  step: number;
}

export interface ListRefsParams extends HubCallParams {
  repo?: string;
  repoId?: string;
}

/** Every branch and tag with the commit it points at. Throws HubError (not_found, gated, network, ...). */
export async function listRefs(params: ListRefsParams): Promise<RepoRef[]> {
  const repo = params.repo ?? params.repoId ?? '';
  parseRepoId(repo);
  const { client } = resolveHub(params, { repo });
  const url = `${client.hubUrl}/api/models/${repo}/refs`;
  let body: unknown;
  try {
    const res = await client.fetch(url, {
      headers: { accept: 'application/json', ...(client.accessToken ? { Authorization: `Bearer ${client.accessToken}` } : {}) },
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let detail = text.slice(0, 200);
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? detail;
      } catch {
        // keep text
      }
      throw errorForStatus(res.status, detail, { repo, hadToken: !!client.accessToken }, { url, errorCode: res.headers.get('x-error-code') });
    }
    body = await res.json();
  } catch (err) {
    throw toHubError(err, { repo });
  }
  const refs: RepoRef[] = [];
  const take = (list: unknown, kind: RepoRef['kind']) => {
    if (!Array.isArray(list)) throw new HubError('bad_response', `unexpected Hub response (${repo}: refs ${kind}es is not a list)`);
    for (const r of list as Array<{ name?: unknown; targetCommit?: unknown }>) {
      if (typeof r?.name === 'string' && typeof r.targetCommit === 'string') refs.push({ name: r.name, kind, sha: r.targetCommit });
    }
  };
  take((body as { branches?: unknown })?.branches, 'branch');
  take((body as { tags?: unknown })?.tags ?? [], 'tag');
  return refs;
}

const STEP_RE = /^(?:step|global_step|checkpoint|ckpt)[-_]?(\d+)(?:[-_].*)?$/i;

/** The refs that name a training step, ascending by step (ties: branches before tags, then by name). */
export function checkpointSeries(refs: RepoRef[]): CheckpointRef[] {
  const out: CheckpointRef[] = [];
  for (const ref of refs) {
    const m = STEP_RE.exec(ref.name);
    if (m) out.push({ ...ref, step: Number(m[1]) });
  }
  return out.sort((a, b) => a.step - b.step || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
