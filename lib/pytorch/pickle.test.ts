import { describe, expect, it } from 'vitest';
import { DisallowedGlobalError, PytorchCheckpointError } from './errors';
import { ALLOWED_GLOBALS, unpickle, type PyDict, type PyValue } from './pickle';
import { PickleBuilder } from './testing/write-torch';

const run = (b: PickleBuilder, limits = {}) => unpickle(b.bytes(), 0, { file: 'x.pt', what: 'data.pkl', limits }).value;

describe('restricted unpickler', () => {
  it('reads the plain values of protocols 2 and 4', () => {
    const p = new PickleBuilder().proto(4).raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0); // FRAME
    p.emptyDict().raw(0x94).mark();
    p.shortBinunicode('a').raw(0x94).int(-5);
    p.shortBinunicode('b').int(2n ** 70n);
    p.shortBinunicode('c').float(1.5);
    p.shortBinunicode('d').raw(0x43, 2, 7, 8); // SHORT_BINBYTES
    p.shortBinunicode('e').emptyList().mark().none().bool(true).appends();
    p.shortBinunicode('f').raw(0x8f).mark().int(1).raw(0x90); // EMPTY_SET, ADDITEMS
    p.shortBinunicode('g').binget(1);
    p.setitems().stop();
    const d = run(p) as PyDict;
    expect(d.kind).toBe('dict');
    expect(d.map.get('a')).toBe(-5);
    expect(d.map.get('b')).toBe(2n ** 70n);
    expect(d.map.get('c')).toBe(1.5);
    expect(d.map.get('d')).toEqual({ kind: 'bytes', data: Uint8Array.from([7, 8]) });
    expect((d.map.get('e') as { items: PyValue[] }).items).toEqual([null, true]);
    expect(d.map.get('g')).toBe('a');
  });

  it('reads protocol-0 text opcodes for ints, memo and globals', () => {
    const enc = new TextEncoder();
    const bytes = enc.encode('ccollections\nOrderedDict\np0\n(tRp1\nI42\nL7L\nF0.5\n' + 'g1\n' + '0000.');
    // Stack after parsing: OD, 42, 7, 0.5, OD, then POPs back to the OD.
    const v = unpickle(bytes, 0, { file: 'x' }).value as PyDict;
    expect(v.kind).toBe('dict');
  });

  it('resolves allow-listed globals by GLOBAL and STACK_GLOBAL', () => {
    for (const name of ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch.BFloat16Storage', 'torch.bfloat16', 'torch.storage.UntypedStorage']) {
      const dot = name.lastIndexOf('.');
      const v1 = run(new PickleBuilder().proto(2).global(name.slice(0, dot), name.slice(dot + 1)).stop());
      const v2 = run(new PickleBuilder().proto(4).shortBinunicode(name.slice(0, dot)).shortBinunicode(name.slice(dot + 1)).stackGlobal().stop());
      expect(v1).toMatchObject({ kind: 'global', module: name.slice(0, dot) });
      expect(v2).toEqual(v1);
      expect(ALLOWED_GLOBALS.has(name)).toBe(true);
    }
  });

  it.each([
    ['os', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'], ['posix', 'system'], ['builtins', 'getattr'],
    ['torch', 'load'], ['torch.serialization', 'load'], ['numpy.core.multiarray', '_reconstruct'],
  ])('refuses %s.%s, naming it', (module, name) => {
    const p = new PickleBuilder().proto(2).global(module, name).stop();
    expect(() => run(p)).toThrow(DisallowedGlobalError);
    expect(() => run(p)).toThrow(`x.pt: pickle references the global "${module}.${name}"`);
  });

  it('refuses calling anything that is not an allow-listed function', () => {
    const reduceOf = (f: (p: PickleBuilder) => void) => {
      const p = new PickleBuilder().proto(2);
      f(p);
      return p.emptyTuple().reduce().stop();
    };
    expect(() => run(reduceOf((p) => p.unicode('os.system')))).toThrow(/REDUCE of the string/);
    expect(() => run(reduceOf((p) => p.global('torch', 'FloatStorage')))).toThrow(/torch.FloatStorage cannot be called/);
    expect(() => run(reduceOf((p) => p.global('torch', 'float32')))).toThrow(/cannot be called/);
    expect(() => run(new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().raw(0x81).stop()))
      .toThrow(/creating objects is not allowed \(class collections.OrderedDict\)/);
  });

  it('enforces limits with clear errors', () => {
    const deep = new PickleBuilder().proto(2);
    for (let i = 0; i < 200; i++) deep.emptyList();
    for (let i = 0; i < 199; i++) deep.append();
    expect(() => run(deep.stop())).toThrow(/nested deeper than 100/);
    const marks = new PickleBuilder().proto(2);
    for (let i = 0; i < 200; i++) marks.mark();
    expect(() => run(marks)).toThrow(/MARKs nested deeper/);
    const ops = new PickleBuilder().proto(2).none();
    for (let i = 0; i < 100; i++) ops.dup().pop();
    expect(() => run(ops.stop(), { maxOpcodes: 50 })).toThrow(/more than 50 opcodes/);
    const memo = new PickleBuilder().proto(2).none();
    for (let i = 0; i < 20; i++) memo.binput(i);
    expect(() => run(memo.stop(), { maxMemo: 10 })).toThrow(/memo exceeds 10/);
    expect(() => run(new PickleBuilder().proto(2).raw(0x58, 0xff, 0xff, 0xff, 0xff))).toThrow(/string of 4294967295 bytes exceeds/);
    expect(() => run(new PickleBuilder().proto(2).binget(3).stop())).toThrow(/memo slot 3 was never stored/);
    expect(() => run(new PickleBuilder().proto(2).none())).toThrow(/truncated/);
    expect(() => run(new PickleBuilder().proto(2).none().none().stop())).toThrow(/STOP with 2 values/);
  });

  it('every error is a PytorchCheckpointError naming the file and position', () => {
    try {
      run(new PickleBuilder().proto(2).raw(0xff));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PytorchCheckpointError);
      expect((e as Error).message).toBe('x.pt: data.pkl at byte 2 (0xff): unknown opcode 0xff');
    }
  });
});
