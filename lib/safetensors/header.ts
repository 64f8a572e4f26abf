/**
 * safetensors header: `u64 little-endian N`, N bytes of UTF-8 JSON, then the raw tensor data.
 *
 * The header is treated as hostile. Nothing is allocated from a declared size before it has been checked against
 * the real file size and a 100 MB cap (the reference Rust reader's limit), and every tensor is validated:
 * known dtype, shape of non-negative safe integers, `data_offsets` inside the data area, `end - begin` equal to
 * numel x itemsize, and tensors tiling the data area with no overlap, gap or trailing bytes (the reference
 * reader's rules). Offsets are returned ABSOLUTE (file positions), so callers can range-read a tensor directly.
 */
import type { ByteSource } from './byte-source';
import { byteLength, DTYPE_BITS, isKnownDtype, type SafetensorsDtype } from './dtype';
import { SafetensorsError } from './errors';

/** The reference reader's cap on the JSON header. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the first byte in the file. */
  start: number;
  /** Absolute byte offset one past the last byte (exclusive). */
  end: number;
  /** Label of the file the tensor lives in (the ByteSource label, or the shard path in a checkpoint). */
  file?: string;
}

export interface SafetensorsHeader {
  /** N: length of the JSON header in bytes. */
  headerLength: number;
  /** 8 + N: absolute offset where tensor data begins. */
  dataStart: number;
  /** `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
  /** Tensors in header (JSON key) order. */
  tensors: TensorEntry[];
}

/** Element count of a shape (1 for a scalar `[]`). Assumes a validated shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Short JSON rendering for messages (hostile values can be huge). */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Decode the 8-byte little-endian length prefix. Returned as a number only when it passes the size checks;
 * the message keeps the exact declared value even when it exceeds 2^53.
 */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, label = 'safetensors'): number {
  if (prefix.length < 8 || fileSize < 8) {
    throw new SafetensorsError({
      file: label,
      problem: `file is ${fileSize} bytes, too short for the 8-byte header length`,
    });
  }
  const declared = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (declared === 0n) throw new SafetensorsError({ file: label, problem: 'header length is 0 (no JSON header)' });
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError({
      file: label,
      problem: `declared header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    });
  }
  const n = Number(declared);
  if (8 + n > fileSize) {
    throw new SafetensorsError({
      file: label,
      problem: `declared header length ${n} runs past the end of the file (size ${fileSize})`,
    });
  }
  return n;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parse and validate the N header bytes (without the 8-byte prefix) of a file of `fileSize` bytes.
 * Throws SafetensorsError naming the tensor and the problem.
 */
export function parseHeaderBytes(bytes: Uint8Array, fileSize: number, label = 'safetensors'): SafetensorsHeader {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new SafetensorsError({ file: label, problem: 'header is not valid UTF-8', cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SafetensorsError({ file: label, problem: `header is not valid JSON (${(cause as Error).message})`, cause });
  }
  return validateHeader(json, { headerLength: bytes.length, fileSize, label });
}

/**
 * Validate an already-parsed header object (e.g. from `@huggingface/hub`'s parseSafetensorsMetadata) given the
 * header length N read from the file's first 8 bytes and the file size.
 */
export function validateHeader(
  json: unknown,
  { headerLength, fileSize, label = 'safetensors' }: { headerLength: number; fileSize: number; label?: string },
): SafetensorsHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError({ file: label, problem: `header must be a JSON object of tensors, got ${describe(json)}` });
  }
  const dataStart = 8 + headerLength;
  if (dataStart > fileSize) {
    throw new SafetensorsError({
      file: label,
      problem: `declared header length ${headerLength} runs past the end of the file (size ${fileSize})`,
    });
  }
  const dataSize = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];

  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = validateMetadata(info, label);
      continue;
    }
    const fail = (problem: string): never => {
      throw new SafetensorsError({ file: label, tensor: name, problem });
    };
    if (typeof info !== 'object' || info === null || Array.isArray(info)) {
      fail(`entry must be an object with dtype, shape and data_offsets, got ${describe(info)}`);
    }
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (dtype === undefined) fail('missing dtype');
    if (!isKnownDtype(dtype)) fail(`unknown dtype ${show(dtype)}`);
    const dt = dtype as SafetensorsDtype;

    if (shape === undefined) fail('missing shape');
    if (!Array.isArray(shape)) fail(`shape must be an array, got ${show(shape)}`);
    const dims = shape as unknown[];
    for (const d of dims) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        fail(`shape ${show(shape)} must hold non-negative integers, found ${show(d)}`);
      }
    }
    // Element count with overflow check (hostile shapes can multiply past 2^53).
    let count = 1;
    for (const d of dims as number[]) count *= d;
    if (!Number.isSafeInteger(count)) fail(`shape ${show(shape)} has an absurd element count (beyond 2^53)`);

    if (offsets === undefined) fail('missing data_offsets');
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`data_offsets must be two non-negative integers [begin, end], got ${show(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`data_offsets [${begin},${end}] are reversed (begin > end)`);
    if (end > dataSize) {
      fail(`data_offsets [${begin},${end}] lie outside the file (size ${fileSize}, data area ${dataSize} bytes; truncated?)`);
    }
    if (count > Math.floor((dataSize * 8) / DTYPE_BITS[dt])) {
      fail(`shape ${show(shape)} has ${count} elements, more than the ${dataSize}-byte data area can hold as ${dt}`);
    }
    const need = byteLength(dt, count);
    if (need === null) fail(`${count} elements of ${dt} do not fill a whole number of bytes`);
    if (end - begin !== need) {
      fail(`data_offsets [${begin},${end}] hold ${end - begin} bytes but ${dt} x ${show(shape)} needs ${need}`);
    }
    tensors.push({ name, dtype: dt, shape: dims as number[], start: dataStart + begin, end: dataStart + end, file: label });
  }

  checkTiling(tensors, dataStart, fileSize, label);
  return { headerLength, dataStart, metadata, tensors };
}

function validateMetadata(info: unknown, label: string): Record<string, string> {
  if (info === null) return {};
  if (typeof info !== 'object' || Array.isArray(info)) {
    throw new SafetensorsError({ file: label, problem: `__metadata__ must be an object of strings, got ${describe(info)}` });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError({
        file: label,
        problem: `__metadata__ must map strings to strings; key ${show(k)} holds ${describe(v)}`,
      });
    }
    out[k] = v;
  }
  return out;
}

/** Tensors must cover the data area exactly: sorted by offset, each begins where the previous ended. */
function checkTiling(tensors: TensorEntry[], dataStart: number, fileSize: number, label: string): void {
  const sorted = [...tensors].sort((a, b) => a.start - b.start || a.end - b.end);
  let cursor = dataStart;
  let previous: TensorEntry | null = null;
  for (const t of sorted) {
    const rel = `[${t.start - dataStart},${t.end - dataStart}]`;
    if (t.start < cursor && previous) {
      throw new SafetensorsError({
        file: label,
        tensor: t.name,
        problem: `data_offsets ${rel} overlap tensor ${JSON.stringify(previous.name)} [${previous.start - dataStart},${previous.end - dataStart}]`,
      });
    }
    if (t.start > cursor) {
      throw new SafetensorsError({
        file: label,
        tensor: t.name,
        problem: `data_offsets ${rel} leave a gap of ${t.start - cursor} bytes before this tensor`,
      });
    }
    cursor = t.end;
    if (t.end > t.start || !previous) previous = t;
  }
  if (cursor !== fileSize) {
    throw new SafetensorsError({
      file: label,
      problem: `tensors cover ${cursor - dataStart} bytes but the data area holds ${fileSize - dataStart} (${fileSize - cursor} trailing bytes)`,
    });
  }
}

/**
 * Read and validate the header of a source: two small reads (8 bytes, then N bytes), whatever the file size.
 */
export async function readHeader(source: ByteSource, signal?: AbortSignal): Promise<SafetensorsHeader> {
  const prefixLength = Math.min(8, source.size);
  const prefix = await readExactly(source, 0, prefixLength, signal);
  const n = parseHeaderLength(prefix, source.size, source.label);
  const bytes = await readExactly(source, 8, 8 + n, signal);
  return parseHeaderBytes(bytes, source.size, source.label);
}

/** `source.read` with its promised length enforced (a remote source could return a short body). */
export async function readExactly(source: ByteSource, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
  const bytes = await source.read(start, end, signal);
  if (bytes.length !== end - start) {
    throw new SafetensorsError({
      file: source.label,
      problem: `short read: asked for bytes [${start},${end}) (${end - start} bytes), got ${bytes.length}`,
    });
  }
  return bytes;
}
