/**
 * The base of every reader's errors (SafetensorsError, PytorchError, ...): a malformed, truncated or otherwise
 * unusable checkpoint file or tensor. The message names the file, the tensor when there is one, and the problem,
 * e.g. `pytorch_model.bin: tensor "x.weight": storage offset 12 lies past the storage (8 elements)`, so a failed
 * analysis shows a person the reason without a stack trace.
 */

export interface CheckpointErrorInit {
  /** The file (or remote source) label, e.g. a path or `owner/name@sha:model.safetensors`. */
  file: string;
  /** The tensor concerned, or null for file-level problems. */
  tensor?: string | null;
  /** What is wrong, in words, without the file/tensor prefix. */
  problem: string;
  cause?: unknown;
}

export class CheckpointError extends Error {
  readonly file: string;
  readonly tensor: string | null;
  readonly problem: string;

  constructor(init: CheckpointErrorInit) {
    const tensor = init.tensor ?? null;
    super(
      tensor === null ? `${init.file}: ${init.problem}` : `${init.file}: tensor ${JSON.stringify(tensor)}: ${init.problem}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'CheckpointError';
    this.file = init.file;
    this.tensor = tensor;
    this.problem = init.problem;
  }
}
