/**
 * PyTorch checkpoints (torch.save) read without executing anything, through a ByteSource (local file, memory or
 * HTTP ranges: the same code).
 *
 * - zip format (torch >= 1.6): `<prefix>/data.pkl` plus one stored entry `<prefix>/data/<key>` per storage
 *   (+ `version`, optional `byteorder`); the prefix is the folder of the first entry.
 * - legacy format (torch < 1.6 or `_use_new_zipfile_serialization=False`): pickled magic number, protocol
 *   version and sys info, the pickled object, the pickled list of storage keys, then each storage as an 8-byte
 *   little-endian element count followed by its raw bytes.
 *
 * Which dict holds the tensors: the top-level object must be a dict. If it has tensor values itself it is the
 * state dict. Otherwise the nested dict values that hold tensors (directly, or one level further down) are the
 * candidates: a single one is taken; among several, the first under a conventional key (`state_dict`,
 * `model_state_dict`, `model`, `module`, `net`, `network`) wins; otherwise it is ambiguous and an error.
 * Tensors are named by their keys inside the chosen dict (no wrapper prefix); non-tensor values are ignored.
 *
 * Memory: only the zip tail and central directory, the pickle, local headers, and then each tensor's storage
 * span are ever read.
 */
import type { ByteSource } from '@/lib/safetensors/byte-source';
import { countNonFinite } from '@/lib/safetensors/decode';
import { countNonFiniteBf16, decodeElements, DTYPE_BITS, isDecodableDtype, isKnownDtype } from '@/lib/safetensors/dtype';
import { Bf16Matrix } from '@/lib/spectral/bf16-matrix';
import { NonFiniteTensorError, UnsupportedDtypeError } from '@/lib/safetensors/errors';
import { PytorchCheckpointError } from './errors';
import { gatherStrided, isContiguous, maxRelativeIndex, shapeNumel } from './gather';
import {
  describeValue,
  NeedMoreBytes,
  unpickle,
  type PickleLimits,
  type PyDict,
  type PyStorage,
  type PyTensor,
  type PyValue,
} from './pickle';
import { locateEntries, readZipDirectory, type ZipLimits } from './zip';

export type PytorchFormat = 'pytorch-zip' | 'pytorch-legacy';

export interface PytorchTensorEntry {
  name: string;
  /** safetensors dtype name (F32, F16, BF16, F64, I64, BOOL, ...). */
  dtype: string;
  shape: number[];
  stride: number[];
  /** Offset of element [0, ..., 0] in its storage, in elements (as torch's `storage_offset()`). */
  storageOffset: number;
  /** The storage the tensor views (tied weights share one). */
  storageKey: string;
  /** Absolute byte range in the file of the storage span this tensor touches. */
  start: number;
  end: number;
  /** Label of the source, for error messages. */
  file?: string;
}

export interface PytorchIndex {
  format: PytorchFormat;
  tensors: PytorchTensorEntry[];
  /** Keys of the nested dicts walked to reach the state dict ([] when it is the top-level object). */
  statePath: string[];
}

export interface PytorchReadOptions {
  signal?: AbortSignal;
  /** Pickle limits (opcodes, memo, depth, string and container sizes). */
  limits?: Partial<PickleLimits>;
  /** Largest pickle accepted, bytes (default 64 MiB). */
  maxPickleBytes?: number;
  zipLimits?: Partial<ZipLimits>;
}

export interface PytorchMatrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

export const DEFAULT_MAX_PICKLE_BYTES = 64 << 20;
/** torch's legacy magic number, pickled as the file's first object. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
export const LEGACY_PROTOCOL_VERSION = 1001;
const LEGACY_MAGIC_BYTES = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/** Dict keys that conventionally hold the model's state dict inside a training checkpoint. */
export const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'module', 'net', 'network'];

/**
 * The checkpoint format from the first bytes of a file (16 are enough), or null: a zip local header
 * (`PK\x03\x04`) or a binary pickle whose first value is torch's magic number.
 */
export function detectPytorchFormat(head: Uint8Array): PytorchFormat | null {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return 'pytorch-zip';
  }
  let p = 0;
  if (head[p] !== 0x80 || !(head[p + 1] >= 2 && head[p + 1] <= 5)) return null;
  p += 2;
  if (head[p] === 0x95) p += 9; // FRAME (protocol 4+)
  if (head[p] !== 0x8a || head[p + 1] !== 10) return null;
  p += 2;
  for (let i = 0; i < 10; i++) if (head[p + i] !== LEGACY_MAGIC_BYTES[i]) return null;
  return 'pytorch-legacy';
}

function elementSize(dtype: string): number {
  if (!isKnownDtype(dtype)) return 0;
  return DTYPE_BITS[dtype] / 8;
}

function isDict(v: PyValue): v is PyDict {
  return v !== null && typeof v === 'object' && v.kind === 'dict';
}
function isTensor(v: PyValue): v is PyTensor {
  return v !== null && typeof v === 'object' && v.kind === 'tensor';
}
function hasTensors(d: PyDict): boolean {
  for (const v of d.map.values()) if (isTensor(v)) return true;
  return false;
}

/** The dict holding the tensors, by the rule in this file's header. */
export function selectStateDict(root: PyValue, file: string): { dict: PyDict; path: string[] } {
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file, problem });
  };
  if (!isDict(root)) return fail(`the checkpoint holds ${describeValue(root)}, not a state dict`);
  if (hasTensors(root)) return { dict: root, path: [] };
  const candidates: Array<{ key: string; dict: PyDict; path: string[] }> = [];
  for (const [k, v] of root.map) {
    if (!isDict(v)) continue;
    const key = String(k);
    if (hasTensors(v)) {
      candidates.push({ key, dict: v, path: [key] });
      continue;
    }
    // One level further ({"model": {"module": {...}}}): only when a single nested dict holds tensors.
    const inner = [...v.map].filter(([, w]) => isDict(w) && hasTensors(w as PyDict));
    if (inner.length === 1) candidates.push({ key, dict: inner[0][1] as PyDict, path: [key, String(inner[0][0])] });
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) return fail('no tensors found: neither the top-level dict nor a dict inside it holds tensors');
  for (const preferred of STATE_DICT_KEYS) {
    const c = candidates.find((x) => x.key === preferred);
    if (c) return c;
  }
  return fail(`ambiguous checkpoint: several nested dicts hold tensors (${candidates.map((c) => JSON.stringify(c.key)).join(', ')})`);
}

/** Where a storage's bytes lie in the file. */
interface StorageLocation { start: number; end: number }

function buildEntries(
  dict: PyDict,
  file: string,
  locate: (s: PyStorage, tensor: string) => StorageLocation,
): PytorchTensorEntry[] {
  const out: PytorchTensorEntry[] = [];
  for (const [k, v] of dict.map) {
    if (!isTensor(v)) continue;
    const name = typeof k === 'string' ? k : String(k);
    const fail = (problem: string): never => {
      throw new PytorchCheckpointError({ file, tensor: name, problem });
    };
    const s = v.storage;
    const loc = locate(s, name);
    const size = elementSize(v.dtype);
    if (size === 0 || !Number.isInteger(size)) fail(`dtype ${v.dtype} has no whole-byte element size`);
    const storageSize = elementSize(s.dtype);
    // The storage as seen by this tensor: bytes from the (view) start, counted in the tensor's elements.
    const base = loc.start + s.elementOffset * storageSize;
    const capacity = Math.floor((s.numel * storageSize) / size);
    const maxRel = maxRelativeIndex(v.shape, v.stride);
    if (maxRel === null) return fail(`strides ${JSON.stringify(v.stride)} for shape ${JSON.stringify(v.shape)} are absurd`);
    let start: number;
    let end: number;
    if (maxRel < 0) {
      start = end = Math.min(base + Math.min(v.storageOffset, capacity) * size, loc.end);
    } else {
      const last = v.storageOffset + maxRel;
      if (!Number.isSafeInteger(last) || last >= capacity) {
        fail(`view (offset ${v.storageOffset}, shape ${JSON.stringify(v.shape)}, stride ${JSON.stringify(v.stride)}) reaches element ${last}, past the ${capacity} elements of storage ${JSON.stringify(s.key)}`);
      }
      start = base + v.storageOffset * size;
      end = base + (last + 1) * size;
      if (end > loc.end) fail(`storage ${JSON.stringify(s.key)} data ends before the view does`);
    }
    out.push({
      name,
      dtype: v.dtype,
      shape: [...v.shape],
      stride: [...v.stride],
      storageOffset: v.storageOffset,
      storageKey: s.key,
      start,
      end,
      file,
    });
  }
  return out;
}

const STORAGE_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

/** Parse a persistent id `('storage', <storage type>, key, location, numel[, view metadata])`. */
function parseStoragePid(pid: PyValue, file: string, legacy: boolean) {
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file, problem: `persistent id: ${problem}` });
  };
  if (pid === null || typeof pid !== 'object' || pid.kind !== 'tuple') return fail(`${describeValue(pid)} is not a tuple`);
  const a = pid.items;
  if (a[0] !== 'storage') return fail(`kind ${describeValue(a[0])} is not supported (only storages)`);
  if (a.length !== (legacy ? 6 : 5)) fail(`a storage id has ${legacy ? 6 : 5} fields, got ${a.length}`);
  const type = a[1];
  if (type === null || typeof type !== 'object' || type.kind !== 'global' || type.spec.role !== 'storage-type') {
    return fail(`storage type ${describeValue(type)} is not a torch storage class`);
  }
  const key = a[2];
  if (typeof key !== 'string' || !STORAGE_KEY.test(key)) return fail(`storage key ${describeValue(key)} is not a plain name`);
  const location = a[3];
  if (typeof location !== 'string') return fail(`location ${describeValue(location)} is not a string`);
  const numel = a[4];
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    return fail(`storage ${JSON.stringify(key)} size ${describeValue(numel)} is not a non-negative integer`);
  }
  let view: { key: string; offset: number; size: number } | null = null;
  if (legacy && a[5] !== null) {
    const m = a[5];
    if (m === null || typeof m !== 'object' || m.kind !== 'tuple' || m.items.length !== 3) {
      return fail(`view metadata ${describeValue(m)} is not (key, offset, size)`);
    }
    const [vk, off, sz] = m.items;
    if (typeof vk !== 'string' || !STORAGE_KEY.test(vk)) return fail(`view key ${describeValue(vk)} is not a plain name`);
    if (typeof off !== 'number' || !Number.isSafeInteger(off) || off < 0 || typeof sz !== 'number' || !Number.isSafeInteger(sz) || sz < 0) {
      return fail(`view ${JSON.stringify(vk)} offset/size are not non-negative integers`);
    }
    if (off + sz > numel) fail(`view ${JSON.stringify(vk)} [${off},${off + sz}) lies outside storage ${JSON.stringify(key)} of ${numel} elements`);
    view = { key: vk, offset: off, size: sz };
  }
  return { dtype: type.spec.dtype, untyped: type.spec.untyped, key, location, numel, view };
}

/** Read the index of a PyTorch checkpoint: every tensor of its state dict with its storage span. */
export async function readPytorchIndex(source: ByteSource, opts: PytorchReadOptions = {}): Promise<PytorchIndex> {
  const head = await source.read(0, Math.min(source.size, 32), opts.signal);
  const format = detectPytorchFormat(head);
  if (format === 'pytorch-zip') return readZipIndex(source, opts);
  if (format === 'pytorch-legacy') return readLegacyIndex(source, opts);
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) {
    // A binary pickle, but not torch's: say what its first value is instead of the magic number.
    let first = 'not a number';
    try {
      const { value } = unpickle(head, 0, { file: source.label, limits: { maxOpcodes: 8 }, complete: false });
      first = describeValue(value);
    } catch {
      // the first value does not fit in the first bytes: not the magic number either
    }
    throw new PytorchCheckpointError({
      file: source.label,
      problem: `legacy format: wrong magic number (first value ${first}); a pickle, but not one written by torch.save`,
    });
  }
  const tar = source.size >= 262 ? await source.read(257, 262, opts.signal) : null;
  if (tar && new TextDecoder('latin1').decode(tar) === 'ustar') {
    throw new PytorchCheckpointError({ file: source.label, problem: 'tar-format checkpoints (torch < 0.4) are not supported' });
  }
  throw new PytorchCheckpointError({
    file: source.label,
    problem: 'not a PyTorch checkpoint: neither a zip archive nor a pickle starting with torch\'s legacy magic number',
  });
}

async function readZipIndex(source: ByteSource, opts: PytorchReadOptions): Promise<PytorchIndex> {
  const file = source.label;
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file, problem });
  };
  const dir = await readZipDirectory(source, { signal: opts.signal, limits: opts.zipLimits });
  if (dir.entries.length === 0) fail('zip archive is empty');
  const first = dir.entries[0].name;
  const slash = first.indexOf('/');
  if (slash <= 0) fail(`first zip entry ${JSON.stringify(first)} is not inside a folder (not a torch.save archive)`);
  const prefix = first.slice(0, slash);
  const pklEntry = dir.byName.get(`${prefix}/data.pkl`);
  if (!pklEntry) return fail(`no ${prefix}/data.pkl in the archive (not a torch.save archive)`);
  const maxPickle = opts.maxPickleBytes ?? DEFAULT_MAX_PICKLE_BYTES;
  if (pklEntry.size > maxPickle) fail(`${prefix}/data.pkl of ${pklEntry.size} bytes exceeds the limit of ${maxPickle}`);
  const orderEntry = dir.byName.get(`${prefix}/byteorder`);
  const firstRanges = await locateEntries(source, dir, orderEntry ? [pklEntry, orderEntry] : [pklEntry], opts.signal);
  if (orderEntry) {
    const r = firstRanges.get(orderEntry.name)!;
    if (r.end - r.start > 16) fail('byteorder entry is too long');
    const order = new TextDecoder('latin1').decode(await source.read(r.start, r.end, opts.signal)).trim();
    if (order === 'big') fail('big-endian checkpoint (byteorder "big") is not supported');
    if (order !== 'little') fail(`byteorder ${JSON.stringify(order)} is neither "little" nor "big"`);
  }
  const pr = firstRanges.get(pklEntry.name)!;
  const pkl = await source.read(pr.start, pr.end, opts.signal);
  const storages = new Map<string, PyStorage>();
  const { value } = unpickle(pkl, 0, {
    file,
    what: `${prefix}/data.pkl`,
    limits: opts.limits,
    persistentLoad(pid) {
      const p = parseStoragePid(pid, file, false);
      const known = storages.get(p.key);
      if (known) {
        if (known.dtype !== p.dtype || known.numel !== p.numel) {
          fail(`storage ${JSON.stringify(p.key)} is declared twice with different types or sizes`);
        }
        return known;
      }
      const s: PyStorage = { kind: 'storage', key: p.key, dtype: p.dtype, untyped: p.untyped, numel: p.numel, location: p.location, elementOffset: 0 };
      storages.set(p.key, s);
      return s;
    },
  });
  const { dict, path } = selectStateDict(value, file);
  // Locate only the storages the chosen tensors use.
  const used = new Map<string, PyStorage>();
  for (const v of dict.map.values()) if (isTensor(v)) used.set(v.storage.key, v.storage);
  const wanted = [...used.keys()].map((key) => {
    const e = dir.byName.get(`${prefix}/data/${key}`);
    if (!e) fail(`storage ${JSON.stringify(key)} has no entry ${prefix}/data/${key} in the archive`);
    return e!;
  });
  const ranges = await locateEntries(source, dir, wanted, opts.signal);
  const tensors = buildEntries(dict, file, (s, tensor) => {
    const r = ranges.get(`${prefix}/data/${s.key}`)!;
    const bytes = s.numel * elementSize(s.dtype);
    if (r.end - r.start < bytes) {
      throw new PytorchCheckpointError({
        file, tensor,
        problem: `storage ${JSON.stringify(s.key)} declares ${s.numel} ${s.dtype} elements (${bytes} bytes) but its entry holds ${r.end - r.start} bytes`,
      });
    }
    return { start: r.start, end: r.start + bytes };
  });
  return { format: 'pytorch-zip', tensors, statePath: path };
}

/** Sequential pickles at the start of a legacy file, read through a growing prefix buffer. */
class PrefixReader {
  private buf: Uint8Array = new Uint8Array(0);
  constructor(private source: ByteSource, private maxBytes: number, private signal?: AbortSignal) {}

  async next(at: number, what: string, opts: { limits?: Partial<PickleLimits>; persistentLoad?: (pid: PyValue) => PyValue }) {
    let want = Math.max(this.buf.length, 64 * 1024);
    for (;;) {
      const have = Math.min(this.source.size, want);
      if (have > this.buf.length) this.buf = await this.source.read(0, have, this.signal);
      try {
        return unpickle(this.buf, at, {
          file: this.source.label,
          what,
          limits: opts.limits,
          persistentLoad: opts.persistentLoad,
          complete: this.buf.length === this.source.size,
        });
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) throw e;
        if (this.buf.length >= this.maxBytes) {
          throw new PytorchCheckpointError({ file: this.source.label, problem: `${what}: pickles longer than the limit of ${this.maxBytes} bytes` });
        }
        want = Math.min(this.maxBytes, this.buf.length * 4);
      }
    }
  }
}

async function readLegacyIndex(source: ByteSource, opts: PytorchReadOptions): Promise<PytorchIndex> {
  const file = source.label;
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file, problem: `legacy format: ${problem}` });
  };
  const reader = new PrefixReader(source, opts.maxPickleBytes ?? DEFAULT_MAX_PICKLE_BYTES, opts.signal);
  const small = { limits: { ...opts.limits, maxOpcodes: 10_000 } };
  const magic = await reader.next(0, 'magic number', small);
  if (magic.value !== LEGACY_MAGIC) fail(`wrong magic number ${describeValue(magic.value)}`);
  const proto = await reader.next(magic.end, 'protocol version', small);
  if (proto.value !== LEGACY_PROTOCOL_VERSION) fail(`unsupported protocol version ${describeValue(proto.value)}`);
  const sys = await reader.next(proto.end, 'sys info', small);
  if (!isDict(sys.value)) return fail(`sys info is ${describeValue(sys.value)}, not a dict`);
  const le = sys.value.map.get('little_endian');
  if (le === false) fail('big-endian checkpoint is not supported');
  if (le !== true) fail('sys info does not say little_endian');

  const roots = new Map<string, PyStorage>();
  const views = new Map<string, PyStorage>();
  const obj = await reader.next(sys.end, 'pickled object', {
    limits: opts.limits,
    persistentLoad(pid) {
      const p = parseStoragePid(pid, file, true);
      let root = roots.get(p.key);
      if (root) {
        if (root.dtype !== p.dtype || root.numel !== p.numel) fail(`storage ${JSON.stringify(p.key)} is declared twice with different types or sizes`);
      } else {
        root = { kind: 'storage', key: p.key, dtype: p.dtype, untyped: p.untyped, numel: p.numel, location: p.location, elementOffset: 0 };
        roots.set(p.key, root);
      }
      if (!p.view) return root;
      const known = views.get(p.view.key);
      if (known) return known;
      const v: PyStorage = { ...root, numel: p.view.size, elementOffset: p.view.offset };
      views.set(p.view.key, v);
      return v;
    },
  });
  const keysPickle = await reader.next(obj.end, 'storage key list', { limits: opts.limits });
  const keys = keysPickle.value;
  if (keys === null || typeof keys !== 'object' || keys.kind !== 'list') return fail(`storage key list is ${describeValue(keys)}`);
  const seen = new Set<string>();
  const located = new Map<string, { countAt: number; start: number; end: number }>();
  let pos = keysPickle.end;
  for (const k of keys.items) {
    if (typeof k !== 'string') return fail(`storage key list holds ${describeValue(k)}`);
    if (seen.has(k)) fail(`storage key ${JSON.stringify(k)} listed twice`);
    seen.add(k);
    const s = roots.get(k);
    if (!s) return fail(`storage key list names ${JSON.stringify(k)}, which the pickle never references`);
    const bytes = s.numel * elementSize(s.dtype);
    const start = pos + 8;
    const end = start + bytes;
    if (end > source.size) fail(`storage ${JSON.stringify(k)} needs bytes [${start},${end}) but the file has ${source.size} (truncated)`);
    located.set(k, { countAt: pos, start, end });
    pos = end;
  }
  for (const k of roots.keys()) if (!located.has(k)) fail(`storage ${JSON.stringify(k)} is not in the file's storage key list`);
  const { dict, path } = selectStateDict(obj.value, file);
  const used = new Set<string>();
  for (const v of dict.map.values()) if (isTensor(v)) used.add(v.storage.key);
  await checkLegacyCounts(source, [...used].map((k) => ({ key: k, ...located.get(k)!, numel: roots.get(k)!.numel })), opts.signal);
  const tensors = buildEntries(dict, file, (s) => located.get(s.key)!);
  return { format: 'pytorch-legacy', tensors, statePath: path };
}

/** Each used legacy storage's 8-byte element count must match its declared size (nearby reads coalesced). */
async function checkLegacyCounts(
  source: ByteSource,
  items: Array<{ key: string; countAt: number; numel: number }>,
  signal?: AbortSignal,
): Promise<void> {
  items.sort((a, b) => a.countAt - b.countAt);
  let i = 0;
  while (i < items.length) {
    let j = i + 1;
    while (j < items.length && items[j].countAt + 8 - items[i].countAt <= 64 * 1024) j++;
    const base = items[i].countAt;
    const buf = await source.read(base, items[j - 1].countAt + 8, signal);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let k = i; k < j; k++) {
      const n = view.getBigUint64(items[k].countAt - base, true);
      if (n !== BigInt(items[k].numel)) {
        throw new PytorchCheckpointError({
          file: source.label,
          problem: `legacy format: storage ${JSON.stringify(items[k].key)} records ${n} elements but the pickle declares ${items[k].numel}`,
        });
      }
    }
    i = j;
  }
}

/** rows = shape[0] (1 for a scalar), cols = product of the rest. */
export function matrixDims(shape: readonly number[]): { rows: number; cols: number } {
  const rows = shape.length === 0 ? 1 : shape[0];
  const cols = rows === 0 ? 0 : shapeNumel(shape) / rows;
  return { rows, cols };
}

/**
 * Decode one tensor from the bytes of its storage span (`bytes` = exactly [entry.start, entry.end)), gathering
 * strided views into logical row-major order. Throws UnsupportedDtypeError for non-float dtypes,
 * NonFiniteTensorError for NaN/Inf, PytorchCheckpointError for inconsistent input.
 */
export function decodePytorchTensor(bytes: Uint8Array, entry: PytorchTensorEntry): PytorchMatrix {
  const { where, rows, cols, n, spanElems } = checkSpan(bytes, entry);
  if (n === 0) return { data: entry.dtype === 'F64' ? new Float64Array(0) : new Float32Array(0), rows, cols };
  const span = decodeElements(bytes, entry.dtype, spanElems, where);
  const data = isContiguous(entry.shape, entry.stride) ? span : gatherStrided(span, entry.shape, entry.stride, 0);
  const bad = countNonFinite(data);
  if (bad > 0) throw new NonFiniteTensorError({ ...where, count: bad, total: n });
  return { data, rows, cols };
}

/**
 * decodePytorchTensor for the spectral core, which reads BF16 in its kernels: a contiguous BF16 tensor comes back as
 * its bits (a Bf16Matrix over `bytes`, or over an aligned copy), with the same checks and errors (NaN/Inf counted
 * from the bits); a strided one, and every other dtype, decoded as decodePytorchTensor does.
 */
export function decodePytorchTensorForAnalysis(
  bytes: Uint8Array,
  entry: PytorchTensorEntry,
): { data: Float32Array | Float64Array | Bf16Matrix; rows: number; cols: number } {
  if (entry.dtype !== 'BF16' || !isContiguous(entry.shape, entry.stride)) return decodePytorchTensor(bytes, entry);
  const { where, rows, cols, n } = checkSpan(bytes, entry);
  if (n === 0) return decodePytorchTensor(bytes, entry);
  const bad = countNonFiniteBf16(bytes);
  if (bad > 0) throw new NonFiniteTensorError({ ...where, count: bad, total: n });
  return { data: Bf16Matrix.ofBytes(bytes), rows, cols };
}

/** The checks of a tensor's stored span (byte count, dtype, shape/stride against the span); its dimensions. */
function checkSpan(bytes: Uint8Array, entry: PytorchTensorEntry) {
  const file = entry.file ?? 'pytorch';
  const where = { file, tensor: entry.name };
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ ...where, problem });
  };
  if (bytes.length !== entry.end - entry.start) fail(`read ${bytes.length} bytes, expected ${entry.end - entry.start}`);
  if (!isDecodableDtype(entry.dtype)) throw new UnsupportedDtypeError({ ...where, dtype: entry.dtype });
  const size = elementSize(entry.dtype);
  if (bytes.length % size !== 0) fail(`${bytes.length} bytes are not whole ${entry.dtype} elements`);
  const n = shapeNumel(entry.shape);
  const { rows, cols } = matrixDims(entry.shape);
  const spanElems = bytes.length / size;
  const maxRel = maxRelativeIndex(entry.shape, entry.stride);
  if (entry.shape.length !== entry.stride.length || maxRel === null || maxRel + 1 > spanElems || (n > 0 && maxRel + 1 !== spanElems)) {
    fail(`shape ${JSON.stringify(entry.shape)} / stride ${JSON.stringify(entry.stride)} do not match a span of ${spanElems} elements`);
  }
  return { where, rows, cols, n, spanElems };
}

/** Read one tensor: only bytes [entry.start, entry.end) are fetched. */
export async function readPytorchTensor(
  source: ByteSource,
  entry: PytorchTensorEntry,
  signal?: AbortSignal,
): Promise<PytorchMatrix> {
  if (!isDecodableDtype(entry.dtype)) {
    throw new UnsupportedDtypeError({ file: entry.file ?? source.label, tensor: entry.name, dtype: entry.dtype });
  }
  if (entry.start < 0 || entry.end < entry.start || entry.end > source.size) {
    throw new PytorchCheckpointError({ file: source.label, tensor: entry.name, problem: `byte range [${entry.start},${entry.end}) lies outside the file` });
  }
  const bytes = await source.read(entry.start, entry.end, signal);
  return decodePytorchTensor(bytes, { ...entry, file: entry.file ?? source.label });
}

/**
 * Read several tensors, fetching each storage's bytes once (the union of the spans of the entries that share
 * it: tied weights, views at offsets into one storage). Results are in the order of `entries`; a tensor that
 * fails (e.g. an integer dtype) gives its error in place of a matrix.
 */
export async function readPytorchTensors(
  source: ByteSource,
  entries: readonly PytorchTensorEntry[],
  signal?: AbortSignal,
): Promise<Array<PytorchMatrix | Error>> {
  const out: Array<PytorchMatrix | Error> = new Array(entries.length);
  const groups = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (!isDecodableDtype(e.dtype)) {
      out[i] = new UnsupportedDtypeError({ file: e.file ?? source.label, tensor: e.name, dtype: e.dtype });
      return;
    }
    const g = groups.get(e.storageKey);
    if (g) g.push(i);
    else groups.set(e.storageKey, [i]);
  });
  for (const idx of groups.values()) {
    const lo = Math.min(...idx.map((i) => entries[i].start));
    const hi = Math.max(...idx.map((i) => entries[i].end));
    if (lo < 0 || hi > source.size) {
      for (const i of idx) out[i] = new PytorchCheckpointError({ file: source.label, tensor: entries[i].name, problem: 'byte range lies outside the file' });
      continue;
    }
    const bytes = await source.read(lo, hi, signal);
    for (const i of idx) {
      const e = entries[i];
      try {
        const m = decodePytorchTensor(bytes.subarray(e.start - lo, e.end - lo), { ...e, file: e.file ?? source.label });
        // Tensors sharing the buffer must not alias each other's results.
        if (idx.length > 1 && m.data.buffer === bytes.buffer) m.data = m.data.slice();
        out[i] = m;
      } catch (err) {
        out[i] = err as Error;
      }
    }
  }
  return out;
}
