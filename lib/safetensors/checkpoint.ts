/**
 * A checkpoint on local disk: one .safetensors file, or a Hugging Face model folder (single file, or shards
 * listed by `model.safetensors.index.json`). Only headers are read up front; tensors are read and decoded one
 * at a time on request, so memory stays at one tensor (plus its FP8 scale) whatever the checkpoint size.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, sep } from 'node:path';

import { fileSource, type ByteSource } from './byte-source';
import { decodeTensor, type TensorScale } from './decode';
import { isFp8Dtype } from './dtype';
import { SafetensorsError } from './errors';
import { numel, readExactly, readHeader, type SafetensorsHeader, type TensorEntry } from './header';

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

export interface CheckpointFile {
  /** Path (or label) of the file, as used in `CheckpointTensor.file`. */
  path: string;
  size: number;
  headerLength: number;
  dataStart: number;
  metadata: Record<string, string>;
}

export type CheckpointTensor = TensorEntry & {
  file: string;
  /** For an FP8 weight: the name of its scale tensor (`X.weight_scale_inv` or `X.weight_scale`). */
  scaleTensor?: string;
  /** For a scale tensor: the weight it scales. */
  scaleFor?: string;
};

export interface DecodedTensor {
  data: Float32Array | Float64Array;
  /** shape[0] (1 for a scalar). */
  rows: number;
  /** Product of the remaining dimensions (1 for 1-D). */
  cols: number;
  dtype: string;
  /** True when an FP8 scale tensor was applied. */
  scaled: boolean;
}

export interface LocalCheckpoint {
  label: string;
  files: CheckpointFile[];
  /** In weight_map order for indexed checkpoints, else file order then header order. */
  tensors: CheckpointTensor[];
  /** config.json next to the weights, when present. */
  config: Record<string, unknown> | null;
  get(name: string): CheckpointTensor | undefined;
  /** Read and decode one tensor (FP8 scale applied). Errors as decodeTensor. */
  read(entry: CheckpointTensor, signal?: AbortSignal): Promise<DecodedTensor>;
}

/** The same shape for checkpoints over remote sources (see `checkpointFromSources`). */
export type Checkpoint = LocalCheckpoint;

export interface CheckpointOptions {
  /** FP8 block size; default: config.json `quantization_config.weight_block_size`, else inferred from shapes. */
  blockSize?: [number, number];
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SafetensorsError({ file: path, problem: `cannot read: ${(cause as Error).message}`, cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SafetensorsError({ file: path, problem: `not valid JSON (${(cause as Error).message})`, cause });
  }
}

/** Parse `model.safetensors.index.json`: weight_map entries in order, shard names confined to the folder. */
export function parseIndex(json: unknown, label: string): Array<[tensor: string, shard: string]> {
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new SafetensorsError({ file: label, problem: 'index has no weight_map object' });
  }
  const out: Array<[string, string]> = [];
  for (const [tensor, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard === '') {
      throw new SafetensorsError({ file: label, tensor, problem: `weight_map value must be a shard file name, got ${JSON.stringify(shard)}` });
    }
    const norm = normalize(shard);
    if (isAbsolute(norm) || norm === '..' || norm.startsWith(`..${sep}`)) {
      throw new SafetensorsError({ file: label, tensor, problem: `shard ${JSON.stringify(shard)} lies outside the checkpoint folder` });
    }
    out.push([tensor, shard]);
  }
  return out;
}

/** Natural order: model-00002 before model-00010 even if padding is missing. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Open a checkpoint. `fileOrDir` is a .safetensors file, or a folder holding `model.safetensors.index.json`
 * (+ shards), `model.safetensors`, or any other *.safetensors files (all of them, in natural name order).
 * Throws SafetensorsError for a folder without safetensors, a broken index, or any invalid header.
 */
export async function openLocalCheckpoint(fileOrDir: string, options: CheckpointOptions = {}): Promise<LocalCheckpoint> {
  let isDir: boolean;
  try {
    isDir = (await stat(fileOrDir)).isDirectory();
  } catch (cause) {
    throw new SafetensorsError({ file: fileOrDir, problem: `cannot open: ${(cause as Error).message}`, cause });
  }
  if (!isDir) {
    const source = await fileSource(fileOrDir);
    return checkpointFromSources(fileOrDir, [{ source, header: await readHeader(source) }], null, null, options);
  }

  const configPath = join(fileOrDir, 'config.json');
  const config = (await exists(configPath)) ? ((await readJson(configPath)) as Record<string, unknown>) : null;
  const opts = { ...options, blockSize: options.blockSize ?? blockSizeFromConfig(config) };

  const indexPath = join(fileOrDir, INDEX_FILE);
  let paths: string[];
  let order: Array<[string, string]> | null = null;
  if (await exists(indexPath)) {
    order = parseIndex(await readJson(indexPath), indexPath).map(([t, shard]) => [t, join(fileOrDir, shard)]);
    paths = [...new Set(order.map(([, p]) => p))];
    for (const p of paths) {
      if (!(await exists(p))) {
        throw new SafetensorsError({ file: indexPath, problem: `weight_map names shard ${JSON.stringify(basename(p))}, which is missing` });
      }
    }
  } else if (await exists(join(fileOrDir, SINGLE_FILE))) {
    paths = [join(fileOrDir, SINGLE_FILE)];
  } else {
    const names = (await readdir(fileOrDir)).filter((n) => n.endsWith('.safetensors')).sort(naturalCompare);
    paths = [];
    for (const n of names) if (await exists(join(fileOrDir, n))) paths.push(join(fileOrDir, n));
    if (paths.length === 0) {
      throw new SafetensorsError({ file: fileOrDir, problem: `no ${INDEX_FILE}, ${SINGLE_FILE} or other .safetensors file in this folder` });
    }
  }
  const opened = [];
  for (const p of paths) {
    const source = await fileSource(p);
    opened.push({ source, header: await readHeader(source) });
  }
  return checkpointFromSources(fileOrDir, opened, order, config, opts);
}

function blockSizeFromConfig(config: Record<string, unknown> | null): [number, number] | undefined {
  const q = config?.quantization_config as { weight_block_size?: unknown } | undefined;
  const b = q?.weight_block_size;
  if (Array.isArray(b) && b.length === 2 && b.every((x) => Number.isSafeInteger(x) && x > 0)) return [b[0], b[1]];
  return undefined;
}

/**
 * Assemble a checkpoint from already-validated headers of any ByteSources (local files here; lib/hub can pass
 * remote ones). `order`, when given (an index's weight_map as [tensor, source label]), fixes the tensor order
 * and must agree with the headers; tensors present in a header but not in the order are appended after.
 */
export function checkpointFromSources(
  label: string,
  opened: Array<{ source: ByteSource; header: SafetensorsHeader }>,
  order: Array<[string, string]> | null,
  config: Record<string, unknown> | null = null,
  options: CheckpointOptions = {},
): LocalCheckpoint {
  const sources = new Map<string, ByteSource>();
  const byName = new Map<string, CheckpointTensor>();
  const files: CheckpointFile[] = [];
  for (const { source, header } of opened) {
    sources.set(source.label, source);
    files.push({
      path: source.label,
      size: source.size,
      headerLength: header.headerLength,
      dataStart: header.dataStart,
      metadata: header.metadata,
    });
    for (const t of header.tensors) {
      const prior = byName.get(t.name);
      if (prior) {
        throw new SafetensorsError({ file: source.label, tensor: t.name, problem: `also present in ${prior.file}` });
      }
      byName.set(t.name, { ...t, file: source.label });
    }
  }

  let tensors: CheckpointTensor[];
  if (order) {
    tensors = [];
    const seen = new Set<string>();
    for (const [name, file] of order) {
      const t = byName.get(name);
      if (!t || t.file !== file) {
        throw new SafetensorsError({ file: file, tensor: name, problem: `listed in the index's weight_map but absent from this shard` });
      }
      if (!seen.has(name)) tensors.push(t);
      seen.add(name);
    }
    for (const t of byName.values()) if (!seen.has(t.name)) tensors.push(t);
  } else {
    tensors = [...byName.values()];
  }

  pairFp8Scales(tensors, byName);

  async function readRaw(entry: CheckpointTensor, signal?: AbortSignal): Promise<Uint8Array> {
    const source = sources.get(entry.file);
    if (!source) throw new SafetensorsError({ file: entry.file, tensor: entry.name, problem: 'file is not part of this checkpoint' });
    return readExactly(source, entry.start, entry.end, signal);
  }

  return {
    label,
    files,
    tensors,
    config,
    get: (name) => byName.get(name),
    async read(entry, signal) {
      let scale: TensorScale | null = null;
      if (entry.scaleTensor) {
        const s = byName.get(entry.scaleTensor) as CheckpointTensor;
        scale = { data: decodeTensor(await readRaw(s, signal), s), shape: s.shape, name: s.name, blockSize: options.blockSize };
      }
      const data = decodeTensor(await readRaw(entry, signal), entry, scale);
      const rows = entry.shape.length === 0 ? 1 : entry.shape[0];
      const cols = rows === 0 ? 0 : numel(entry.shape) / rows;
      return { data, rows, cols, dtype: entry.dtype, scaled: scale !== null };
    },
  };
}

/**
 * Links each FP8 weight `X` to its dequantization scale `X_scale_inv` (DeepSeek-V3 style) or `X_scale`, in place:
 * the weight gets `scaleTensor`, the scale gets `scaleFor` (so it is not analysed as a layer of its own).
 */
export function pairFp8Scales<T extends { name: string; dtype: string; scaleTensor?: string; scaleFor?: string }>(
  tensors: Iterable<T>,
  byName: ReadonlyMap<string, T>,
): void {
  for (const t of tensors) {
    if (!isFp8Dtype(t.dtype)) continue;
    const scale = byName.get(`${t.name}_scale_inv`) ?? byName.get(`${t.name}_scale`);
    if (scale) {
      t.scaleTensor = scale.name;
      scale.scaleFor = t.name;
    }
  }
}
