import fs from 'node:fs';
import path from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';
import { lockDataDir, type FolderLock } from './lock';
import { applyMigrations } from './migrate';

/**
 * The one database handle of a process.
 *
 * Embedded (default): PGlite in `DATA_DIR` (default `.data/pglite`), owned exclusively by this process through
 * a folder lock (see ./lock.ts). With `DATABASE_URL=postgres://...`: a `pg` Pool. Both speak the same drizzle
 * pg-core schema and the same migrations, applied on open.
 *
 * The handle is cached on `globalThis`, not in module scope: Next bundles route handlers and
 * `instrumentation.ts` into separate module graphs of the same process, and they must share ONE PGlite instance
 * (a second one on the same folder would corrupt it).
 */

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Raw SQL access for code that speaks SQL itself (pg-boss). */
export interface RawSql {
  /** One statement with `$n` parameters. */
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  /** Several `;`-separated statements without parameters; one result per statement. */
  exec(text: string): Promise<{ rows: any[] }[]>;
}

export interface DbHandle {
  kind: 'pglite' | 'postgres';
  db: Db;
  sql: RawSql;
  /** PGlite folder (embedded) or the connection string with the password masked (Postgres). */
  location: string;
  /** Set when kind = postgres. */
  connectionString?: string;
  /**
   * Run `fn` while holding a session advisory lock `key` (PostgreSQL), so that several processes starting at once do
   * one-time setup one after another. On PGlite (a single process) it just runs `fn`.
   */
  withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  /**
   * LISTEN on `channel`: `onPayload` gets each NOTIFY payload committed by any session, `onLost` is called once if
   * the subscription breaks (PostgreSQL connection lost; the caller subscribes again). `barrier()` resolves once
   * every notification committed before it was called has been handed to `onPayload` (PGlite delivers them inside
   * the writer's own statement, so there it resolves at once; on PostgreSQL it is one round trip on the listening
   * connection, which the server answers only after sending the notifications queued before it).
   */
  listen(channel: string, onPayload: (payload: string) => void, onLost: (err: Error) => void): Promise<Subscription>;
  close(): Promise<void>;
}

export interface Subscription {
  barrier(): Promise<void>;
  close(): Promise<void>;
}

/** DATABASE_URL when set; it must be a postgres:// or postgresql:// URL (anything else is a configuration error). */
export function databaseUrl(): string | undefined {
  const url = process.env.DATABASE_URL?.trim();
  if (!url) return undefined;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new Error(`DATABASE_URL must be a postgres:// or postgresql:// URL, got "${url.split('@').pop()}"`);
  }
  return url;
}

export function dataDir(): string {
  return path.resolve(process.env.DATA_DIR?.trim() || '.data/pglite');
}

function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

async function openPglite(dir: string): Promise<DbHandle> {
  const lock: FolderLock = await lockDataDir(dir);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const client = await PGlite.create(dir);
    const db = drizzle({ client, schema }) as unknown as Db;
    const sql: RawSql = {
      query: (text, values) => client.query(text, values as any[]),
      exec: (text) => client.exec(text),
    };
    await applyMigrations({ kind: 'pglite', db });
    return {
      kind: 'pglite',
      db,
      sql,
      location: dir,
      withAdvisoryLock: (_key, fn) => fn(),
      async listen(channel, onPayload) {
        const unlisten = await client.listen(channel, onPayload);
        return { barrier: async () => {}, close: () => unlisten() };
      },
      async close() {
        try {
          await client.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Our transactions run their statements back to back; 10 s idle inside one means the client process is stuck. */
const IDLE_IN_TRANSACTION_MS = 10_000;

async function openPostgres(url: string): Promise<DbHandle> {
  const pg = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.DATABASE_POOL_MAX ?? 10),
    // A transaction left open for this long belongs to a process that stopped mid-transaction (SIGSTOP, a long GC
    // pause): the server ends its session, so the row locks it held (an analysis claim) do not block a takeover.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  });
  // A server restart breaks idle clients; pg emits 'error' on the pool for them. Without a listener that would
  // crash the process. The pool drops the broken client and the next query opens a fresh connection.
  pool.on('error', (err) => console.error(`database connection lost (${maskUrl(url)}): ${err.message}`));
  // A checked-out client has no pool listener: the server ending its session between two statements of a transaction
  // (the idle-in-transaction timeout above, a restart) would crash the process with an unhandled 'error' event. With
  // this one the transaction's next statement fails instead, and pg-pool discards the broken client on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => console.error(`database connection lost in use (${maskUrl(url)}): ${err.message}`));
  });
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  const sql: RawSql = {
    query: (text, values) => pool.query(text, values as any[]),
    async exec(text) {
      const res = (await pool.query(text)) as any;
      return Array.isArray(res) ? res : [res];
    },
  };
  try {
    await applyMigrations({ kind: 'postgres', db, pool });
  } catch (err) {
    await pool.end();
    throw err;
  }
  return {
    kind: 'postgres',
    db,
    sql,
    location: maskUrl(url),
    connectionString: url,
    async withAdvisoryLock(key, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
        client.release();
      }
    },
    async listen(channel, onPayload, onLost) {
      // A dedicated connection: a pooled one would be handed to other queries between notifications.
      const client = new pg.Client({ connectionString: url });
      let closed = false;
      const lost = (err: Error) => {
        if (closed) return;
        closed = true;
        client.end().catch(() => {});
        onLost(err);
      };
      client.on('notification', (msg) => {
        if (msg.channel === channel) onPayload(msg.payload ?? '');
      });
      client.on('error', lost);
      client.on('end', () => lost(new Error('listening connection closed')));
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      // One round trip at a time on this connection: callers that arrive while one is in flight share the next one,
      // which starts after they arrived (so it still follows every commit they could have seen).
      let current: Promise<void> | null = null;
      let queued: Promise<void> | null = null;
      const roundTrip = (): Promise<void> => {
        current = client.query('SELECT 1').then(() => undefined).finally(() => {
          current = null;
        });
        return current;
      };
      return {
        barrier() {
          if (queued) return queued;
          if (!current) return roundTrip();
          queued = current.catch(() => {}).then(() => {
            queued = null;
            return roundTrip();
          });
          return queued;
        },
        async close() {
          closed = true;
          await client.end().catch(() => {});
        },
      };
    },
    async close() {
      await pool.end();
    },
  };
}

const KEY = Symbol.for('alphaboard.db');
type Holder = { [KEY]?: Promise<DbHandle> };
const holder = globalThis as Holder;

/** Open (once per process) and return the database handle. Rejects with DatabaseInUseError when locked. */
export function getDbHandle(): Promise<DbHandle> {
  if (!holder[KEY]) {
    const url = databaseUrl();
    const opening = url ? openPostgres(url) : openPglite(dataDir());
    holder[KEY] = opening;
    // A failed open must not stay cached: the next call tries again (e.g. after the other owner stopped).
    opening.catch(() => {
      if (holder[KEY] === opening) delete holder[KEY];
    });
  }
  return holder[KEY]!;
}

/** The drizzle instance shared by the whole process. */
export async function getDb(): Promise<Db> {
  return (await getDbHandle()).db;
}

/** Raw SQL on the same connection(s) as {@link getDb}. */
export async function getSql(): Promise<RawSql> {
  return (await getDbHandle()).sql;
}

/** Close the shared handle and release the folder lock; the next getDb() opens it again. */
export async function closeDb(): Promise<void> {
  const opening = holder[KEY];
  if (!opening) return;
  delete holder[KEY];
  const handle = await opening.catch(() => null);
  await handle?.close();
}
