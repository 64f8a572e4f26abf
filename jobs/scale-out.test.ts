import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInHub, type StandInHub } from '@/lib/hub-stand-in/server';
import { closeDb, getDbHandle } from '@/db/client';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from './testing/postgres-cluster';
import { tinyLayerCount, writeTinyRepo } from './testing/tiny-repos';

/**
 * Scale-out on a real PostgreSQL (Debian's package, a throwaway cluster on 127.0.0.1): two `npm run worker`
 * processes share the pg-boss queue; every model must be analysed exactly once with every layer present. Then the
 * database server restarts between two layers of a running analysis, which must still finish with every layer once.
 * Then, with a job lease far longer than the test, a worker SIGKILLed mid-model has its analysis taken over by the
 * other once its claim misses three heartbeats, and a worker SIGSTOPped past that point wakes up to a lost claim and
 * stops without storing any layer twice.
 * Skipped, saying so, when PostgreSQL is not installed (`.ci/run` installs it).
 */

const PG = findPostgresBin();
if (!PG) console.warn('scale-out.test.ts skipped: PostgreSQL is not installed (apt-get install -y postgresql)');

const MODELS = Array.from({ length: 6 }, (_, i) => `scale/tiny-${i + 1}`);
const BLOCKS = 2;

let cluster: PostgresCluster;
let hub: StandInHub;
let root: string;
const workers: Array<{ child: ChildProcess; exited: Promise<number | null>; output: () => string }> = [];

function startWorker(env: NodeJS.ProcessEnv) {
  // Own process group, so a signal reaches npm, tsx and the worker alike (npm alone would exit and orphan it).
  const child = spawn('npm', ['run', '-s', 'worker'], { env, cwd: process.cwd(), detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const w = { child, exited, output: () => out };
  workers.push(w);
  return w;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}\n${workers.map((w) => w.output().slice(-3000)).join('\n----\n')}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(!PG)('scale-out on PostgreSQL', () => {
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'alphaboard-scale-'));
    for (const [i, id] of MODELS.entries()) await writeTinyRepo(root, { id, blocks: BLOCKS, seed: 200 + i, shards: i % 2 ? 2 : 1 });
    fs.writeFileSync(path.join(root, 'watchlist.json'), JSON.stringify(MODELS));
    // 60 ms per response: a model takes a couple of seconds, so both workers get a share.
    hub = await startStandInHub({ root, faults: { latencyMs: 60, scope: 'all' } });
    env = {
      ...process.env,
      DATABASE_URL: cluster.url,
      HF_ENDPOINT: hub.url,
      WATCHLIST: path.join(root, 'watchlist.json'),
      DISCOVERY_LIMIT: '0',
      DISCOVERY_CRON: 'off',
      DISCOVER_ON_START: '0',
      JOB_LEASE_SECONDS: '12',
      JOB_RETRY_DELAY_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    process.env.DATABASE_URL = cluster.url;
    Object.assign(process.env, { HF_ENDPOINT: hub.url, JOB_LEASE_SECONDS: '12', JOB_RETRY_DELAY_SECONDS: '1', WEB_ONLY: '1' });
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) signalGroup(w.child, 'SIGKILL');
    const { stopQueue } = await import('./queue');
    await stopQueue(2000).catch(() => {});
    await closeDb().catch(() => {});
    await hub?.close();
    await cluster?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
    delete process.env.DATABASE_URL;
    delete process.env.WEB_ONLY;
  });

  it('two workers analyse six models, each exactly once, with every layer present', async () => {
    const a = startWorker(env);
    const b = startWorker(env);
    // Both must be polling before the work arrives, so that the test shows them sharing it.
    await poll(async () => [a, b].map((w) => w.output().includes('"msg":"job workers started"')), (v) => v.every(Boolean), 60_000, 'both workers to start');
    const { planRevision } = await import('./plan');
    for (const id of MODELS) await planRevision({ repoId: id });
    // Planning again (a second discovery run, an admin re-request) must not duplicate anything.
    for (const id of MODELS) await planRevision({ repoId: id });
    const { sql } = await getDbHandle();
    const expected = tinyLayerCount({ blocks: BLOCKS });
    const rows = await poll(
      async () => (await sql.query(`select model_id, status, layers_done, layers_total, worker, error from analyses order by model_id`)).rows,
      (r) => r.length >= MODELS.length && r.every((a) => a.status === 'done' || a.status === 'failed'),
      150_000,
      'six analyses',
    );
    expect(rows.map((r) => r.model_id)).toEqual(MODELS);
    for (const r of rows) {
      expect(r.status, r.error ?? '').toBe('done');
      expect(r.layers_done).toBe(expected);
    }
    const perModel = (
      await sql.query(`select a.model_id, count(l.id)::int as n, count(distinct l.tensor)::int as d
                       from analyses a join layers l on l.analysis_id = a.id and l.status <> 'skipped' group by a.model_id`)
    ).rows;
    for (const m of perModel) expect(m).toMatchObject({ n: expected, d: expected });
    expect(perModel).toHaveLength(MODELS.length);
    // Both processes took part (claim tokens are host:pid:run).
    const pids = new Set(rows.map((r) => String(r.worker).split(':')[1]));
    expect(pids.size, `claimants: ${[...pids].join(', ')}`).toBe(2);
  }, 200_000);

  it('the database restarting between two layers: the analysis still finishes with every layer once', async () => {
    const id = 'scale/restart';
    await writeTinyRepo(root, { id, blocks: 4, seed: 300 });
    hub.setFaults({ latencyMs: 150, scope: 'all' });
    const { planRevision } = await import('./plan');
    const planned = await planRevision({ repoId: id });
    const { sql } = await getDbHandle();
    await poll(
      async () => (await sql.query('select layers_done from analyses where id = $1', [planned.analysis.id])).rows[0],
      (r) => r.layers_done >= 3,
      60_000,
      'three layers before the restart',
    );
    // Down for 2.5 s: the worker's next writes fail, its job fails or its lease runs out, and a retry resumes.
    await cluster.restart(2500);
    const expected = tinyLayerCount({ blocks: 4 });
    const done = await poll(
      async () => (await sql.query('select status, layers_done, attempts, error from analyses where id = $1', [planned.analysis.id])).rows[0],
      (r) => r.status === 'done' || r.status === 'failed',
      120_000,
      'the analysis after the restart',
    );
    expect(done.status, done.error ?? '').toBe('done');
    const [{ n, d }] = (
      await sql.query(`select count(*)::int as n, count(distinct tensor)::int as d from layers where analysis_id = $1 and status <> 'skipped'`, [planned.analysis.id])
    ).rows;
    expect({ n, d }).toEqual({ n: expected, d: expected });
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    console.log(
      `\nInjected fault vs outcome (PostgreSQL): database restart between two layers -> ${done.status}, ` +
        `${n}/${expected} layers, 0 duplicates, ${done.attempts} claims of the analysis`,
    );

    for (const w of workers) signalGroup(w.child, 'SIGTERM');
    // Graceful stop: npm exits by the signal it forwarded; the worker's own log says when it has stopped cleanly.
    await poll(async () => workers.map((w) => w.output().includes('"msg":"worker stopped"')), (v) => v.every(Boolean), 40_000, 'both workers to stop');
  }, 200_000);

  describe('a dead or paused worker, long before the job lease', () => {
    // pg-boss would hand the job on after 10 minutes; claims beat every second and are stale after three misses.
    let takeoverEnv: NodeJS.ProcessEnv;
    const live: Array<ReturnType<typeof startWorker>> = [];

    beforeAll(() => {
      takeoverEnv = { ...env, JOB_LEASE_SECONDS: '600', JOB_HEARTBEAT_SECONDS: '1', LOG_LEVEL: 'debug' };
      hub.setFaults({ latencyMs: 150, scope: 'all' });
    });

    afterAll(async () => {
      for (const w of live) if (w.child.exitCode === null) signalGroup(w.child, 'SIGKILL');
    });

    async function startLive(n: number) {
      const started = Array.from({ length: n }, () => startWorker(takeoverEnv));
      live.push(...started);
      await poll(async () => started.map((w) => w.output().includes('"msg":"job workers started"')), (v) => v.every(Boolean), 60_000, 'workers to start');
    }

    /** The worker process whose claim token names `pid` (pino writes the pid on every line). */
    const byPid = (pid: number) => live.find((w) => w.output().includes(`"pid":${pid},`));

    /** Tensors each 'layer stored' line of `analysisId` names, over every worker's log. */
    function storedTensors(analysisId: number): string[] {
      const out: string[] = [];
      for (const w of live) {
        for (const line of w.output().split('\n')) {
          if (!line.includes('"msg":"layer stored"')) continue;
          const l = JSON.parse(line) as { analysisId?: number; tensor?: string };
          if (l.analysisId === analysisId && l.tensor) out.push(l.tensor);
        }
      }
      return out;
    }

    async function planAndWaitForLayers(id: string, seed: number, layers: number) {
      await writeTinyRepo(root, { id, blocks: 4, seed });
      const { planRevision } = await import('./plan');
      const planned = await planRevision({ repoId: id });
      const { sql } = await getDbHandle();
      const row = await poll(
        async () => (await sql.query('select worker, layers_done from analyses where id = $1', [planned.analysis.id])).rows[0],
        (r) => r.layers_done >= layers && r.worker,
        60_000,
        `${layers} layers of ${id}`,
      );
      return { analysisId: planned.analysis.id, holderPid: Number(String(row.worker).split(':')[1]) };
    }

    async function expectEveryLayerOnce(analysisId: number) {
      const { sql } = await getDbHandle();
      const expected = tinyLayerCount({ blocks: 4 });
      const [{ n, d }] = (
        await sql.query(`select count(*)::int as n, count(distinct tensor)::int as d from layers where analysis_id = $1 and status <> 'skipped'`, [analysisId])
      ).rows;
      expect({ n, d }).toEqual({ n: expected, d: expected });
      // Stored exactly once, not stored twice and overwritten: every tensor is in exactly one 'layer stored' line.
      const stored = storedTensors(analysisId);
      expect(stored.length, stored.join('\n')).toBe(expected);
      expect(new Set(stored).size).toBe(expected);
    }

    it('SIGKILL mid-model: the other worker takes the analysis over and finishes it within 90 s', async () => {
      await startLive(2);
      const { analysisId, holderPid } = await planAndWaitForLayers('scale/takeover-kill', 400, 5);
      const holder = byPid(holderPid);
      expect(holder, `no worker with pid ${holderPid}`).toBeDefined();
      const killedAt = Date.now();
      process.kill(holderPid, 'SIGKILL');
      const { sql } = await getDbHandle();
      const done = await poll(
        async () => (await sql.query('select status, worker, error from analyses where id = $1', [analysisId])).rows[0],
        (r) => r.status === 'done' || r.status === 'failed',
        90_000,
        'the takeover of the killed worker\'s analysis',
      );
      const seconds = (Date.now() - killedAt) / 1000;
      expect(done.status, done.error ?? '').toBe('done');
      expect(seconds).toBeLessThan(90);
      expect(Number(String(done.worker).split(':')[1])).not.toBe(holderPid);
      const survivor = live.find((w) => w !== holder)!;
      expect(survivor.output()).toContain('stale claim: its worker missed three heartbeats');
      await expectEveryLayerOnce(analysisId);
      console.log(`\nSIGKILLed worker mid-model (job lease 600 s): taken over and finished ${seconds.toFixed(1)} s after the kill`);
    }, 150_000);

    it('SIGSTOP past the stale point, then SIGCONT: the paused worker stops on its lost claim; no layer twice, none lost', async () => {
      await startLive(1); // two live workers again
      const { analysisId, holderPid } = await planAndWaitForLayers('scale/takeover-pause', 401, 5);
      const paused = byPid(holderPid)!;
      expect(paused, `no worker with pid ${holderPid}`).toBeDefined();
      process.kill(holderPid, 'SIGSTOP');
      const stoppedAt = Date.now();
      const { sql } = await getDbHandle();
      try {
        // Paused until another worker holds the analysis and has stored a layer under its claim.
        const taken = await poll(
          async () => (await sql.query('select worker, layers_done, status from analyses where id = $1', [analysisId])).rows[0],
          (r) => r.status === 'running' && Number(String(r.worker).split(':')[1]) !== holderPid,
          60_000,
          'another worker to take the paused worker\'s claim over',
        );
        await poll(
          async () => (await sql.query('select layers_done from analyses where id = $1', [analysisId])).rows[0],
          (r) => r.layers_done > taken.layers_done,
          30_000,
          'a layer stored by the new holder',
        );
      } finally {
        process.kill(holderPid, 'SIGCONT');
      }
      const pausedSeconds = (Date.now() - stoppedAt) / 1000;
      const done = await poll(
        async () => (await sql.query('select status, error from analyses where id = $1', [analysisId])).rows[0],
        (r) => r.status === 'done' || r.status === 'failed',
        90_000,
        'the analysis after the pause',
      );
      expect(done.status, done.error ?? '').toBe('done');
      // The woken worker noticed that it lost the claim (heartbeat, or a refused write) and let go.
      await poll(async () => paused.output().includes('claim lost'), Boolean, 30_000, 'the paused worker to notice its lost claim');
      await expectEveryLayerOnce(analysisId);
      const said = paused.output().split('\n').find((l) => l.includes('claim lost'));
      console.log(`\nSIGSTOP ${pausedSeconds.toFixed(1)} s (taken over meanwhile), SIGCONT: ${JSON.parse(said!).msg}; every layer stored once`);

      for (const w of live) signalGroup(w.child, 'SIGTERM');
      await poll(
        async () => live.filter((w) => w.child.exitCode === null && w.child.signalCode === null).map((w) => w.output().includes('"msg":"worker stopped"')),
        (v) => v.every(Boolean),
        40_000,
        'the live workers to stop',
      );
    }, 180_000);
  });
});
