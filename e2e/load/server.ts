import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** `next start` for the bench: a free port, the environment of one database, and a clean stop. */

const ROOT = process.cwd();

/** The database a bench server reads: the embedded PGlite folder, or a PostgreSQL URL (web-only server). */
export type BenchDb = { kind: 'embedded'; dataDir: string; label: string } | { kind: 'postgres'; url: string; dataDir: string; label: string };

/** Limiter on, every request through it, with budgets no single bench client reaches. */
export const LIMITS_ABOVE_LOAD = { RATE_LIMIT_PAGES: '100000:100000', RATE_LIMIT_API: '100000:100000', RATE_LIMIT_EXPENSIVE: '100000:100000' };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function runNext(args: string[], env: NodeJS.ProcessEnv, quiet = false): ChildProcess {
  return spawn(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), ...args], {
    env,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
  });
}

export async function waitFor(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server did not answer ${url} within ${timeoutMs / 1000} s`);
}

/** The server's environment for `db` (production, no Hub, no watchlist, quiet logs) plus `extra`. */
export function serverEnv(db: BenchDb, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.assign({}, process.env, {
    NODE_ENV: 'production',
    DATA_DIR: db.dataDir,
    HF_ENDPOINT: 'http://127.0.0.1:9',
    HF_HUB_RETRIES: '0',
    WATCHLIST: 'none',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  if (db.kind === 'postgres') Object.assign(env, { DATABASE_URL: db.url, WEB_ONLY: '1' });
  else delete env.DATABASE_URL;
  return env;
}

/** Start `next start` with `env`, wait until `readyPath` answers, run `fn` with the base URL, then stop it. */
export async function withServer<T>(env: NodeJS.ProcessEnv, readyPath: string, fn: (base: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const server = runNext(['start', '-p', String(port), '-H', '127.0.0.1'], env, true);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(base + readyPath, server);
    const result = await fn(base);
    // A server that died mid-pass shows up as connection errors; say so, with how it ended.
    if (server.exitCode !== null || server.signalCode !== null) console.log(`  (the server exited during the pass: code ${server.exitCode}, signal ${server.signalCode})`);
    return result;
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  }
}
