/**
 * Seconds of the band -> tridiagonal reduction on random symmetric band matrices: bandToTridiag
 * (one thread) and bandToTridiagSpmd (`threads` worker threads, pipelined sweeps).
 *
 *   npx tsx lib/spectral/wasm/bench-band.ts [n=4096] [fma|plain] [reps=1] [threads=2]
 *
 * One line per half-bandwidth b = 8, 16, 32: the best of `reps` runs of each, whether the threaded
 * result is bitwise the single-thread one (it must be), and the relative change of the Frobenius
 * norm, ||(d, e)|| vs ||A||, as a sanity check (~1e-15).
 */
import { Worker } from 'node:worker_threads';
import { seededRandom } from '../rng';
import { loadKernelModule, wasmVariant, type WasmVariant } from './pool';

const n = Number(process.argv[2] ?? 4096);
const variant = (process.argv[3] as WasmVariant | undefined) ?? wasmVariant();
const reps = Number(process.argv[4] ?? 1);
const threads = Number(process.argv[5] ?? 2);
const module = variant ? loadKernelModule(variant) : null;
if (!module) throw new Error('spectral.wasm cannot run here');

const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
const k = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } }).exports as unknown as {
  bandToTridiag(a: number, n: number, ld: number, b: number, d: number, e: number, work: number): void;
};

const ld = Math.ceil(n / 4) * 4 + 4;
const al = (x: number) => Math.ceil(x / 64) * 64;
const C = 1 << 20; // control block of the threaded version
const A = C + 256;
const D = al(A + n * ld * 8);
const E = al(D + ld * 8);
const W = al(E + ld * 8);
const end = W + (ld * (3 * 32 + 8) + 64) * 8;
memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
const f = new Float64Array(memory.buffer);

const workerCode = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { module, memory } = workerData;
  const k = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } }).exports;
  parentPort.on('message', (args) => { k.bandToTridiagSpmd(...args); parentPort.postMessage(0); });`;
const workers = Array.from({ length: threads }, () => new Worker(workerCode, { eval: true, workerData: { module, memory }, execArgv: [] }));
const runThreaded = (b: number) => {
  new Int32Array(memory.buffer, C, 64).fill(0);
  return Promise.all(workers.map((w, tid) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage([tid, threads, C, A, n, ld, b, D, E, W]);
  })));
};

console.log(`band -> tridiagonal, n = ${n}, ${variant} build`);
for (const b of [8, 16, 32]) {
  const rand = seededRandom(b);
  let fro = 0;
  const fill = () => {
    fro = 0;
    for (let c = 0; c < n; c++) {
      for (let r = c; r < Math.min(n, c + b + 1); r++) {
        const x = 2 * rand() - 1;
        f[A / 8 + c * ld + r] = x;
        fro += (r === c ? 1 : 2) * x * x;
      }
    }
  };
  let best1 = Infinity, bestT = Infinity, same = true;
  for (let rep = 0; rep < reps; rep++) {
    fill();
    let t0 = performance.now();
    k.bandToTridiag(A, n, ld, b, D, E, W);
    best1 = Math.min(best1, (performance.now() - t0) / 1000);
    const single = f.slice(D / 8, D / 8 + n), singleE = f.slice(E / 8, E / 8 + n);
    t0 = performance.now();
    await runThreaded(b);
    bestT = Math.min(bestT, (performance.now() - t0) / 1000);
    for (let i = 0; i < n; i++) {
      if (!Object.is(single[i], f[D / 8 + i]) || !Object.is(singleE[i], f[E / 8 + i])) same = false;
    }
  }
  let froT = 0;
  for (let i = 0; i < n; i++) froT += f[D / 8 + i] ** 2 + 2 * f[E / 8 + i] ** 2;
  console.log(`b = ${String(b).padStart(2)}: 1 thread ${best1.toFixed(3)} s, ${threads} threads ${bestT.toFixed(3)} s`
    + ` (${same ? 'bitwise equal' : 'DIFFERENT'}; Frobenius rel. change ${(Math.abs(froT - fro) / fro).toExponential(1)})`);
}
await Promise.all(workers.map((w) => w.terminate()));
