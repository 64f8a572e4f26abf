// Bootstrap of a compute thread: registers tsx's loader inside the thread, then loads the TypeScript entry.
// (On Node 20, `execArgv: ['--import', 'tsx']` does not reach worker threads' module loading; this does, both under
// tsx and under plain `node`/`next start`.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
