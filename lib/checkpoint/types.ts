/**
 * The tensor-source seam: every checkpoint format (safetensors, PyTorch pickle, ...) plugs in behind these
 * interfaces, so the CLI and the job pipeline read tensors without knowing how they are stored or where.
 *
 * - A `CheckpointLocation` is where files live: a local file, a local folder, or a Hub repo at a pinned revision
 *   (range reads through lib/hub's retried ByteSource). It lists files and opens one as a ByteSource.
 * - A `CheckpointFormat` recognises its files in a listing and opens them as a `TensorSource`: the tensors with
 *   dtype, shape and byte ranges, and a `read` that fetches and decodes ONE tensor (or one expert slice of a 3-D
 *   expert stack), so memory stays at one tensor whatever the checkpoint size.
 * A new format is a new file in ./formats registered in ./formats/index.ts; nothing else changes.
 */
import type { ByteSource } from '@/lib/safetensors/byte-source';
import type { WeightMatrix } from '@/lib/spectral/bf16-matrix';

export type CheckpointFormatName = 'safetensors' | 'pytorch-zip' | 'pytorch-legacy';

export interface CheckpointFileInfo {
  /** Path relative to the location (a bare file name for a single local file). */
  path: string;
  size: number;
  /** SHA-256 of the file's bytes when the listing gives it (the Hub's LFS oid). */
  sha256?: string;
}

/** A place holding checkpoint files. */
export interface CheckpointLocation {
  /** For messages and as the source label: a local path or `owner/name@sha`. */
  label: string;
  /** Top-level files (weights, indexes, config.json). */
  list(): Promise<CheckpointFileInfo[]>;
  /** Random access to one listed file. */
  open(path: string): Promise<ByteSource>;
  /** A small JSON file (index, config), or null when it is not there. Errors name the file. */
  readJson(path: string): Promise<unknown | null>;
}

export interface SourceTensor {
  /** The key as stored in the checkpoint. */
  name: string;
  /** safetensors dtype name (F32, BF16, ...; `MXFP4` for block-scaled FP4 pairs). */
  dtype: string;
  /** Logical shape (3-D `[E, rows, cols]` for an expert stack). */
  shape: number[];
  /** File (path in the location) holding the bytes. */
  file: string;
  /** Absolute byte range of the stored bytes the tensor occupies in `file` (end exclusive). */
  start: number;
  end: number;
  /** Set on FP8/MXFP4 scale tensors: the tensor they scale (never a layer of their own). */
  scaleFor?: string;
  /** Set on tensors that have a scale tensor. */
  scaleTensor?: string;
}

export interface DecodedMatrix<D extends WeightMatrix = Float32Array | Float64Array> {
  /** Float values, or a BF16 tensor's bits (lib/spectral/bf16-matrix.ts) when read with `keepBf16`. */
  data: D;
  rows: number;
  cols: number;
  /** Hex digest of the raw stored bytes read (xxhash64), for recognising identical tensors across models. */
  contentHash: string;
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** For a 3-D expert stack: the 0-based expert whose 2-D slice `W[e]` to read (only its bytes are fetched). */
  expert?: number;
  /**
   * A BF16 tensor without a scale may come back as its bits (a Bf16Matrix, checked finite) instead of float32: for the
   * spectral core, whose kernels convert BF16 as they load it. Formats that cannot keep the bits decode as usual.
   */
  keepBf16?: boolean;
}

export interface TensorSource {
  label: string;
  format: CheckpointFormatName;
  /** The weight files this source reads (index files excluded), with sizes and hashes when known. */
  files: CheckpointFileInfo[];
  tensors: SourceTensor[];
  /** config.json beside the weights, when present. */
  config: Record<string, unknown> | null;
  read(tensor: SourceTensor, options?: ReadOptions & { keepBf16?: false }): Promise<DecodedMatrix>;
  read(tensor: SourceTensor, options: ReadOptions): Promise<DecodedMatrix<WeightMatrix>>;
}

export interface CheckpointFormat {
  /** For messages: what files the format looks for. */
  describe: string;
  /** True when the listing holds this format's weight files. */
  matches(files: readonly CheckpointFileInfo[]): boolean;
  open(location: CheckpointLocation, files: readonly CheckpointFileInfo[], config: Record<string, unknown> | null): Promise<TensorSource>;
}
