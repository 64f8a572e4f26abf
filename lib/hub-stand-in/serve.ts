/**
 * CLI: serve a folder of repos as a stand-in Hub on 127.0.0.1.
 *   npx tsx lib/hub-stand-in/serve.ts --root <dir> [--port N] [--token hf_xxx]...
 * Prints `HF_ENDPOINT=<url>` on stdout once listening; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startStandInHub } from './server';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    port: { type: 'string', default: '0' },
    token: { type: 'string', multiple: true, default: [] },
  },
});

if (!values.root) {
  console.error('usage: serve.ts --root <dir> [--port N] [--token hf_...]  (a folder written by generate-demo.ts)');
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer in 0..65535, got "${values.port}"`);
  process.exit(2);
}

const hub = await startStandInHub({
  root: values.root,
  port,
  tokens: Object.fromEntries(values.token.map((t) => [t, '*' as const])),
});
console.log(`HF_ENDPOINT=${hub.url}`);
const stop = () => void hub.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
