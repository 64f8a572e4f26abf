/**
 * The eigenvalue entry point of the spectral core: all M = min(rows, cols) eigenvalues of WᵀW (= σ², WeightWatcher's
 * `evals`), ASCENDING, in float64.
 *
 * Backends: the pure-JS routes of eigen-js.ts are the reference and the fallback. When `eigen-wasm.ts` (a WASM
 * kernel) exists, reports `wasmAvailable()` and exports `eigenvaluesWasm(data, rows, cols)` (ascending eigenvalues of
 * the float64 Gram matrix), it replaces the Gram-route solver — but only after
 * passing a self-check against the JS route on a fixed test matrix (relative agreement 1e-10 of λ_max); a backend
 * that fails it is ignored for the life of the process. The route policy (SVD for small matrices and for spectra the
 * Gram route cannot resolve — see eigen-js.ts) is the same whichever backend runs, so every backend gives the same
 * numbers to the documented tolerances.
 *
 * With the WASM backend, the outlier scan's passes over a float32 W run in its kernels too (`scanPassWasm`, checked
 * bit for bit against deflate.ts's JS pass on the self-check matrix before it is used).
 *
 * BF16 weights may arrive as their stored bits (a Bf16Matrix, bf16-matrix.ts): the WASM backend's Gram kernel and scan
 * pass convert them as they load them, once the self-check shows both give bit for bit what they give on the decoded
 * float32 matrix; every other route (and a backend without that check passed) decodes them first.
 *
 * Layers with outlier directions (a few singular values far above the rest) take the deflated route (deflate.ts):
 * the backend then receives a low-rank correction and returns the eigenvalues of (W − L·Rᵀ)ᵀ(W − L·Rᵀ).
 *
 * Set ALPHABOARD_EIGEN=js to force the JS backend (benchmarks, bisecting a discrepancy).
 *
 * Iteration bounds: every solver here has one. The WASM tridiagonal QL gives up after 60 sweeps on one eigenvalue
 * (it reports which); the Gram solve of that matrix is then redone by the JS route (same numbers to the documented
 * tolerances), whose QL (60·n sweeps) and bidiagonal QR (75·n sweeps) throw SpectralError('no_convergence') when
 * they reach their own bounds. That error names the tensor: the CLI reports the layer as skipped with the reason and
 * the job pipeline stores it so (jobs/errors.ts, 'bad_tensor'); the other layers go on.
 */
import { gramEigenvalues, spectrum as jsSpectrum, type Spectrum, type SpectrumOptions } from './eigen-js';
import { assertFinite, assertMatrixShape } from './guards';
import { fusedPass, spikeScanReadsEveryEntry, type ScanPass } from './deflate';
import { deflatedMatrix, type LowRank } from './low-rank';
import { asFloat, Bf16Matrix, type WeightMatrix } from './bf16-matrix';

type GramEigen = (data: WeightMatrix, rows: number, cols: number, lowRank?: LowRank, signal?: AbortSignal) => Float64Array | Promise<Float64Array>;

export type { Spectrum, EigenRoute } from './eigen-js';

interface Backend {
  name: string;
  gramEigen: GramEigen | null;
  /** the outlier scan's pass in the kernels, when it agrees bit for bit with deflate.ts's on the self-check matrix */
  scanPass?: ScanPass;
  /** whether gramEigen (and scanPass, when offered) take BF16 bits, checked bit for bit against their decoding */
  bf16?: boolean;
}

let backendPromise: Promise<Backend> | null = null;

/** Deterministic test matrix for the backend self-check (a mildly heavy-tailed spectrum, 48 × 80). */
function selfCheckMatrix(): { data: Float64Array; rows: number; cols: number } {
  const rows = 48;
  const cols = 80;
  const data = new Float64Array(rows * cols);
  let state = 0x2545f491;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const u = (state + 0.5) / 4294967296;
    data[i] = (u - 0.5) * (1 + 3 * (i % 7 === 0 ? u : 0));
  }
  return { data, rows, cols };
}

type WasmModule = { eigenvaluesWasm?: GramEigen; eigenvaluesWasmFiniteInput?: GramEigen; wasmAvailable?: () => boolean; scanPassWasm?: ScanPass };
let providedWasm: WasmModule | null = null;

/**
 * Hands the dispatcher the eigen-wasm module directly. For bundles (the precompiled CLI, lib/cli/bundle-entry.ts):
 * the import below uses a run-time specifier, relative to the source file, that a bundle cannot resolve. Must be
 * called before the first eigen-solve.
 */
export function provideWasmBackend(mod: WasmModule): void {
  providedWasm = mod;
}

async function loadBackend(): Promise<Backend> {
  if (process.env.ALPHABOARD_EIGEN === 'js') return { name: 'js', gramEigen: null };
  let mod: WasmModule | null = providedWasm;
  if (!mod) {
    try {
      const specifier = './eigen-wasm';
      mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as WasmModule;
    } catch {
      return { name: 'js', gramEigen: null };
    }
  }
  const candidate = mod?.eigenvaluesWasm;
  if (typeof candidate !== 'function') return { name: 'js', gramEigen: null };
  // computeSpectrum checks every entry is finite before any route, so the backend need not scan W again
  const trusted = typeof mod?.eigenvaluesWasmFiniteInput === 'function' ? mod.eigenvaluesWasmFiniteInput : candidate;
  if (typeof mod?.wasmAvailable === 'function' && !mod.wasmAvailable()) return { name: 'js', gramEigen: null };
  try {
    const { data, rows, cols } = selfCheckMatrix();
    const expected = gramEigenvalues(data, rows, cols);
    const got = await candidate(Float64Array.from(data), rows, cols);
    const lmax = expected[expected.length - 1];
    if (got.length !== expected.length) return { name: 'js', gramEigen: null };
    for (let i = 0; i < expected.length; i++) {
      if (!(Math.abs(got[i] - expected[i]) <= 1e-10 * lmax)) return { name: 'js', gramEigen: null };
    }
    const scanPass = scanPassAgrees(mod?.scanPassWasm) ? mod!.scanPassWasm : undefined;
    const bf16 = await bf16Agrees(candidate, scanPass);
    return { name: 'wasm', gramEigen: trusted, ...(scanPass ? { scanPass } : {}), bf16 };
  } catch {
    return { name: 'js', gramEigen: null };
  }
}

/** The self-check matrix rounded to BF16 (its bits, and their float32 decoding). */
function selfCheckBf16(): { bits: Bf16Matrix; decoded: Float32Array; rows: number; cols: number } {
  const { data, rows, cols } = selfCheckMatrix();
  const f32 = Float32Array.from(data);
  const bits = new Uint16Array(f32.length);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = u32[i] >>> 16;
  const matrix = new Bf16Matrix(bits);
  return { bits: matrix, decoded: Float32Array.from(matrix.toFloat32()), rows, cols };
}

/**
 * Whether the kernels give BF16 bits exactly the eigenvalues (W and Wᵀ orientations) and scan pass of their float32
 * decoding, so handing them the bits changes no number.
 */
async function bf16Agrees(gramEigen: GramEigen, scanPass: ScanPass | undefined): Promise<boolean> {
  try {
    const { bits, decoded, rows, cols } = selfCheckBf16();
    const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    // rows x cols (A = W) and, read as cols x rows, its transpose's orientation (A = Wᵀ)
    for (const [r, c] of [[rows, cols], [cols, rows]]) {
      if (!same(await gramEigen(bits, r, c), await gramEigen(decoded, r, c))) return false;
    }
    if (!scanPass) return true;
    const x = Float64Array.from({ length: 2 * cols }, (_, i) => Math.cos(i + 1));
    const [y0, z0, y1, z1] = [rows, cols, rows, cols].map((m) => new Float64Array(2 * m));
    const f0 = scanPass(decoded, rows, cols, x, y0, z0, true);
    const f1 = scanPass(bits, rows, cols, x, y1, z1, true);
    return Object.is(f0, f1) && same(y0, y1) && same(z0, z1);
  } catch {
    return false;
  }
}

/** Whether `scanPass` gives fusedPass's results bit for bit on the self-check matrix (as float32, odd row count). */
function scanPassAgrees(scanPass: ScanPass | undefined): scanPass is ScanPass {
  if (typeof scanPass !== 'function') return false;
  try {
    const { data, cols } = selfCheckMatrix();
    const rows = 47;
    const w = Float32Array.from(data.subarray(0, rows * cols));
    const x = Float64Array.from({ length: 2 * cols }, (_, i) => Math.sin(i + 1));
    const [y0, z0, y1, z1] = [rows, cols, rows, cols].map((m) => new Float64Array(2 * m));
    const f0 = fusedPass(w, rows, cols, x, 2, y0, z0, true);
    const f1 = scanPass(w, rows, cols, x, y1, z1, true);
    const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));
    return Object.is(f0, f1) && same(y0, y1) && same(z0, z1);
  } catch {
    return false;
  }
}

/** Name of the Gram-route backend in use ('wasm' or 'js'), after its self-check. */
export async function eigenBackend(): Promise<string> {
  backendPromise ??= loadBackend();
  return (await backendPromise).name;
}

/** Whether the backend in use reads BF16 bits in its kernels (else they are decoded before any route). */
export async function eigenBackendReadsBf16(): Promise<boolean> {
  backendPromise ??= loadBackend();
  return (await backendPromise).bf16 === true;
}

/**
 * The spectrum of W (row-major rows × cols) with the route used: eigenvalues ascending, singular values too when
 * the SVD route ran. Throws SpectralError for a bad shape or non-finite entries.
 */
export async function computeSpectrum(
  input: WeightMatrix,
  rows: number,
  cols: number,
  options: Pick<SpectrumOptions, 'route'> & { subject?: string; backend?: 'auto' | 'js' } = {},
): Promise<Spectrum> {
  const subject = options.subject ?? 'matrix';
  assertMatrixShape(input, rows, cols, subject);
  // Every entry must be finite. The automatic routes' outlier scan (deflate.ts) reads every entry first anyway and
  // sums their squares: a non-finite sum sends it here for the full report, so W is not read once more just to check.
  const route = options.route ?? 'auto';
  const scanChecks = (route === 'auto' || route === 'deflated') && spikeScanReadsEveryEntry(rows, cols);
  const onNonFinite = () => assertFinite(asFloat(input), subject, cols);
  if (!scanChecks) onNonFinite();
  if (options.backend === 'js') return jsSpectrum(asFloat(input), rows, cols, { route: options.route, onNonFinite });
  backendPromise ??= loadBackend();
  const backend = await backendPromise;
  const wasm = backend.gramEigen;
  if (!wasm) return jsSpectrum(asFloat(input), rows, cols, { route: options.route, onNonFinite });
  const data = backend.bf16 ? input : asFloat(input);
  // A kernel that fails on this matrix (its QL reached its sweep bound) is replaced by the JS route for this call.
  const gramEigen = async (d: WeightMatrix, r: number, c: number, lowRank?: LowRank, signal?: AbortSignal): Promise<Float64Array> => {
    try {
      return await wasm(d, r, c, lowRank, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      const w = asFloat(d);
      return gramEigenvalues(lowRank ? deflatedMatrix(w, r, c, lowRank) : w, r, c);
    }
  };
  // The kernels run on their own threads: the outlier scan runs here meanwhile (speculate).
  return jsSpectrum(data, rows, cols, { route: options.route, gramEigen, speculate: true, onNonFinite, scanPass: backend.scanPass });
}

/** All min(rows, cols) eigenvalues of WᵀW, ascending, float64. */
export async function eigenvalues(data: WeightMatrix, rows: number, cols: number): Promise<Float64Array> {
  return (await computeSpectrum(data, rows, cols)).evals;
}
