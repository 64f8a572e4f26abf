import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDataDir, removeFreshDataDirs } from '@/jobs/testing/fresh-db';
import { findPostgresBin, startPostgresCluster } from '@/jobs/testing/postgres-cluster';
import { closeDb, getDbHandle } from './client';

/** Runs `node --import tsx -e <code>` in the repo with extra env; resolves with its exit code and output. */
function runChild(code: string, env: Record<string, string>, opts: { until?: RegExp } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('exit', (c, s) => resolve({ code: c, signal: s, out })),
  );
  const ready = opts.until
    ? new Promise<void>((resolve, reject) => {
        const check = () => (opts.until!.test(out) ? resolve() : undefined);
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        exited.then((r) => reject(new Error(`child exited before ${opts.until}: ${r.out}`)));
      })
    : Promise.resolve();
  return { child, exited, ready };
}

const OPEN_AND_WAIT = `
  const { getDbHandle } = await import('./db/client.ts');
  await getDbHandle();
  console.log('OPEN ' + process.pid);
  setInterval(() => {}, 1000);
`;

describe('embedded database (PGlite)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-db-'));
  const dir = path.join(tmp, 'nested', 'pglite');

  beforeAll(() => {
    process.env.DATA_DIR = dir;
    delete process.env.DATABASE_URL;
  });
  afterAll(async () => {
    await closeDb();
    fs.rmSync(tmp, { recursive: true, force: true });
    removeFreshDataDirs();
  });

  it('creates missing parent folders and applies every migration on a fresh folder', async () => {
    const handle = await getDbHandle();
    expect(handle.kind).toBe('pglite');
    expect(fs.existsSync(dir)).toBe(true);
    const journal = JSON.parse(fs.readFileSync('db/migrations/meta/_journal.json', 'utf8')) as { entries: unknown[] };
    const applied = await handle.sql.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(applied.rows[0].n).toBe(journal.entries.length);
    const tables = await handle.sql.query(
      `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      ['analyses', 'analysis_views', 'benchmark_scores', 'layer_esd', 'layers', 'models', 'revisions', 'watchlist'],
    );
    // WeightWatcher's xmin/xmax live under pl_ names (PostgreSQL reserves xmin/xmax as system columns).
    const cols = await handle.sql.query(
      `select column_name from information_schema.columns where table_name = 'layers' and column_name like 'pl_%'`,
    );
    expect(cols.rows.map((r) => r.column_name).sort()).toEqual(['pl_xmax', 'pl_xmin']);
  });

  it('re-opening an already migrated folder applies nothing twice', async () => {
    await closeDb();
    const handle = await getDbHandle();
    const applied = await handle.sql.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    const journal = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'db/migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(applied.rows[0].n).toBe(journal.entries.length);
  });

  it('a second process opening the same folder gets a clear error naming the folder and the owner', async () => {
    await getDbHandle();
    const { exited } = runChild(
      `const { getDbHandle } = await import('./db/client.ts');
       try { await getDbHandle(); console.log('OPENED'); process.exit(0); }
       catch (err) { console.error(err.message); process.exit(3); }`,
      { DATA_DIR: dir },
    );
    const r = await exited;
    expect(r.out).not.toContain('OPENED');
    expect(r.code).toBe(3);
    expect(r.out).toContain(
      `database folder ${dir} is in use by process ${process.pid}; stop it or set DATA_DIR / DATABASE_URL`,
    );
  });

  it('the lock of a SIGKILLed owner is broken at once and its committed rows survive', async () => {
    await closeDb();
    const other = await freshDataDir('killed');
    const first = runChild(
      `const { getDbHandle } = await import('./db/client.ts');
       const h = await getDbHandle();
       await h.sql.query("insert into watchlist (repo_id) values ('acme/kept')");
       console.log('OPEN ' + process.pid);
       setInterval(() => {}, 1000);`,
      { DATA_DIR: other },
      { until: /OPEN \d+/ },
    );
    await first.ready;
    first.child.kill('SIGKILL');
    await first.exited;
    const started = Date.now();
    const second = runChild(
      `const { getDbHandle, closeDb } = await import('./db/client.ts');
       const h = await getDbHandle();
       const r = await h.sql.query('select repo_id from watchlist');
       console.log('ROWS ' + JSON.stringify(r.rows.map((x) => x.repo_id)));
       await closeDb();`,
      { DATA_DIR: other },
    );
    const r = await second.exited;
    expect(r.out).toContain('ROWS ["acme/kept"]');
    expect(r.code).toBe(0);
    // Far below proper-lockfile's 20 s staleness: the dead owner's pid was recognised.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('npm run db:migrate refuses a folder in use, with the same message', async () => {
    const held = await freshDataDir('held');
    const { exited: holderExit, child, ready } = runChild(OPEN_AND_WAIT, { DATA_DIR: held }, { until: /OPEN \d+/ });
    await ready;
    const migrate = spawn(process.execPath, ['--import', 'tsx', 'db/migrate.ts'], {
      env: { ...process.env, DATA_DIR: held },
    });
    let out = '';
    migrate.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => migrate.on('exit', resolve));
    child.kill('SIGTERM');
    await holderExit;
    expect(code).toBe(1);
    expect(out).toMatch(/database folder .*pglite is in use by process \d+; stop it or set DATA_DIR \/ DATABASE_URL/);
  });
});

describe.skipIf(!findPostgresBin())('PostgreSQL: a connection the server ends inside a transaction', () => {
  let cluster: Awaited<ReturnType<typeof startPostgresCluster>>;
  beforeAll(async () => {
    await closeDb();
    cluster = await startPostgresCluster();
    process.env.DATABASE_URL = cluster.url;
  }, 120_000);
  afterAll(async () => {
    await closeDb();
    delete process.env.DATABASE_URL;
    await cluster?.stop();
  });

  it('fails that transaction, does not crash the process, and the next query runs on a fresh connection', async () => {
    // A worker stopped mid-transaction (SIGSTOP, a long pause) has its session ended by the server
    // (idle_in_transaction_session_timeout); the server's FATAL message then arrives on a checked-out client while no
    // query is running. Ended here from another session, the same message.
    const { db, sql } = await getDbHandle();
    const { sql: q } = await import('drizzle-orm');
    const outcome = db.transaction(async (tx) => {
      const { rows } = (await tx.execute(q`select pg_backend_pid() as pid`)) as unknown as { rows: Array<{ pid: number }> };
      await sql.query('select pg_terminate_backend($1)', [rows[0].pid]);
      await new Promise((resolve) => setTimeout(resolve, 300)); // idle in the transaction as the FATAL arrives
      await tx.execute(q`select 1`);
    });
    await expect(outcome).rejects.toThrow();
    const { rows } = await sql.query('select 41 + 1 as answer');
    expect(Number((rows[0] as { answer: number }).answer)).toBe(42);
  }, 60_000);
});
