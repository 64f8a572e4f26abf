/**
 * xxhash64 of a tensor's raw stored bytes, computed on the bytes as they arrive (no extra read): two tensors with
 * the same dtype, shape and hash are the same weights, whatever repo, file name or format they came from.
 */
import xxhash from 'xxhash-wasm';

let api: ReturnType<typeof xxhash> | null = null;

export async function contentHash(bytes: Uint8Array): Promise<string> {
  const { h64Raw } = await (api ??= xxhash());
  return h64Raw(bytes).toString(16).padStart(16, '0');
}

/** Hash of several byte ranges in order (an MXFP4 slice: blocks then scales). */
export async function contentHashOf(parts: Uint8Array[]): Promise<string> {
  if (parts.length === 1) return contentHash(parts[0]);
  const { create64 } = await (api ??= xxhash());
  const h = create64();
  for (const p of parts) h.update(p);
  return h.digest().toString(16).padStart(16, '0');
}
