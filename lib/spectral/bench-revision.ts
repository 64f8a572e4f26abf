import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The analyze CLI of another git revision of this repository, for `npm run bench -- --paired --against <rev>`: the
 * revision is checked out into a temporary git worktree that shares this checkout's node_modules (hard links, so
 * nothing is downloaded or copied: the revision must use the same dependencies), and its precompiled bundle is built
 * there. The bench then times that CLI in the same rotation as this one, so a step's effect shows as a same-run ratio.
 */
export interface RevisionCli {
  /** The revision as given and its short commit id. */
  label: string;
  /** Its lib/cli/launch.mjs, started as `npm run analyze` starts this checkout's. */
  launcher: string;
  /** Removes the worktree (synchronous, so it can run on process exit too). */
  cleanup(): void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function prepareRevisionCli(rev: string): Promise<RevisionCli> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const commit = git('rev-parse', '--short', `${rev}^{commit}`);
  const dir = await mkdtemp(path.join(tmpdir(), `alphaboard-rev-${commit}-`));
  const cleanup = () => {
    try {
      git('worktree', 'remove', '--force', dir);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    git('worktree', 'add', '--detach', '--force', dir, commit);
    execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
    await rm(path.join(dir, 'node_modules', '.cache', 'alphaboard'), { recursive: true, force: true });
    const launcher = path.join(dir, 'lib', 'cli', 'launch.mjs');
    execFileSync(process.execPath, [launcher, '--build-bundle'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    return { label: commit.startsWith(rev) || rev.startsWith(commit) ? commit : `${rev} (${commit})`, launcher, cleanup };
  } catch (err) {
    cleanup();
    throw new Error(`--against ${rev}: could not prepare that revision's CLI: ${(err as Error).message}`);
  }
}
