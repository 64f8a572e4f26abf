/**
 * A restricted pickle reader for PyTorch state dicts. It interprets pickle opcodes as DATA: nothing named in a
 * pickle is ever imported, looked up or called. Globals (GLOBAL / STACK_GLOBAL) resolve against a fixed
 * allow-list of the types a state dict uses, to inert markers; REDUCE on a marker runs a small TypeScript
 * emulation of that one torch function (build an OrderedDict, describe a tensor view over a storage). Any other
 * global is refused with an error naming it, the moment it is referenced.
 *
 * Supported opcodes: the binary ones of protocols 2–5 a state dict needs, plus the protocol-0 INT/LONG/FLOAT/
 * GET/PUT/PERSID/GLOBAL text forms. Object-creation opcodes (NEWOBJ, NEWOBJ_EX, INST, OBJ), extension codes,
 * out-of-band buffers and quoted STRING/UNICODE are refused.
 *
 * Hard limits (PickleLimits) bound the opcode count, memo entries, stack size, MARK nesting, container nesting
 * depth, string/bytes length and items per container, so a hostile pickle costs bounded time and memory.
 */
import { DisallowedGlobalError, PytorchCheckpointError } from './errors';

export interface PyBytes { kind: 'bytes'; data: Uint8Array }
export interface PyTuple { kind: 'tuple'; items: PyValue[]; depth: number }
export interface PyList { kind: 'list'; items: PyValue[]; depth: number }
export interface PySet { kind: 'set'; items: PyValue[]; depth: number }
export interface PyDict {
  kind: 'dict';
  /** Insertion-ordered entries; keys are the pickled key values (strings for a state dict). */
  map: Map<unknown, PyValue>;
  depth: number;
  /** BUILD state (an OrderedDict's `_metadata` attribute lands here). */
  state?: PyValue;
}
/** An allow-listed global: an inert marker, never a callable object. */
export interface PyGlobal { kind: 'global'; module: string; name: string; spec: GlobalSpec }
/** A storage named by a persistent id; its bytes are located by the container format, not the pickle. */
export interface PyStorage {
  kind: 'storage';
  key: string;
  /** Element type of the storage (safetensors dtype name); 'U8' for an untyped (byte) storage. */
  dtype: string;
  untyped: boolean;
  /** Elements of `dtype` the storage holds, as declared in the persistent id. */
  numel: number;
  location: string;
  /** Legacy-format storage views: where this view begins inside the root storage, in elements. */
  elementOffset: number;
}
/** A tensor view as torch's rebuild functions describe it (nothing is read here). */
export interface PyTensor {
  kind: 'tensor';
  storage: PyStorage;
  dtype: string;
  storageOffset: number;
  shape: number[];
  stride: number[];
}
export type PyValue =
  | null | boolean | number | bigint | string
  | PyBytes | PyTuple | PyList | PySet | PyDict | PyGlobal | PyStorage | PyTensor;

export type GlobalSpec =
  | { role: 'ordered-dict' }
  | { role: 'rebuild-tensor'; version: 'legacy' | 'v2' | 'v3' }
  | { role: 'rebuild-parameter'; withState: boolean }
  | { role: 'rebuild-from-type' }
  | { role: 'size' }
  | { role: 'storage-type'; dtype: string; untyped: boolean }
  | { role: 'dtype'; dtype: string }
  | { role: 'tensor-type' };

/** torch storage classes -> safetensors dtype names. */
export const STORAGE_TYPES: Readonly<Record<string, string>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  ComplexFloatStorage: 'C64',
};

/** torch dtype objects (as `torch.<name>` globals) -> safetensors dtype names. */
export const TORCH_DTYPES: Readonly<Record<string, string>> = {
  float64: 'F64',
  double: 'F64',
  float32: 'F32',
  float: 'F32',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  short: 'I16',
  int8: 'I8',
  uint8: 'U8',
  uint16: 'U16',
  uint32: 'U32',
  uint64: 'U64',
  bool: 'BOOL',
  complex64: 'C64',
  float8_e4m3fn: 'F8_E4M3',
  float8_e5m2: 'F8_E5M2',
  float8_e4m3fnuz: 'F8_E4M3FNUZ',
  float8_e5m2fnuz: 'F8_E5M2FNUZ',
};

function buildAllowList(): Map<string, GlobalSpec> {
  const m = new Map<string, GlobalSpec>([
    ['collections.OrderedDict', { role: 'ordered-dict' }],
    ['torch._utils._rebuild_tensor', { role: 'rebuild-tensor', version: 'legacy' }],
    ['torch._utils._rebuild_tensor_v2', { role: 'rebuild-tensor', version: 'v2' }],
    ['torch._utils._rebuild_tensor_v3', { role: 'rebuild-tensor', version: 'v3' }],
    ['torch._utils._rebuild_parameter', { role: 'rebuild-parameter', withState: false }],
    ['torch._utils._rebuild_parameter_with_state', { role: 'rebuild-parameter', withState: true }],
    ['torch._tensor._rebuild_from_type_v2', { role: 'rebuild-from-type' }],
    ['torch.Size', { role: 'size' }],
    ['torch.Tensor', { role: 'tensor-type' }],
    ['torch._tensor.Tensor', { role: 'tensor-type' }],
    ['torch.nn.parameter.Parameter', { role: 'tensor-type' }],
    ['torch.storage.UntypedStorage', { role: 'storage-type', dtype: 'U8', untyped: true }],
    ['torch.UntypedStorage', { role: 'storage-type', dtype: 'U8', untyped: true }],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_TYPES)) {
    m.set(`torch.${name}`, { role: 'storage-type', dtype, untyped: false });
  }
  for (const [name, dtype] of Object.entries(TORCH_DTYPES)) m.set(`torch.${name}`, { role: 'dtype', dtype });
  return m;
}

/** Every global a pickle may reference, `module.name` -> what it stands for. */
export const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalSpec> = buildAllowList();

export interface PickleLimits {
  /** Opcodes executed per pickle. */
  maxOpcodes: number;
  /** Distinct memo slots. */
  maxMemo: number;
  /** Values on the stack at once. */
  maxStack: number;
  /** Open MARKs at once, and nesting depth of containers. */
  maxDepth: number;
  /** Bytes of one string, bytes object or text line. */
  maxStringBytes: number;
  /** Items in one list/tuple/dict/set. */
  maxCollection: number;
  /** Bytes of an arbitrary-precision integer (LONG1/LONG4). */
  maxLongBytes: number;
}

export const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = {
  maxOpcodes: 4_000_000,
  maxMemo: 1_000_000,
  maxStack: 1_000_000,
  maxDepth: 100,
  maxStringBytes: 1 << 20,
  maxCollection: 1_000_000,
  maxLongBytes: 64,
};

export interface UnpickleOptions {
  /** File label for errors. */
  file: string;
  /** What the pickle is, for errors (e.g. `archive/data.pkl`). */
  what?: string;
  limits?: Partial<PickleLimits>;
  /** Resolve a persistent id (BINPERSID) to a storage; without it persistent ids are an error. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /**
   * Whether `bytes` runs to the end of the data. When false, running off the end throws NeedMoreBytes so the
   * caller can retry with a longer prefix (legacy files, whose pickle lengths are not recorded anywhere).
   */
  complete?: boolean;
}

/** Internal signal: the pickle continues past the bytes given (only when `complete` is false). */
export class NeedMoreBytes extends Error {
  constructor() {
    super('pickle continues past the bytes read so far');
    this.name = 'NeedMoreBytes';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT', 0x80: 'PROTO',
  0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS',
  0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** A short, safe description of a value for error messages (never walks into containers). */
export function describeValue(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return `the int ${String(v).slice(0, 40)}`;
  if (typeof v === 'number') return `the float ${String(v).slice(0, 40)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  switch (v.kind) {
    case 'global':
      return `${v.module}.${v.name}`;
    case 'tuple':
    case 'list':
    case 'set':
      return `a ${v.kind} of ${v.items.length}`;
    case 'dict':
      return `a dict of ${v.map.size}`;
    default:
      return `a ${v.kind}`;
  }
}

/** A global's name made safe to print (bounded, control characters escaped). */
export function printableName(s: string): string {
  const cut = s.length > 120 ? `${s.slice(0, 120)}…` : s;
  return JSON.stringify(cut).slice(1, -1);
}

function depthOf(v: PyValue): number {
  if (v !== null && typeof v === 'object' && 'depth' in v) return v.depth;
  return 0;
}

/**
 * Interpret the pickle starting at `start` up to its STOP opcode. Returns the value and the offset one past
 * STOP. Throws PytorchCheckpointError (DisallowedGlobalError for refused globals) for anything malformed,
 * unsupported or over a limit; NeedMoreBytes only when `complete` is false and the bytes run out.
 */
export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): { value: PyValue; end: number } {
  const limits: PickleLimits = { ...DEFAULT_PICKLE_LIMITS, ...opts.limits };
  const what = opts.what ?? 'pickle';
  const complete = opts.complete ?? true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  let opStart = start;
  let opName = '';
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let opcodes = 0;

  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file: opts.file, problem: `${what} at byte ${opStart} (${opName || 'start'}): ${problem}` });
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) {
      if (!complete) throw new NeedMoreBytes();
      fail(`truncated: needs ${n} more byte${n === 1 ? '' : 's'}, only ${bytes.length - pos} left`);
    }
  };
  const u8 = (): number => { need(1); return bytes[pos++]; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`declared length ${v} is absurd`);
    return Number(v);
  };
  const take = (n: number, kind: string): Uint8Array => {
    if (n > limits.maxStringBytes) fail(`${kind} of ${n} bytes exceeds the limit of ${limits.maxStringBytes}`);
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const max = Math.min(bytes.length, pos + limits.maxStringBytes + 1);
    for (let i = pos; i < max; i++) {
      if (bytes[i] === 0x0a) {
        const s = latin1.decode(bytes.subarray(pos, i));
        pos = i + 1;
        return s;
      }
    }
    if (max - pos > limits.maxStringBytes) fail(`text line longer than ${limits.maxStringBytes} bytes`);
    if (!complete) throw new NeedMoreBytes();
    return fail('truncated: text argument has no terminating newline');
  };
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const push = (v: PyValue): void => {
    if (stack.length >= limits.maxStack) fail(`stack exceeds ${limits.maxStack} values`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    if (!marks.length) fail('no MARK to pop to');
    const m = marks.pop() as number;
    return stack.splice(m);
  };
  const checkSize = (n: number): void => {
    if (n > limits.maxCollection) fail(`container of ${n} items exceeds the limit of ${limits.maxCollection}`);
  };
  const childDepth = (items: readonly PyValue[]): number => {
    let d = 0;
    for (const it of items) d = Math.max(d, depthOf(it));
    if (d + 1 > limits.maxDepth) fail(`containers nested deeper than ${limits.maxDepth}`);
    return d + 1;
  };
  const tuple = (items: PyValue[]): PyTuple => {
    checkSize(items.length);
    return { kind: 'tuple', items, depth: childDepth(items) };
  };
  const grow = (c: PyList | PySet | PyDict, items: readonly PyValue[]): void => {
    const d = childDepth(items);
    if (d > c.depth) c.depth = d;
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (target === null || typeof target !== 'object' || (target.kind !== 'list' && target.kind !== 'set')) {
      fail(`cannot append to ${describeValue(target)}`);
      return;
    }
    checkSize(target.items.length + items.length);
    grow(target, items);
    for (const it of items) target.items.push(it);
  };
  const dictKey = (k: PyValue): unknown => {
    if (k === null || typeof k !== 'object') return k;
    if (k.kind === 'tuple' || k.kind === 'global' || k.kind === 'bytes') return k;
    return fail(`unhashable dict key: ${describeValue(k)}`);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (target === null || typeof target !== 'object' || target.kind !== 'dict') {
      fail(`cannot set items on ${describeValue(target)}`);
      return;
    }
    if (items.length % 2 !== 0) fail('odd number of items for SETITEMS');
    const values: PyValue[] = [];
    for (let i = 0; i < items.length; i += 2) {
      target.map.set(dictKey(items[i]), items[i + 1]);
      values.push(items[i + 1]);
    }
    checkSize(target.map.size);
    grow(target, values);
  };
  const memoPut = (idx: number, v: PyValue): void => {
    if (!memo.has(idx) && memo.size >= limits.maxMemo) fail(`memo exceeds ${limits.maxMemo} entries`);
    memo.set(idx, v);
  };
  const memoGet = (idx: number): PyValue => {
    const v = memo.get(idx);
    if (v === undefined) fail(`memo slot ${idx} was never stored`);
    return v as PyValue;
  };
  const resolveGlobal = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    const spec = ALLOWED_GLOBALS.get(full);
    if (!spec) throw new DisallowedGlobalError({ file: opts.file, global: printableName(full) });
    return { kind: 'global', module, name, spec };
  };
  const intOf = (n: bigint): number | bigint =>
    n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let n = 0n;
    for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) n -= 1n << BigInt(8 * b.length);
    return intOf(n);
  };
  const parseIntText = (s: string): PyValue => {
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (t === '00') return false; // protocol 0 False
    if (t === '01') return true; // protocol 0 True
    if (!/^[+-]?\d{1,40}$/.test(t)) fail(`bad integer literal ${JSON.stringify(s.slice(0, 40))}`);
    return intOf(BigInt(t));
  };

  const call = (fn: PyValue, args: PyValue): PyValue => {
    if (fn === null || typeof fn !== 'object' || fn.kind !== 'global') {
      return fail(`REDUCE of ${describeValue(fn)}: only allow-listed torch functions may be applied`);
    }
    if (args === null || typeof args !== 'object' || args.kind !== 'tuple') {
      return fail(`REDUCE arguments for ${fn.module}.${fn.name} are ${describeValue(args)}, not a tuple`);
    }
    return applyGlobal(fn, args.items, false);
  };

  const applyGlobal = (fn: PyGlobal, a: PyValue[], nested: boolean): PyValue => {
    const full = `${fn.module}.${fn.name}`;
    const spec = fn.spec;
    const arity = (lo: number, hi: number): void => {
      if (a.length < lo || a.length > hi) {
        fail(`${full} takes ${lo === hi ? lo : `${lo}-${hi}`} arguments, got ${a.length}`);
      }
    };
    switch (spec.role) {
      case 'ordered-dict': {
        arity(0, 1);
        const d: PyDict = { kind: 'dict', map: new Map(), depth: 1 };
        if (a.length === 1 && a[0] !== null) {
          const src = a[0];
          if (typeof src !== 'object' || (src.kind !== 'list' && src.kind !== 'tuple')) {
            return fail(`${full} of ${describeValue(src)} is not supported`);
          }
          const flat: PyValue[] = [];
          for (const pair of src.items) {
            if (pair === null || typeof pair !== 'object' || (pair.kind !== 'tuple' && pair.kind !== 'list') || pair.items.length !== 2) {
              return fail(`${full}: item ${describeValue(pair)} is not a (key, value) pair`);
            }
            flat.push(pair.items[0], pair.items[1]);
          }
          setItems(d, flat);
        }
        return d;
      }
      case 'size': {
        arity(0, 1);
        if (a.length === 0) return tuple([]);
        const t = a[0];
        if (t === null || typeof t !== 'object' || (t.kind !== 'tuple' && t.kind !== 'list')) {
          return fail(`torch.Size of ${describeValue(t)}`);
        }
        return tuple([...t.items]);
      }
      case 'rebuild-tensor': {
        if (spec.version === 'legacy') arity(4, 4);
        else if (spec.version === 'v2') arity(6, 7);
        else arity(7, 8);
        const storage = a[0];
        if (storage === null || typeof storage !== 'object' || storage.kind !== 'storage') {
          return fail(`${full}: first argument is ${describeValue(storage)}, not a storage`);
        }
        const offset = a[1];
        if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
          return fail(`${full}: storage offset ${describeValue(offset)} is not a non-negative integer`);
        }
        const shape = intTuple(a[2], `${full}: size`);
        const stride = intTuple(a[3], `${full}: stride`);
        if (shape.length !== stride.length) {
          fail(`${full}: size has ${shape.length} dimensions but stride has ${stride.length}`);
        }
        let dtype = storage.dtype;
        if (spec.version === 'v3') {
          const d = a[6];
          if (d === null || typeof d !== 'object' || d.kind !== 'global' || d.spec.role !== 'dtype') {
            return fail(`${full}: dtype argument is ${describeValue(d)}, not a torch dtype`);
          }
          if (!storage.untyped) fail(`${full}: expects an untyped storage`);
          dtype = d.spec.dtype;
        } else if (storage.untyped) {
          fail(`${full}: an untyped storage needs _rebuild_tensor_v3 with a dtype`);
        }
        return { kind: 'tensor', storage, dtype, storageOffset: offset, shape, stride };
      }
      case 'rebuild-parameter': {
        arity(spec.withState ? 4 : 3, spec.withState ? 4 : 3);
        const data = a[0];
        if (data === null || typeof data !== 'object' || data.kind !== 'tensor') {
          return fail(`${full}: data is ${describeValue(data)}, not a tensor`);
        }
        return data;
      }
      case 'rebuild-from-type': {
        arity(4, 4);
        if (nested) fail(`${full} nested inside itself`);
        const [func, newType, inner] = a;
        if (func === null || typeof func !== 'object' || func.kind !== 'global' ||
          (func.spec.role !== 'rebuild-tensor' && func.spec.role !== 'rebuild-parameter')) {
          return fail(`${full}: function ${describeValue(func)} is not a tensor rebuild function`);
        }
        if (newType === null || typeof newType !== 'object' || newType.kind !== 'global' || newType.spec.role !== 'tensor-type') {
          return fail(`${full}: type ${describeValue(newType)} is not torch.Tensor or torch.nn.Parameter`);
        }
        if (inner === null || typeof inner !== 'object' || inner.kind !== 'tuple') {
          return fail(`${full}: arguments are ${describeValue(inner)}, not a tuple`);
        }
        return applyGlobal(func, inner.items, true);
      }
      default:
        return fail(`${full} cannot be called`);
    }
  };

  const intTuple = (v: PyValue, what: string): number[] => {
    if (v === null || typeof v !== 'object' || (v.kind !== 'tuple' && v.kind !== 'list')) {
      return fail(`${what} is ${describeValue(v)}, not a tuple`);
    }
    if (v.items.length > 64) fail(`${what} has ${v.items.length} dimensions`);
    return v.items.map((x) => {
      if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
        return fail(`${what} holds ${describeValue(x)}, not a non-negative integer`);
      }
      return x;
    });
  };

  for (;;) {
    if (++opcodes > limits.maxOpcodes) fail(`more than ${limits.maxOpcodes} opcodes`);
    opStart = pos;
    opName = '';
    const op = u8();
    opName = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: { // STOP
        if (marks.length) fail('STOP with an open MARK');
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack (expected 1)`);
        return { value: stack[0], end: pos };
      }
      case 0x28: // MARK
        if (marks.length >= limits.maxDepth) fail(`MARKs nested deeper than ${limits.maxDepth}`);
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x49: push(parseIntText(line())); break; // INT
      case 0x4c: push(parseIntText(line())); break; // LONG
      case 0x8a: { // LONG1
        const n = u8();
        if (n > limits.maxLongBytes) fail(`integer of ${n} bytes exceeds the limit of ${limits.maxLongBytes}`);
        need(n);
        push(decodeLong(bytes.subarray(pos, pos + n)));
        pos += n;
        break;
      }
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0 || n > limits.maxLongBytes) fail(`integer of ${n} bytes exceeds the limit of ${limits.maxLongBytes}`);
        need(n);
        push(decodeLong(bytes.subarray(pos, pos + n)));
        pos += n;
        break;
      }
      case 0x47: { // BINFLOAT (big-endian)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x46: { // FLOAT
        const s = line().trim();
        const f = Number(s);
        if (s === '' || (Number.isNaN(f) && !/^[+-]?nan$/i.test(s))) fail(`bad float literal ${JSON.stringify(s.slice(0, 40))}`);
        push(f);
        break;
      }
      case 0x58: push(text(take(u32(), 'string'))); break; // BINUNICODE
      case 0x8c: push(text(take(u8(), 'string'))); break; // SHORT_BINUNICODE
      case 0x8d: push(text(take(u64(), 'string'))); break; // BINUNICODE8
      case 0x55: { // SHORT_BINSTRING (Python 2 str)
        const b = take(u8(), 'string');
        push(decodePy2(b));
        break;
      }
      case 0x54: { // BINSTRING
        const n = i32();
        if (n < 0) fail(`negative string length ${n}`);
        push(decodePy2(take(n, 'string')));
        break;
      }
      case 0x42: push({ kind: 'bytes', data: take(u32(), 'bytes').slice() }); break; // BINBYTES
      case 0x43: push({ kind: 'bytes', data: take(u8(), 'bytes').slice() }); break; // SHORT_BINBYTES
      case 0x8e: push({ kind: 'bytes', data: take(u64(), 'bytes').slice() }); break; // BINBYTES8
      case 0x29: push(tuple([])); break; // EMPTY_TUPLE
      case 0x85: { const a = pop(); push(tuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(tuple([a, b, c])); break; } // TUPLE3
      case 0x74: push(tuple(popMark())); break; // TUPLE
      case 0x5d: push({ kind: 'list', items: [], depth: 1 }); break; // EMPTY_LIST
      case 0x6c: { // LIST
        const items = popMark();
        checkSize(items.length);
        push({ kind: 'list', items, depth: childDepth(items) });
        break;
      }
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x7d: push({ kind: 'dict', map: new Map(), depth: 1 }); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const d: PyDict = { kind: 'dict', map: new Map(), depth: 1 };
        setItems(d, items);
        push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: push({ kind: 'set', items: [], depth: 1 }); break; // EMPTY_SET
      case 0x90: { const items = popMark(); appendItems(top(), items); break; } // ADDITEMS
      case 0x91: { // FROZENSET
        const items = popMark();
        checkSize(items.length);
        push({ kind: 'set', items, depth: childDepth(items) });
        break;
      }
      case 0x71: memoPut(u8(), top()); break; // BINPUT
      case 0x72: memoPut(u32(), top()); break; // LONG_BINPUT
      case 0x70: { // PUT
        const s = line();
        if (!/^\d{1,10}$/.test(s)) fail(`bad memo index ${JSON.stringify(s.slice(0, 40))}`);
        memoPut(Number(s), top());
        break;
      }
      case 0x94: { // MEMOIZE
        const v = top();
        memoPut(memo.size, v);
        break;
      }
      case 0x68: push(memoGet(u8())); break; // BINGET
      case 0x6a: push(memoGet(u32())); break; // LONG_BINGET
      case 0x67: { // GET
        const s = line();
        if (!/^\d{1,10}$/.test(s)) fail(`bad memo index ${JSON.stringify(s.slice(0, 40))}`);
        push(memoGet(Number(s)));
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          fail(`STACK_GLOBAL needs two strings, got ${describeValue(module)} and ${describeValue(name)}`);
        }
        push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        push(call(fn, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj !== null && typeof obj === 'object' && obj.kind === 'dict') obj.state = state;
        else if (obj === null || typeof obj !== 'object' || obj.kind !== 'tensor') {
          fail(`BUILD on ${describeValue(obj)} is not allowed`);
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id where none is expected');
        push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail('persistent id where none is expected');
        push(opts.persistentLoad!(pid));
        break;
      }
      case 0x81: // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const items = stack.slice(-3);
        const cls = items.find((v) => v !== null && typeof v === 'object' && v.kind === 'global');
        fail(`creating objects is not allowed (class ${cls ? describeValue(cls) : 'unknown'})`);
        break;
      }
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x82: case 0x83: case 0x84: // EXT1/2/4
      case 0x53: case 0x56: // STRING, UNICODE (quoted text forms)
      case 0x96: case 0x97: case 0x98: // BYTEARRAY8, NEXT_BUFFER, READONLY_BUFFER
        fail('opcode not supported in a state dict');
        break;
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function decodePy2(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return latin1.decode(b);
  }
}
