import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { closeDb, getDbHandle } from '@/db/client';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { writeTinyRepo } from './testing/tiny-repos';

/** The command-line entries: `npm run worker` and `npm run enqueue`, as a person runs them. */

function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, cwd: process.cwd() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

let hub: StandInHub;
let root: string;
let env: NodeJS.ProcessEnv;
let sha: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-cli-'));
  sha = await writeTinyRepo(root, { id: 'cli/tiny', seed: 9 });
  hub = await startStandInHub({ root });
  env = { ...process.env, DATA_DIR: await freshDataDir('cli'), HF_ENDPOINT: hub.url, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
});

afterAll(async () => {
  await closeDb();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
});

describe('npm run worker', () => {
  it('refuses to start without DATABASE_URL and says why', async () => {
    const r = await run('jobs/worker.ts', [], env);
    expect(r.code).toBe(2);
    expect(r.out).toContain('npm run worker needs DATABASE_URL=postgres://');
  });
});

describe('npm run enqueue', () => {
  it('adds the repo to the watchlist, pins its sha and queues one job, also when asked twice', async () => {
    const first = await run('jobs/enqueue.ts', ['--', 'cli/tiny@main'], env);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain(`cli/tiny@main -> ${sha.slice(0, 12)}: analysis 1 queued (new)`);
    const second = await run('jobs/enqueue.ts', ['cli/tiny'], env);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain(`cli/tiny@main -> ${sha.slice(0, 12)}: analysis 1 queued`);
    expect(second.out).not.toContain('(new)');

    process.env.DATA_DIR = env.DATA_DIR;
    const { sql } = await getDbHandle();
    expect((await sql.query('select repo_id from watchlist')).rows).toEqual([{ repo_id: 'cli/tiny' }]);
    expect((await sql.query('select status from analyses')).rows).toEqual([{ status: 'queued' }]);
    const jobs = await sql.query(`select data->>'sha' as sha from pgboss.job where name = 'analyze-model' and state = 'created'`);
    expect(jobs.rows).toEqual([{ sha }]);
  });

  it('says clearly when a running server owns the embedded database', async () => {
    // This test process holds the folder now (previous test), like a running `npm start` would.
    const r = await run('jobs/enqueue.ts', ['cli/tiny'], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`database folder ${env.DATA_DIR} is in use by process ${process.pid}`);
    expect(r.out).toContain('/api/v1/analyses');
  });

  it('names a malformed repo id and a repo the Hub does not have', async () => {
    await closeDb();
    const bad = await run('jobs/enqueue.ts', ['not-a-repo'], env);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('"not-a-repo" is not a repo id of the form owner/name');
    const missing = await run('jobs/enqueue.ts', ['cli/absent'], env);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/cli\/absent: not found/);
  });
});
