/**
 * The file layout every Hugging Face checkpoint format shares: an index JSON (`weight_map`: tensor → shard) with its
 * shards, else the one canonical weights file, else every weights file of the format (natural name order).
 */
import { parseIndex } from '@/lib/safetensors';
import { CheckpointError } from '../errors';
import type { CheckpointFileInfo, CheckpointLocation } from '../types';

export interface LayoutNames {
  index: string;
  single: string;
  /** Any other file of the format. */
  isWeights: (path: string) => boolean;
}

export interface WeightsLayout {
  index: string | null;
  /** Without an index: the files to read. With one: filled in by `readShardIndex`. */
  weights: string[];
}

export const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The layout of the listing, or null when it holds none of this format's files. */
export function weightsLayout(files: readonly CheckpointFileInfo[], names: LayoutNames): WeightsLayout | null {
  const listed = new Set(files.map((f) => f.path));
  if (listed.has(names.index)) return { index: names.index, weights: [] };
  if (listed.has(names.single)) return { index: null, weights: [names.single] };
  const all = files.map((f) => f.path).filter(names.isWeights);
  return all.length ? { index: null, weights: all.sort(naturalOrder) } : null;
}

/**
 * Reads the index: its weight_map entries in order and its shards (first-appearance order), each of which must be
 * in the listing. Errors name the index file.
 */
export async function readShardIndex(
  location: CheckpointLocation,
  index: string,
  files: readonly CheckpointFileInfo[],
): Promise<{ order: Array<[tensor: string, shard: string]>; shards: string[] }> {
  const where = `${location.label}/${index}`;
  const order = parseIndex(await location.readJson(index), where);
  const shards = [...new Set(order.map(([, shard]) => shard))];
  const listed = new Set(files.map((f) => f.path));
  for (const shard of shards) {
    if (!listed.has(shard)) throw new CheckpointError({ file: where, problem: `weight_map names shard ${JSON.stringify(shard)}, which is missing` });
  }
  return { order, shards };
}
