import { GraphemeError } from '../errors';

/**
 * The linear memory a Heap manages: WebAssembly memory for the wasm backend, a plain
 * ArrayBuffer for the js backend. Only the Heap grows it, so views go stale in one place.
 */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  /** Grow so that `buffer.byteLength >= bytes`; throws HeapOutOfMemoryError past maxBytes. */
  growTo(bytes: number): void;
  readonly maxBytes: number;
}

export class HeapOutOfMemoryError extends GraphemeError {
  constructor(readonly requestedBytes: number, readonly region: 'persistent' | 'step', readonly maxBytes: number) {
    super(
      `out of memory: cannot allocate ${requestedBytes} bytes in the ${region} region ` +
        `(heap limit ${maxBytes} bytes)`,
    );
  }
}

const PAGE = 65536;
const pagesFor = (bytes: number) => Math.ceil(bytes / PAGE);

/** The heap limit of a wasm32 memory we ask for; 4 GiB is the hard ceiling of wasm32. */
export const DEFAULT_MAX_BYTES = 2 ** 31;

export class WasmLinearMemory implements LinearMemory {
  constructor(readonly memory: WebAssembly.Memory, readonly maxBytes: number = DEFAULT_MAX_BYTES) {}
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }
  growTo(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    if (bytes > this.maxBytes) throw new HeapOutOfMemoryError(bytes - have, 'step', this.maxBytes);
    // grow geometrically so a slowly rising peak does not grow (and re-view) every step
    const target = Math.min(this.maxBytes, Math.max(bytes, Math.floor(have * 1.5)));
    try {
      this.memory.grow(pagesFor(target) - pagesFor(have));
    } catch {
      try {
        this.memory.grow(pagesFor(bytes) - pagesFor(have));
      } catch {
        throw new HeapOutOfMemoryError(bytes - have, 'step', this.maxBytes);
      }
    }
  }
}

export class ArrayBufferLinearMemory implements LinearMemory {
  buffer: ArrayBuffer;
  constructor(initialBytes = PAGE, readonly maxBytes: number = DEFAULT_MAX_BYTES) {
    this.buffer = new ArrayBuffer(initialBytes);
  }
  growTo(bytes: number): void {
    const have = this.buffer.byteLength;
    if (bytes <= have) return;
    if (bytes > this.maxBytes) throw new HeapOutOfMemoryError(bytes - have, 'step', this.maxBytes);
    const target = Math.min(this.maxBytes, Math.max(bytes, Math.floor(have * 1.5)));
    let next: ArrayBuffer;
    try {
      next = new ArrayBuffer(pagesFor(target) * PAGE);
    } catch {
      throw new HeapOutOfMemoryError(bytes - have, 'step', this.maxBytes);
    }
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
  }
}

export interface HeapStats {
  /** bytes of the whole linear memory */
  capacityBytes: number;
  /** bytes handed out to the persistent region (parameters, gradients, optimizer state) */
  persistentBytes: number;
  /** bytes in use by the current step */
  stepBytes: number;
  /** the most the step arena has held at once since the heap was made */
  peakStepBytes: number;
  /** how many times the memory grew (each growth re-made the views) */
  growths: number;
}

/**
 * One heap, no dispose (DESIGN principle 2).
 *
 * Layout, low to high addresses:
 *   [static data of the module | persistent region ... | step arena ... ]
 * Invariants:
 *   - base <= persistentTop <= stepBase <= stepTop <= capacity
 *   - the step arena is empty (stepTop === stepBase) between steps; resetStep() empties it
 *   - every allocation is `align`-aligned (16 by default: v128 loads never straddle)
 * A persistent allocation made while a step is open is placed above the step's data, and
 * the next resetStep() starts the arena above it: the hole below is lost, but nothing live
 * is ever overwritten. Models and optimizers allocate their state up front, so in practice
 * the persistent region is contiguous.
 *
 * Views (f32, i32, u32, f64, u8) are re-made in exactly one place, `refreshViews()`, which
 * runs after every growth; callers must re-read `heap.f32` after any allocation instead of
 * caching it across one.
 */
export class Heap {
  f32!: Float32Array;
  f64!: Float64Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  u8!: Uint8Array;
  /** bumps on every growth: a cheap way for cached subarray views to know they are stale */
  version = 0;
  readonly base: number;
  private persistentTop: number;
  private stepBase: number;
  private stepTop: number;
  /** the open step may not be released below this: the end of a persistent block made inside it */
  private stepFloor: number;
  private peakStep = 0;
  private growths = 0;
  private buffer!: ArrayBuffer;

  constructor(readonly memory: LinearMemory, base: number) {
    this.base = alignUp(base, 16);
    this.persistentTop = this.base;
    this.stepBase = this.base;
    this.stepTop = this.base;
    this.stepFloor = this.base;
    this.refreshViews();
  }

  /** The single place where JS views over the memory are (re)made. */
  refreshViews(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >>> 3);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.version++;
  }

  private ensure(end: number, region: 'persistent' | 'step', requested: number): void {
    // checked first: memory grows in whole 64 KiB pages, so the capacity may already reach
    // past a limit that is not a page multiple, and that slack must not be handed out
    if (end > this.memory.maxBytes) throw new HeapOutOfMemoryError(requested, region, this.memory.maxBytes);
    if (end <= this.buffer.byteLength) return;
    try {
      this.memory.growTo(end);
    } catch (err) {
      if (err instanceof HeapOutOfMemoryError) throw new HeapOutOfMemoryError(requested, region, this.memory.maxBytes);
      throw err;
    }
    this.growths++;
    this.refreshViews();
  }

  /** Zeroed memory that lives as long as the heap: parameters, gradients, optimizer state. */
  allocPersistent(bytes: number, align = 16): number {
    checkSize(bytes, align);
    const stepOpen = this.stepTop !== this.stepBase;
    const ptr = alignUp(stepOpen ? this.stepTop : this.persistentTop, align);
    const end = ptr + bytes;
    this.ensure(end, 'persistent', bytes);
    this.u8.fill(0, ptr, end);
    this.persistentTop = end;
    if (stepOpen) {
      // the rest of this step allocates above the new block, and stepRelease cannot go below it
      this.stepTop = this.stepFloor = end;
    } else {
      this.stepBase = this.stepTop = this.stepFloor = alignUp(end, 16);
    }
    return ptr;
  }

  /** Memory valid until the next resetStep(): activations, the tape, scratch. */
  allocStep(bytes: number, zero = false, align = 16): number {
    checkSize(bytes, align);
    const ptr = alignUp(this.stepTop, align);
    const end = ptr + bytes;
    this.ensure(end, 'step', bytes);
    if (zero) this.u8.fill(0, ptr, end);
    this.stepTop = end;
    const used = end - this.stepBase;
    if (used > this.peakStep) this.peakStep = used;
    return ptr;
  }

  /** Ends a step: every step allocation becomes invalid and its memory is reused. */
  resetStep(): void {
    this.stepBase = this.stepTop = this.stepFloor = alignUp(this.persistentTop, 16);
  }

  /** Step-arena position, for callers that scope scratch memory inside a step (mark/release). */
  stepMark(): number {
    return this.stepTop;
  }
  /**
   * Frees the step allocations made since `mark`. If a persistent block was allocated in
   * between, the arena stops at that block's end instead (the scratch below it stays lost until
   * resetStep, like the hole described above), so the block is never handed out again.
   */
  stepRelease(mark: number): void {
    if (mark < this.stepBase || mark > this.stepTop) {
      throw new GraphemeError(`stepRelease: mark ${mark} is outside the open step [${this.stepBase}, ${this.stepTop}]`);
    }
    this.stepTop = Math.max(mark, this.stepFloor);
  }

  stats(): HeapStats {
    return {
      capacityBytes: this.buffer.byteLength,
      persistentBytes: this.persistentTop - this.base,
      stepBytes: this.stepTop - this.stepBase,
      peakStepBytes: this.peakStep,
      growths: this.growths,
    };
  }

  /** A Float32Array over [ptr, ptr + 4*length); stale after the next growth. */
  f32View(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
  }
  i32View(ptr: number, length: number): Int32Array {
    return new Int32Array(this.buffer, ptr, length);
  }
  f64View(ptr: number, length: number): Float64Array {
    return new Float64Array(this.buffer, ptr, length);
  }
  /** Copy host data into the step arena; returns the pointer. */
  stepF32(data: ArrayLike<number>): number {
    const ptr = this.allocStep(data.length * 4);
    this.f32.set(data, ptr >>> 2);
    return ptr;
  }
  stepI32(data: ArrayLike<number>): number {
    const ptr = this.allocStep(data.length * 4);
    this.i32.set(data, ptr >>> 2);
    return ptr;
  }
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function checkSize(bytes: number, align: number): void {
  if (!Number.isInteger(bytes) || bytes < 0) throw new GraphemeError(`allocation size must be a non-negative integer, got ${bytes}`);
  if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
    throw new GraphemeError(`alignment must be a power of two, got ${align}`);
  }
}
