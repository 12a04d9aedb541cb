import type { Backend } from '../backend/index';
import { GraphemeError } from '../errors';

export class ShapeError extends GraphemeError {}

/**
 * A trainable tensor in the persistent region of the heap: `data` and `grad` are live
 * Float32Array views (re-made transparently after the heap grows), so users read and
 * write weights like any typed array and never dispose anything.
 * Shape is [rows, cols] for matrices or [n] for vectors (stored as 1 × n).
 *
 * KNOWN-ZERO GRADIENT. `gradIsZero` true promises that every gradient value is +0 (bits).
 * Zeroing sets it (zeroGrad here and in the optimizers); every way to WRITE the gradient
 * clears it: the `grad` view and the `gradPtr` offset (a tape's backward takes its buffer
 * through gradPtr, the parallel pool adds into it, constraints write through grad). Code
 * that only reads uses `gradAddress` or `readGrad()` and may skip a known-zero gradient
 * without scanning it: the gradient norm, the optimizers' finite and idle checks, zeroing
 * itself, a worker's transfer. On levels 1–4 about 20 of npm start's 115 tensors get a
 * gradient in an update, and these scans of all 113 586 values were most of the update's
 * serial part (docs/experiments.md, "Both cores, eighth pass"). A view or offset taken
 * BEFORE a zeroing and written after it is not seen: take them again after zeroGrad.
 *
 * WEIGHT WRITES. The parallel pool sends a replica only the tensors whose values may have
 * changed since it last sent them (src/train/parallel/pool.ts). A Parameter says which:
 * `writeCount` counts the writes announced through `writeData()` (a view to write now) and
 * `dataPtr` (an offset to write now with a kernel: the optimizers), and `changedSince(n)` is
 * true when one happened since writeCount was n — or when the `data` view was ever handed
 * out: a view can be kept and written at any time, so an EXPOSED tensor may always have
 * changed (the pool then compares its values with what it sent, as it did for every tensor
 * before: on levels 1–4 that scan of all 113 586 weights for the ~67 that move was the largest
 * serial piece of a 2-worker update: docs/experiments.md, "Both cores, ninth pass"). Code that
 * only reads takes `ptr` (the ops) or `readData()`. A view from writeData() is for writing
 * at once, not to keep; a kernel that writes at `ptr` instead of `dataPtr` is not seen.
 */
export class Parameter {
  readonly size: number;
  readonly rows: number;
  readonly cols: number;
  /** byte offset of the values in the backend's heap, for code that only READS them (writers take dataPtr: WEIGHT WRITES) */
  readonly ptr: number;
  /** byte offset of the gradient, for code that only READS it (writers take gradPtr: KNOWN-ZERO GRADIENT) */
  readonly gradAddress: number;
  /** every gradient value is +0 (KNOWN-ZERO GRADIENT); false when unknown */
  private knownZero = false;
  /** false freezes the parameter: ops stop sending it gradient (its grad stays as it is) */
  requiresGrad = true;
  /** writes announced through writeData() and dataPtr (WEIGHT WRITES) */
  private writes = 0;
  /** the `data` view was handed out: its writes cannot be counted (WEIGHT WRITES) */
  private exposed = false;
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
    this.gradAddress = backend.heap.allocPersistent(this.size * 4);
    if (init !== undefined) {
      if (init.length !== this.size) {
        throw new ShapeError(`parameter '${name}': init has ${init.length} values, shape [${shape.join(', ')}] needs ${this.size}`);
      }
      this.writeData().set(init);
    }
  }

  private refresh(): void {
    const heap = this.backend.heap;
    if (this.viewVersion === heap.version) return;
    this.dataView = heap.f32View(this.ptr, this.size);
    this.gradView = heap.f32View(this.gradAddress, this.size);
    this.viewVersion = heap.version;
  }

  /** The values, live: writes go straight to the heap the kernels read (any time: the tensor is EXPOSED, see WEIGHT WRITES). */
  get data(): Float32Array {
    this.exposed = true;
    this.refresh();
    return this.dataView!;
  }

  /** The values, live, to READ only (writing through it is not seen: WEIGHT WRITES). */
  readData(): Float32Array {
    this.refresh();
    return this.dataView!;
  }

  /** The values, live, to write NOW (counts a write: WEIGHT WRITES); not a view to keep. */
  writeData(): Float32Array {
    this.writes++;
    this.refresh();
    return this.dataView!;
  }

  /** Byte offset of the values, for a kernel that writes them now (counts a write: WEIGHT WRITES). */
  get dataPtr(): number {
    this.writes++;
    return this.ptr;
  }

  /** The writes counted so far (WEIGHT WRITES). */
  get writeCount(): number {
    return this.writes;
  }

  /** Whether the values may have changed since writeCount was `count`: a counted write since, or an exposed `data` view (WEIGHT WRITES). */
  changedSince(count: number): boolean {
    return this.exposed || this.writes !== count;
  }

  /** Byte offset of the gradient in the heap, to write it (the gradient is no longer known zero). */
  get gradPtr(): number {
    this.knownZero = false;
    return this.gradAddress;
  }

  /** The accumulated gradient, live, to read or write (the gradient is no longer known zero). */
  get grad(): Float32Array {
    this.knownZero = false;
    this.refresh();
    return this.gradView!;
  }

  /** The accumulated gradient, live, to READ only (writing through it breaks KNOWN-ZERO GRADIENT). */
  readGrad(): Float32Array {
    this.refresh();
    return this.gradView!;
  }

  /** Whether every gradient value is known to be +0 (set only by zeroGrad: KNOWN-ZERO GRADIENT). */
  get gradIsZero(): boolean {
    return this.knownZero;
  }

  zeroGrad(): void {
    if (this.knownZero) return;
    this.backend.kernels.fill(this.gradAddress, this.size, 0);
    this.knownZero = true;
  }
}
