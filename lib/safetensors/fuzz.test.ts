/**
 * Hostile-input fuzzing of the reader: hundreds of generated malformed files, each of which must give a
 * SafetensorsError naming the problem (and the tensor, where one is at fault): never another exception, never a
 * hang, never a read larger than the file itself (nothing is allocated from a declared size).
 * Seeded, so a failure names a case that reproduces.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bufferSource, fileSource, type ByteSource } from './byte-source';
import { decodeTensor } from './decode';
import { NonFiniteTensorError, SafetensorsError, UnsupportedDtypeError } from './errors';
import { readExactly, readHeader } from './header';
import { encodeTensorData } from './write';

const SEED = 0x5afe7e57;

/** mulberry32: small, fast, reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
type Rng = ReturnType<typeof prng>;

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };
interface Base {
  header: Record<string, unknown>;
  data: Uint8Array;
  names: string[];
}

const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'] as const;
const ITEM: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** A valid file's parts: 1-4 small float tensors laid out back to back. */
function baseFile(rng: Rng, opts: { minTensors?: number; values?: (i: number) => number } = {}): Base {
  const count = rng.int(opts.minTensors ?? 1, 4);
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  const names: string[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const name = `model.layers.${i}.${rng.pick(['self_attn.q_proj', 'mlp.up_proj', 'attn.c_attn'])}.weight`;
    const dtype = rng.pick(FLOAT_DTYPES);
    const shape = [rng.int(1, 6), rng.int(2, 6)];
    const n = shape[0] * shape[1];
    const values = Array.from({ length: n }, (_, j) => (opts.values ? opts.values(j) : rng.next() * 2 - 1));
    const bytes = encodeTensorData({ name, dtype, shape, data: values });
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
    names.push(name);
  }
  const data = new Uint8Array(offset);
  let pos = 0;
  for (const c of chunks) {
    data.set(c, pos);
    pos += c.length;
  }
  return { header, data, names };
}

function assemble(header: string | Uint8Array | object, data: Uint8Array, declared?: bigint): Uint8Array {
  const text = typeof header === 'string' || header instanceof Uint8Array ? header : JSON.stringify(header);
  const json = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function entryOf(base: Base, name: string): Entry {
  return base.header[name] as Entry;
}

interface Case {
  bytes: Uint8Array;
  /** What the message must say. */
  expect: RegExp;
  /** The tensor the error must name, when one is at fault. */
  tensor?: string;
  errorClass?: abstract new (...args: never[]) => SafetensorsError;
}

/** Each generator makes one malformed file of its kind. */
const GENERATORS: Record<string, (rng: Rng) => Case> = {
  'huge declared header length': (rng) => {
    const b = baseFile(rng);
    const declared = rng.pick([2n ** 64n - 1n, 100_000_001n, BigInt(rng.int(100_000_001, 2 ** 53)), 2n ** 63n]);
    return { bytes: assemble(b.header, b.data, declared), expect: /declared header length \d+ exceeds the 100000000-byte limit/ };
  },
  'header length past end of file': (rng) => {
    const b = baseFile(rng);
    const file = assemble(b.header, b.data);
    const declared = BigInt(file.length - 8 + rng.int(1, 5_000_000));
    return { bytes: assemble(b.header, b.data, declared), expect: new RegExp(`runs past the end of the file \\(size ${file.length}\\)`) };
  },
  'file shorter than the length prefix': (rng) => ({
    bytes: Uint8Array.from({ length: rng.int(0, 7) }, () => rng.int(0, 255)),
    expect: /too short for the 8-byte header length/,
  }),
  'zero header length': (rng) => {
    const b = baseFile(rng);
    return { bytes: assemble('', b.data, 0n), expect: /header length is 0/ };
  },
  'truncated header': (rng) => {
    const b = baseFile(rng);
    const file = assemble(b.header, b.data);
    const headerLength = file.length - 8 - b.data.length;
    return { bytes: file.subarray(0, 8 + rng.int(0, headerLength - 1)), expect: /runs past the end of the file|too short/ };
  },
  'non-UTF-8 header': (rng) => {
    const b = baseFile(rng);
    const json = new TextEncoder().encode(JSON.stringify(b.header));
    const bad = rng.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]);
    const at = json.indexOf(0x2e) + 1; // inside the first tensor name, after "model."
    const out = new Uint8Array(json.length + bad.length);
    out.set(json.subarray(0, at), 0);
    out.set(bad, at);
    out.set(json.subarray(at), at + bad.length);
    return { bytes: assemble(out, b.data), expect: /header is not valid UTF-8/ };
  },
  'non-JSON header': (rng) => {
    const b = baseFile(rng);
    const json = JSON.stringify(b.header);
    const text = rng.pick([
      json.slice(0, rng.int(1, json.length - 1)),
      json.replace('}', '},'),
      json.replace(/"/g, "'"),
      Array.from({ length: rng.int(1, 200) }, () => String.fromCharCode(rng.int(0x41, 0x7a))).join(''),
      `${json}x`,
      '{',
      '{"a": NaN}',
    ]);
    return { bytes: assemble(text, b.data), expect: /header is not valid JSON/ };
  },
  'header is not an object': (rng) => {
    const b = baseFile(rng);
    const [text, kind] = rng.pick([
      ['[]', 'an array'],
      [`[${JSON.stringify(b.header)}]`, 'an array'],
      ['"model.safetensors"', 'a string'],
      ['42', 'a number'],
      ['null', 'null'],
      ['true', 'a boolean'],
    ]);
    return { bytes: assemble(text, b.data), expect: new RegExp(`header must be a JSON object of tensors, got ${kind}`) };
  },
  'unknown dtype': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    entryOf(b, name).dtype = rng.pick(['F128', 'f32', 'Q4_K', 'INT4', '', 'float32', 7, null, ['F32'], { F32: 1 }]);
    return { bytes: assemble(b.header, b.data), expect: /unknown dtype/, tensor: name };
  },
  'missing field': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    const field = rng.pick(['dtype', 'shape', 'data_offsets'] as const);
    delete (entryOf(b, name) as Partial<Entry>)[field];
    return { bytes: assemble(b.header, b.data), expect: new RegExp(`missing ${field}`), tensor: name };
  },
  'entry is not an object': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    b.header[name] = rng.pick([5, 'F32', [1, 2], null, true]);
    return { bytes: assemble(b.header, b.data), expect: /entry must be an object with dtype, shape and data_offsets/, tensor: name };
  },
  'shape is not an array of non-negative integers': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    const [shape, re] = rng.pick([
      [[-1, 4], /must hold non-negative integers, found -1/],
      [[2.5, 4], /must hold non-negative integers, found 2.5/],
      [['4', 4], /must hold non-negative integers, found "4"/],
      [[null], /must hold non-negative integers, found null/],
      [[[2], [2]], /must hold non-negative integers/],
      [[true], /must hold non-negative integers/],
      [[1e300, 1], /must hold non-negative integers/],
      [[2 ** 53, 1], /must hold non-negative integers/],
      [4, /shape must be an array, got 4/],
      ['2x2', /shape must be an array, got "2x2"/],
      [{}, /shape must be an array/],
      [null, /shape must be an array, got null/],
    ] as Array<[unknown, RegExp]>);
    entryOf(b, name).shape = shape;
    return { bytes: assemble(b.header, b.data), expect: re, tensor: name };
  },
  'absurd element count (overflow)': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    entryOf(b, name).shape = rng.pick([
      [2 ** 31, 2 ** 31, 2 ** 31],
      [1e15, 1e15],
      [2 ** 26, 2 ** 26, 2 ** 26, 3],
      Array.from({ length: 80 }, () => 2),
    ]);
    return { bytes: assemble(b.header, b.data), expect: /absurd element count/, tensor: name };
  },
  'shape larger than the data area': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    entryOf(b, name).shape = rng.pick([[1e6, 1e6], [4096, 11008], [2 ** 40], [100000, 100000, 10]]);
    return { bytes: assemble(b.header, b.data), expect: /elements, more than the \d+-byte data area can hold/, tensor: name };
  },
  'malformed data_offsets': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    entryOf(b, name).data_offsets = rng.pick([[1], [0, 1, 2], [-4, 8], [0.5, 8], '0,8', null, {}, [0, '8'], [0, 1e300], [], [0, -1]]);
    return { bytes: assemble(b.header, b.data), expect: /data_offsets must be two non-negative integers \[begin, end\]/, tensor: name };
  },
  'reversed data_offsets': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    const e = entryOf(b, name);
    const [x, y] = e.data_offsets as [number, number];
    e.data_offsets = [y, x];
    return { bytes: assemble(b.header, b.data), expect: /are reversed \(begin > end\)/, tensor: name };
  },
  'data_offsets outside the file': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    const e = entryOf(b, name);
    const [x, y] = e.data_offsets as [number, number];
    const shift = rng.pick([b.data.length, rng.int(1, 1e6), 2 ** 52]);
    e.data_offsets = [x + shift, y + shift];
    return { bytes: assemble(b.header, b.data), expect: /data_offsets \[\d+,\d+\] lie outside the file \(size \d+/, tensor: name };
  },
  'byte count does not match dtype x shape': (rng) => {
    const b = baseFile(rng);
    const name = rng.pick(b.names);
    const e = entryOf(b, name);
    e.dtype = ({ F64: 'F32', F32: rng.pick(['F16', 'BF16', 'U8']), F16: 'U8', BF16: 'I8' } as Record<string, string>)[e.dtype as string];
    return { bytes: assemble(b.header, b.data), expect: /data_offsets \[\d+,\d+\] hold \d+ bytes but \w+ x \[\d+,\d+\] needs \d+/, tensor: name };
  },
  'overlapping tensors': (rng) => {
    const b = baseFile(rng);
    const victim = rng.pick(b.names);
    const e = entryOf(b, victim);
    const [x, y] = e.data_offsets as [number, number];
    // A second tensor claiming the same bytes (valid on its own: right size, inside the file).
    const clone = `${victim.replace('.weight', '')}_copy.weight`;
    b.header[clone] = { ...e, data_offsets: [x, y] };
    return { bytes: assemble(b.header, b.data), expect: /overlap tensor/, tensor: undefined };
  },
  'gap between tensors': (rng) => {
    const b = baseFile(rng);
    const last = b.names[b.names.length - 1];
    const e = entryOf(b, last);
    const k = rng.int(1, 16);
    const [x, y] = e.data_offsets as [number, number];
    e.data_offsets = [x + k, y + k];
    const data = new Uint8Array(b.data.length + k);
    data.set(b.data.subarray(0, x), 0);
    data.set(b.data.subarray(x), x + k);
    return { bytes: assemble(b.header, data), expect: new RegExp(`leave a gap of ${k} bytes before this tensor`), tensor: last };
  },
  'trailing bytes after the last tensor': (rng) => {
    const b = baseFile(rng);
    const k = rng.int(1, 64);
    const data = new Uint8Array(b.data.length + k);
    data.set(b.data);
    return { bytes: assemble(b.header, data), expect: new RegExp(`\\(${k} trailing bytes\\)`) };
  },
  'truncated tensor data': (rng) => {
    const b = baseFile(rng);
    const file = assemble(b.header, b.data);
    return { bytes: file.subarray(0, file.length - rng.int(1, b.data.length)), expect: /lie outside the file/ };
  },
  'bad __metadata__': (rng) => {
    const b = baseFile(rng);
    b.header = { __metadata__: rng.pick([5, 'pt', [1], { format: 1 }, { a: null }, { a: { b: 'c' } }, true]), ...b.header };
    return { bytes: assemble(b.header, b.data), expect: /__metadata__ must (be an object of strings|map strings to strings)/ };
  },
  'packed dtype that does not fill whole bytes': (rng) => {
    const b = baseFile(rng);
    const n = 2 * rng.int(0, 5) + 1;
    const name = 'packed.weight';
    const size = Math.ceil(n / 2);
    const header = { ...b.header, [name]: { dtype: 'F4', shape: [n], data_offsets: [b.data.length, b.data.length + size] } };
    const data = new Uint8Array(b.data.length + size);
    data.set(b.data);
    return { bytes: assemble(header, data), expect: /elements of F4 do not fill a whole number of bytes/, tensor: name };
  },
  'NaN/Inf weights': (rng) => {
    const bad = rng.int(1, 3);
    const specials = [NaN, Infinity, -Infinity];
    const b = baseFile(rng, { values: (j) => (j < bad ? specials[j] : 0.25) });
    // Every tensor has `bad` non-finite values; the first one read is reported.
    return { bytes: assemble(b.header, b.data), expect: new RegExp(`contains ${bad} non-finite values? \\(NaN/Inf\\) out of \\d+`), tensor: b.names[0], errorClass: NonFiniteTensorError };
  },
  'integer dtype (unsupported, well-formed)': (rng) => {
    const dtype = rng.pick(['I8', 'U8', 'I32', 'BOOL', 'I64', 'U16'] as const);
    const n = rng.int(1, 10);
    const bytes = encodeTensorData({ name: 'ids', dtype, shape: [n], data: Array.from({ length: n }, (_, i) => i % 2) });
    const header = { 'embed.ids': { dtype, shape: [n], data_offsets: [0, bytes.length] } };
    return { bytes: assemble(header, bytes), expect: new RegExp(`dtype ${dtype} cannot be decoded`), tensor: 'embed.ids', errorClass: UnsupportedDtypeError };
  },
};

/** Wraps a source to record every read, so no read can exceed the real file. */
function recording(inner: ByteSource) {
  const reads: number[] = [];
  const source: ByteSource = {
    size: inner.size,
    label: inner.label,
    read: (start, end, signal) => {
      reads.push(end - start);
      return inner.read(start, end, signal);
    },
  };
  return { source, reads };
}

async function readEverything(source: ByteSource): Promise<void> {
  const header = await readHeader(source);
  for (const t of header.tensors) decodeTensor(await readExactly(source, t.start, t.end), t);
}

const PER_KIND = 10;
const cases: Array<{ id: string; kind: string; make: () => Case }> = [];
{
  const rng = prng(SEED);
  for (const [kind, gen] of Object.entries(GENERATORS)) {
    for (let i = 0; i < PER_KIND; i++) {
      const seed = rng.int(0, 2 ** 31);
      cases.push({ id: `${kind} #${i} (seed ${seed})`, kind, make: () => gen(prng(seed)) });
    }
  }
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-fuzz-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('safetensors reader under hostile input', () => {
  it(`has at least 200 malformed cases across ${Object.keys(GENERATORS).length} kinds`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it('gives a SafetensorsError naming the problem for every malformed file, reading no more than the file', async () => {
    const failures: string[] = [];
    let n = 0;
    for (const c of cases) {
      const k = c.make();
      const label = `fuzz-${n}.safetensors`;
      // Every 8th case goes through a real file on disk, the rest through memory.
      let inner: ByteSource;
      if (n % 8 === 0) {
        const path = join(dir, label);
        await writeFile(path, k.bytes);
        inner = await fileSource(path);
      } else {
        inner = bufferSource(k.bytes, label);
      }
      n++;
      const { source, reads } = recording(inner);
      let error: unknown = null;
      try {
        await readEverything(source);
      } catch (e) {
        error = e;
      }
      const why = (msg: string) => failures.push(`${c.id}: ${msg}`);
      if (error === null) {
        why('accepted');
        continue;
      }
      if (!(error instanceof (k.errorClass ?? SafetensorsError))) {
        why(`threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        continue;
      }
      const err = error as SafetensorsError;
      if (!k.expect.test(err.message)) why(`message ${JSON.stringify(err.message)} does not match ${k.expect}`);
      if (!err.message.startsWith(inner.label)) why(`message does not name the file: ${err.message}`);
      if (k.tensor !== undefined && err.tensor !== k.tensor) why(`names tensor ${err.tensor}, expected ${k.tensor}`);
      if (reads.some((r) => r > k.bytes.length)) why(`read ${Math.max(...reads)} bytes of a ${k.bytes.length}-byte file`);
    }
    expect(failures).toEqual([]);
  });

  it('random byte corruption of valid files gives either valid data or a SafetensorsError, never a crash', async () => {
    const rng = prng(SEED ^ 0xbeef);
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 300; i++) {
      const b = baseFile(rng);
      const bytes = assemble(b.header, b.data).slice();
      const headerEnd = bytes.length - b.data.length;
      for (let f = rng.int(1, 4); f > 0; f--) {
        // Mostly hit the length prefix and JSON, where structure lives.
        const at = rng.next() < 0.85 ? rng.int(0, headerEnd - 1) : rng.int(0, bytes.length - 1);
        bytes[at] = rng.next() < 0.5 ? bytes[at] ^ (1 << rng.int(0, 7)) : rng.int(0, 255);
      }
      const { source, reads } = recording(bufferSource(bytes, `flip-${i}.safetensors`));
      try {
        await readEverything(source);
        outcomes.ok++;
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`flip case ${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        outcomes.rejected++;
      }
      expect(Math.max(...reads)).toBeLessThanOrEqual(bytes.length);
    }
    expect(outcomes.rejected).toBeGreaterThan(100);
  });

  it('rejects a 99 MB declared header in a tiny file before allocating it', async () => {
    const bytes = assemble('{}', new Uint8Array(0), 99_000_000n);
    const { source, reads } = recording(bufferSource(bytes, 'tiny.safetensors'));
    await expect(readHeader(source)).rejects.toThrow('tiny.safetensors: declared header length 99000000 runs past the end of the file (size 10)');
    expect(reads).toEqual([8]);
  });

  it('rejects a source that returns fewer bytes than asked (a truncated remote body)', async () => {
    const b = baseFile(prng(1));
    const good = bufferSource(assemble(b.header, b.data), 'remote.safetensors');
    const short: ByteSource = { ...good, read: async (s, e, sig) => (await good.read(s, e, sig)).subarray(0, Math.max(0, e - s - 1)) };
    await expect(readHeader(short)).rejects.toThrow(/remote.safetensors: short read: asked for bytes \[0,8\) \(8 bytes\), got 7/);
  });
});
