import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * Exclusive ownership of an embedded PGlite folder.
 *
 * PGlite has no lock of its own: two processes opening one folder both succeed and committed rows are silently
 * lost. So the owner holds a `proper-lockfile` lock (`<dir>.lock`, refreshed every few seconds, stale after
 * STALE_MS) and writes its pid, host and process start time to `<dir>.owner`. A second opener gets
 * {@link DatabaseInUseError} naming the folder and the owning pid.
 *
 * A holder killed with SIGKILL leaves the lock behind. Waiting for mtime staleness would delay every restart, so
 * when the recorded owner lives on this host and its pid is gone (or the pid now belongs to a process that
 * started later), the lock is broken at once.
 */

const STALE_MS = 20_000;
const UPDATE_MS = 5_000;

export class DatabaseInUseError extends Error {
  constructor(readonly dir: string, readonly ownerPid: number | null) {
    super(
      `database folder ${dir} is in use by process ${ownerPid ?? 'unknown'}; ` +
        'stop it or set DATA_DIR / DATABASE_URL',
    );
    this.name = 'DatabaseInUseError';
  }
}

interface OwnerRecord {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (Linux /proc), to detect pid reuse. */
  startTicks: number | null;
}

function processStartTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may contain spaces, so split after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function isAlive(owner: OwnerRecord): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const ticks = processStartTicks(owner.pid);
  return !(owner.startTicks != null && ticks != null && ticks !== owner.startTicks);
}

function readOwner(file: string): OwnerRecord | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as OwnerRecord;
  } catch {
    return null;
  }
}

export interface FolderLock {
  release(): Promise<void>;
}

/** Take the folder lock or throw {@link DatabaseInUseError}. Creates the parent folders. */
export async function lockDataDir(dir: string, onCompromised?: (err: Error) => void): Promise<FolderLock> {
  const abs = path.resolve(dir);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const lockPath = `${abs}.lock`;
  const ownerPath = `${abs}.owner`;
  const options = {
    realpath: false,
    lockfilePath: lockPath,
    stale: STALE_MS,
    update: UPDATE_MS,
    // A compromised lock (event loop blocked past STALE_MS) must not crash the server; report it instead.
    onCompromised: onCompromised ?? ((err: Error) => console.error(`database lock on ${abs}: ${err.message}`)),
  };

  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(abs, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    const owner = readOwner(ownerPath);
    if (owner && owner.host === os.hostname() && !isAlive(owner)) {
      fs.rmSync(lockPath, { recursive: true, force: true });
      try {
        release = await lockfile.lock(abs, options);
      } catch (again) {
        if ((again as NodeJS.ErrnoException).code === 'ELOCKED') {
          throw new DatabaseInUseError(abs, readOwner(ownerPath)?.pid ?? null);
        }
        throw again;
      }
    } else {
      throw new DatabaseInUseError(abs, owner?.pid ?? null);
    }
  }

  const record: OwnerRecord = { pid: process.pid, host: os.hostname(), startTicks: processStartTicks(process.pid) };
  fs.writeFileSync(ownerPath, JSON.stringify(record));

  return {
    async release() {
      try {
        if (readOwner(ownerPath)?.pid === process.pid) fs.rmSync(ownerPath, { force: true });
        await release();
      } catch {
        // Already released or compromised: nothing left to free.
      }
    },
  };
}
