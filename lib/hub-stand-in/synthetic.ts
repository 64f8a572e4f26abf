/**
 * Synthetic (virtual) safetensors files for the stand-in Hub: a checkpoint of any size served without its bytes
 * ever being written to disk. A small spec file `<path>.synthetic.json` in a snapshot folder is listed and served as
 * `<path>`, whose bytes are generated on demand for each range request: the safetensors header is computed up front
 * from the spec (shapes, dtypes, offsets), and every row of every tensor comes from its own seeded generator, so any
 * byte span reads the same bytes every time, whichever range requests it is split into.
 *
 * Values: i.i.d. Gaussian-like, N(0, std²) (std default 0.02, as an initialised LLM weight), drawn by a xorshift32
 * stream per row through a 65,536-entry inverse-normal table (tails cut at ~4.3σ), so a 4096x11008 matrix has a
 * Marchenko-Pastur spectrum as a random weight would. Square matrices also get a signed permutation of norm
 * 2.2·std·√n, as lib/spectral/bench.ts's block does: a square Gaussian's λ_min/λ_max (~1/(4n²)) would send it to
 * the SVD route, which trained attention matrices do not need; the cost of the Gram route does not depend on the
 * spectrum. Generation runs at roughly memory speed (~1 ns per value here), so serving a 7B-shaped checkpoint costs
 * the stand-in seconds of one core, not the 13 GB of disk a written copy would take.
 *
 * The LFS SHA-256 and ETag of a synthetic file are the SHA-256 of its spec (a stand-in for the content hash, which
 * would take reading the whole file); two identical specs are the same file.
 */
import { createHash } from 'node:crypto';
import { encodeHeader } from '@/lib/safetensors/write';

export const SYNTHETIC_SUFFIX = '.synthetic.json';

export type SyntheticDtype = 'BF16' | 'F32';

export interface SyntheticTensorSpec {
  name: string;
  dtype: SyntheticDtype;
  shape: number[];
  /** Seed of this tensor's values (default: a hash of its name). */
  seed?: number;
  /** Standard deviation of the values (default: the file's `std`, else 0.02). */
  std?: number;
}

export interface SyntheticSafetensorsSpec {
  kind: 'safetensors';
  tensors: SyntheticTensorSpec[];
  metadata?: Record<string, string>;
  std?: number;
}

interface PlacedTensor {
  spec: SyntheticTensorSpec;
  seed: number;
  rows: number;
  cols: number;
  elementBytes: number;
  /** Absolute byte offsets of its data in the file. */
  start: number;
  end: number;
  codes: Uint16Array | Float32Array;
  /** Signed permutation component (square matrices): column of row i, its value, and a stride generator. */
  perm: { a: number; b: number; c: number } | null;
}

export interface SyntheticFile {
  size: number;
  /** SHA-256 of the spec (the file's LFS oid and ETag on the stand-in). */
  sha256: string;
  /** The 8-byte length prefix + JSON header. */
  header: Uint8Array;
  /** Bytes [start, start + length) of the file (clamped to its end). */
  read(start: number, length: number): Uint8Array;
}

// --- value tables -----------------------------------------------------------------------------------------------

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float -> bf16 bits, round to nearest even (finite input). */
export function bf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

const TABLE = 1 << 16;
const tables = new Map<string, Uint16Array | Float32Array>();
function valueTable(dtype: SyntheticDtype, std: number): Uint16Array | Float32Array {
  const key = `${dtype}:${std}`;
  let t = tables.get(key);
  if (!t) {
    t = dtype === 'BF16' ? new Uint16Array(TABLE) : new Float32Array(TABLE);
    for (let k = 0; k < TABLE; k++) {
      const v = std * inverseNormalCdf((k + 0.5) / TABLE);
      t[k] = dtype === 'BF16' ? bf16Bits(v) : v;
    }
    tables.set(key, t);
  }
  return t;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** SplitMix32-style finaliser of (seed, row): a well-mixed, non-zero xorshift state. */
function rowState(seed: number, row: number): number {
  let z = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(row + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z === 0 ? 0x9e3779b9 : z;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function place(spec: SyntheticSafetensorsSpec): { tensors: PlacedTensor[]; header: Uint8Array } {
  const names = new Set<string>();
  const sized = spec.tensors.map((t) => {
    if (names.has(t.name)) throw new Error(`synthetic safetensors: tensor ${t.name} appears twice`);
    names.add(t.name);
    if (t.dtype !== 'BF16' && t.dtype !== 'F32') throw new Error(`synthetic safetensors: ${t.name}: dtype ${t.dtype} (BF16 or F32 only)`);
    if (!Array.isArray(t.shape) || t.shape.length === 0 || t.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`synthetic safetensors: ${t.name}: bad shape ${JSON.stringify(t.shape)}`);
    }
    const elementBytes = t.dtype === 'BF16' ? 2 : 4;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    return { t, elementBytes, byteLength: numel * elementBytes };
  });
  const header = encodeHeader(
    sized.map(({ t, byteLength }) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength })),
    spec.metadata,
  );
  let offset = header.length;
  const tensors = sized.map(({ t, elementBytes, byteLength }) => {
    const rows = t.shape.length === 1 ? 1 : t.shape[0];
    const cols = t.shape.length === 1 ? t.shape[0] : t.shape.slice(1).reduce((a, b) => a * b, 1);
    const std = t.std ?? spec.std ?? 0.02;
    const seed = (t.seed ?? hashString(t.name)) >>> 0;
    let perm: PlacedTensor['perm'] = null;
    if (t.shape.length === 2 && rows === cols && rows > 1) {
      // column of row i: (a·i + b) mod n with gcd(a, n) = 1, a permutation; sign from the row's hash
      let a = (rowState(seed, -2) % rows) | 1;
      while (gcd(a, rows) !== 1) a = (a + 2) % rows || 1;
      perm = { a, b: rowState(seed, -3) % rows, c: 2.2 * std * Math.sqrt(rows) };
    }
    const placed: PlacedTensor = { spec: t, seed, rows, cols, elementBytes, start: offset, end: offset + byteLength, codes: valueTable(t.dtype, std), perm };
    offset += byteLength;
    return placed;
  });
  return { tensors, header };
}

/** One row's values into `out` (length cols, Uint16 BF16 codes or Float32). */
function fillRow(t: PlacedTensor, row: number, out: Uint16Array | Float32Array): void {
  const codes = t.codes;
  const cols = t.cols;
  let s = rowState(t.seed, row) | 0;
  let j = 0;
  for (; j + 1 < cols; j += 2) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const m = Math.imul(s, 0x9e3779b1);
    out[j] = codes[m & 0xffff];
    out[j + 1] = codes[m >>> 16];
  }
  if (j < cols) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[j] = codes[Math.imul(s, 0x9e3779b1) & 0xffff];
  }
  if (t.perm) {
    const col = (t.perm.a * row) % t.rows; // a, row < 2^16: exact
    const at = (col + t.perm.b) % t.cols;
    const sign = rowState(t.seed ^ 0xa5a5a5a5, row) & 1 ? -1 : 1;
    if (out instanceof Uint16Array) {
      f32[0] = 0;
      u32[0] = out[at] << 16;
      out[at] = bf16Bits(f32[0] + sign * t.perm.c);
    } else {
      out[at] = out[at] + sign * t.perm.c;
    }
  }
}

const fileCache = new Map<string, SyntheticFile>();

/** Parses and validates a spec (JSON text or object). */
export function parseSyntheticSpec(input: string | unknown): SyntheticSafetensorsSpec {
  const spec = (typeof input === 'string' ? JSON.parse(input) : input) as SyntheticSafetensorsSpec;
  if (!spec || spec.kind !== 'safetensors' || !Array.isArray(spec.tensors)) {
    throw new Error('synthetic file spec: expected {"kind": "safetensors", "tensors": [...]}');
  }
  return spec;
}

/** The virtual file a spec describes (cached per spec text: headers and permutations are computed once). */
export function syntheticFile(input: string | SyntheticSafetensorsSpec): SyntheticFile {
  const spec = parseSyntheticSpec(input);
  const text = JSON.stringify(spec);
  const cached = fileCache.get(text);
  if (cached) return cached;
  const { tensors, header } = place(spec);
  const size = tensors.length > 0 ? tensors[tensors.length - 1].end : header.length;
  const scratch = new Map<string, { values: Uint16Array | Float32Array; bytes: Uint8Array }>();
  const scratchFor = (t: PlacedTensor) => {
    const key = `${t.spec.dtype}:${t.cols}`;
    let s = scratch.get(key);
    if (!s) {
      const values = t.spec.dtype === 'BF16' ? new Uint16Array(t.cols) : new Float32Array(t.cols);
      s = { values, bytes: new Uint8Array(values.buffer) };
      scratch.set(key, s);
    }
    return s;
  };
  const file: SyntheticFile = {
    size,
    sha256: createHash('sha256').update('alphaboard-synthetic\0').update(text).digest('hex'),
    header,
    read(start, length) {
      if (!Number.isInteger(start) || start < 0 || !Number.isInteger(length) || length < 0) throw new RangeError(`bad range ${start}+${length}`);
      const end = Math.min(size, start + length);
      const out = new Uint8Array(Math.max(0, end - start));
      if (start < header.length) out.set(header.subarray(start, Math.min(end, header.length)), 0);
      for (const t of tensors) {
        if (t.end <= start || t.start >= end) continue;
        const a = Math.max(start, t.start) - t.start;
        const b = Math.min(end, t.end) - t.start;
        const rowBytes = t.cols * t.elementBytes;
        const s = scratchFor(t);
        for (let r = Math.floor(a / rowBytes); r * rowBytes < b; r++) {
          fillRow(t, r, s.values);
          const r0 = r * rowBytes;
          const from = Math.max(a, r0) - r0;
          const to = Math.min(b, r0 + rowBytes) - r0;
          out.set(s.bytes.subarray(from, to), t.start + r0 + from - start);
        }
      }
      return out;
    },
  };
  fileCache.set(text, file);
  return file;
}

/** Text of a `<path>.synthetic.json` spec file (commit it with repo-store's `commitFiles`). */
export function syntheticSpecText(spec: SyntheticSafetensorsSpec): string {
  return `${JSON.stringify(spec)}\n`;
}
