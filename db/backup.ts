import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dataDir, databaseUrl } from './client';
import { DatabaseInUseError, lockDataDir } from './lock';
import { applyMigrations } from './migrate';

/**
 * Backups of the board's database: `npm run db:backup -- <file>` and `npm run db:restore -- <file>`.
 *
 * Embedded (PGlite, `DATA_DIR`): the backup is PGlite's own data-folder dump (`dumpDataDir`, a gzipped tar of the
 * folder taken through a PGlite instance, so it is consistent). A PGlite folder has exactly one owner (./lock.ts),
 * so both commands take the folder lock first: while a server owns the folder, backup and restore are REFUSED with
 * the owner's pid (stop the server, run the command, start it again). Going through the owner would need a
 * dump endpoint on the public web server; a refusal keeps the surface small. Restore loads the dump into a new
 * folder beside the target, applies any newer migrations, then moves the old folder aside
 * (`<dir>.before-restore-<time>`, kept for the operator to delete) and the restored one into place.
 *
 * PostgreSQL (`DATABASE_URL`): `pg_dump --format=custom` and `pg_restore --clean --if-exists --single-transaction`,
 * from `PG_BIN`, else the newest `/usr/lib/postgresql/<v>/bin`, else `PATH`. pg_dump reads a consistent snapshot,
 * so backing up a live database is fine. Restore is REFUSED while any other session is connected to the database
 * (a web tier or worker still running), naming them.
 *
 * The file format is recognised on restore (gzip/tar = PGlite dump, `PGDMP` = pg_dump archive), so restoring a
 * backup into the other kind of database is refused with a clear message instead of failing half-way.
 */

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export type BackupKind = 'pglite' | 'postgres';

/** What a backup file holds, from its first bytes. */
export function detectBackupKind(file: string): BackupKind | null {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, 512, 0);
    if (n >= 5 && head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'postgres';
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'pglite';
    if (n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'pglite';
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Embedded (PGlite)

function refuseInUse(err: unknown, what: string): never {
  if (err instanceof DatabaseInUseError) {
    throw new BackupError(
      `cannot ${what} ${err.dir}: it is owned by running process ${err.ownerPid ?? 'unknown'} (the server or a worker). ` +
        'Stop it first, then run this again; with PostgreSQL (DATABASE_URL) backups can be taken while it runs',
    );
  }
  throw err;
}

export async function backupPglite(dir: string, file: string): Promise<{ bytes: number }> {
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) throw new BackupError(`no embedded database in ${dir} (DATA_DIR)`);
  const lock = await lockDataDir(dir).catch((err) => refuseInUse(err, 'back up'));
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const client = await PGlite.create(dir);
    try {
      const blob = await client.dumpDataDir('gzip');
      const bytes = Buffer.from(await blob.arrayBuffer());
      writeAtomically(file, bytes);
      return { bytes: bytes.length };
    } finally {
      await client.close();
    }
  } finally {
    await lock.release();
  }
}

export async function restorePglite(dir: string, file: string): Promise<{ replaced: string | null }> {
  const lock = await lockDataDir(dir).catch((err) => refuseInUse(err, 'restore into'));
  const staging = `${dir}.restoring`;
  try {
    fs.rmSync(staging, { recursive: true, force: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const blob = new Blob([fs.readFileSync(file)]);
    let client;
    try {
      client = await PGlite.create(staging, { loadDataDir: blob });
    } catch (err) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new BackupError(`${file} could not be loaded as a PGlite dump: ${(err as Error).message}`);
    }
    try {
      // A backup from an older version of the board gets the migrations it lacks.
      await applyMigrations({ kind: 'pglite', db: drizzle({ client }) as any });
    } finally {
      await client.close();
    }
    let replaced: string | null = null;
    if (fs.existsSync(dir)) {
      replaced = `${dir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(dir, replaced);
    }
    fs.renameSync(staging, dir);
    return { replaced };
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    await lock.release();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

/** The folder holding pg_dump / pg_restore, or null to use PATH. */
export function postgresClientBin(): string | null {
  const fromEnv = process.env.PG_BIN?.trim();
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pg_dump')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : null;
}

function runTool(tool: 'pg_dump' | 'pg_restore', args: string[]): void {
  const bin = postgresClientBin();
  const cmd = bin ? path.join(bin, tool) : tool;
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) {
    throw new BackupError(
      `${tool} could not be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): install the PostgreSQL ` +
        'client tools (Debian: apt-get install postgresql-client) or set PG_BIN to their folder',
    );
  }
  if (r.status !== 0) throw new BackupError(`${tool} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
}

/** libpq takes the URL as the database name argument; `--dbname=` keeps a URL starting with `-` from parsing as an option. */
export async function backupPostgres(url: string, file: string): Promise<{ bytes: number }> {
  const tmp = `${file}.partial`;
  try {
    runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${tmp}`, `--dbname=${url}`]);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { bytes: fs.statSync(file).size };
}

/** Other sessions on the target database: a web tier or worker that would see the restore half-done. */
export async function otherSessions(url: string): Promise<{ pid: number; application: string; client: string | null }[]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT pid, application_name, client_addr::text AS client FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return rows.map((r) => ({ pid: r.pid, application: r.application_name || '?', client: r.client }));
  } finally {
    await client.end();
  }
}

export async function restorePostgres(url: string, file: string): Promise<void> {
  const live = await otherSessions(url);
  if (live.length) {
    const who = live.slice(0, 5).map((s) => `pid ${s.pid} (${s.application}${s.client ? ` from ${s.client}` : ''})`);
    throw new BackupError(
      `refusing to restore: ${live.length} other session(s) are connected to this database: ${who.join(', ')}. ` +
        'Stop the web tier and the workers first',
    );
  }
  runTool('pg_restore', [
    '--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error',
    `--dbname=${url}`, file,
  ]);
  // Bring an older backup up to the current schema.
  const pg = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await applyMigrations({ kind: 'postgres', db: drizzle({ client: pool }) as any, pool });
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points

function writeAtomically(file: string, bytes: Buffer): void {
  const tmp = `${file}.partial`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

/** Back up the configured database (DATABASE_URL, else DATA_DIR) to `file`. */
export async function backup(file: string): Promise<{ kind: BackupKind; bytes: number }> {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const url = databaseUrl();
  if (url) return { kind: 'postgres', ...(await backupPostgres(url, target)) };
  return { kind: 'pglite', ...(await backupPglite(dataDir(), target)) };
}

/** Restore `file` into the configured database (DATABASE_URL, else DATA_DIR); refuses while it is in use. */
export async function restore(file: string): Promise<{ kind: BackupKind; replaced: string | null }> {
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new BackupError(`backup file ${source} does not exist`);
  const kind = detectBackupKind(source);
  const url = databaseUrl();
  const want: BackupKind = url ? 'postgres' : 'pglite';
  if (!kind) throw new BackupError(`${source} is neither a PGlite dump nor a pg_dump archive`);
  if (kind !== want) {
    throw new BackupError(
      kind === 'postgres'
        ? `${source} is a PostgreSQL (pg_dump) archive: set DATABASE_URL to restore it`
        : `${source} is an embedded-database (PGlite) dump: unset DATABASE_URL and set DATA_DIR to restore it`,
    );
  }
  if (url) {
    await restorePostgres(url, source);
    return { kind, replaced: null };
  }
  return { kind, ...(await restorePglite(dataDir(), source)) };
}

async function main(argv: string[]): Promise<void> {
  const [command, file, extra] = argv;
  if ((command !== 'backup' && command !== 'restore') || !file || extra !== undefined) {
    throw new BackupError('usage: npm run db:backup -- <file>   |   npm run db:restore -- <file>');
  }
  if (command === 'backup') {
    const r = await backup(file);
    console.log(`backup written to ${path.resolve(file)} (${r.kind}, ${r.bytes} bytes)`);
  } else {
    const r = await restore(file);
    console.log(`restored ${path.resolve(file)} (${r.kind})${r.replaced ? `; the previous folder was moved to ${r.replaced}` : ''}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
