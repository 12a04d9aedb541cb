import { GraphemeError } from '../errors';
import type { Parameter } from './parameter';

/** A misuse of the tape: a stale tensor, a second backward, a loss that is not 1×1. */
export class AutogradError extends GraphemeError {}

/**
 * An activation: a 2-D row-major float32 matrix in the heap's step arena, valid until the
 * tape that made it is reset. It is a handle, not a container: `ptr` and `gradPtr` are
 * byte offsets into the backend's heap, read and written only by kernels.
 *
 * `gradPtr` stays 0 until backward first needs the gradient; the tape then allocates it in
 * the step arena, zeroed. `epoch` names the (tape, step) that made the tensor, so using a
 * tensor after `tape.reset()` is a typed error instead of reading reused memory.
 *
 * A VIEW (`base` set: the same memory seen with another shape) has its base's gradient:
 * the tape gives the view the base's buffer when backward first needs either, not before —
 * so a view whose consumers send it no gradient leaves the base's backward unrun (a path the
 * loss does not reach costs nothing, and its parameters keep a known-zero gradient).
 */
export class Tensor {
  gradPtr = 0;
  readonly size: number;
  constructor(
    readonly ptr: number,
    readonly rows: number,
    readonly cols: number,
    readonly requiresGrad: boolean,
    readonly epoch: number,
    /** the tensor whose memory (and gradient) this one views, or null */
    readonly base: Tensor | null = null,
  ) {
    this.size = rows * cols;
  }
}

/**
 * What an op accepts: a step-arena Tensor or a Parameter (persistent values and gradient,
 * which backward accumulates into with +=).
 */
export type TensorLike = Tensor | Parameter;

/**
 * i32 data an op reads (gather indices, segment offsets, class targets): a host Int32Array,
 * which the op copies into the step arena and validates, or i32 data already in the heap,
 * `{ ptr, length }`, which the op trusts (validate it where you build it).
 */
export type Int32Input = Int32Array | HeapInt32;
export interface HeapInt32 {
  readonly ptr: number;
  readonly length: number;
}

export function shapeOf(t: { rows: number; cols: number }): string {
  return `${t.rows}×${t.cols}`;
}
