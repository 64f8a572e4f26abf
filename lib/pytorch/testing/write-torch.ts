/**
 * TEST-ONLY writer of torch.save-format files: the zip format as torch 1.13 writes it (stored entries under a
 * prefix folder, 64-byte aligned data, data descriptors, ZIP64 end records; data.pkl in pickle protocol 2 with
 * torch's opcodes and memoisation) and the legacy format (magic number, protocol version, sys info, object,
 * storage keys, then each storage as an 8-byte element count + raw little-endian bytes).
 *
 * Tensors are views (dtype, storage offset, shape, stride) over named storages, so tests can build transposed,
 * sliced and permuted views, tied weights and views at offsets into one storage, nested checkpoints, Parameters
 * and `_rebuild_from_type_v2` wrappers. A low-level PickleBuilder emits raw opcodes for malformed inputs.
 */
import { DTYPE_BITS, type SafetensorsDtype } from '@/lib/safetensors/dtype';

// ---------------------------------------------------------------------------------------------------------
// Pickle opcodes

export class PickleBuilder {
  private parts: number[] = [];
  private memoCount = 0;
  private memoOf = new Map<string, number>();

  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
  raw(...b: number[]): this {
    for (const x of b) this.parts.push(x & 0xff);
    return this;
  }
  rawBytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  private u16(n: number) { this.raw(n, n >> 8); }
  private u32(n: number) { this.raw(n, n >> 8, n >> 16, n >>> 24); }

  proto(p = 2): this { return this.raw(0x80, p); }
  stop(): this { return this.raw(0x2e); }
  mark(): this { return this.raw(0x28); }
  none(): this { return this.raw(0x4e); }
  bool(v: boolean): this { return this.raw(v ? 0x88 : 0x89); }
  emptyTuple(): this { return this.raw(0x29); }
  tuple(): this { return this.raw(0x74); }
  tupleN(n: 1 | 2 | 3): this { return this.raw(0x84 + n); }
  emptyDict(): this { return this.raw(0x7d); }
  emptyList(): this { return this.raw(0x5d); }
  setitem(): this { return this.raw(0x73); }
  setitems(): this { return this.raw(0x75); }
  append(): this { return this.raw(0x61); }
  appends(): this { return this.raw(0x65); }
  reduce(): this { return this.raw(0x52); }
  build(): this { return this.raw(0x62); }
  binpersid(): this { return this.raw(0x51); }
  dup(): this { return this.raw(0x32); }
  pop(): this { return this.raw(0x30); }
  binput(i: number): this {
    if (i < 256) return this.raw(0x71, i);
    this.raw(0x72);
    this.u32(i);
    return this;
  }
  binget(i: number): this {
    if (i < 256) return this.raw(0x68, i);
    this.raw(0x6a);
    this.u32(i);
    return this;
  }
  /** Integer with the smallest opcode, as CPython's pickler chooses. */
  int(n: number | bigint): this {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 256) return this.raw(0x4b, n);
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 65536) { this.raw(0x4d); this.u16(n); return this; }
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) { this.raw(0x4a); this.u32(n >>> 0); return this; }
    let v = BigInt(n);
    const out: number[] = [];
    for (;;) {
      out.push(Number(v & 0xffn));
      v >>= 8n;
      const sign = out[out.length - 1] & 0x80;
      if ((v === 0n && !sign) || (v === -1n && sign)) break;
    }
    return this.raw(0x8a, out.length, ...out);
  }
  float(f: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, f, false);
    return this.raw(0x47).rawBytes(b);
  }
  unicode(s: string): this {
    const b = new TextEncoder().encode(s);
    this.raw(0x58);
    this.u32(b.length);
    return this.rawBytes(b);
  }
  shortBinunicode(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.raw(0x8c, b.length).rawBytes(b);
  }
  global(module: string, name: string): this {
    return this.raw(0x63).rawBytes(new TextEncoder().encode(`${module}\n${name}\n`));
  }
  stackGlobal(): this { return this.raw(0x93); }

  /** Memoise the value on top of the stack under `key` (BINPUT with the next slot). */
  put(key?: string): this {
    const i = this.memoCount++;
    if (key !== undefined) this.memoOf.set(key, i);
    return this.binput(i);
  }
  /** BINGET of a value memoised under `key`, or false when it was not memoised yet. */
  getMemo(key: string): boolean {
    const i = this.memoOf.get(key);
    if (i === undefined) return false;
    this.binget(i);
    return true;
  }
  /** A string, memoised like the pickler does (repeats become BINGET). */
  str(s: string): this {
    if (this.getMemo(`s:${s}`)) return this;
    return this.unicode(s).put(`s:${s}`);
  }
  /** A global, memoised. */
  glob(module: string, name: string): this {
    if (this.getMemo(`g:${module}.${name}`)) return this;
    return this.global(module, name).put(`g:${module}.${name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoint model

export const STORAGE_CLASS: Record<string, string> = {
  F64: 'DoubleStorage', F32: 'FloatStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage', I64: 'LongStorage',
  I32: 'IntStorage', I16: 'ShortStorage', I8: 'CharStorage', U8: 'ByteStorage', BOOL: 'BoolStorage',
};

export interface StorageSpec {
  dtype: SafetensorsDtype;
  /** Raw little-endian bytes (numel = bytes / element size). */
  bytes: Uint8Array;
  /** Declared element count (defaults to the true one; tests override it to lie). */
  numel?: number;
  location?: string;
}

export interface TensorSpec {
  storage: string;
  shape: number[];
  /** Default: contiguous row-major. */
  stride?: number[];
  storageOffset?: number;
  /** Wrap as torch._utils._rebuild_parameter. */
  parameter?: boolean;
  /** Wrap as torch._tensor._rebuild_from_type_v2(_rebuild_tensor_v2, torch.Tensor, args, state). */
  fromType?: boolean;
}

/** A value of the pickled object tree. */
export type TorchValue =
  | null | boolean | number | string
  | { tensor: TensorSpec }
  /** An OrderedDict; `metadata` adds torch's `_metadata` attribute ({module: {version: 1}}, "" = the root). */
  | { ordered: Array<[string, TorchValue]>; metadata?: boolean | string[] }
  | { dict: Array<[string | number, TorchValue]> }
  | { list: TorchValue[] }
  | { tuple: TorchValue[] };

export interface TorchCheckpoint {
  storages: Record<string, StorageSpec>;
  root: TorchValue;
}

export function contiguousStride(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

function elementSize(dtype: SafetensorsDtype): number {
  return DTYPE_BITS[dtype] / 8;
}

/** Little-endian bytes of `values` in `dtype` (F32/F64/F16/BF16 by rounding, integers/bools as given). */
export function encodeValues(dtype: SafetensorsDtype, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * elementSize(dtype));
  const dv = new DataView(out.buffer);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (dtype) {
      case 'F64': dv.setFloat64(i * 8, v, true); break;
      case 'F32': dv.setFloat32(i * 4, v, true); break;
      case 'BF16': {
        f32[0] = v;
        const b = u32[0];
        const rounded = (b + 0x7fff + ((b >> 16) & 1)) >>> 16; // round to nearest even
        dv.setUint16(i * 2, Number.isNaN(v) ? 0x7fc0 : rounded, true);
        break;
      }
      case 'F16': dv.setUint16(i * 2, toHalf(v), true); break;
      case 'I64': dv.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case 'I32': dv.setInt32(i * 4, v, true); break;
      case 'I16': dv.setInt16(i * 2, v, true); break;
      case 'I8': dv.setInt8(i, v); break;
      case 'U8': case 'BOOL': dv.setUint8(i, v); break;
      default: throw new Error(`encodeValues: ${dtype} not supported`);
    }
  }
  return out;
}

function toHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e;
    let h = man >> shift;
    const rem = man & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  e = h;
  return sign | e;
}

/** A flat state dict of contiguous tensors, one storage each (keys "0", "1", ... as torch numbers them). */
export function simpleStateDict(
  tensors: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; values: ArrayLike<number> }>,
): TorchCheckpoint {
  const storages: Record<string, StorageSpec> = {};
  const entries: Array<[string, TorchValue]> = [];
  tensors.forEach((t, i) => {
    storages[String(i)] = { dtype: t.dtype, bytes: encodeValues(t.dtype, t.values) };
    entries.push([t.name, { tensor: { storage: String(i), shape: t.shape } }]);
  });
  return { storages, root: { ordered: entries, metadata: true } };
}

// ---------------------------------------------------------------------------------------------------------
// Pickling the object tree

type PidWriter = (p: PickleBuilder, key: string, s: StorageSpec) => void;

function pickleValue(p: PickleBuilder, v: TorchValue, pid: PidWriter, storages: Record<string, StorageSpec>): void {
  if (v === null) { p.none(); return; }
  if (typeof v === 'boolean') { p.bool(v); return; }
  if (typeof v === 'number') {
    if (Number.isInteger(v)) p.int(v);
    else p.float(v);
    return;
  }
  if (typeof v === 'string') { p.str(v); return; }
  if ('tensor' in v) { pickleTensor(p, v.tensor, pid, storages); return; }
  if ('ordered' in v) {
    p.glob('collections', 'OrderedDict').emptyTuple().reduce().put();
    setItems(p, v.ordered, pid, storages);
    if (v.metadata) {
      p.emptyDict().put().str('_metadata');
      p.glob('collections', 'OrderedDict').emptyTuple().reduce().put();
      const modules = v.metadata === true ? [''] : v.metadata;
      if (modules.length > 1) p.mark();
      for (const m of modules) p.str(m).emptyDict().put().str('version').int(1).setitem();
      if (modules.length > 1) p.setitems();
      else if (modules.length === 1) p.setitem();
      p.setitem().build();
    }
    return;
  }
  if ('dict' in v) {
    p.emptyDict().put();
    setItems(p, v.dict, pid, storages);
    return;
  }
  if ('list' in v) {
    p.emptyList().put();
    if (v.list.length === 1) {
      pickleValue(p, v.list[0], pid, storages);
      p.append();
    } else if (v.list.length > 1) {
      p.mark();
      for (const x of v.list) pickleValue(p, x, pid, storages);
      p.appends();
    }
    return;
  }
  pickleTuple(p, v.tuple.length, () => v.tuple.forEach((x) => pickleValue(p, x, pid, storages)));
}

function setItems(p: PickleBuilder, items: Array<[string | number, TorchValue]>, pid: PidWriter, storages: Record<string, StorageSpec>) {
  if (items.length === 1) {
    pickleValue(p, items[0][0], pid, storages);
    pickleValue(p, items[0][1], pid, storages);
    p.setitem();
  } else if (items.length > 1) {
    p.mark();
    for (const [k, x] of items) {
      pickleValue(p, k, pid, storages);
      pickleValue(p, x, pid, storages);
    }
    p.setitems();
  }
}

function pickleTuple(p: PickleBuilder, n: number, body: () => void): void {
  if (n === 0) { p.emptyTuple(); return; }
  if (n <= 3) {
    body();
    p.tupleN(n as 1 | 2 | 3).put();
    return;
  }
  p.mark();
  body();
  p.tuple().put();
}

function pickleInts(p: PickleBuilder, xs: readonly number[]): void {
  pickleTuple(p, xs.length, () => xs.forEach((x) => p.int(x)));
}

function pickleTensor(p: PickleBuilder, t: TensorSpec, pid: PidWriter, storages: Record<string, StorageSpec>): void {
  const s = storages[t.storage];
  if (!s) throw new Error(`write-torch: no storage ${t.storage}`);
  const args = () => {
    p.mark();
    pid(p, t.storage, s);
    p.binpersid();
    p.int(t.storageOffset ?? 0);
    pickleInts(p, t.shape);
    pickleInts(p, t.stride ?? contiguousStride(t.shape));
    p.bool(false);
    p.glob('collections', 'OrderedDict').emptyTuple().reduce().put();
    p.tuple().put();
  };
  if (t.fromType) {
    p.glob('torch._tensor', '_rebuild_from_type_v2').mark();
    p.glob('torch._utils', '_rebuild_tensor_v2').glob('torch', 'Tensor');
    args();
    p.emptyDict().put().tuple().put().reduce().put();
    return;
  }
  if (t.parameter) p.glob('torch._utils', '_rebuild_parameter').mark();
  p.glob('torch._utils', '_rebuild_tensor_v2');
  args();
  p.reduce().put();
  if (t.parameter) {
    p.bool(true).glob('collections', 'OrderedDict').emptyTuple().reduce().put();
    p.tuple().put().reduce().put();
  }
}

function storagePid(legacy: boolean): PidWriter {
  return (p, key, s) => {
    p.mark().str('storage').glob('torch', STORAGE_CLASS[s.dtype]).str(key).str(s.location ?? 'cpu');
    p.int(s.numel ?? s.bytes.length / elementSize(s.dtype));
    if (legacy) p.none();
    p.tuple().put();
  };
}

/** data.pkl of a checkpoint (protocol 2, zip-format persistent ids). */
export function pickleCheckpoint(ck: TorchCheckpoint): Uint8Array {
  const p = new PickleBuilder().proto(2);
  pickleValue(p, ck.root, storagePid(false), ck.storages);
  return p.stop().bytes();
}

// ---------------------------------------------------------------------------------------------------------
// Zip container

let crcTable: Uint32Array | null = null;
export function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntrySpec {
  name: string;
  data: Uint8Array;
  /** Compression method written in the headers (the data is written as given). Default 0 (stored). */
  method?: number;
}

export interface ZipOptions {
  /** Align entry data to this many bytes with a padding extra field, as torch does (default 64). */
  align?: number;
  /** Write the ZIP64 end record and locator (torch always does; default true). */
  zip64?: boolean;
}

/** A zip archive laid out like torch's writer (data descriptors, padded local headers). */
export function writeZip(entries: ZipEntrySpec[], opts: ZipOptions = {}): Uint8Array {
  const align = opts.align ?? 64;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => { chunks.push(b); offset += b.length; };
  const central: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const e of entries) {
    const name = enc.encode(e.name);
    const local = offset;
    let pad = (align - ((offset + 30 + name.length + 4) % align)) % align;
    if (align <= 1) pad = 0;
    const extraLen = align > 1 ? 4 + pad : 0;
    const h = new Uint8Array(30 + name.length + extraLen);
    const hv = new DataView(h.buffer);
    hv.setUint32(0, 0x04034b50, true);
    hv.setUint16(6, 0x0808, true);
    hv.setUint16(8, e.method ?? 0, true);
    hv.setUint16(26, name.length, true);
    hv.setUint16(28, extraLen, true);
    h.set(name, 30);
    if (extraLen) {
      hv.setUint16(30 + name.length, 0x4246, true); // "FB"
      hv.setUint16(32 + name.length, pad, true);
      h.fill(0x5a, 34 + name.length);
    }
    push(h);
    push(e.data);
    const crc = crc32(e.data);
    const dd = new Uint8Array(16);
    const dv = new DataView(dd.buffer);
    dv.setUint32(0, 0x08074b50, true);
    dv.setUint32(4, crc, true);
    dv.setUint32(8, e.data.length, true);
    dv.setUint32(12, e.data.length, true);
    push(dd);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(8, 0x0808, true);
    cv.setUint16(10, e.method ?? 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, local, true);
    c.set(name, 46);
    central.push(c);
  }
  const cdStart = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdStart;
  if (opts.zip64 ?? true) {
    const z = new Uint8Array(56);
    const zv = new DataView(z.buffer);
    const recAt = offset;
    zv.setUint32(0, 0x06064b50, true);
    zv.setBigUint64(4, 44n, true);
    zv.setUint16(12, 0x031e, true);
    zv.setUint16(14, 0x2d, true);
    zv.setBigUint64(24, BigInt(entries.length), true);
    zv.setBigUint64(32, BigInt(entries.length), true);
    zv.setBigUint64(40, BigInt(cdSize), true);
    zv.setBigUint64(48, BigInt(cdStart), true);
    push(z);
    const l = new Uint8Array(20);
    const lv = new DataView(l.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(recAt), true);
    lv.setUint32(16, 1, true);
    push(l);
  }
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, cdStart, true);
  push(eocd);
  const out = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

export interface TorchZipOptions extends ZipOptions {
  /** Folder of every entry (torch 1.13: the file's stem; newer torch: "archive"). Default "archive". */
  prefix?: string;
  /** Write a `byteorder` entry with this content (newer torch writes "little"). */
  byteorder?: string;
  /** Use this data.pkl instead of pickling `root` (malformed-input tests). */
  pickle?: Uint8Array;
  /** Extra raw entries, appended after the storages. */
  extraEntries?: ZipEntrySpec[];
}

/** A torch.save zip-format file. */
export function writeTorchZip(ck: TorchCheckpoint, opts: TorchZipOptions = {}): Uint8Array {
  const prefix = opts.prefix ?? 'archive';
  const entries: ZipEntrySpec[] = [{ name: `${prefix}/data.pkl`, data: opts.pickle ?? pickleCheckpoint(ck) }];
  if (opts.byteorder !== undefined) entries.push({ name: `${prefix}/byteorder`, data: new TextEncoder().encode(opts.byteorder) });
  for (const [key, s] of Object.entries(ck.storages)) entries.push({ name: `${prefix}/data/${key}`, data: s.bytes });
  entries.push({ name: `${prefix}/version`, data: new TextEncoder().encode('3\n') });
  entries.push(...(opts.extraEntries ?? []));
  return writeZip(entries, opts);
}

// ---------------------------------------------------------------------------------------------------------
// Legacy format

export const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;

export interface LegacyOptions {
  /** Override the magic number / protocol version / little_endian flag (malformed-input tests). */
  magic?: bigint;
  protocolVersion?: number;
  littleEndian?: boolean;
  /** Replace the pickled object. */
  pickle?: Uint8Array;
  /** Storage key order (default sorted, as torch writes them). */
  keys?: string[];
  /** Override the recorded element count of a storage. */
  countOverride?: Record<string, number>;
}

/** A torch.save legacy-format file (`_use_new_zipfile_serialization=False`). */
export function writeTorchLegacy(ck: TorchCheckpoint, opts: LegacyOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  parts.push(new PickleBuilder().proto(2).int(opts.magic ?? LEGACY_MAGIC_NUMBER).stop().bytes());
  parts.push(new PickleBuilder().proto(2).int(opts.protocolVersion ?? 1001).stop().bytes());
  const sys = new PickleBuilder().proto(2).emptyDict().put().mark();
  sys.str('protocol_version').int(1001).str('little_endian').bool(opts.littleEndian ?? true);
  sys.str('type_sizes').emptyDict().put().mark().str('short').int(2).str('int').int(4).str('long').int(4).setitems();
  parts.push(sys.setitems().stop().bytes());
  if (opts.pickle) parts.push(opts.pickle);
  else {
    const p = new PickleBuilder().proto(2);
    pickleValue(p, ck.root, storagePid(true), ck.storages);
    parts.push(p.stop().bytes());
  }
  const keys = opts.keys ?? Object.keys(ck.storages).sort();
  const kp = new PickleBuilder().proto(2).emptyList().put();
  if (keys.length) {
    kp.mark();
    for (const k of keys) kp.str(k);
    kp.appends();
  }
  parts.push(kp.stop().bytes());
  for (const k of keys) {
    const s = ck.storages[k];
    const bytes = s?.bytes ?? new Uint8Array(0);
    const count = new Uint8Array(8);
    const n = opts.countOverride?.[k] ?? (s ? bytes.length / elementSize(s.dtype) : 0);
    new DataView(count.buffer).setBigUint64(0, BigInt(n), true);
    parts.push(count, bytes);
  }
  const total = parts.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of parts) { out.set(b, at); at += b.length; }
  return out;
}
