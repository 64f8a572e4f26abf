import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, getDbHandle } from '@/db/client';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from '@/jobs/testing/postgres-cluster';

const PG = findPostgresBin();

describe.skipIf(!PG)('GET /api/ready on PostgreSQL', () => {
  let cluster: PostgresCluster;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    process.env.DATABASE_URL = cluster.url;
    await getDbHandle(); // migrates
    const { getQueue } = await import('@/jobs/queue');
    await getQueue({ supervise: false, schedule: false }); // creates the queue schema
  });

  afterAll(async () => {
    const { stopQueue } = await import('@/jobs/queue');
    await stopQueue(2000).catch(() => {});
    await closeDb().catch(() => {});
    await cluster?.stop();
    delete process.env.DATABASE_URL;
  });

  it('is ready with the database up, 503 while it is stopped, ready again once it is back', async () => {
    const { GET } = await import('./route');
    const up = await GET();
    const upBody = await up.json();
    expect(up.status, JSON.stringify(upBody)).toBe(200);
    expect(upBody).toMatchObject({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, queue: { ok: true } } });
    expect(upBody.hub).toHaveProperty('reachable');

    // restart() stops the server synchronously, then waits 4 s before starting it again.
    const restarting = cluster.restart(4000);
    const t0 = Date.now();
    const down = await GET();
    const downBody = await down.json();
    expect(down.status).toBe(503);
    expect(downBody).toMatchObject({ status: 'not_ready', ready: false, checks: { database: { ok: false } } });
    expect(JSON.stringify(downBody)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|select|at .*\.ts/i);
    expect(Date.now() - t0).toBeLessThan(3500);
    await restarting;

    let again = 0;
    for (let i = 0; i < 20 && again !== 200; i++) {
      again = (await GET()).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(again).toBe(200);
  });
});
