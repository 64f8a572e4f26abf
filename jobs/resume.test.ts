import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { closeDb, getDbHandle } from '@/db/client';
import { freshDataDir, removeFreshDataDirs } from './testing/fresh-db';
import { tinyLayerCount, tinyLlamaTensors, writeTinyRepo } from './testing/tiny-repos';

/**
 * A worker process SIGKILLed mid-model on the embedded database: the restarted process releases the dead owner's
 * claim at start-up and continues at the first missing layer within seconds (not after the job lease, nor after the
 * claim's three missed heartbeats), and the finished analysis has every layer exactly once.
 */

const REPO = 'test/tiny-resume';
const BLOCKS = 5;
let hub: StandInHub;
let root: string;
let env: NodeJS.ProcessEnv;

interface LogLine { msg: string; time?: string; tensor?: string; resumeAt?: string; layersDone?: number; analysisId?: number }

function startWorker(onLine: (l: LogLine) => void): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker.ts'], { env, cwd: process.cwd() });
  let out = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      out += `${line}\n`;
      try {
        onLine(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-resume-'));
  await writeTinyRepo(root, { id: REPO, blocks: BLOCKS, seed: 5 });
  fs.writeFileSync(path.join(root, 'watchlist.json'), JSON.stringify([REPO]));
  // Every response 120 ms late: a model takes a few seconds, so the kill lands mid-model.
  hub = await startStandInHub({ root, faults: { latencyMs: 120, scope: 'all' } });
  env = {
    ...process.env,
    ALPHABOARD_ALLOW_EMBEDDED_WORKER: '1',
    DATA_DIR: await freshDataDir('resume'),
    HF_ENDPOINT: hub.url,
    WATCHLIST: path.join(root, 'watchlist.json'),
    DISCOVERY_LIMIT: '0',
    DISCOVERY_CRON: 'off',
    // The default lease (heartbeat 15 s, a claim stale after 45 s): the restart must not wait for either.
    JOB_LEASE_SECONDS: '900',
    JOB_RETRY_DELAY_SECONDS: '1',
    LOG_LEVEL: 'debug',
  };
  delete env.DATABASE_URL;
});

afterAll(async () => {
  await closeDb();
  await hub?.close();
  fs.rmSync(root, { recursive: true, force: true });
  removeFreshDataDirs();
});

it('a SIGKILLed worker resumes at the first missing layer; nothing lost, nothing stored twice', async () => {
  const analysable = tinyLlamaTensors({ id: REPO, blocks: BLOCKS })
    .filter((t) => t.shape.length === 2)
    .map((t) => t.name);
  expect(analysable).toHaveLength(tinyLayerCount({ blocks: BLOCKS }));
  // The log names layers by their name (the tensor key without `.weight`).
  const names = analysable.map((t) => t.replace(/\.weight$/, ''));

  // Run 1: kill -9 after a third of the layers.
  const firstRun: string[] = [];
  const killAt = Math.floor(analysable.length / 3);
  const first = startWorker((l) => {
    if (l.msg === 'layer stored' && l.tensor && firstRun.length < killAt) {
      firstRun.push(l.tensor);
      if (firstRun.length === killAt) first.child.kill('SIGKILL');
    }
  });
  await first.exited;
  expect(firstRun.length, first.output()).toBe(killAt);

  // Run 2: a new process on the same folder (the dead owner's lock is broken) finishes the model.
  const secondRun: string[] = [];
  let resumeLine: LogLine | undefined;
  let startedLine: LogLine | undefined;
  let releasedLine: LogLine | undefined;
  let doneResolve!: () => void;
  const done = new Promise<void>((r) => (doneResolve = r));
  const second = startWorker((l) => {
    if (l.msg === 'layer stored' && l.tensor) secondRun.push(l.tensor);
    if (l.msg === 'resuming' && !resumeLine) resumeLine = l;
    if (l.msg === 'job workers started') startedLine = l;
    if (l.msg.startsWith('claim of an earlier process released')) releasedLine = l;
    if (l.msg === 'analysis done') doneResolve();
  });
  const timer = setTimeout(() => second.child.kill('SIGKILL'), 100_000);
  await Promise.race([done, second.exited]);
  clearTimeout(timer);
  second.child.kill('SIGTERM');
  expect(await second.exited, second.output()).toBe(0);

  // It continued where the first run stopped: the first layer it analysed is the first missing one.
  expect(resumeLine, second.output()).toBeDefined();
  // At once: the dead process's claim was released at start-up, so the resume came seconds after the workers started,
  // well inside the 45 s a stale claim needs and the 900 s lease.
  expect(releasedLine, second.output()).toMatchObject({ analysisId: resumeLine!.analysisId });
  expect(Date.parse(resumeLine!.time!) - Date.parse(startedLine!.time!), second.output()).toBeLessThan(15_000);
  const storedBefore = resumeLine!.layersDone!;
  // The kill lands a moment after the log line was read: the dying worker may have committed a layer or two more.
  expect(storedBefore - firstRun.length).toBeGreaterThanOrEqual(0);
  expect(storedBefore - firstRun.length).toBeLessThanOrEqual(2);
  expect(names.slice(0, firstRun.length)).toEqual(firstRun);
  expect(resumeLine!.resumeAt).toBe(names[storedBefore]);
  expect(secondRun[0]).toBe(names[storedBefore]);
  expect(secondRun).toEqual(names.slice(storedBefore));
  for (const t of firstRun) expect(secondRun).not.toContain(t);

  // Database: every layer once.
  process.env.DATA_DIR = env.DATA_DIR;
  const { sql } = await getDbHandle();
  const a = (await sql.query('select id, status, layers_done, layers_total, summary from analyses')).rows;
  expect(a).toHaveLength(1);
  expect(a[0]).toMatchObject({ status: 'done', layers_done: analysable.length, layers_total: analysable.length });
  expect(a[0].summary.layers_analyzed).toBe(analysable.length);
  const rows = (
    await sql.query(`select tensor from layers where analysis_id = $1 and status <> 'skipped' order by ordinal`, [a[0].id])
  ).rows.map((r) => r.tensor);
  expect(rows).toEqual(analysable);
  const esd = await sql.query('select count(*)::int as n from layer_esd');
  expect(esd.rows[0].n).toBe(analysable.length);
}, 180_000);

it('SIGTERM stops a worker after its current layer: the claim is released and the rest re-queued', async () => {
  const repo = 'test/tiny-graceful';
  await writeTinyRepo(root, { id: repo, blocks: BLOCKS, seed: 6 });
  fs.writeFileSync(path.join(root, 'graceful.json'), JSON.stringify([repo]));
  await closeDb();
  const dataDir = await freshDataDir('graceful');
  const saved = env;
  env = { ...env, DATA_DIR: dataDir, WATCHLIST: path.join(root, 'graceful.json'), JOB_LEASE_SECONDS: '60' };
  let stored = 0;
  let stopped = false;
  const w = startWorker((l) => {
    if (l.msg === 'layer stored' && ++stored === 4) w.child.kill('SIGTERM');
    if (l.msg === 'worker stopped') stopped = true;
  });
  const code = await w.exited;
  env = saved;
  expect(code, w.output()).toBe(0);
  expect(stopped).toBe(true);
  expect(w.output()).toContain('released and re-queued the rest');
  process.env.DATA_DIR = dataDir;
  const { sql } = await getDbHandle();
  const [a] = (await sql.query('select id, status, worker, layers_done from analyses')).rows;
  expect(a).toMatchObject({ status: 'queued', worker: null });
  expect(a.layers_done).toBeGreaterThanOrEqual(4);
  expect(a.layers_done).toBeLessThan(tinyLayerCount({ blocks: BLOCKS }));
  const jobs = (await sql.query(`select state from pgboss.job where name = 'analyze-model' and (data->>'analysisId')::int = $1 order by created_on`, [a.id])).rows;
  expect(jobs.map((j) => j.state)).toEqual(['completed', 'created']);
}, 120_000);
