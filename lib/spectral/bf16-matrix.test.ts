import { afterAll, describe, expect, it } from 'vitest';
import { analyzeMatrix } from './analyze-matrix';
import { asFloat, Bf16Matrix } from './bf16-matrix';
import { fusedPass } from './deflate';
import { eigenBackend, eigenBackendReadsBf16 } from './eigen';
import { gaussianMatrix, seededRandom } from './testing/planted';
import { KernelPool, loadKernelModule, scanPassWasm } from './wasm/pool';

/** float32 values rounded (by truncation) to bfloat16: the bits, and the Bf16Matrix holding them. */
function toBf16(values: ArrayLike<number>): Bf16Matrix {
  const f32 = Float32Array.from(values);
  const u32 = new Uint32Array(f32.buffer);
  return new Bf16Matrix(Uint16Array.from(u32, (u) => u >>> 16));
}

function bf16Gaussian(rows: number, cols: number, seed: number, scale = 0.02): Bf16Matrix {
  return toBf16(Array.from(gaussianMatrix(rows, cols, seed), (v) => scale * v));
}

function expectBitwise(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const differ = a.findIndex((v, i) => !Object.is(v, b[i]));
  expect(differ, `first difference at ${differ}`).toBe(-1);
}

describe('Bf16Matrix', () => {
  it('decodes its bits exactly to float32, once', () => {
    const bits = Uint16Array.from([0x3f80, 0xbf80, 0x4049, 0x0000, 0x8000, 0x0001, 0x7f7f, 0x3c23]);
    const m = new Bf16Matrix(bits);
    const f = m.toFloat32();
    expect(Array.from(f.subarray(0, 5))).toEqual([1, -1, 3.140625, 0, -0]);
    expect(f[5]).toBe(2 ** -133); // the smallest subnormal bfloat16
    expect(f[6]).toBe(Number.parseFloat('3.3895313892515355e38')); // the largest finite bfloat16
    expect(m.toFloat32()).toBe(f);
    expect(asFloat(m)).toBe(f);
    expect(m.length).toBe(8);
    const plain = new Float32Array(3);
    expect(asFloat(plain)).toBe(plain);
  });
});

describe.skipIf(!loadKernelModule())('BF16 bits in the WebAssembly kernels', () => {
  // small slabs: several slab calls per Gram, and packs of partial strips
  const pool = new KernelPool({ slabBytes: 64 * 1024 });
  afterAll(() => pool.shutdown());

  it.each([
    [37, 300], // A = W, n not a multiple of 4, several slabs of the inner dimension
    [300, 37], // A = Wᵀ
    [64, 64],
    [130, 515],
    [515, 130],
  ])('gives the eigenvalues of the decoded matrix bit for bit (%i x %i)', async (rows, cols) => {
    const m = bf16Gaussian(rows, cols, rows * 13 + cols);
    const fromBits = await pool.eigenvalues(m, rows, cols);
    const fromFloats = await pool.eigenvalues(Float32Array.from(m.toFloat32()), rows, cols);
    expectBitwise(fromBits.values, fromFloats.values);
    expect(fromBits.values[fromBits.values.length - 1]).toBeGreaterThan(0);
  });

  it('forms the deflated matrix from the decoded values (low-rank correction)', async () => {
    const [rows, cols] = [40, 90];
    const m = bf16Gaussian(rows, cols, 4);
    const rand = seededRandom(2);
    const lowRank = {
      k: 1,
      left: Float64Array.from({ length: rows }, () => rand() - 0.5),
      right: Float64Array.from({ length: cols }, () => rand() - 0.5),
    };
    const fromBits = await pool.eigenvalues(m, rows, cols, lowRank);
    const fromFloats = await pool.eigenvalues(Float32Array.from(m.toFloat32()), rows, cols, lowRank);
    expectBitwise(fromBits.values, fromFloats.values);
  });

  it.each([[5, 9], [4, 8], [2051, 1100]])('scans BF16 rows as the JS pass scans their float32 values (%i x %i)', (rows, cols) => {
    const m = bf16Gaussian(rows, cols, rows + cols);
    const rand = seededRandom(rows);
    const x = Float64Array.from({ length: 2 * cols }, () => rand() - 0.5);
    const js = { y: new Float64Array(2 * rows), z: new Float64Array(2 * cols) };
    const kernel = { y: new Float64Array(2 * rows), z: new Float64Array(2 * cols) };
    const f0 = fusedPass(m.toFloat32(), rows, cols, x, 2, js.y, js.z, true);
    const f1 = scanPassWasm(m, rows, cols, x, kernel.y, kernel.z, true);
    expect(Object.is(f0, f1)).toBe(true);
    expectBitwise(kernel.y, js.y);
    expectBitwise(kernel.z, js.z);
  });

  it('carries a NaN or infinite entry into the scan\'s sum of squares', () => {
    const [rows, cols] = [9, 21];
    for (const bad of [0x7fc0, 0x7f80, 0xff80]) {
      const m = bf16Gaussian(rows, cols, 3);
      m.bits[4 * cols + 7] = bad;
      const x = new Float64Array(2 * cols).fill(0.5);
      const fro = scanPassWasm(m, rows, cols, x, new Float64Array(2 * rows), new Float64Array(2 * cols), true);
      expect(Number.isFinite(fro)).toBe(false);
    }
  });
});

describe('analyzeMatrix on BF16 bits', () => {
  it('is read by the WebAssembly backend\'s kernels (self-checked) wherever that backend runs', async () => {
    expect(await eigenBackendReadsBf16()).toBe((await eigenBackend()) === 'wasm');
  });

  it.each([
    ['a plain layer (Gram route)', 160, 420, 0],
    ['a layer with an outlier direction (deflated route)', 150, 400, 0.5],
    ['a small layer (SVD route)', 24, 40, 0],
  ])('gives every column of the decoded matrix exactly: %s', async (_name, rows, cols, spike) => {
    const values = Float32Array.from(gaussianMatrix(rows, cols, rows + 3 * cols), (v) => 0.02 * v);
    if (spike > 0) {
      const rand = seededRandom(7);
      const a = Array.from({ length: rows }, () => rand() - 0.5);
      const b = Array.from({ length: cols }, () => rand() - 0.5);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) values[i * cols + j] += spike * a[i] * b[j];
    }
    const m = toBf16(values);
    const decoded = Float32Array.from(m.toFloat32());
    const fromBits = await analyzeMatrix(new Bf16Matrix(m.bits), rows, cols, { subject: 'w', randomize: true, seed: 3 });
    const fromFloats = await analyzeMatrix(decoded, rows, cols, { subject: 'w', randomize: true, seed: 3 });
    expect(fromBits.route).toBe(fromFloats.route);
    if (spike > 0) expect(fromBits.route).toBe('deflated');
    expectBitwise(fromBits.evals!, fromFloats.evals!);
    expect(fromBits.metrics).toEqual(fromFloats.metrics);
  });

  it('names the first non-finite entry, as for float input', async () => {
    const m = bf16Gaussian(80, 120, 1);
    m.bits[3 * 120 + 5] = 0x7fc0;
    await expect(analyzeMatrix(m, 80, 120, { subject: 'layer.weight' })).rejects.toThrow(/layer\.weight.*1 non-finite value \(first at row 3, col 5: NaN\)/);
  });
});
