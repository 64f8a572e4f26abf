/**
 * The zip container of torch.save (torch >= 1.6), read through a ByteSource with a few range reads: the tail
 * (end-of-central-directory record, ZIP64 locator and record), the central directory, then the local header of
 * each entry actually used. Entry contents are never read here and nothing is decompressed: torch stores every
 * entry uncompressed (method 0), so an entry's bytes are a plain byte range of the file.
 *
 * Checked: signatures, single-disk archives, directory inside the file and below a size limit, unique names,
 * entries not overlapping each other or the directory, local headers agreeing with the directory, no encryption,
 * and (when an entry is used) stored rather than compressed.
 */
import type { ByteSource } from '@/lib/safetensors/byte-source';
import { PytorchCheckpointError } from './errors';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** Length of the name in the central directory (local headers must agree). */
  nameLength: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  byName: Map<string, ZipEntry>;
  /** Where the central directory begins: every entry's bytes lie before it. */
  directoryStart: number;
}

export interface ZipLimits {
  /** Largest central directory accepted, bytes. */
  maxDirectoryBytes: number;
  /** Most entries accepted. */
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = { maxDirectoryBytes: 64 << 20, maxEntries: 1_000_000 };

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(view: DataView, at: number, fail: (p: string) => never, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is absurd`);
  return Number(v);
}

/** Read and validate the central directory. */
export async function readZipDirectory(
  source: ByteSource,
  opts: { signal?: AbortSignal; limits?: Partial<ZipLimits> } = {},
): Promise<ZipDirectory> {
  const limits = { ...DEFAULT_ZIP_LIMITS, ...opts.limits };
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file: source.label, problem: `zip: ${problem}` });
  };
  const size = source.size;
  if (size < EOCD_SIZE) fail(`file of ${size} bytes is too short for a zip archive`);
  // Most archives (torch's included) have no comment: look at the last 1 KiB first, then the largest tail a
  // comment allows.
  let tailStart = 0;
  let tail: Uint8Array = new Uint8Array(0);
  let tv = dv(tail);
  let eocd = -1;
  for (const span of [1024, EOCD_SIZE + MAX_COMMENT + 20]) {
    tailStart = Math.max(0, size - span);
    tail = await source.read(tailStart, size, opts.signal);
    tv = dv(tail);
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD && tv.getUint16(i + 20, true) === tail.length - i - EOCD_SIZE) {
        eocd = i;
        break;
      }
    }
    if (eocd >= 0 || tailStart === 0) break;
  }
  if (eocd < 0) fail('no end-of-central-directory record (file truncated or not a zip archive)');
  const eocdAbs = tailStart + eocd;
  const diskNo = tv.getUint16(eocd + 4, true);
  const cdDisk = tv.getUint16(eocd + 6, true);
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let cdLimit = eocdAbs;
  if (diskNo !== 0 && diskNo !== 0xffff) fail('multi-disk archives are not supported');
  if (cdDisk !== 0 && cdDisk !== 0xffff) fail('multi-disk archives are not supported');

  // ZIP64: the locator sits right before the end record.
  const locAt = eocd - 20;
  if (locAt >= 0 && tv.getUint32(locAt, true) === SIG_ZIP64_LOCATOR) {
    const recOffset = u64(tv, locAt + 8, fail, 'ZIP64 record offset');
    if (tv.getUint32(locAt + 16, true) > 1) fail('multi-disk archives are not supported');
    if (recOffset + 56 > eocdAbs - 20) fail(`ZIP64 end record offset ${recOffset} lies outside the archive`);
    const rec = recOffset >= tailStart ? tail.subarray(recOffset - tailStart, recOffset - tailStart + 56)
      : await source.read(recOffset, recOffset + 56, opts.signal);
    const rv = dv(rec);
    if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) fail('ZIP64 locator does not point at a ZIP64 end record');
    if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) fail('multi-disk archives are not supported');
    count = u64(rv, 32, fail, 'ZIP64 entry count');
    cdSize = u64(rv, 40, fail, 'ZIP64 directory size');
    cdOffset = u64(rv, 48, fail, 'ZIP64 directory offset');
    cdLimit = recOffset;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    fail('end record needs ZIP64 values but the ZIP64 locator is missing');
  }
  if (count > limits.maxEntries) fail(`${count} entries exceed the limit of ${limits.maxEntries}`);
  if (cdSize > limits.maxDirectoryBytes) fail(`central directory of ${cdSize} bytes exceeds the limit of ${limits.maxDirectoryBytes}`);
  if (cdOffset + cdSize > cdLimit) {
    fail(`central directory [${cdOffset},${cdOffset + cdSize}) runs past its end record at ${cdLimit} (truncated?)`);
  }
  if (count * 46 > cdSize) fail(`central directory of ${cdSize} bytes cannot hold ${count} entries (truncated?)`);

  const cd = await source.read(cdOffset, cdOffset + cdSize, opts.signal);
  const cv = dv(cd);
  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length) fail(`central directory truncated at entry ${i} of ${count}`);
    if (cv.getUint32(p, true) !== SIG_CENTRAL) fail(`central directory entry ${i} has a bad signature`);
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let usize = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    const disk = cv.getUint16(p + 34, true);
    let local = cv.getUint32(p + 42, true);
    const varEnd = p + 46 + nameLen + extraLen + commentLen;
    if (varEnd > cd.length) fail(`central directory truncated in entry ${i} of ${count}`);
    let name: string;
    try {
      name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    } catch {
      return fail(`entry ${i} has a name that is not valid UTF-8`);
    }
    // ZIP64 extended information: only the fields saturated in the fixed part, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) fail(`entry ${JSON.stringify(name)} has a malformed extra field`);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (what: string): number => {
          if (q + 8 > e + 4 + len) fail(`entry ${JSON.stringify(name)}: ZIP64 extra field too short for ${what}`);
          const v = u64(cv, q, fail, `entry ${JSON.stringify(name)} ${what}`);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (local === 0xffffffff) local = next('local header offset');
      }
      e += 4 + len;
    }
    if (usize === 0xffffffff || compressedSize === 0xffffffff || local === 0xffffffff) {
      fail(`entry ${JSON.stringify(name)} has saturated sizes or offset but no ZIP64 extra field for them`);
    }
    if (disk !== 0 && disk !== 0xffff) fail('multi-disk archives are not supported');
    if (byName.has(name)) fail(`duplicate entry ${JSON.stringify(name)}`);
    const entry: ZipEntry = { name, method, flags, compressedSize, size: usize, localHeaderOffset: local, nameLength: nameLen };
    entries.push(entry);
    byName.set(name, entry);
    p = varEnd;
  }

  // Entries may not overlap each other or the directory (a lower bound: local extra fields are not known yet).
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i];
    const lowEnd = a.localHeaderOffset + 30 + a.nameLength + a.compressedSize;
    const limit = i + 1 < sorted.length ? sorted[i + 1].localHeaderOffset : cdOffset;
    if (lowEnd > limit) {
      fail(i + 1 < sorted.length
        ? `entries ${JSON.stringify(a.name)} and ${JSON.stringify(sorted[i + 1].name)} overlap`
        : `entry ${JSON.stringify(a.name)} runs into the central directory`);
    }
  }
  return { entries, byName, directoryStart: cdOffset };
}

/** Where an entry's bytes are: [start, end) in the file. */
export interface EntryRange { start: number; end: number }

/**
 * Read the local headers of `wanted` entries (small reads, neighbours coalesced) and return each entry's data
 * range. Refuses encrypted or compressed entries, and local headers that disagree with the directory.
 */
export async function locateEntries(
  source: ByteSource,
  dir: ZipDirectory,
  wanted: readonly ZipEntry[],
  signal?: AbortSignal,
): Promise<Map<string, EntryRange>> {
  const fail = (problem: string): never => {
    throw new PytorchCheckpointError({ file: source.label, problem: `zip: ${problem}` });
  };
  for (const w of wanted) {
    if (w.flags & 1) fail(`entry ${JSON.stringify(w.name)} is encrypted`);
    if (w.method !== 0) {
      fail(`entry ${JSON.stringify(w.name)} is compressed (method ${w.method}${w.method === 8 ? ', deflate' : ''}); torch.save stores entries uncompressed, so this archive was rewritten by another tool`);
    }
    if (w.compressedSize !== w.size) fail(`entry ${JSON.stringify(w.name)} is stored but its sizes differ`);
  }
  const sortedAll = [...dir.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const nextOffset = new Map<ZipEntry, number>();
  for (let i = 0; i < sortedAll.length; i++) {
    nextOffset.set(sortedAll[i], i + 1 < sortedAll.length ? sortedAll[i + 1].localHeaderOffset : dir.directoryStart);
  }
  const unique = [...new Set(wanted)].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  // Each local header is 30 bytes + name + extra (torch pads with an extra field up to 64-byte alignment).
  const windowOf = (e: ZipEntry) => ({
    start: e.localHeaderOffset,
    end: Math.min(source.size, e.localHeaderOffset + 30 + e.nameLength + 320),
  });
  const out = new Map<string, EntryRange>();
  let i = 0;
  while (i < unique.length) {
    const first = windowOf(unique[i]);
    let j = i + 1;
    let end = first.end;
    while (j < unique.length) {
      const w = windowOf(unique[j]);
      if (w.start - end > 16 * 1024 || w.end - first.start > 1 << 20) break;
      end = Math.max(end, w.end);
      j++;
    }
    if (first.start >= source.size) fail(`entry ${JSON.stringify(unique[i].name)} local header lies outside the file`);
    const buf = await source.read(first.start, end, signal);
    for (let k = i; k < j; k++) {
      const e = unique[k];
      let at = e.localHeaderOffset - first.start;
      let hdr = buf;
      if (at + 30 > hdr.length) fail(`entry ${JSON.stringify(e.name)} local header is truncated`);
      let hv = dv(hdr);
      if (hv.getUint32(at, true) !== SIG_LOCAL) fail(`entry ${JSON.stringify(e.name)} has no local header at ${e.localHeaderOffset}`);
      const nameLen = hv.getUint16(at + 26, true);
      const extraLen = hv.getUint16(at + 28, true);
      if (nameLen !== e.nameLength) fail(`entry ${JSON.stringify(e.name)}: local header name differs from the directory`);
      if (at + 30 + nameLen > hdr.length) {
        const abs = e.localHeaderOffset;
        if (abs + 30 + nameLen > source.size) fail(`entry ${JSON.stringify(e.name)} local header is truncated`);
        hdr = await source.read(abs, abs + 30 + nameLen, signal);
        hv = dv(hdr);
        at = 0;
      }
      const localName = hdr.subarray(at + 30, at + 30 + nameLen);
      const dirName = new TextEncoder().encode(e.name);
      if (localName.length !== dirName.length || localName.some((b, x) => b !== dirName[x])) {
        fail(`entry ${JSON.stringify(e.name)}: local header name differs from the directory`);
      }
      const start = e.localHeaderOffset + 30 + nameLen + extraLen;
      const stop = start + e.compressedSize;
      const limit = nextOffset.get(e) as number;
      if (stop > limit) {
        fail(limit === dir.directoryStart
          ? `entry ${JSON.stringify(e.name)} runs into the central directory`
          : `entry ${JSON.stringify(e.name)} overlaps the next entry`);
      }
      if (stop > source.size) fail(`entry ${JSON.stringify(e.name)} runs past the end of the file`);
      out.set(e.name, { start, end: stop });
    }
    i = j;
  }
  return out;
}
