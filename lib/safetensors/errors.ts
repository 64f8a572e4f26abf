/**
 * Errors raised while reading safetensors files.
 *
 * Every message names the file, the tensor when there is one, and the problem, e.g.
 * `model.safetensors: tensor "x.weight": data_offsets [0,64] lie outside the file (size 40)`,
 * so a failed analysis can show the reason to a person without a stack trace.
 */

import { CheckpointError, type CheckpointErrorInit } from '../checkpoint/errors';

export type SafetensorsErrorInit = CheckpointErrorInit;

/** A malformed, truncated or otherwise unusable safetensors file or tensor. */
export class SafetensorsError extends CheckpointError {
  constructor(init: SafetensorsErrorInit) {
    super(init);
    this.name = 'SafetensorsError';
  }
}

/**
 * A well-formed tensor whose dtype cannot be analysed (integers, bools, packed 4/6-bit formats, ...).
 * Callers skip such a layer with `problem` as the skip reason instead of failing the whole model.
 */
export class UnsupportedDtypeError extends SafetensorsError {
  readonly dtype: string;

  constructor(init: { file: string; tensor: string; dtype: string }) {
    super({
      file: init.file,
      tensor: init.tensor,
      problem: `dtype ${init.dtype} cannot be decoded to floating point for analysis`,
    });
    this.name = 'UnsupportedDtypeError';
    this.dtype = init.dtype;
  }
}

/** A tensor holding NaN or infinite values (after dequantisation): its spectrum is meaningless. */
export class NonFiniteTensorError extends SafetensorsError {
  readonly count: number;
  readonly total: number;

  constructor(init: { file: string; tensor: string; count: number; total: number }) {
    super({
      file: init.file,
      tensor: init.tensor,
      problem: `contains ${init.count} non-finite value${init.count === 1 ? '' : 's'} (NaN/Inf) out of ${init.total}`,
    });
    this.name = 'NonFiniteTensorError';
    this.count = init.count;
    this.total = init.total;
  }
}
