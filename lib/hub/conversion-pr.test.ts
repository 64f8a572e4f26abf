/**
 * findConversionPr against the stand-in Hub: the conversion bot's open PR whose head's parent is the pinned commit
 * is trusted; PRs on another commit, by another author, with another title, or closed are not. Discussions come in
 * pages of one, so the paging is exercised too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '../hub-stand-in/server';
import { writePullRequestRepos, type PullRequestRepos } from '../hub-stand-in/test-fixtures';
import { findConversionPr } from './conversion-pr';

let prs: PullRequestRepos;
let hub: StandInHub;
beforeAll(async () => {
  prs = await writePullRequestRepos();
  hub = await startStandInHub({ root: prs.root, discussionsPageSize: 1 });
});
afterAll(() => hub?.close());

const find = (repo: string, sha: string) => findConversionPr({ hubUrl: hub.url, accessToken: undefined, retries: 0, repo, sha });

describe('findConversionPr', () => {
  it('finds the bot\'s open PR made on exactly the pinned commit', async () => {
    expect(await find('pr/trusted', prs.shas.trustedMain)).toEqual({ ref: 'refs/pr/3', num: 3, sha: prs.shas.pr3 });
    // an older commit of the same repo has its own conversion (PR #1, on a later discussions page)
    expect(await find('pr/trusted', prs.shas.trustedFirst)).toEqual({ ref: 'refs/pr/1', num: 1, sha: prs.shas.pr1 });
  });

  it('ignores a PR whose parent is another commit', async () => {
    expect(await find('pr/stale', prs.shas.staleMain)).toBeNull();
    expect(await find('pr/trusted', 'f'.repeat(40))).toBeNull();
  });

  it('ignores PRs by another author or with another title', async () => {
    expect(await find('pr/impostor', prs.shas.impostorMain)).toBeNull();
  });

  it('ignores a closed PR', async () => {
    expect(await find('pr/closed', prs.shas.closedMain)).toBeNull();
  });

  it('fails with not_found for a missing repo', async () => {
    await expect(find('pr/missing', prs.shas.closedMain)).rejects.toMatchObject({ kind: 'not_found' });
  });
});
