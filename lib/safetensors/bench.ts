/**
 * Reader throughput on a 7B-sized layer: `npx tsx lib/safetensors/bench.ts`.
 * Writes a temporary file with one 4096x11008 tensor per dtype (random finite codes), then times the
 * positional read and the decode (incl. the NaN/Inf scan) of each, and prints peak RSS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fileSource } from './byte-source';
import { openLocalCheckpoint } from './checkpoint';
import { decodeTensor } from './decode';
import { byteLength, type SafetensorsDtype } from './dtype';
import { readExactly } from './header';
import { writeSafetensorsFile } from './write';

const ROWS = 4096;
const COLS = 11008;

/** Random finite codes: sign and mantissa random, exponent kept in a moderate range. */
function randomCodes(dtype: SafetensorsDtype, n: number): Uint8Array {
  const size = byteLength(dtype, n) as number;
  const out = new Uint8Array(size);
  let s = 0x9e3779b9;
  const next = () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
  if (dtype === 'F32') {
    const f = new Float32Array(out.buffer);
    for (let i = 0; i < n; i++) f[i] = next() / 2 ** 32 - 0.5;
  } else if (dtype === 'BF16') {
    const u = new Uint16Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = (next() & 0x807f) | (0x3c00 + ((next() & 7) << 7));
  } else if (dtype === 'F16') {
    const u = new Uint16Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = (next() & 0x83ff) | ((8 + (next() & 7)) << 10);
  } else {
    for (let i = 0; i < n; i++) out[i] = (next() & 0x80) | (0x20 + (next() & 0x1f)); // E4M3, finite
  }
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'st-bench-'));
try {
  const dtypes: SafetensorsDtype[] = ['BF16', 'F16', 'F32', 'F8_E4M3'];
  const path = join(dir, 'bench.safetensors');
  const n = ROWS * COLS;
  await writeSafetensorsFile(
    path,
    [
      ...dtypes.map((dtype) => ({ name: `${dtype}.weight`, dtype, shape: [ROWS, COLS], raw: randomCodes(dtype, n) })),
      { name: 'F8_E4M3.weight_scale_inv', dtype: 'F32' as const, shape: [ROWS / 128, COLS / 128], data: new Float32Array((ROWS / 128) * (COLS / 128)).fill(0.01) },
    ],
  );
  const ck = await openLocalCheckpoint(path);
  console.log(`${ROWS}x${COLS} tensors (${n.toLocaleString()} elements), one at a time:`);
  for (const dtype of dtypes) {
    const t = ck.get(`${dtype}.weight`)!;
    let t0 = performance.now();
    const raw = await readExactly(await fileSource(path), t.start, t.end);
    const tRead = performance.now() - t0;
    t0 = performance.now();
    decodeTensor(raw, t);
    const tDecode = performance.now() - t0;
    t0 = performance.now();
    const full = await ck.read(t);
    const tTotal = performance.now() - t0;
    console.log(
      `  ${dtype.padEnd(8)} ${(raw.length / 2 ** 20).toFixed(0).padStart(4)} MiB  read ${(tRead / 1000).toFixed(3)} s` +
        `  decode+check ${(tDecode / 1000).toFixed(3)} s  ck.read total ${(tTotal / 1000).toFixed(3)} s${full.scaled ? ' (128x128 scales applied)' : ''}`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
