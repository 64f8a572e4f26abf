/**
 * CLI: serve a folder of repos as a stand-in Hub on 127.0.0.1.
 *   npx tsx lib/hub-stand-in/serve.ts --root <dir> [--port N] [--token hf_xxx]... [--demo] [--faults '<json>']
 * `--demo` first writes the synthetic demo repos into <dir> (skipped when already there); `--faults` takes a
 * FaultConfig as JSON, e.g. '{"rates":{"server_error":0.1}}'. Prints `HF_ENDPOINT=<url>` once listening and the
 * injected-fault counts on exit (SIGINT/SIGTERM).
 */
import { parseArgs } from 'node:util';
import { generateDemoCheckpoints } from './demo-models';
import type { FaultConfig } from './faults';
import { startStandInHub } from './server';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    port: { type: 'string', default: '0' },
    token: { type: 'string', multiple: true, default: [] },
    demo: { type: 'boolean', default: false },
    faults: { type: 'string' },
  },
});

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

if (!values.root) fail('usage: serve.ts --root <dir> [--port N] [--token hf_...] [--demo] [--faults <json>]');
const root = values.root!;
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer in 0..65535, got "${values.port}"`);
let faults: FaultConfig | undefined;
if (values.faults) {
  try {
    faults = JSON.parse(values.faults) as FaultConfig;
  } catch (err) {
    fail(`--faults must be JSON (a FaultConfig): ${(err as Error).message}`);
  }
}

if (values.demo) await generateDemoCheckpoints(root);
const hub = await startStandInHub({
  root,
  port,
  faults,
  tokens: Object.fromEntries(values.token.map((t) => [t, '*' as const])),
});
console.log(`HF_ENDPOINT=${hub.url}`);
const stop = () => {
  console.error(`stand-in Hub stats: ${JSON.stringify(hub.stats())}`);
  void hub.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
