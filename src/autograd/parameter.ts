import type { Backend } from '../backend/index';
import { GraphemeError } from '../errors';

export class ShapeError extends GraphemeError {}

/**
 * A trainable tensor in the persistent region of the heap: `data` and `grad` are live
 * Float32Array views (re-made transparently after the heap grows), so users read and
 * write weights like any typed array and never dispose anything.
 * Shape is [rows, cols] for matrices or [n] for vectors (stored as 1 × n).
 */
export class Parameter {
  readonly size: number;
  readonly rows: number;
  readonly cols: number;
  /** byte offsets of the values and the gradient in the backend's heap */
  readonly ptr: number;
  readonly gradPtr: number;
  /** false freezes the parameter: ops stop sending it gradient (its grad stays as it is) */
  requiresGrad = true;
  private dataView: Float32Array | null = null;
  private gradView: Float32Array | null = null;
  private viewVersion = -1;

  constructor(
    readonly backend: Backend,
    readonly shape: readonly number[],
    readonly name = 'param',
    init?: ArrayLike<number>,
  ) {
    if (shape.length < 1 || shape.length > 2 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShapeError(`parameter '${name}': shape must be [n] or [rows, cols] of positive integers, got [${shape.join(', ')}]`);
    }
    this.rows = shape.length === 2 ? shape[0] : 1;
    this.cols = shape.length === 2 ? shape[1] : shape[0];
    this.size = this.rows * this.cols;
    this.ptr = backend.heap.allocPersistent(this.size * 4);
    this.gradPtr = backend.heap.allocPersistent(this.size * 4);
    if (init !== undefined) {
      if (init.length !== this.size) {
        throw new ShapeError(`parameter '${name}': init has ${init.length} values, shape [${shape.join(', ')}] needs ${this.size}`);
      }
      this.data.set(init);
    }
  }

  private refresh(): void {
    const heap = this.backend.heap;
    if (this.viewVersion === heap.version) return;
    this.dataView = heap.f32View(this.ptr, this.size);
    this.gradView = heap.f32View(this.gradPtr, this.size);
    this.viewVersion = heap.version;
  }

  /** The values, live: writes go straight to the heap the kernels read. */
  get data(): Float32Array {
    this.refresh();
    return this.dataView!;
  }

  /** The accumulated gradient, live. */
  get grad(): Float32Array {
    this.refresh();
    return this.gradView!;
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }
}
