import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEMO, DEMO_MODEL_COUNT, expect, test } from './fixtures';

/**
 * `npm run demo`'s flow as a new user sees it: the demo starts the stand-in Hub and the server on a fresh data
 * folder, analyses land while the leaderboard shows progress, and every demo model ends up ranked.
 * Runs its own demo process (own port and data folder) beside the suite's seeded server.
 */

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('npm run demo: analyses land with moving progress and the demo models are ranked', async ({ page }) => {
  test.setTimeout(12 * 60_000);
  const port = await freePort();
  const dataDir = path.join(process.cwd(), 'e2e/.artifacts/demo-flow-data');
  fs.rmSync(dataDir, { recursive: true, force: true });
  const demo: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'jobs/demo.ts'], {
    env: { ...process.env, PORT: String(port), DEMO_DATA_DIR: dataDir, DEMO_HUB_PORT: '0', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  demo.stdout?.on('data', (d) => (log += d));
  demo.stderr?.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  try {
    await until('the demo server', 6 * 60_000, async () => ((await fetch(`${base}/api/v1/openapi.json`)).ok ? true : undefined));

    // While analyses run, the leaderboard shows a progress bar for at least one of them.
    let sawProgress = false;
    const done = await until('every demo analysis to finish', 6 * 60_000, async () => {
      const { analyses } = (await (await fetch(`${base}/api/v1/analyses`)).json()) as { analyses: { status: string; layersDone: number; layersTotal: number | null }[] };
      if (!sawProgress && analyses.some((a) => a.status === 'running')) {
        await page.goto(`${base}/?status=running`);
        if (await page.getByTestId('progress').count()) {
          sawProgress = true;
          await page.screenshot({ path: test.info().outputPath('demo-progress.png'), fullPage: true });
        }
      }
      const finished = analyses.filter((a) => a.status === 'done' || a.status === 'failed');
      return analyses.length >= DEMO_MODEL_COUNT + 3 && finished.length === analyses.length ? analyses : undefined;
    });
    expect(done.every((a) => a.status === 'done')).toBe(true);
    expect(sawProgress, 'a running analysis with a progress bar was seen').toBe(true);

    await page.goto(`${base}/`);
    const rows = page.getByTestId('leaderboard-row');
    await expect(rows).toHaveCount(DEMO_MODEL_COUNT);
    const ids = await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-model')));
    expect(ids.at(-1)).toBe(DEMO.random);
    await page.screenshot({ path: test.info().outputPath('demo-leaderboard.png'), fullPage: true });
  } catch (err) {
    console.log(log.slice(-4000));
    throw err;
  } finally {
    demo.kill('SIGTERM');
    await new Promise((r) => (demo.exitCode !== null ? r(null) : demo.once('exit', r)));
  }
});
