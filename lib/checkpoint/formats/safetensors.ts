/**
 * safetensors behind the tensor-source seam: `model.safetensors.index.json` + shards, else `model.safetensors`,
 * else every `*.safetensors` file (natural name order). Headers are read and validated by lib/safetensors (two
 * range reads per file), then each tensor (or expert slice) is read by one range request and decoded there, FP8
 * scales applied; BF16 tensors above 64 MiB are read in 64 MiB pieces, each decoded as it arrives.
 */
import {
  checkpointFromSources,
  decodeTensor,
  decodeTensorForAnalysis,
  INDEX_FILE,
  readExactly,
  readHeader,
  SINGLE_FILE,
  type ByteSource,
  type CheckpointTensor,
  type SafetensorsHeader,
  type TensorScale,
} from '@/lib/safetensors';
import { NonFiniteTensorError, SafetensorsError } from '@/lib/safetensors/errors';
import { countNonFinite, countNonFiniteBf16, decodeBf16Into, decodeMxfp4, mxfp4DecodedShape } from '@/lib/safetensors';
import { Bf16Matrix } from '@/lib/spectral/bf16-matrix';
import { contentHash, contentHashOf, createContentHasher } from '../content-hash';
import { expertSliceRange, mapLimit } from '../slices';
import { readShardIndex, weightsLayout, type LayoutNames } from './weights-layout';
import type { CheckpointFileInfo, CheckpointFormat, DecodedMatrix, ReadOptions, SourceTensor, TensorSource } from '../types';
import type { WeightMatrix } from '@/lib/spectral/bf16-matrix';

const PARALLEL_HEADERS = 4;

const LAYOUT: LayoutNames = { index: INDEX_FILE, single: SINGLE_FILE, isWeights: (p) => p.endsWith('.safetensors') };

/** Which files make the safetensors checkpoint of a listing, or null when it has none. */
export const safetensorsFiles = (files: readonly CheckpointFileInfo[]) => weightsLayout(files, LAYOUT);

function blockSizeFromConfig(config: Record<string, unknown> | null): [number, number] | undefined {
  const b = (config?.quantization_config as { weight_block_size?: unknown } | undefined)?.weight_block_size;
  if (Array.isArray(b) && b.length === 2 && b.every((x) => Number.isSafeInteger(x) && x > 0)) return [b[0], b[1]];
  return undefined;
}

export const safetensorsFormat: CheckpointFormat = {
  describe: `${INDEX_FILE}, ${SINGLE_FILE} or other .safetensors files`,
  matches: (files) => safetensorsFiles(files) !== null,
  async open(location, files, config): Promise<TensorSource> {
    const layout = safetensorsFiles(files)!;
    let order: Array<[string, string]> | null = null;
    let weights = layout.weights;
    if (layout.index) ({ order, shards: weights } = await readShardIndex(location, layout.index, files));
    const opened = await mapLimit(weights, PARALLEL_HEADERS, async (path) => {
      const source = await location.open(path);
      return { path, source, header: await readHeader(source) };
    });
    const pathOf = new Map<string, string>(opened.map((o) => [o.source.label, o.path]));
    const labelOf = new Map<string, string>(opened.map((o) => [o.path, o.source.label]));
    const ck = checkpointFromSources(
      location.label,
      opened.map(({ source, header }) => ({ source, header: header as SafetensorsHeader })),
      order ? order.map(([t, shard]) => [t, labelOf.get(shard)!] as [string, string]) : null,
      config,
      { blockSize: blockSizeFromConfig(config) },
    );
    const sources = new Map<string, ByteSource>(opened.map((o) => [o.path, o.source]));
    const entries = new Map<string, CheckpointTensor>(ck.tensors.map((t) => [t.name, t]));
    const tensors: SourceTensor[] = ck.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      file: pathOf.get(t.file)!,
      start: t.start,
      end: t.end,
      ...(t.scaleFor ? { scaleFor: t.scaleFor } : {}),
      ...(t.scaleTensor ? { scaleTensor: t.scaleTensor } : {}),
    }));
    pairMxfp4(tensors);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const byFile = new Map(files.map((f) => [f.path, f]));
    const blockSize = blockSizeFromConfig(config);
    const rawOf = (t: SourceTensor, expert: number | undefined, signal?: AbortSignal) => {
      const slice = expertSliceRange(t, expert);
      return readExactly(sources.get(t.file)!, slice.start, slice.end, signal);
    };

    return {
      label: location.label,
      format: 'safetensors',
      files: weights.map((p) => byFile.get(p) ?? { path: p, size: sources.get(p)!.size }),
      tensors,
      config,
      read: (async (tensor: SourceTensor, options: ReadOptions = {}): Promise<DecodedMatrix<WeightMatrix>> => {
        if (tensor.dtype === 'MXFP4') return readMxfp4(byName.get(tensor.name)!, byName, rawOf, options.expert, options.signal);
        const entry = entries.get(tensor.name);
        if (!entry) throw new SafetensorsError({ file: location.label, tensor: tensor.name, problem: 'not a tensor of this checkpoint' });
        const source = sources.get(tensor.file)!;
        const slice = expertSliceRange(entry, options.expert);
        if (entry.dtype === 'BF16' && !entry.scaleTensor && slice.end - slice.start > streamedReadBytes) {
          return readBf16Streamed(source, entry, slice, options.keepBf16 === true, options.signal);
        }
        const raw = await readExactly(source, slice.start, slice.end, options.signal);
        const hash = contentHash(raw);
        let scale: TensorScale | null = null;
        if (entry.scaleTensor && options.expert === undefined) {
          const s = entries.get(entry.scaleTensor)!;
          const sRaw = await readExactly(sources.get(pathOf.get(s.file)!)!, s.start, s.end, options.signal);
          scale = { data: decodeTensor(sRaw, s), shape: s.shape, name: s.name, blockSize };
        }
        const sliced = { ...entry, shape: slice.shape, start: slice.start, end: slice.end };
        const data = options.keepBf16 ? decodeTensorForAnalysis(raw, sliced, scale) : decodeTensor(raw, sliced, scale);
        return { data, rows: slice.shape[0] ?? 1, cols: slice.shape.slice(1).reduce((a, b) => a * b, 1), contentHash: await hash };
      }) as TensorSource['read'],
    };
  },
};

/** BF16 tensors above this many bytes are read in pieces of this size (see `readBf16Streamed`). */
let streamedReadBytes = 64 * 1024 * 1024;

/** Test hook: the piece size of streamed BF16 reads (returns the previous one). */
export function setStreamedReadBytes(bytes: number): number {
  const previous = streamedReadBytes;
  if (!Number.isSafeInteger(bytes) || bytes < 4 || bytes % 4 !== 0) throw new RangeError(`piece size ${bytes}: a multiple of 4 bytes expected`);
  streamedReadBytes = bytes;
  return previous;
}

/**
 * A large BF16 tensor (a 32000x4096 embedding is 262 MB) read by range requests of `streamedReadBytes`, each piece
 * hashed and decoded into the float32 result as it arrives: the same values, content hash and errors as one read +
 * decodeTensor, but the raw bytes are never all held at once (one read held them twice, body chunks and the joined
 * copy, beside the 524 MB decoded: ~1 GB for one embedding). With `keepBits` the pieces are copied into one array of
 * BF16 bits instead (a Bf16Matrix, half the bytes of float32), their non-finite values counted from the bits.
 */
async function readBf16Streamed(
  source: ByteSource,
  entry: CheckpointTensor,
  slice: { start: number; end: number; shape: number[] },
  keepBits: boolean,
  signal?: AbortSignal,
): Promise<{ data: Float32Array | Bf16Matrix; rows: number; cols: number; contentHash: string }> {
  const where = { file: entry.file ?? source.label, tensor: entry.name };
  const count = slice.shape.reduce((a, b) => a * b, 1);
  if (count * 2 !== slice.end - slice.start) {
    throw new SafetensorsError({ ...where, problem: `${slice.end - slice.start} bytes do not match BF16 x ${JSON.stringify(slice.shape)}` });
  }
  const bits = keepBits ? new Uint16Array(count) : null;
  const data = bits ? new Bf16Matrix(bits) : new Float32Array(count);
  const hasher = await createContentHasher();
  let bad = 0;
  for (let at = slice.start; at < slice.end; at += streamedReadBytes) {
    const raw = await readExactly(source, at, Math.min(slice.end, at + streamedReadBytes), signal);
    hasher.update(raw);
    const element = (at - slice.start) / 2;
    if (bits) {
      bad += countNonFiniteBf16(raw);
      new Uint8Array(bits.buffer, element * 2, raw.length).set(raw);
    } else {
      bad += decodeBf16Into(raw, data as Float32Array, element);
    }
  }
  if (bad > 0) throw new NonFiniteTensorError({ ...where, count: bad, total: count });
  return { data, rows: slice.shape[0] ?? 1, cols: slice.shape.slice(1).reduce((a, b) => a * b, 1), contentHash: hasher.digest() };
}

/**
 * gpt-oss style MXFP4 weights: `X_blocks` (U8 `[..., rows, G, 16]`, two E2M1 values per byte) with `X_scales` (U8
 * `[..., rows, G]`, one E8M0 exponent per 32 values) become one logical tensor `X_blocks` of dtype MXFP4 and shape
 * `[..., rows, G*32]`; the scales tensor is marked as belonging to it.
 */
function pairMxfp4(tensors: SourceTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const t of tensors) {
    if (!t.name.endsWith('_blocks') || t.dtype !== 'U8' || t.shape.length < 3 || t.shape[t.shape.length - 1] !== 16) continue;
    const scales = byName.get(`${t.name.slice(0, -'_blocks'.length)}_scales`);
    if (!scales || scales.dtype !== 'U8' || JSON.stringify(scales.shape) !== JSON.stringify(t.shape.slice(0, -1))) continue;
    t.dtype = 'MXFP4';
    t.shape = mxfp4DecodedShape(t.shape);
    t.scaleTensor = scales.name;
    scales.scaleFor = t.name;
  }
}

async function readMxfp4(
  t: SourceTensor,
  byName: Map<string, SourceTensor>,
  rawOf: (t: SourceTensor, expert: number | undefined, signal?: AbortSignal) => Promise<Uint8Array>,
  expert: number | undefined,
  signal?: AbortSignal,
) {
  const scales = byName.get(t.scaleTensor!)!;
  const [blocks, exps] = await Promise.all([rawOf(t, expert, signal), rawOf(scales, expert, signal)]);
  const shape = expert === undefined ? t.shape : t.shape.slice(1);
  const blockShape = [1, ...shape.slice(0, -1), shape[shape.length - 1] / 32, 16];
  let data: Float32Array;
  try {
    data = decodeMxfp4(blocks, exps, blockShape);
  } catch (cause) {
    throw new SafetensorsError({ file: t.file, tensor: t.name, problem: `MXFP4: ${(cause as Error).message}`, cause });
  }
  const bad = countNonFinite(data);
  if (bad > 0) throw new NonFiniteTensorError({ file: t.file, tensor: t.name, count: bad, total: data.length });
  const rows = shape[0] ?? 1;
  return { data, rows, cols: data.length / Math.max(rows, 1), contentHash: await contentHashOf([blocks, exps]) };
}
