/**
 * The memory the leader and its worker replicas share (one SharedArrayBuffer), and the
 * protocol over it. Worker 0 is the leader (the Trainer's own thread); workers 1 … N−1 are
 * replicas, each with its own backend, model and record source.
 *
 *   control  Int32  [generation, command, update, stateVersion, stateBytes, split, count, withLoss, groupMask, nextChunk]
 *   done     Int32  per worker: the generation it finished (the leader waits on these)
 *   status   Int32  per worker: 0 ok, 1 failed (its result box holds the message)
 *   resultBytes Int32 per worker
 *   losses   F64    per worker: the sum of its micro-batches' objectives
 *   fresh    Int32  per tensor: 1 when this command rewrote its weights (replicas copy only those)
 *   sent     Int32  per worker and tensor: 1 when its gradient slot holds that tensor's gradient
 *   weights  F32    P: the parameters, in parameters() order (the leader writes them before a command)
 *   grads    F32    P per worker: its gradient sum (scaled by 1/micros), slot 0 unused
 *   stateBox U8     leader → all: JSON { source, model } (the record source's and the model's shared state)
 *   results  U8     per worker: JSON (evaluation rows, or the error)
 *
 * SPARSE TRANSFERS. Most tensors move little from one update to the next: on levels 1–4 only
 * the value path's few dozen weights get a gradient, and a tensor with no gradient and no
 * optimizer state keeps its weights. Each tensor crosses between the cores only when it
 * changed: the leader compares each tensor that may have changed since (a counted write, or
 * an exposed view: Parameter, WEIGHT WRITES) with a mirror of what it last wrote (the
 * copyIfChanged kernel) and raises fresh[t]; a replica sends a tensor's gradient only when
 * some bit of it is not +0 (countNonZeroBits) and raises sent[w][t]. Skipping an all-+0
 * gradient leaves the leader's sum unchanged but for the sign of a zero (−0 + +0 = +0), which
 * changes no weight's value (at most the sign of a zero weight). Invariant: after each command a replica's
 * weights equal `weights` (it writes its parameters from nowhere else).
 *
 * A COMMAND: the leader writes weights (and the state when it changed: stateVersion + 1),
 * the command's words, clears nothing, then increments `generation` and notifies. A replica
 * waits on `generation`, runs the command, writes its outputs, stores the generation into
 * done[w] and notifies. Invariant: the leader writes shared memory only while every replica
 * is waiting (between its done and the next generation), a replica only its own slots.
 *
 * WAITING: each side spins (spinUntil) for up to SPIN_MS before it sleeps in Atomics.wait.
 * The two sides hand over every 1–20 ms during training; a thread asleep in Atomics.wait is
 * woken ~27 µs after the notify on this kind of VM, and the scheduler may then run it on the
 * waker's core, where it queues behind the waker until the load balancer moves it (measured:
 * the leader waited 0.4 ms per 2.3 ms update for a replica that had been idle 0.46 ms; spinning
 * brought the update to 1.7 ms). A spinning thread keeps its core. Longer gaps (evaluations,
 * snap points, checkpoints, a paused page) end in Atomics.wait as before.
 */

export const COMMAND = { step: 1, evaluate: 2, stop: 3 } as const;
export const SPLITS = ['val', 'test'] as const;

const CONTROL_WORDS = 10;
export const C = { generation: 0, command: 1, update: 2, stateVersion: 3, stateBytes: 4, split: 5, count: 6, withLoss: 7, groupMask: 8, nextChunk: 9 } as const;

/** bytes of the leader's state box and of each worker's result box */
export const STATE_BOX_BYTES = 1 << 20;
export const RESULT_BOX_BYTES = 1 << 22; // a worker may claim nearly every chunk: 7 levels × 65 536 records are ~0.9 MB of rows

export interface SharedViews {
  /** shared between the threads, or (transferred buffers: ./messages.ts) each side's private copy */
  buffer: SharedArrayBuffer | ArrayBuffer;
  workers: number;
  /** the float count of each parameter tensor, in parameters() order */
  sizes: readonly number[];
  /** their sum, P */
  parameters: number;
  control: Int32Array;
  done: Int32Array;
  status: Int32Array;
  resultBytes: Int32Array;
  losses: Float64Array;
  fresh: Int32Array;
  sent: Int32Array;
  weights: Float32Array;
  grads: Float32Array;
  stateBox: Uint8Array;
  results: Uint8Array;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Views over `memory` (a given buffer, or a new shared or private one) for `workers` workers and parameter tensors of `sizes` f32 weights. */
export function sharedViews(workers: number, sizes: readonly number[], memory: SharedArrayBuffer | 'shared' | 'private' = 'shared'): SharedViews {
  const parameters = sizes.reduce((a, n) => a + n, 0);
  const tensors = sizes.length;
  let offset = 0;
  const take = (bytes: number) => {
    const at = offset;
    offset = align8(offset + bytes);
    return at;
  };
  const at = {
    control: take(4 * CONTROL_WORDS),
    done: take(4 * workers),
    status: take(4 * workers),
    resultBytes: take(4 * workers),
    losses: take(8 * workers),
    fresh: take(4 * tensors),
    sent: take(4 * tensors * workers),
    weights: take(4 * parameters),
    grads: take(4 * parameters * workers),
    stateBox: take(STATE_BOX_BYTES),
    results: take(RESULT_BOX_BYTES * workers),
  };
  const b = memory === 'shared' ? new SharedArrayBuffer(offset) : memory === 'private' ? new ArrayBuffer(offset) : memory;
  if (b.byteLength !== offset) throw new Error(`shared memory of ${b.byteLength} bytes, the layout needs ${offset}`);
  return {
    buffer: b,
    workers,
    sizes: [...sizes],
    parameters,
    control: new Int32Array(b, at.control, CONTROL_WORDS),
    done: new Int32Array(b, at.done, workers),
    status: new Int32Array(b, at.status, workers),
    resultBytes: new Int32Array(b, at.resultBytes, workers),
    losses: new Float64Array(b, at.losses, workers),
    fresh: new Int32Array(b, at.fresh, tensors),
    sent: new Int32Array(b, at.sent, tensors * workers),
    weights: new Float32Array(b, at.weights, parameters),
    grads: new Float32Array(b, at.grads, parameters * workers),
    stateBox: new Uint8Array(b, at.stateBox, STATE_BOX_BYTES),
    results: new Uint8Array(b, at.results, RESULT_BOX_BYTES * workers),
  };
}

/** Writes `text` as UTF-8 into `box`; returns its byte length (throws when it does not fit). */
export function writeText(box: Uint8Array, text: string, what: string): number {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > box.length) throw new Error(`${what}: ${bytes.length} bytes, more than the ${box.length} its box holds`);
  box.set(bytes);
  return bytes.length;
}

/** The UTF-8 text of the first `length` bytes of `box` (copied out: decoders refuse shared memory). */
export function readText(box: Uint8Array, length: number): string {
  return new TextDecoder().decode(box.slice(0, length));
}

/** JSON that keeps NaN and ±Infinity (metrics such as a mean GED may be NaN; a unit bound Infinity). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
}

export function fromJson(text: string): unknown {
  return JSON.parse(text, (_, v) => (v !== null && typeof v === 'object' && typeof v.$number === 'string' && Object.keys(v).length === 1 ? Number(v.$number) : v));
}

/**
 * How long a side spins before it sleeps (see WAITING above): longer than the leader's serial
 * part of an update (~0.3 ms), short against an evaluation or a snap point, so a side whose
 * partner is busy for long does not hold a core it could give to the other (measured: 1 ms
 * and 5 ms alike on level 1–4 and level 6 updates; the spin is wasted where cores are shared).
 */
export const SPIN_MS = 1;

/** Spins until `ready()` or SPIN_MS have passed; returns ready(). */
export function spinUntil(ready: () => boolean, ms = SPIN_MS): boolean {
  const until = performance.now() + ms;
  while (!ready()) if (performance.now() > until) return false;
  return true;
}

/**
 * CHUNK CLAIMING. An evaluation's chunks differ in cost (a level-5 record is decoded, ~30×
 * a level-1 one; an untrained decoder's chunks vary more), so over shared memory each worker
 * claims the next chunk from the counter control[nextChunk] (the leader zeroes it before the
 * command) until none is left: whoever finishes first takes more. The figures are merged by
 * chunk index, so they do not depend on who computed which. Without shared memory
 * (`control` null) worker w takes the chunks k ≡ w (mod workers).
 */
export function chunkClaimer(control: Int32Array | null, w: number, workers: number, chunks: number): () => number {
  let k = w - workers;
  return control === null
    ? () => ((k += workers) < chunks ? k : -1)
    : () => {
        const next = Atomics.add(control, C.nextChunk, 1);
        return next < chunks ? next : -1;
      };
}

/** The micro-batches of an update that worker `w` of `workers` computes: a contiguous block. */
export function microsOf(w: number, workers: number, micros: number): [number, number] {
  return [Math.floor((w * micros) / workers), Math.floor(((w + 1) * micros) / workers)];
}
