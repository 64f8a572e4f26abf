/**
 * Random-access byte sources: a local file read at positions, or bytes already in memory.
 * The remote (HTTP range) source lives in lib/hub and implements the same interface.
 */
import { open, stat } from 'node:fs/promises';

import { SafetensorsError } from './errors';

/** Random access to the bytes of one file. `read` returns exactly `end - start` bytes or throws. */
export interface ByteSource {
  /** Total size in bytes. */
  size: number;
  /** Used in error messages (a path, or a repo-qualified file name). */
  label: string;
  /** Bytes [start, end) (end exclusive). */
  read(start: number, end: number, signal?: AbortSignal): Promise<Uint8Array>;
}

function checkRange(label: string, size: number, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    throw new SafetensorsError({ file: label, problem: `cannot read bytes [${start},${end}) of a ${size}-byte file` });
  }
}

/**
 * A local file. The file is opened per read (one `FileHandle.read` loop at a position, then closed), so no
 * descriptor outlives a call and nothing beyond the requested range is ever held in memory.
 * A file that shrank since `fileSource` measured it gives a SafetensorsError ("truncated"), not short data.
 */
export async function fileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (cause) {
    throw new SafetensorsError({ file: path, problem: `cannot open: ${(cause as Error).message}`, cause });
  }
  return {
    size,
    label: path,
    async read(start, end, signal) {
      checkRange(path, size, start, end);
      signal?.throwIfAborted();
      const out = new Uint8Array(end - start);
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (cause) {
        throw new SafetensorsError({ file: path, problem: `cannot open: ${(cause as Error).message}`, cause });
      }
      try {
        let filled = 0;
        while (filled < out.length) {
          signal?.throwIfAborted();
          const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
          if (bytesRead === 0) {
            throw new SafetensorsError({
              file: path,
              problem: `file truncated: ended at byte ${start + filled}, expected ${end}`,
            });
          }
          filled += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return out;
    },
  };
}

/** Bytes already in memory (tests, generated files). Reads return subarray views, not copies. */
export function bufferSource(bytes: Uint8Array, label = 'buffer.safetensors'): ByteSource {
  return {
    size: bytes.length,
    label,
    async read(start, end, signal) {
      checkRange(label, bytes.length, start, end);
      signal?.throwIfAborted();
      return bytes.subarray(start, end);
    },
  };
}
