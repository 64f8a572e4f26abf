/**
 * The safetensors conversion of a pickle-only revision, when the Hub's conversion bot has opened one: an open pull
 * request by `SFconvertbot` titled "Adding `safetensors` variant of this model" whose head commit's parent is the
 * pinned sha (the same check the transformers library makes before trusting such a PR). Then the PR's ref
 * (`refs/pr/N`) holds the same weights as safetensors, which read faster and safer than the pickle files.
 *
 * @huggingface/hub 2.17 has no discussions function; this calls the Hub's API (`/api/models/{repo}/discussions`)
 * with the client's conventions (hubUrl, bearer token, the project's retried fetch), and `listCommits` for the PR.
 */
import { listCommits } from '@huggingface/hub';
import { errorForStatus, toHubError } from './errors';
import { parseRepoId, resolveHub, type HubCallParams } from './hub-params';

export const CONVERSION_BOT = 'SFconvertbot';
export const CONVERSION_TITLE = 'Adding `safetensors` variant of this model';

export interface ConversionPr {
  /** The git ref to read, `refs/pr/N`. */
  ref: string;
  num: number;
  /** Head commit of the PR (pin reads to it). */
  sha: string;
}

interface DiscussionJson {
  num?: unknown;
  title?: unknown;
  status?: unknown;
  isPullRequest?: unknown;
  author?: { name?: unknown } | null;
}

/** The trustworthy conversion PR for `sha`, or null when there is none. Throws HubError on Hub failures. */
export async function findConversionPr(params: HubCallParams & { repo: string; sha: string }): Promise<ConversionPr | null> {
  const { repo, sha } = params;
  parseRepoId(repo);
  const { client } = resolveHub(params, { repo, revision: sha });
  const headers = { accept: 'application/json', ...(client.accessToken ? { Authorization: `Bearer ${client.accessToken}` } : {}) };
  const candidates: number[] = [];
  try {
    for (let page = 0; page < 10; page++) {
      const url = `${client.hubUrl}/api/models/${repo}/discussions?p=${page}&type=pull_request&status=open&author=${CONVERSION_BOT}`;
      const res = await client.fetch(url, { headers });
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        throw errorForStatus(res.status, text.slice(0, 200), { repo, hadToken: !!client.accessToken }, { url, errorCode: res.headers.get('x-error-code') });
      }
      const body = (await res.json()) as { discussions?: unknown; count?: unknown };
      const list = Array.isArray(body?.discussions) ? (body.discussions as DiscussionJson[]) : [];
      for (const d of list) {
        if (
          d?.author?.name === CONVERSION_BOT &&
          d.isPullRequest === true &&
          d.status === 'open' &&
          d.title === CONVERSION_TITLE &&
          Number.isSafeInteger(d.num)
        ) {
          candidates.push(d.num as number);
        }
      }
      if (list.length === 0 || typeof body.count !== 'number' || (page + 1) * list.length >= body.count) break;
    }
    // Newest first: a later conversion supersedes an earlier one.
    for (const num of candidates.sort((a, b) => b - a)) {
      const ref = `refs/pr/${num}`;
      const commits = [];
      for await (const c of listCommits({ ...client, repo, revision: ref, batchSize: 2 })) {
        commits.push(c);
        if (commits.length === 2) break;
      }
      if (commits.length === 2 && commits[1].oid === sha) return { ref, num, sha: commits[0].oid };
    }
  } catch (err) {
    throw toHubError(err, { repo, revision: sha, hadToken: !!client.accessToken });
  }
  return null;
}
