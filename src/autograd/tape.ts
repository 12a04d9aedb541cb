import type { Backend, Kernels } from '../backend/index';
import type { Heap } from '../backend/heap';
import { Parameter, ShapeError } from './parameter';
import { AutogradError, shapeOf, Tensor, type Int32Input, type TensorLike } from './tensor';

/** Epochs are unique across every tape, so a tensor from another tape or step never passes as current. */
let lastEpoch = 0;

/**
 * The reverse-mode tape (DESIGN principle 2: one heap, no dispose).
 *
 * An op computes its output with kernels, then — if any input wants a gradient — records
 * one backward closure next to the output it produced. Ops are recorded in the order they
 * run, which is a topological order of the graph (an op's inputs exist before it does), so
 * `backward()` simply runs the closures from last to first. A closure whose output never
 * received a gradient (gradPtr still 0: it does not feed the loss) is skipped.
 *
 * Memory: activations, their gradients and op scratch live in the heap's step arena;
 * Parameters keep values and gradients in the persistent region, and backward ACCUMULATES
 * into their gradients (+=), so several backward passes (micro-batches) sum up until the
 * optimizer zeroes them. After the optimizer step, `reset()` empties the step arena: memory
 * stays flat over any number of steps. One tape per backend: reset() frees the whole arena.
 */
export class Tape {
  readonly heap: Heap;
  readonly kernels: Kernels;
  private currentEpoch = ++lastEpoch;
  // Parallel arrays reused across steps: entry i is (output, its backward closure).
  // Stale entries past `count` are overwritten, never cleared, to keep reset O(1).
  private readonly outputs: Tensor[] = [];
  private readonly backwards: Array<() => void> = [];
  private count = 0;
  private backwardDone = false;

  constructor(readonly backend: Backend) {
    this.heap = backend.heap;
    this.kernels = backend.kernels;
  }

  /** Identifies the current step of this tape; tensors carry the epoch they were made in. */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** Number of backward closures recorded this step. */
  get length(): number {
    return this.count;
  }

  /** A fresh, uninitialised rows × cols tensor in the step arena, for an op to fill. */
  result(rows: number, cols: number, requiresGrad: boolean): Tensor {
    return new Tensor(this.heap.allocStep(rows * cols * 4), rows, cols, requiresGrad, this.currentEpoch);
  }

  /** Registers the backward closure of the op that produced `output`. */
  record(output: Tensor, backward: () => void): void {
    this.outputs[this.count] = output;
    this.backwards[this.count] = backward;
    this.count++;
  }

  /** Throws unless `t` is usable on this tape now: a tensor of this step, or a Parameter of this backend. */
  check(t: TensorLike, op: string): void {
    if (t instanceof Tensor) {
      if (t.epoch !== this.currentEpoch) {
        throw new AutogradError(`${op}: input ${shapeOf(t)} tensor belongs to another tape or to a step that was reset`);
      }
    } else if (!(t instanceof Parameter) || t.backend !== this.backend) {
      throw new AutogradError(`${op}: input is neither a Tensor of this tape nor a Parameter of this backend`);
    }
  }

  /**
   * The gradient buffer of `t`: a Parameter's persistent gradient, or a tensor's step-arena
   * gradient, allocated zeroed the first time backward needs it.
   */
  grad(t: TensorLike): number {
    if (t.gradPtr === 0) {
      const base = (t as Tensor).base ?? null;
      (t as Tensor).gradPtr = base !== null ? this.grad(base) : this.heap.allocStep(t.size * 4, true);
    }
    return t.gradPtr;
  }

  /**
   * Seeds d(loss)/d(loss) = 1 and runs the recorded backward closures in reverse order.
   * Once per step: a second backward would add into intermediate gradients again (sum the
   * losses first, or reset between micro-batches).
   */
  backward(loss: Tensor): void {
    this.check(loss, 'backward');
    if (loss.rows !== 1 || loss.cols !== 1) throw new ShapeError(`backward: the loss must be 1×1, got ${shapeOf(loss)}`);
    this.beginBackward(loss);
    this.heap.f32[this.grad(loss) >>> 2] += 1;
    this.runBackward();
  }

  /**
   * Vector–Jacobian product: backward from a non-scalar `output` whose upstream gradient
   * d(loss)/d(output) was computed elsewhere (e.g. on the host); same once-per-step rule.
   */
  backwardWithGradient(output: Tensor, gradient: ArrayLike<number>): void {
    this.check(output, 'backwardWithGradient');
    if (gradient.length !== output.size) {
      throw new ShapeError(`backwardWithGradient: ${gradient.length} gradient values for a ${shapeOf(output)} output`);
    }
    this.beginBackward(output);
    const g = this.grad(output) >>> 2;
    const f32 = this.heap.f32;
    for (let i = 0; i < gradient.length; i++) f32[g + i] += gradient[i];
    this.runBackward();
  }

  private beginBackward(output: Tensor): void {
    if (!output.requiresGrad) throw new AutogradError('backward: the output does not depend on anything that requires a gradient');
    if (this.backwardDone) throw new AutogradError('backward: already ran this step; call tape.reset() before the next backward');
    this.backwardDone = true;
  }

  private runBackward(): void {
    const outputs = this.outputs;
    const backwards = this.backwards;
    for (let i = this.count - 1; i >= 0; i--) {
      if (outputs[i].gradPtr !== 0) backwards[i]();
    }
  }

  /**
   * Ends the step: forgets the recorded ops and empties the heap's step arena. Every Tensor
   * of the step becomes invalid (using one is an AutogradError); Parameters are untouched.
   */
  reset(): void {
    this.heap.resetStep();
    this.count = 0;
    this.backwardDone = false;
    this.currentEpoch = ++lastEpoch;
  }

  /** A copy of the values of `t` (for metrics and tests; not for hot paths). */
  values(t: TensorLike): Float32Array {
    return this.heap.f32.slice(t.ptr >>> 2, (t.ptr >>> 2) + t.size);
  }

  /** A copy of the gradient of `t`, zeros when backward never reached it. */
  gradValues(t: TensorLike): Float32Array {
    let ptr = t.gradPtr;
    for (let v = (t as Tensor).base ?? null; ptr === 0 && v !== null; v = v.base) ptr = v.gradPtr; // a view: its bases'
    if (ptr === 0) return new Float32Array(t.size);
    return this.heap.f32.slice(ptr >>> 2, (ptr >>> 2) + t.size);
  }

  /** The value of a 1×1 tensor, e.g. a loss. */
  scalar(t: TensorLike): number {
    if (t.size !== 1) throw new ShapeError(`scalar: expected a 1×1 tensor, got ${shapeOf(t)}`);
    return this.heap.f32[t.ptr >>> 2];
  }

  /**
   * A pointer to i32 data for a kernel. Host arrays are checked element by element with
   * `validate` (which throws a located error) and copied into the step arena; heap data is
   * trusted as is.
   */
  int32(data: Int32Input, validate: (values: Int32Array) => void): number {
    if (data instanceof Int32Array) {
      validate(data);
      return this.heap.stepI32(data);
    }
    return data.ptr;
  }
}
