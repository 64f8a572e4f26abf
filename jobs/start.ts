import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm start`: builds the app when `.next/BUILD_ID` is missing or older than any source, then runs `next start`
 * on PORT (default 3000). The server runs the jobs in process on the embedded database (instrumentation.ts).
 * Signals are passed to the server, and its exit code becomes ours.
 */

const ROOT = process.cwd();
const SOURCES = ['app', 'lib', 'db', 'jobs', 'public', 'instrumentation.ts', 'next.config.ts', 'package.json', 'tsconfig.json'];
const SKIP = /(^|\/)(node_modules|\.next|\.data|\.demo)(\/|$)|\.test\.ts$/;

function newestMtime(p: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p)) {
    const child = path.join(p, entry);
    if (!SKIP.test(path.relative(ROOT, child))) newest = Math.max(newest, newestMtime(child));
  }
  return newest;
}

/** True when there is no build, or a source changed after it. */
export function needsBuild(root = ROOT): boolean {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  return SOURCES.some((s) => newestMtime(path.join(root, s)) > built);
}

const NEXT_BIN = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
    });
  });
}

/** Build if needed, then serve. Resolves with the server's exit code. */
export async function buildAndServe(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (needsBuild()) {
    console.log('alphaboard: building the app (next build)...');
    const code = await run(['build'], { ...env, NODE_ENV: 'production' });
    if (code !== 0) return code;
  }
  const port = env.PORT?.trim() || '3000';
  const host = env.HOSTNAME?.trim();
  return run(['start', '-p', port, ...(host ? ['-H', host] : [])], { ...env, NODE_ENV: 'production' });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('jobs/start.ts')) {
  buildAndServe().then((code) => process.exit(code));
}
