import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_SERIES, generateDemoCheckpoints } from '@/lib/hub-stand-in/demo-models';
import { startStandInHub } from '@/lib/hub-stand-in/server';
import type { WatchlistItem } from './watchlist';

/**
 * `npm run demo`: the whole product offline. Generates the synthetic demo checkpoints (owner `demo`) into
 * `.demo/hub` when missing, serves them from the stand-in Hub on 127.0.0.1, and runs `npm start`'s server pointed at
 * it (HF_ENDPOINT) on its own database folder (`.demo/data`) with the demo repos as watchlist. Prints the URL;
 * Ctrl-C stops the server, then the stand-in Hub.
 */

const ROOT = process.cwd();
const DEMO_DIR = path.join(ROOT, '.demo');
const HUB_DIR = path.join(DEMO_DIR, 'hub');

async function waitForServer(url: string, child: ReturnType<typeof spawn>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && child.exitCode === null) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.body?.cancel();
      if (res.status < 500) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

async function main(): Promise<number> {
  console.log('alphaboard demo: preparing synthetic checkpoints in .demo/hub ...');
  const repos = await generateDemoCheckpoints(HUB_DIR);
  // The demo checkpoints are small and the stand-in is local: without some latency every analysis would finish
  // before the page is open. DEMO_HUB_LATENCY_MS (default 300 ms per response, 0 = none) makes it behave like a
  // remote Hub, so progress bars visibly move.
  const latencyMs = Number(process.env.DEMO_HUB_LATENCY_MS ?? 300);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`DEMO_HUB_LATENCY_MS must be a number >= 0, got "${process.env.DEMO_HUB_LATENCY_MS}"`);
  const hub = await startStandInHub({
    root: HUB_DIR,
    port: Number(process.env.DEMO_HUB_PORT ?? 0),
    faults: latencyMs > 0 ? { latencyMs, scope: 'all' } : {},
  });
  console.log(`alphaboard demo: stand-in Hub serving ${repos.length} demo repos at ${hub.url}`);

  const watchlist: WatchlistItem[] = repos.map((r) =>
    r.id === DEMO_SERIES.repo ? { repoId: r.id, revisions: [...DEMO_SERIES.refs] } : { repoId: r.id },
  );
  const watchlistFile = path.join(DEMO_DIR, 'watchlist.json');
  fs.writeFileSync(watchlistFile, `${JSON.stringify(watchlist, null, 2)}\n`);

  const port = process.env.PORT?.trim() || '3000';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: port,
    HF_ENDPOINT: hub.url,
    DATA_DIR: process.env.DEMO_DATA_DIR ?? path.join(DEMO_DIR, 'data'),
    WATCHLIST: watchlistFile,
    // The demo models are small: run every option, so correlation traps show too.
    ANALYSIS_OPTIONS: process.env.ANALYSIS_OPTIONS ?? 'mp_fit,detX,randomize',
    // Discovery runs against the stand-in too (it lists the same demo repos); keep its query small.
    DISCOVERY_LIMIT: process.env.DISCOVERY_LIMIT ?? '10',
  };
  delete env.DATABASE_URL;
  delete env.HF_TOKEN;

  const server = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'jobs/start.ts')], { stdio: 'inherit', env });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log('\nalphaboard demo: stopping ...');
    server.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const url = `http://localhost:${port}`;
  waitForServer(url, server, 15 * 60_000).then((up) => {
    if (up) console.log(`\nalphaboard demo: open ${url}  (analyses land within a few minutes; Ctrl-C stops)\n`);
  });

  const code = await new Promise<number>((resolve) => server.on('exit', (c, s) => resolve(c ?? (s ? 0 : 1))));
  await hub.close();
  return stopping ? 0 : code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
