/** Byte ranges of expert slices, and a bounded-parallel map for opening several files. */
import { CheckpointError } from './errors';

/**
 * The bytes and shape of expert `e`'s 2-D slice `W[e]` of a contiguous row-major `[E, rows, cols]` tensor stored in
 * [start, end), or the whole tensor when `expert` is undefined.
 */
export function expertSliceRange(
  t: { name: string; shape: number[]; start: number; end: number; file?: string },
  expert: number | undefined,
): { start: number; end: number; shape: number[] } {
  if (expert === undefined) return { start: t.start, end: t.end, shape: t.shape };
  const experts = t.shape[0];
  if (t.shape.length !== 3 || !Number.isSafeInteger(expert) || expert < 0 || expert >= experts) {
    throw new CheckpointError({ file: t.file ?? 'checkpoint', tensor: t.name, problem: `no expert ${expert} in a tensor of shape ${JSON.stringify(t.shape)}` });
  }
  const bytes = (t.end - t.start) / experts;
  if (!Number.isInteger(bytes)) {
    throw new CheckpointError({ file: t.file ?? 'checkpoint', tensor: t.name, problem: `${t.end - t.start} bytes do not split into ${experts} experts` });
  }
  return { start: t.start + expert * bytes, end: t.start + (expert + 1) * bytes, shape: t.shape.slice(1) };
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
