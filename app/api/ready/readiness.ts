import fs from 'node:fs';
import path from 'node:path';
import { getSql } from '@/db/client';
import { MIGRATIONS_DIR } from '@/db/migrate';
import { getHubStatus } from '@/jobs/hub-status';

export interface Check {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: Check; migrations: Check; queue: Check };
  /** Reported, never failing readiness: the board serves stored results while the Hub is away. */
  hub: { reachable: boolean | null; checked_at: string | null };
}

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Migrations committed with this release (drizzle's journal). */
function expectedMigrations(): number {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

/**
 * Readiness: the database answers, every migration of this release is applied, and the queue's schema answers.
 * Details name what failed in plain words, never a driver message (those can carry hosts and SQL).
 */
export async function readiness(timeoutMs = Number(process.env.READY_TIMEOUT_MS ?? 3000)): Promise<Readiness> {
  const hubStatus = getHubStatus();
  const hub = { reachable: hubStatus.reachable, checked_at: hubStatus.checkedAt };
  const down: Check = { ok: false, detail: 'not checked: the database is unreachable' };
  let sql: Awaited<ReturnType<typeof getSql>>;
  try {
    sql = await within(timeoutMs, getSql());
    await within(timeoutMs, sql.query('select 1'));
  } catch {
    return { ready: false, checks: { database: { ok: false, detail: 'the database did not answer' }, migrations: down, queue: down }, hub };
  }
  const database = { ok: true, detail: 'answers' };
  let migrations: Check;
  try {
    const expected = expectedMigrations();
    const { rows } = await within(timeoutMs, sql.query('select count(*)::int as n from drizzle.__drizzle_migrations'));
    const applied = Number(rows[0]?.n ?? 0);
    migrations = applied >= expected ? { ok: true, detail: `${applied} applied` } : { ok: false, detail: `${applied} of ${expected} applied` };
  } catch {
    migrations = { ok: false, detail: 'the migrations record could not be read' };
  }
  let queue: Check;
  try {
    await within(timeoutMs, sql.query('select version from pgboss.version limit 1'));
    queue = { ok: true, detail: 'answers' };
  } catch {
    queue = { ok: false, detail: 'the queue schema (pgboss) could not be read' };
  }
  return { ready: database.ok && migrations.ok && queue.ok, checks: { database, migrations, queue }, hub };
}
