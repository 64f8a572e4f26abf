import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { needsBuild } from '@/jobs/start';
import { SEED_VERSION, seedDemoDatabase } from './seed';

/**
 * Playwright's web server: seed a database of its own (e2e/.artifacts/data, reused while its `.seeded` marker is
 * there and names the current SEED_VERSION; E2E_RESEED=1 forces a fresh one), build the app when sources changed,
 * then `next start` on PORT with that DATA_DIR, the admin token `e2e-admin-token`, and HF_ENDPOINT pointing to a closed local port, so the
 * "Hub unreachable" banner shows and nothing leaves the machine.
 */

const ROOT = process.cwd();
const DATA = path.join(ROOT, 'e2e/.artifacts/data');
const NEXT_BIN = path.join(ROOT, 'node_modules/next/dist/bin/next');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], { stdio: 'inherit', env });
    const stop = () => child.kill('SIGTERM');
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main() {
  const port = process.env.PORT ?? '3000';
  const marker = path.join(DATA, '.seeded');
  const current = fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').includes(SEED_VERSION);
  if (process.env.E2E_RESEED === '1' || !current) {
    fs.rmSync(DATA, { recursive: true, force: true });
    fs.mkdirSync(DATA, { recursive: true });
    await seedDemoDatabase(DATA, (s) => console.log(s));
  }
  if (needsBuild(ROOT)) {
    const code = await run(['build'], Object.assign({}, process.env, { NODE_ENV: 'production' }));
    if (code !== 0) process.exit(code);
  }
  const env: NodeJS.ProcessEnv = Object.assign({}, process.env, {
    NODE_ENV: 'production',
    DATA_DIR: path.join(DATA, 'pglite'),
    HF_ENDPOINT: 'http://127.0.0.1:9',
    ADMIN_TOKEN: 'e2e-admin-token',
    WATCHLIST: 'none',
    // Fail fast against the closed port (admin enqueue answers 503 at once instead of after retries).
    HF_HUB_RETRIES: '0',
    HF_HUB_TIMEOUT_MS: '2000',
  });
  delete env.DATABASE_URL;
  delete env.HF_TOKEN;
  process.exit(await run(['start', '-p', port, '-H', '127.0.0.1'], env));
}

main().catch((err) => {
  console.error('e2e server failed:', err);
  process.exit(1);
});
