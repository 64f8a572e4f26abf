import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { needsBuild } from './start';

/**
 * `npm run serve`: serve the existing production build, never building (production: `npm run build` once, then
 * any number of these behind a proxy). With DATABASE_URL the process is web-only by default (`WEB_ONLY=1`: reads
 * and enqueues, `npm run worker` processes do the analyses); set WEB_ONLY=0 to keep the in-process worker.
 * Without DATABASE_URL it serves the embedded database in DATA_DIR, which allows exactly one process.
 * PORT (default 3000) and HOSTNAME as for `npm start`; signals go to the server and its exit code becomes ours.
 */

const ROOT = process.cwd();
const NEXT_BIN = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');

export function serveEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, NODE_ENV: 'production' };
  if (env.DATABASE_URL?.trim() && (env.WEB_ONLY ?? '') === '') out.WEB_ONLY = '1';
  return out;
}

function main(): void {
  if (!fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) {
    console.error('alphaboard: no production build in .next: run `npm run build` first (serve never builds)');
    process.exit(1);
  }
  if (needsBuild(ROOT)) console.warn('alphaboard: sources changed after the last build; serving the build as it is');
  const env = serveEnv(process.env);
  const port = env.PORT?.trim() || '3000';
  const host = env.HOSTNAME?.trim();
  console.log(
    `alphaboard: serving on ${host ?? '0.0.0.0'}:${port} (${env.DATABASE_URL ? `PostgreSQL, ${env.WEB_ONLY === '1' ? 'web only' : 'with an in-process worker'}` : 'embedded database'})`,
  );
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-p', port, ...(host ? ['-H', host] : [])], { stdio: 'inherit', env });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    console.error(`alphaboard: could not start next: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
}

if (process.argv[1]?.endsWith('jobs/serve.ts')) main();
