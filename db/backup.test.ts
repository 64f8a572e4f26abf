import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('server-only', () => ({}));

/**
 * Round trips of `npm run db:backup` / `db:restore`: seed the sample board, snapshot every row of every table,
 * back up, wipe, restore, snapshot again: identical, stored ESDs included. Restore refuses while the database is in
 * use. The PostgreSQL half uses Debian's PostgreSQL and skips when it is not installed.
 */

const { findPostgresBin, startPostgresCluster } = await import('@/jobs/testing/postgres-cluster');
const { freshDataDir, removeFreshDataDirs } = await import('@/jobs/testing/fresh-db');
const { closeDb, getDbHandle, getSql } = await import('./client');
const { backup, restore, detectBackupKind, BackupError } = await import('./backup');
const { seedSampleBoard, seedCheckpointSamples } = await import('./queries/testing/sample-data');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-backup-'));
afterAll(async () => {
  await closeDb();
  removeFreshDataDirs();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every row of every table in the app's schemas, as JSON text, in a stable order. */
async function snapshot(): Promise<Record<string, string[]>> {
  const sql = await getSql();
  const { rows: tables } = await sql.query(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_schema IN ('public', 'drizzle') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
  );
  const out: Record<string, string[]> = {};
  for (const { s, t } of tables) {
    const { rows } = await sql.query(`SELECT to_jsonb(x)::text AS j FROM "${s}"."${t}" x ORDER BY 1`);
    out[`${s}.${t}`] = rows.map((r) => r.j);
  }
  return out;
}

async function seed(): Promise<Record<string, string[]>> {
  await seedSampleBoard();
  await seedCheckpointSamples();
  const before = await snapshot();
  expect(before['public.layer_esd'].length).toBeGreaterThan(10);
  expect(before['public.layers'].length).toBeGreaterThan(50);
  return before;
}

describe('embedded database (PGlite)', () => {
  it('backup -> wipe -> restore gives every row and every stored ESD back', async () => {
    delete process.env.DATABASE_URL;
    const dir = await freshDataDir('backup');
    process.env.DATA_DIR = dir;
    await getDbHandle();
    const before = await seed();

    // The server owns the folder: both commands refuse, naming the owner.
    const file = path.join(tmp, 'board.tar.gz');
    await expect(backup(file)).rejects.toThrow(/owned by running process \d+/);
    await expect(restore(file)).rejects.toThrow(/does not exist/);
    await closeDb();

    const r = await backup(file);
    expect(r.kind).toBe('pglite');
    expect(detectBackupKind(file)).toBe('pglite');

    // Wipe: the folder is gone.
    fs.rmSync(dir, { recursive: true, force: true });
    const restored = await restore(file);
    expect(restored.replaced).toBeNull();

    await getDbHandle();
    const after = await snapshot();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);

    // Restoring over a live server is refused and leaves it untouched.
    await expect(restore(file)).rejects.toThrow(BackupError);
    await expect(restore(file)).rejects.toThrow(/owned by running process/);
    expect(await snapshot()).toEqual(before);
    await closeDb();

    // Restoring over a stopped (changed) database keeps the old folder aside.
    const again = await restore(file);
    expect(again.replaced).toMatch(/before-restore-/);
    expect(fs.existsSync(path.join(again.replaced!, 'PG_VERSION'))).toBe(true);
    fs.rmSync(again.replaced!, { recursive: true, force: true });
  });

  it('refuses a pg_dump archive without DATABASE_URL and a file that is no backup', async () => {
    const fake = path.join(tmp, 'fake.dump');
    fs.writeFileSync(fake, 'PGDMP\u0001\u000e\u0000');
    await expect(restore(fake)).rejects.toThrow(/set DATABASE_URL/);
    const junk = path.join(tmp, 'junk.bin');
    fs.writeFileSync(junk, 'hello');
    await expect(restore(junk)).rejects.toThrow(/neither a PGlite dump nor a pg_dump archive/);
  });
});

describe.skipIf(!findPostgresBin())('PostgreSQL (pg_dump / pg_restore)', () => {
  it('backup -> wipe -> restore gives every row back; restore refuses while another session is connected', async () => {
    const cluster = await startPostgresCluster();
    try {
      process.env.DATABASE_URL = cluster.url;
      await getDbHandle();
      const before = await seed();

      // pg_dump reads a snapshot: backing up while the app is connected is fine.
      const file = path.join(tmp, 'board.dump');
      const r = await backup(file);
      expect(r.kind).toBe('postgres');
      expect(detectBackupKind(file)).toBe('postgres');

      // Restore with the app still connected: refused.
      await expect(restore(file)).rejects.toThrow(/other session\(s\) are connected/);

      // Wipe everything, then restore with nobody connected.
      const sql = await getSql();
      await sql.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE;');
      expect((await sql.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).rows[0].n).toBe(0);
      await closeDb();
      await restore(file);

      await getDbHandle();
      const after = await snapshot();
      expect(Object.keys(after)).toEqual(Object.keys(before));
      for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);
      await closeDb();
    } finally {
      await closeDb();
      delete process.env.DATABASE_URL;
      await cluster.stop();
    }
  });
});
