/**
 * Hostile PyTorch checkpoints: several hundred generated malformed pickles, zips and legacy files. Each must be
 * refused with a PytorchCheckpointError whose message starts with the file label, quickly, within bounded memory,
 * and no payload may ever run: payloads would create a marker file (a Python control run shows they do when
 * unpickled by Python), which must not exist afterwards. A random-mutation corpus must never crash the reader
 * (only its own error classes, or success).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, SafetensorsError } from '@/lib/safetensors';
import { PytorchCheckpointError } from './errors';
import { readPytorchIndex, readPytorchTensor } from './reader';
import {
  encodeValues,
  PickleBuilder,
  pickleCheckpoint,
  writeTorchLegacy,
  writeTorchZip,
  writeZip,
  type TorchCheckpoint,
  type TorchValue,
} from './testing/write-torch';

const WORK = mkdtempSync(join(tmpdir(), 'alphaboard-pytorch-fuzz-'));
const MARKER = join(WORK, 'payload-ran');

interface Case { name: string; bytes: Uint8Array }
const cases: Case[] = [];
const add = (name: string, bytes: Uint8Array) => cases.push({ name, bytes });

// ---------------------------------------------------------------------------------------------------------
// A valid base checkpoint

function base(opts: { offset?: number; shape?: number[]; stride?: number[]; numel?: number; key?: string } = {}): TorchCheckpoint {
  const values = Array.from({ length: 24 }, (_, i) => i / 8 - 1);
  return {
    storages: {
      [opts.key ?? '0']: { dtype: 'F32', bytes: encodeValues('F32', values), numel: opts.numel },
      '1': { dtype: 'F32', bytes: encodeValues('F32', values.slice(0, 6)) },
    },
    root: {
      ordered: [
        ['a.weight', { tensor: { storage: opts.key ?? '0', shape: opts.shape ?? [4, 6], stride: opts.stride, storageOffset: opts.offset } }],
        ['b.weight', { tensor: { storage: '1', shape: [3, 2], stride: [1, 3] } }],
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Payloads: dangerous globals called with arguments that would create MARKER

const DANGEROUS: Array<[string, string, (p: PickleBuilder) => void]> = (() => {
  const cmd = (p: PickleBuilder) => p.unicode(`touch ${MARKER}`).tupleN(1);
  const py = (p: PickleBuilder) => p.unicode(`open(${JSON.stringify(MARKER)}, 'w').close()`).tupleN(1);
  const argv = (p: PickleBuilder) => p.emptyList().mark().unicode('touch').unicode(MARKER).appends().tupleN(1);
  const open = (p: PickleBuilder) => p.unicode(MARKER).unicode('w').tupleN(2);
  const list: Array<[string, string, (p: PickleBuilder) => void]> = [
    ['os', 'system', cmd], ['posix', 'system', cmd], ['nt', 'system', cmd], ['os', 'popen', cmd],
    ['builtins', 'eval', py], ['builtins', 'exec', py], ['__builtin__', 'eval', py], ['builtins', 'compile', py],
    ['builtins', 'open', open], ['io', 'open', open], ['builtins', '__import__', cmd], ['builtins', 'getattr', open],
    ['subprocess', 'Popen', argv], ['subprocess', 'call', argv], ['subprocess', 'run', argv],
    ['subprocess', 'check_output', argv], ['pty', 'spawn', argv], ['shutil', 'rmtree', cmd],
    ['importlib', 'import_module', cmd], ['runpy', '_run_code', py], ['pickle', 'loads', cmd],
    ['torch', 'load', cmd], ['torch.serialization', 'load', cmd], ['torch._utils', '_rebuild_device_tensor_from_numpy', cmd],
    ['numpy.core.multiarray', '_reconstruct', cmd], ['webbrowser', 'open', cmd], ['code', 'InteractiveInterpreter', cmd],
    ['operator', 'attrgetter', cmd], ['functools', 'partial', cmd], ['_codecs', 'encode', cmd],
    ['torch.nn.modules.linear', 'Linear', cmd], ['argparse', 'Namespace', cmd],
  ];
  return list;
})();

/** The payload call itself: GLOBAL (or STACK_GLOBAL) + args + REDUCE. */
function payload(p: PickleBuilder, module: string, name: string, args: (p: PickleBuilder) => void, stack: boolean) {
  if (stack) p.shortBinunicode(module).shortBinunicode(name).stackGlobal();
  else p.global(module, name);
  args(p);
  p.reduce();
}

const PLACEMENTS: Array<[string, (p: PickleBuilder, call: () => void, legacy: boolean) => void]> = [
  ['top level', (p, call) => call()],
  ['value after a valid tensor', (p, call, legacy) => {
    // OrderedDict with one valid tensor, then the payload as a value.
    p.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    p.unicode('ok').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().unicode('storage').global('torch', 'FloatStorage').unicode('1').unicode('cpu').int(6);
    if (legacy) p.none();
    p.tuple().binpersid();
    p.int(0).int(6).tupleN(1).int(1).tupleN(1).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    p.unicode('evil');
    call();
    p.setitems();
  }],
  ['storage type of a persistent id', (p, call, legacy) => {
    p.emptyDict().unicode('w').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().unicode('storage');
    call();
    p.unicode('0').unicode('cpu').int(24);
    if (legacy) p.none();
    p.tuple().binpersid();
    p.int(0).int(24).tupleN(1).int(1).tupleN(1).bool(false).none().tuple().reduce().setitem();
  }],
  ['function of _rebuild_from_type_v2', (p, call) => {
    p.emptyDict().unicode('w').global('torch._tensor', '_rebuild_from_type_v2').mark();
    call();
    p.global('torch', 'Tensor').emptyTuple().emptyDict().tuple().reduce().setitem();
  }],
  ['dict key', (p, call) => {
    p.emptyDict();
    call();
    p.int(1).setitem();
  }],
];

for (const [module, name, args] of DANGEROUS) {
  PLACEMENTS.forEach(([where, wrap], i) => {
    const stack = i % 2 === 1;
    for (const legacy of [false, true]) {
      const p = new PickleBuilder().proto(stack ? 4 : 2);
      wrap(p, () => payload(p, module, name, args, stack), legacy);
      const pkl = p.stop().bytes();
      if (legacy) add(`legacy: ${module}.${name} (${where})`, writeTorchLegacy(base(), { pickle: pkl }));
      else add(`zip: ${module}.${name} (${where})`, writeTorchZip(base(), { pickle: pkl }));
    }
  });
}
// Globals smuggled into the other pickles of a legacy file.
for (const [module, name, args] of DANGEROUS.slice(0, 6)) {
  const p = new PickleBuilder().proto(2);
  payload(p, module, name, args, false);
  const evil = p.stop().bytes();
  const good = writeTorchLegacy(base());
  const i = good.indexOf(0x2e) + 1; // after the magic pickle's STOP
  const spliced = new Uint8Array(good.length + evil.length);
  spliced.set(good.subarray(0, i));
  spliced.set(evil, i);
  spliced.set(good.subarray(i), i + evil.length);
  add(`legacy: ${module}.${name} in place of the protocol version`, spliced);
}

// ---------------------------------------------------------------------------------------------------------
// Calls of things that are not allow-listed functions, object-creation opcodes, wrong arities and types

const zipWithPickle = (name: string, build: (p: PickleBuilder) => void, proto = 2) => {
  const p = new PickleBuilder().proto(proto);
  build(p);
  add(`zip: ${name}`, writeTorchZip(base(), { pickle: p.stop().bytes() }));
};
const pid = (p: PickleBuilder, key = '0', numel = 24, type = 'FloatStorage') =>
  p.mark().unicode('storage').global('torch', type).unicode(key).unicode('cpu').int(numel).tuple().binpersid();
const rebuild = (p: PickleBuilder, body: () => void) => {
  p.emptyDict().unicode('w').global('torch._utils', '_rebuild_tensor_v2').mark();
  body();
  p.tuple().reduce().setitem();
};
zipWithPickle('REDUCE of a string', (p) => p.unicode('os.system').emptyTuple().reduce());
zipWithPickle('REDUCE of an int', (p) => p.int(3).emptyTuple().reduce());
zipWithPickle('REDUCE of None', (p) => p.none().emptyTuple().reduce());
zipWithPickle('REDUCE of a dict', (p) => p.emptyDict().emptyTuple().reduce());
zipWithPickle('REDUCE of a storage class', (p) => p.global('torch', 'FloatStorage').emptyTuple().reduce());
zipWithPickle('REDUCE of a dtype', (p) => p.global('torch', 'float32').emptyTuple().reduce());
zipWithPickle('REDUCE of torch.Tensor', (p) => p.global('torch', 'Tensor').emptyTuple().reduce());
zipWithPickle('REDUCE of a tensor', (p) => {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  pid(p);
  p.int(0).int(24).tupleN(1).int(1).tupleN(1).bool(false).none().tuple().reduce().emptyTuple().reduce();
});
zipWithPickle('REDUCE with a non-tuple argument', (p) => p.global('collections', 'OrderedDict').unicode('x').reduce());
zipWithPickle('OrderedDict of a string', (p) => p.global('collections', 'OrderedDict').unicode('abc').tupleN(1).reduce());
zipWithPickle('OrderedDict of bad pairs', (p) => p.global('collections', 'OrderedDict').emptyList().mark().int(1).appends().tupleN(1).reduce());
zipWithPickle('NEWOBJ', (p) => p.global('collections', 'OrderedDict').emptyTuple().raw(0x81));
zipWithPickle('NEWOBJ_EX', (p) => p.global('collections', 'OrderedDict').emptyTuple().emptyDict().raw(0x92), 4);
zipWithPickle('INST', (p) => p.mark().raw(0x69).rawBytes(new TextEncoder().encode('os\nsystem\n')));
zipWithPickle('OBJ', (p) => p.mark().global('collections', 'OrderedDict').raw(0x6f));
zipWithPickle('EXT1', (p) => p.raw(0x82, 1));
zipWithPickle('EXT2', (p) => p.raw(0x83, 1, 0));
zipWithPickle('EXT4', (p) => p.raw(0x84, 1, 0, 0, 0));
zipWithPickle('NEXT_BUFFER', (p) => p.raw(0x97), 5);
zipWithPickle('STRING', (p) => p.raw(0x53).rawBytes(new TextEncoder().encode("'x'\n")));
zipWithPickle('BUILD on a global', (p) => p.global('collections', 'OrderedDict').emptyDict().build());
zipWithPickle('BUILD on a string', (p) => p.unicode('x').emptyDict().build());
zipWithPickle('rebuild with too few arguments', (p) => rebuild(p, () => { pid(p); p.int(0); }));
zipWithPickle('rebuild with too many arguments', (p) => rebuild(p, () => { pid(p); for (let i = 0; i < 8; i++) p.int(0); }));
zipWithPickle('rebuild on a string storage', (p) => rebuild(p, () => { p.unicode('0').int(0).int(24).tupleN(1).int(1).tupleN(1).bool(false).none(); }));
zipWithPickle('rebuild with a negative offset', (p) => rebuild(p, () => { pid(p); p.int(-1).int(24).tupleN(1).int(1).tupleN(1).bool(false).none(); }));
zipWithPickle('rebuild with a string size', (p) => rebuild(p, () => { pid(p); p.int(0).unicode('24').int(1).tupleN(1).bool(false).none(); }));
zipWithPickle('rebuild with a negative stride', (p) => rebuild(p, () => { pid(p); p.int(23).int(24).tupleN(1).int(-1).tupleN(1).bool(false).none(); }));
zipWithPickle('rebuild with float dims', (p) => rebuild(p, () => { pid(p); p.int(0).float(2.5).tupleN(1).int(1).tupleN(1).bool(false).none(); }));
zipWithPickle('rebuild with mismatched size/stride', (p) => rebuild(p, () => { pid(p); p.int(0).int(4).int(6).tupleN(2).int(1).tupleN(1).bool(false).none(); }));
zipWithPickle('rebuild with 65 dimensions', (p) => rebuild(p, () => {
  pid(p);
  p.int(0).mark();
  for (let i = 0; i < 65; i++) p.int(1);
  p.tuple().mark();
  for (let i = 0; i < 65; i++) p.int(1);
  p.tuple().bool(false).none();
}));
zipWithPickle('v2 rebuild over an untyped storage', (p) => rebuild(p, () => { pid(p, '0', 96, 'UntypedStorage'); p.int(0).int(24).tupleN(1).int(1).tupleN(1).bool(false).none(); }));
zipWithPickle('parameter of a string', (p) => p.emptyDict().unicode('w').global('torch._utils', '_rebuild_parameter').unicode('x').bool(true).none().tupleN(3).reduce().setitem());
zipWithPickle('from_type with a bad type', (p) => p.emptyDict().unicode('w').global('torch._tensor', '_rebuild_from_type_v2').mark()
  .global('torch._utils', '_rebuild_tensor_v2').global('collections', 'OrderedDict').emptyTuple().emptyDict().tuple().reduce().setitem());
zipWithPickle('from_type nested in itself', (p) => p.emptyDict().unicode('w').global('torch._tensor', '_rebuild_from_type_v2').mark()
  .global('torch._tensor', '_rebuild_from_type_v2').global('torch', 'Tensor').emptyTuple().emptyDict().tuple().reduce().setitem());
zipWithPickle('persistent id that is a string', (p) => p.emptyDict().unicode('w').unicode('0').binpersid().setitem());
zipWithPickle('persistent id of a module', (p) => p.emptyDict().unicode('w').mark().unicode('module').none().unicode('a').unicode('b').tuple().binpersid().setitem());
zipWithPickle('persistent id with 4 fields', (p) => p.emptyDict().unicode('w').mark().unicode('storage').global('torch', 'FloatStorage').unicode('0').unicode('cpu').tuple().binpersid().setitem());
zipWithPickle('persistent id with a non-storage type', (p) => p.emptyDict().unicode('w').mark().unicode('storage').global('torch', 'float32').unicode('0').unicode('cpu').int(1).tuple().binpersid().setitem());
zipWithPickle('persistent id with a path key', (p) => p.emptyDict().unicode('w').mark().unicode('storage').global('torch', 'FloatStorage').unicode('../../etc/passwd').unicode('cpu').int(1).tuple().binpersid().setitem());
zipWithPickle('persistent id with a negative size', (p) => p.emptyDict().unicode('w').mark().unicode('storage').global('torch', 'FloatStorage').unicode('0').unicode('cpu').int(-4).tuple().binpersid().setitem());
zipWithPickle('storage declared twice differently', (p) => {
  p.mark();
  pid(p, '0', 24);
  pid(p, '0', 12);
  p.tuple();
});
zipWithPickle('top level is a list', (p) => p.emptyList());
zipWithPickle('top level is a tensor-free dict', (p) => p.emptyDict().unicode('epoch').int(3).setitem());
zipWithPickle('ambiguous nested dicts', (p) => {
  p.emptyDict().mark();
  for (const k of ['a', 'b']) {
    p.unicode(k).emptyDict().unicode('w').global('torch._utils', '_rebuild_tensor_v2').mark();
    pid(p);
    p.int(0).int(24).tupleN(1).int(1).tupleN(1).bool(false).none().tuple().reduce().setitem();
  }
  p.setitems();
});
zipWithPickle('unhashable dict key', (p) => p.emptyDict().emptyList().int(1).setitem());
zipWithPickle('append to a dict', (p) => p.emptyDict().int(1).append());
zipWithPickle('setitem on a list', (p) => p.emptyList().int(1).int(2).setitem());
zipWithPickle('odd SETITEMS', (p) => p.emptyDict().mark().int(1).setitems());
zipWithPickle('STACK_GLOBAL of ints', (p) => p.int(1).int(2).stackGlobal(), 4);
zipWithPickle('invalid UTF-8 string', (p) => p.raw(0x8c, 2, 0xc3, 0x28), 4);
zipWithPickle('unknown opcode', (p) => p.raw(0xf0));
zipWithPickle('protocol 6', (p) => p.raw(0x80, 6));
zipWithPickle('stack underflow', (p) => p.pop());
zipWithPickle('POP_MARK without MARK', (p) => p.raw(0x31));
zipWithPickle('STOP with open MARK', (p) => p.none().mark());
zipWithPickle('empty stack at STOP', () => undefined);
zipWithPickle('truncated BININT', (p) => p.raw(0x4a, 1, 2));
zipWithPickle('no STOP', (p) => p.none().raw());
zipWithPickle('text GLOBAL without newline', (p) => p.raw(0x63, 0x6f, 0x73));
zipWithPickle('bad INT literal', (p) => p.raw(0x49).rawBytes(new TextEncoder().encode('12x\n')));
zipWithPickle('bad GET index', (p) => p.raw(0x67).rawBytes(new TextEncoder().encode('-1\n')));

// ---------------------------------------------------------------------------------------------------------
// Memo / recursion / size bombs

{
  const deepList = new PickleBuilder().proto(2);
  for (let i = 0; i < 100_000; i++) deepList.emptyList();
  for (let i = 0; i < 99_999; i++) deepList.append();
  add('zip: 100k nested lists', writeTorchZip(base(), { pickle: deepList.stop().bytes() }));
  const deepTuple = new PickleBuilder().proto(2).emptyTuple();
  for (let i = 0; i < 50_000; i++) deepTuple.tupleN(1);
  add('zip: 50k nested tuples', writeTorchZip(base(), { pickle: deepTuple.stop().bytes() }));
  const marks = new PickleBuilder().proto(2);
  for (let i = 0; i < 100_000; i++) marks.mark();
  add('zip: 100k MARKs', writeTorchZip(base(), { pickle: marks.stop().bytes() }));
  const selfRef = new PickleBuilder().proto(2).emptyList().binput(0);
  for (let i = 0; i < 1000; i++) selfRef.binget(0).append();
  add('zip: list appended to itself 1000 times', writeTorchZip(base(), { pickle: selfRef.stop().bytes() }));
  const laughs = new PickleBuilder().proto(2).emptyList().binput(0).pop();
  for (let i = 1; i < 60; i++) laughs.mark().binget(i - 1).binget(i - 1).binget(i - 1).tuple().binput(i).pop();
  laughs.binget(59);
  add('zip: billion laughs through memo (3^59 leaves)', writeTorchZip(base(), { pickle: laughs.stop().bytes() }));
  const memo = new PickleBuilder().proto(2).none();
  for (let i = 0; i < 1_100_000; i++) memo.binput(i);
  add('zip: 1.1M memo slots', writeTorchZip(base(), { pickle: memo.stop().bytes() }));
  const ops = new PickleBuilder().proto(2).none();
  for (let i = 0; i < 2_100_000; i++) ops.dup().pop();
  add('zip: 4.2M opcodes', writeTorchZip(base(), { pickle: ops.stop().bytes() }));
  const stack = new PickleBuilder().proto(2);
  for (let i = 0; i < 1_100_000; i++) stack.none();
  add('zip: 1.1M values on the stack', writeTorchZip(base(), { pickle: stack.stop().bytes() }));
  const wide = new PickleBuilder().proto(2).emptyList();
  for (let r = 0; r < 3; r++) {
    wide.mark();
    for (let i = 0; i < 400_000; i++) wide.none();
    wide.appends();
  }
  add('zip: list of 1.2M items', writeTorchZip(base(), { pickle: wide.stop().bytes() }));
  add('zip: BINUNICODE of 4 GiB declared', writeTorchZip(base(), { pickle: new PickleBuilder().proto(2).raw(0x58, 0xff, 0xff, 0xff, 0xff, 0x41).bytes() }));
  add('zip: BINUNICODE8 of 2^63 declared', writeTorchZip(base(), { pickle: new PickleBuilder().proto(4).raw(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80).bytes() }));
  add('zip: BINBYTES8 of 2^50 declared', writeTorchZip(base(), { pickle: new PickleBuilder().proto(4).raw(0x8e, 0, 0, 0, 0, 0, 0, 4, 0).bytes() }));
  add('zip: BINBYTES of 2 MiB (over the string limit)', writeTorchZip(base(), { pickle: new PickleBuilder().proto(3).raw(0x42, 0, 0, 0x20, 0).rawBytes(new Uint8Array(2 << 20)).stop().bytes() }));
  add('zip: LONG4 of 2^31 bytes declared', writeTorchZip(base(), { pickle: new PickleBuilder().proto(2).raw(0x8b, 0xff, 0xff, 0xff, 0x7f).bytes() }));
  add('zip: LONG1 of 255 bytes', writeTorchZip(base(), { pickle: new PickleBuilder().proto(2).raw(0x8a, 255).rawBytes(new Uint8Array(255)).stop().bytes() }));
  add('zip: FRAME of 2^63', writeTorchZip(base(), { pickle: new PickleBuilder().proto(4).raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0x80).bytes() }));
  add('zip: text line of 2 MiB', writeTorchZip(base(), { pickle: new PickleBuilder().proto(2).raw(0x49).rawBytes(new Uint8Array(2 << 20).fill(0x31)).bytes() }));
}

// ---------------------------------------------------------------------------------------------------------
// Geometry: offsets and sizes past the storage, absurd declared sizes, missing storages

const geometry: Array<[string, Parameters<typeof base>[0]]> = [
  ['offset past the storage', { offset: 24 }],
  ['offset plus view past the storage', { offset: 1 }],
  ['shape larger than the storage', { shape: [5, 6] }],
  ['stride reaching past the storage', { shape: [4, 6], stride: [7, 1] }],
  ['transposed stride past the storage', { shape: [6, 4], stride: [1, 7] }],
  ['huge shape', { shape: [2 ** 30, 2 ** 30] }],
  ['huge stride', { shape: [2, 2], stride: [2 ** 52, 1] }],
  ['offset of 2^53', { offset: 2 ** 53 - 2 }],
  ['declared numel 2^50', { numel: 2 ** 50 }],
  ['declared numel larger than the entry', { numel: 25 }],
  ['storage key that is a path', { key: 'a/../../b' }],
];
for (const [name, o] of geometry) {
  add(`zip: ${name}`, writeTorchZip(base(o)));
  add(`legacy: ${name}`, writeTorchLegacy(base(o)));
}
{
  const ck = base();
  const withGhost: TorchCheckpoint = {
    storages: { ...ck.storages, ghost: { dtype: 'F32', bytes: new Uint8Array(16) } },
    root: { ordered: [...(ck.root as { ordered: Array<[string, TorchValue]> }).ordered, ['g', { tensor: { storage: 'ghost', shape: [4] } }]] },
  };
  add('zip: storage key with no entry', writeTorchZip(ck, { pickle: pickleCheckpoint(withGhost) }));
  add('legacy: storage key missing from the key list', writeTorchLegacy(withGhost, { keys: ['0', '1'] }));
  add('legacy: key list names an unreferenced storage', writeTorchLegacy(withGhost, { keys: ['0', '1', 'ghost', 'zz'] }));
  add('legacy: key listed twice', writeTorchLegacy(ck, { keys: ['0', '1', '1'] }));
  add('legacy: element count mismatch', writeTorchLegacy(ck, { countOverride: { '1': 7 } }));
  add('legacy: element count of 2^63', writeTorchLegacy(ck, { countOverride: { '0': 2 ** 62 } }));
}

// ---------------------------------------------------------------------------------------------------------
// Zip structure

const good = writeTorchZip(base(), { prefix: 'ck' });
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
function directory(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) if (view(b).getUint32(i, true) === 0x02014b50) out.push(i);
  return out;
}
function locals(b: Uint8Array): number[] {
  return directory(b).map((c) => view(b).getUint32(c + 42, true));
}
function mutate(name: string, f: (b: Uint8Array, v: DataView) => void, from = good) {
  const b = from.slice();
  f(b, view(b));
  add(`zip: ${name}`, b);
}
const cds = directory(good);
const lhs = locals(good);
const eocdAt = good.length - 22;
const z64At = good.length - 22 - 20 - 56;
// Entries: 0 data.pkl, 1 data/0, 2 data/1, 3 version.
for (const [entry, label] of [[0, 'data.pkl'], [1, 'storage 0'], [2, 'storage 1']] as const) {
  for (const method of [8, 12, 14, 93, 99]) {
    mutate(`${label} compressed (method ${method})`, (b, v) => { v.setUint16(cds[entry] + 10, method, true); v.setUint16(lhs[entry] + 8, method, true); });
  }
  mutate(`${label} encrypted`, (b, v) => v.setUint16(cds[entry] + 8, 0x0809, true));
  mutate(`${label} local header signature broken`, (b) => { b[lhs[entry]] = 0x51; });
  mutate(`${label} local name length differs`, (b, v) => v.setUint16(lhs[entry] + 26, v.getUint16(lhs[entry] + 26, true) + 1, true));
  mutate(`${label} local name differs`, (b) => { b[lhs[entry] + 30] ^= 0x20; });
  mutate(`${label} local extra length runs past the entry`, (b, v) => v.setUint16(lhs[entry] + 28, 0xffff, true));
  mutate(`${label} sizes differ`, (b, v) => v.setUint32(cds[entry] + 20, v.getUint32(cds[entry] + 24, true) + 1, true));
  mutate(`${label} size runs past the next entry`, (b, v) => { v.setUint32(cds[entry] + 20, 1 << 20, true); v.setUint32(cds[entry] + 24, 1 << 20, true); });
  mutate(`${label} local offset past the file`, (b, v) => v.setUint32(cds[entry] + 42, 0x7fffffff, true));
  if (entry > 0) {
    mutate(`${label} overlaps the previous entry`, (b, v) => v.setUint32(cds[entry] + 42, lhs[entry - 1], true));
    mutate(`${label} starts inside the previous entry`, (b, v) => v.setUint32(cds[entry] + 42, lhs[entry - 1] + 40, true));
  }
}
mutate('duplicate entry names', (b) => { b[cds[2] + 46 + 'ck/data/'.length] = 0x30; });
mutate('central entry signature broken', (b) => { b[cds[1]] = 0; });
mutate('central name not UTF-8', (b) => { b[cds[1] + 46] = 0xff; });
mutate('ZIP64 extra field too short', (b, v) => v.setUint32(cds[1] + 24, 0xffffffff, true));
mutate('multi-disk end record', (b, v) => v.setUint16(eocdAt + 4, 1, true));
mutate('ZIP64 locator points nowhere', (b, v) => v.setBigUint64(eocdAt - 20 + 8, 12345n, true));
mutate('ZIP64 locator points past the file', (b, v) => v.setBigUint64(eocdAt - 20 + 8, 2n ** 40n, true));
mutate('ZIP64 record signature broken', (b) => { b[z64At] = 0; });
mutate('ZIP64 directory size too large', (b, v) => v.setBigUint64(z64At + 40, BigInt(good.length), true));
mutate('ZIP64 directory size of 2^60', (b, v) => v.setBigUint64(z64At + 40, 2n ** 60n, true));
mutate('ZIP64 directory offset past the file', (b, v) => v.setBigUint64(z64At + 48, BigInt(good.length + 10), true));
mutate('ZIP64 directory offset into the data', (b, v) => v.setBigUint64(z64At + 48, 100n, true));
mutate('ZIP64 entry count too large', (b, v) => v.setBigUint64(z64At + 32, 99n, true));
mutate('ZIP64 entry count of 2^40', (b, v) => v.setBigUint64(z64At + 32, 2n ** 40n, true));
mutate('ZIP64 directory one byte short', (b, v) => v.setBigUint64(z64At + 40, v.getBigUint64(z64At + 40, true) - 1n, true));
mutate('end record with a wrong comment length', (b, v) => v.setUint16(eocdAt + 20, 5, true));
{
  const no64 = writeTorchZip(base(), { prefix: 'ck', zip64: false });
  const e = no64.length - 22;
  mutate('saturated counts without ZIP64', (b, v) => v.setUint16(e + 10, 0xffff, true), no64);
  mutate('directory offset past the file (no ZIP64)', (b, v) => v.setUint32(e + 16, no64.length, true), no64);
  mutate('directory size too large (no ZIP64)', (b, v) => v.setUint32(e + 12, no64.length, true), no64);
  mutate('entry count too large (no ZIP64)', (b, v) => { v.setUint16(e + 8, 50, true); v.setUint16(e + 10, 50, true); }, no64);
}
// Truncations: every cut of the tail region (directory, ZIP64 records) and a spread of cuts through the data.
for (let cut = 1; cut <= good.length - cds[0] + 8; cut += 7) add(`zip: truncated by ${cut} bytes`, good.subarray(0, good.length - cut));
for (let keep = 4; keep < cds[0]; keep += Math.ceil(cds[0] / 25)) add(`zip: only the first ${keep} bytes`, good.subarray(0, keep));
add('zip: byteorder big', writeTorchZip(base(), { byteorder: 'big' }));
add('zip: byteorder nonsense', writeTorchZip(base(), { byteorder: 'middle' }));
add('zip: byteorder too long', writeTorchZip(base(), { byteorder: 'little'.repeat(10) }));
add('zip: entries not inside a folder', writeZip([{ name: 'data.pkl', data: pickleCheckpoint(base()) }]));
add('zip: no data.pkl', writeZip([{ name: 'ck/other.pkl', data: pickleCheckpoint(base()) }]));
add('zip: data.pkl in another folder', writeZip([{ name: 'a/version', data: new Uint8Array(2) }, { name: 'b/data.pkl', data: pickleCheckpoint(base()) }]));
add('zip: empty archive', writeZip([]));
add('zip: data.pkl over the size limit', writeTorchZip(base(), { pickle: new Uint8Array(65 << 20) }));

// ---------------------------------------------------------------------------------------------------------
// Legacy structure

const legacyGood = writeTorchLegacy(base());
for (const magic of [0n, 1n, 0x1950a86a20f9469cfc6dn, 0x1950a86a20f9469cfc6cn + (1n << 80n), -0x1950a86a20f9469cfc6cn]) {
  add(`legacy: wrong magic ${magic}`, writeTorchLegacy(base(), { magic }));
}
for (const v of [1000, 1002, 0, 2 ** 31 - 1]) add(`legacy: protocol version ${v}`, writeTorchLegacy(base(), { protocolVersion: v }));
add('legacy: big-endian', writeTorchLegacy(base(), { littleEndian: false }));
{
  // Legacy magic followed by garbage / a string magic.
  const head = legacyGood.subarray(0, 15);
  add('legacy: magic then garbage', Uint8Array.from([...head, 0xff, 0xff, 0xff]));
  add('legacy: magic then nothing', head.slice());
  const sysAt = legacyGood.indexOf(0x2e, 15) + 1; // after the protocol-version pickle
  const notDict = new PickleBuilder().proto(2).emptyList().stop().bytes();
  add('legacy: sys info is a list', Uint8Array.from([...legacyGood.subarray(0, sysAt), ...notDict, ...legacyGood.subarray(sysAt)]));
}
add('legacy: object pickle is a list of storages without a dict', writeTorchLegacy(base(), { pickle: new PickleBuilder().proto(2).emptyList().stop().bytes() }));
for (let keep = 16; keep < legacyGood.length; keep += Math.ceil(legacyGood.length / 40)) {
  add(`legacy: only the first ${keep} bytes`, legacyGood.subarray(0, keep));
}
{
  const p = new PickleBuilder().proto(2).emptyDict().unicode('w').global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().unicode('storage').global('torch', 'FloatStorage').unicode('0').unicode('cpu').int(24).mark().unicode('v').int(20).int(10).tuple().tuple().binpersid();
  p.int(0).int(4).tupleN(1).int(1).tupleN(1).bool(false).none().tuple().reduce().setitem();
  add('legacy: storage view past its root', writeTorchLegacy(base(), { pickle: p.stop().bytes() }));
  const q = new PickleBuilder().proto(2).emptyDict().unicode('w').global('torch._utils', '_rebuild_tensor_v2').mark();
  q.mark().unicode('storage').global('torch', 'FloatStorage').unicode('0').unicode('cpu').int(24).unicode('v').tuple().binpersid();
  q.int(0).int(4).tupleN(1).int(1).tupleN(1).bool(false).none().tuple().reduce().setitem();
  add('legacy: malformed view metadata', writeTorchLegacy(base(), { pickle: q.stop().bytes() }));
}

// ---------------------------------------------------------------------------------------------------------
// Not checkpoints at all

add('empty file', new Uint8Array(0));
add('one byte', Uint8Array.from([0x80]));
add('PK local header only', Uint8Array.from([0x50, 0x4b, 0x03, 0x04]));
add('plain pickle without the magic', new PickleBuilder().proto(2).emptyDict().stop().bytes());
add('safetensors header', new TextEncoder().encode('\x10\x00\x00\x00\x00\x00\x00\x00{"a":1}        '));
{
  const tar = new Uint8Array(1024);
  tar.set(new TextEncoder().encode('ustar'), 257);
  add('tar archive', tar);
}
{
  let s = 99;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 10; i++) add(`random bytes #${i}`, Uint8Array.from({ length: 64 + i * 97 }, rnd));
}

// ---------------------------------------------------------------------------------------------------------

async function readEverything(bytes: Uint8Array, label: string) {
  const source = bufferSource(bytes, label);
  const index = await readPytorchIndex(source);
  for (const t of index.tensors) await readPytorchTensor(source, t);
  return index;
}

beforeAll(() => rmSync(MARKER, { force: true }));
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('malformed PyTorch checkpoints', () => {
  it('has at least 300 generated cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c, i) => [c.name, i] as const))('%s: refused with a clear error', async (name, i) => {
    const label = `fuzz-${i}.pt`;
    const t0 = performance.now();
    let caught: unknown = null;
    try {
      await readEverything(cases[i].bytes, label);
    } catch (e) {
      caught = e;
    }
    expect(caught, name).toBeInstanceOf(PytorchCheckpointError);
    const message = (caught as Error).message;
    expect(message.startsWith(`${label}: `)).toBe(true);
    expect(message.length).toBeLessThan(600);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('refusals name the global', async () => {
    for (const [module, name] of DANGEROUS) {
      const p = new PickleBuilder().proto(2);
      payload(p, module, name, (q) => q.emptyTuple(), false);
      const err = await readEverything(writeTorchZip(base(), { pickle: p.stop().bytes() }), 'evil.pt').then(() => null, (e: Error) => e);
      expect(err?.message).toBe(`evil.pt: pickle references the global "${module}.${name}", which is not on the allow-list of state-dict types; refused`);
    }
  });

  it('bombs stay within bounded memory', async () => {
    const bombs = cases.filter((c) => /nested|MARKs|laughs|memo|opcodes|stack|items|declared|MiB/.test(c.name));
    expect(bombs.length).toBeGreaterThan(10);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    for (const b of bombs) {
      await readEverything(b.bytes, 'bomb.pt').catch(() => undefined);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(peak - before).toBeLessThan(512 << 20);
  });

  it('no payload ran: the marker file does not exist', () => {
    expect(existsSync(MARKER)).toBe(false);
  });

  it('the reader has no way to run code: no process, eval or dynamic import in its sources', () => {
    const dir = fileURLToPath(new URL('./', import.meta.url));
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/child_process|\beval\(|new Function|\bimport\(|\brequire\(|vm\.|worker_threads/);
    }
  });
});

const PYTHON = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!PYTHON)('control: the payloads are live (Python unpickling them does create the marker)', () => {
  it('os.system payload run by Python pickle creates its marker; the reader refuses the same bytes', async () => {
    const control = join(WORK, 'control-ran');
    const p = new PickleBuilder().proto(2).global('os', 'system').unicode(`touch ${control}`).tupleN(1).reduce().stop();
    const file = join(WORK, 'control.pkl');
    writeFileSync(file, p.bytes());
    const err = await readEverything(writeTorchZip(base(), { pickle: p.bytes() }), 'control.pt').catch((e) => e as Error);
    expect(err).toBeInstanceOf(PytorchCheckpointError);
    expect(existsSync(control)).toBe(false);
    spawnSync('python3', ['-c', 'import pickle,sys; pickle.loads(open(sys.argv[1],"rb").read())', file]);
    expect(existsSync(control)).toBe(true);
  });
});

describe('random mutations never crash the reader', () => {
  const bases: Array<[string, Uint8Array]> = [['zip', writeTorchZip(base(), { byteorder: 'little' })], ['legacy', legacyGood]];
  it.each(bases)('%s: 400 seeded byte mutations end in success or a reader error', async (_n, original) => {
    let s = 12345;
    const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const bad: string[] = [];
    for (let trial = 0; trial < 400; trial++) {
      const b = original.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        await readEverything(b, 'm.pt');
      } catch (e) {
        if (!(e instanceof SafetensorsError) || !(e as Error).message.startsWith('m.pt')) bad.push(`${trial}: ${String(e)}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
