import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS_DIR } from '@/db/migrate';

/**
 * Fresh, migrated embedded databases for tests, fast: creating a PGlite folder runs initdb (4-5 s here), so one
 * migrated template per migrations version is made once per machine (in the OS temp folder) and copied.
 * The template is built in a scratch folder and renamed into place, so parallel test files never see half of one.
 */

function migrationsHash(): string {
  const h = createHash('sha1');
  for (const f of fs.readdirSync(MIGRATIONS_DIR, { recursive: true }).map(String).sort()) {
    const p = path.join(MIGRATIONS_DIR, f);
    if (fs.statSync(p).isFile()) h.update(f).update(fs.readFileSync(p));
  }
  return h.digest('hex').slice(0, 12);
}

async function ensureTemplate(): Promise<string> {
  const template = path.join(os.tmpdir(), `alphaboard-pglite-template-${migrationsHash()}`);
  if (fs.existsSync(path.join(template, 'PG_VERSION'))) return template;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-pglite-build-'));
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const client = await PGlite.create(path.join(scratch, 'db'));
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
  await client.close();
  try {
    fs.renameSync(path.join(scratch, 'db'), template);
  } catch {
    // Another test file won the race; its template is as good.
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  return template;
}

const made: string[] = [];

/** A new folder holding a migrated PGlite database; returns the path to use as DATA_DIR. */
export async function freshDataDir(label = 'test'): Promise<string> {
  const template = await ensureTemplate();
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), `alphaboard-${label}-`));
  made.push(parent);
  const dir = path.join(parent, 'pglite');
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}

/** Delete every folder freshDataDir made in this process (with their lock files); call after closing the database. */
export function removeFreshDataDirs(): void {
  for (const parent of made.splice(0)) fs.rmSync(parent, { recursive: true, force: true });
}
