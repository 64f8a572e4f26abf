/**
 * PyTorch pickle checkpoints behind the tensor-source seam: `pytorch_model.bin.index.json` + shards, else
 * `pytorch_model.bin`, else every `.bin` / `.pt` / `.pth` weights file (trainer state such as `optimizer.pt` or
 * `training_args.bin` is not weights and is left alone). Each file is indexed by lib/pytorch's restricted reader
 * (zip directory and data.pkl by range reads, or a legacy file), then each tensor is read by the byte range of the
 * storage span it views and gathered into its logical row-major matrix. Nothing in a pickle is ever executed.
 */
import { decodePytorchTensor, decodePytorchTensorForAnalysis, maxRelativeIndex, readPytorchIndex, type PytorchTensorEntry } from '@/lib/pytorch';
import { byteLength, isDecodableDtype, UnsupportedDtypeError, type ByteSource, type SafetensorsDtype } from '@/lib/safetensors';
import { contentHash } from '../content-hash';
import { CheckpointError } from '../errors';
import { mapLimit } from '../slices';
import { Bf16Matrix, type WeightMatrix } from '@/lib/spectral/bf16-matrix';
import { naturalOrder, readShardIndex, weightsLayout, type LayoutNames } from './weights-layout';
import type { CheckpointFileInfo, CheckpointFormat, CheckpointFormatName, DecodedMatrix, ReadOptions, SourceTensor, TensorSource } from '../types';

export const PYTORCH_INDEX_FILE = 'pytorch_model.bin.index.json';
export const PYTORCH_SINGLE_FILE = 'pytorch_model.bin';

/** Files saved beside weights by training loops: never model weights. */
const NOT_WEIGHTS = /^(training_args\.bin|optimizer(\.pt|\.bin)?|scheduler\.pt|scaler\.pt|rng_state.*\.pth)$/;
const WEIGHTS = /\.(bin|pt|pth)$/;

const LAYOUT: LayoutNames = { index: PYTORCH_INDEX_FILE, single: PYTORCH_SINGLE_FILE, isWeights: (p) => WEIGHTS.test(p) && !NOT_WEIGHTS.test(p) };

export const pytorchFiles = (files: readonly CheckpointFileInfo[]) => weightsLayout(files, LAYOUT);

type Entry = PytorchTensorEntry & { path: string };

export const pytorchFormat: CheckpointFormat = {
  describe: `${PYTORCH_INDEX_FILE}, ${PYTORCH_SINGLE_FILE} or other .bin/.pt/.pth files`,
  matches: (files) => pytorchFiles(files) !== null,
  async open(location, files, config): Promise<TensorSource> {
    const layout = pytorchFiles(files)!;
    let order: Array<[string, string]> | null = null;
    let weights = layout.weights;
    if (layout.index) {
      let shards: string[];
      ({ order, shards } = await readShardIndex(location, layout.index, files));
      weights = shards.sort(naturalOrder);
    }
    const indexed = await mapLimit(weights, 4, async (path) => {
      const source = await location.open(path);
      return { path, source, index: await readPytorchIndex(source) };
    });
    const sources = new Map<string, ByteSource>(indexed.map((x) => [x.path, x.source]));
    const byName = new Map<string, Entry>();
    for (const { path, source, index } of indexed) {
      for (const t of index.tensors) {
        const prior = byName.get(t.name);
        if (prior) throw new CheckpointError({ file: source.label, tensor: t.name, problem: `also present in ${prior.path}` });
        byName.set(t.name, { ...t, path });
      }
    }
    // Tensor order is each shard's own state-dict order, shards in name order (how WeightWatcher numbers layer_id
    // after loading them one by one); the index only has to agree with the shards.
    const names = [...byName.keys()];
    if (order) {
      for (const [name, shard] of order) {
        const t = byName.get(name);
        if (!t || t.path !== shard) {
          throw new CheckpointError({ file: `${location.label}/${shard}`, tensor: name, problem: "listed in the index's weight_map but absent from this shard" });
        }
      }
    }
    const tensors: SourceTensor[] = names.map((name) => {
      const t = byName.get(name)!;
      return { name, dtype: t.dtype, shape: t.shape, file: t.path, start: t.start, end: t.end };
    });
    const spans = sharedStorageSpans([...byName.values()]);
    const formats = new Set(indexed.map((x) => x.index.format));
    const format: CheckpointFormatName = formats.has('pytorch-legacy') ? 'pytorch-legacy' : 'pytorch-zip';
    const byFile = new Map(files.map((f) => [f.path, f]));

    return {
      label: location.label,
      format,
      files: weights.map((p) => byFile.get(p) ?? { path: p, size: sources.get(p)!.size }),
      tensors,
      config,
      read: (async (tensor: SourceTensor, options: ReadOptions = {}): Promise<DecodedMatrix<WeightMatrix>> => {
        const stored = byName.get(tensor.name);
        if (!stored) throw new CheckpointError({ file: location.label, tensor: tensor.name, problem: 'not a tensor of this checkpoint' });
        const source = sources.get(stored.path)!;
        const entry = { ...expertSlice(stored, options.expert), file: source.label };
        if (!isDecodableDtype(entry.dtype)) throw new UnsupportedDtypeError({ file: source.label, tensor: entry.name, dtype: entry.dtype });
        const bytes = await spans.read(source, stored, entry, options.signal);
        // contiguous BF16 kept as its bits when asked (the kernels convert it), else floats
        const m = options.keepBf16 ? decodePytorchTensorForAnalysis(bytes, entry) : decodePytorchTensor(bytes, entry);
        // A view into a cached shared storage must not alias the cache.
        const shared = spans.isShared(stored);
        const data = m.data instanceof Bf16Matrix
          ? (shared && m.data.bits.buffer === bytes.buffer ? new Bf16Matrix(m.data.bits.slice()) : m.data)
          : m.data.buffer === bytes.buffer && shared ? m.data.slice() : m.data;
        return { data, rows: m.rows, cols: m.cols, contentHash: await contentHash(bytes) };
      }) as TensorSource['read'],
    };
  },
};

/** Expert `e`'s 2-D view `W[e]` of a 3-D tensor: same storage, offset by `e * stride[0]`, the span it touches. */
function expertSlice(t: Entry, expert: number | undefined): Entry {
  if (expert === undefined) return t;
  if (t.shape.length !== 3 || !Number.isSafeInteger(expert) || expert < 0 || expert >= t.shape[0]) {
    throw new CheckpointError({ file: t.path, tensor: t.name, problem: `no expert ${expert} in a tensor of shape ${JSON.stringify(t.shape)}` });
  }
  const size = byteLength(t.dtype as SafetensorsDtype, 1) ?? 1;
  const shape = t.shape.slice(1);
  const stride = t.stride.slice(1);
  const span = (maxRelativeIndex(shape, stride) ?? -1) + 1;
  const start = t.start + expert * t.stride[0] * size;
  return { ...t, shape, stride, storageOffset: t.storageOffset + expert * t.stride[0], start, end: start + span * size };
}

/**
 * Reads of storage spans. A storage viewed by several tensors (tied embeddings, views at offsets into one buffer) is
 * read once as the union of their spans and kept until each of its tensors has been read; any other read goes
 * straight to the file.
 */
function sharedStorageSpans(entries: Entry[]) {
  const key = (t: Entry) => `${t.path}\0${t.storageKey}`;
  const groups = new Map<string, { lo: number; hi: number; pending: Set<string>; bytes: Promise<Uint8Array> | null }>();
  const counts = new Map<string, number>();
  for (const t of entries) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  for (const t of entries) {
    const k = key(t);
    if ((counts.get(k) ?? 0) < 2) continue;
    const g = groups.get(k) ?? { lo: t.start, hi: t.end, pending: new Set<string>(), bytes: null };
    g.lo = Math.min(g.lo, t.start);
    g.hi = Math.max(g.hi, t.end);
    g.pending.add(t.name);
    groups.set(k, g);
  }
  return {
    isShared: (t: Entry) => groups.has(key(t)),
    async read(source: ByteSource, stored: Entry, view: Entry, signal?: AbortSignal): Promise<Uint8Array> {
      const g = groups.get(key(stored));
      if (!g || view.start < g.lo || view.end > g.hi) return source.read(view.start, view.end, signal);
      const bytes = g.bytes ?? (g.bytes = source.read(g.lo, g.hi, signal));
      let all: Uint8Array;
      try {
        all = await bytes;
      } catch (err) {
        g.bytes = null;
        throw err;
      }
      g.pending.delete(stored.name);
      if (g.pending.size === 0) g.bytes = null;
      return all.subarray(view.start - g.lo, view.end - g.lo);
    },
  };
}
