/**
 * xxhash64 of a tensor's raw stored bytes, computed on the bytes as they arrive (no extra read): two tensors with
 * the same dtype, shape and hash are the same weights, whatever repo, file name or format they came from.
 *
 * The bytes are fed to the hasher in 1 MiB pieces: xxhash-wasm copies its input into its own WebAssembly memory, and
 * one call on a whole 180 MB tensor first grows that memory to fit (the first such call took ~250 ms here, against
 * ~40 ms in pieces). The digest is the same either way.
 */
import xxhash from 'xxhash-wasm';

let api: ReturnType<typeof xxhash> | null = null;

const PIECE = 1 << 20;

/** Hash of several byte ranges in order (an MXFP4 slice: blocks then scales). */
export async function contentHashOf(parts: Uint8Array[]): Promise<string> {
  const { create64 } = await (api ??= xxhash());
  const h = create64();
  for (const p of parts) {
    for (let o = 0; o < p.length; o += PIECE) h.update(p.subarray(o, Math.min(p.length, o + PIECE)));
  }
  return h.digest().toString(16).padStart(16, '0');
}

export async function contentHash(bytes: Uint8Array): Promise<string> {
  return contentHashOf([bytes]);
}

/** An incremental hash: the same digest as `contentHash` of all the bytes passed to `update`, in order. */
export async function createContentHasher(): Promise<{ update(bytes: Uint8Array): void; digest(): string }> {
  const { create64 } = await (api ??= xxhash());
  const h = create64();
  return {
    update: (bytes) => {
      for (let o = 0; o < bytes.length; o += PIECE) h.update(bytes.subarray(o, Math.min(bytes.length, o + PIECE)));
    },
    digest: () => h.digest().toString(16).padStart(16, '0'),
  };
}
