/**
 * The leader's side of data-parallel training: N − 1 worker replicas (./replica.ts) started
 * through the runtime's spawner (./spawn.ts), commanded over shared memory (./shared.ts).
 *
 * One update: the leader publishes the weights (and the record source's and the model's
 * shared state when they changed), wakes the replicas, computes its own block of micro-batches,
 * waits for the replicas and ADDS their gradient sums to its own in worker order 1, 2, …: a
 * fixed order, so a seed and a worker count give bit-identical updates run after run. The
 * optimizer step then runs once, on the leader (replicas hold no optimizer state).
 *
 * Waiting: a spin of up to SPIN_MS (./shared.ts, WAITING), then Atomics.wait in slices of
 * WAIT_SLICE_MS, handing the event loop back between slices (where a replica's death is heard:
 * Node's 'exit', a Web Worker's 'error'); where the thread may not block (a page's main
 * thread), Atomics.waitAsync. Without SharedArrayBuffer the same views are private to each side
 * and commands and answers travel as transferred buffers (./messages.ts); the leader then waits
 * for the answers' events. A replica that failed (its command threw: status 1) or died ends the
 * command with a WorkerError naming the worker.
 */
import type { Parameter } from '../../autograd/index';
import { GraphemeError } from '../../errors';
import { yieldToEventLoop } from '../../util/yield';
import type { ChunkFigures } from '../held-out';
import { applyAnswer, commandMessage } from './messages';
import type { ReplicaInit } from './replica';
import type { ReplicaHandle, ReplicaSpawner } from './spawn';
import { C, chunkClaimer, COMMAND, fromJson, readText, RESULT_BOX_BYTES, sharedViews, spinUntil, SPLITS, toJson, writeText, type SharedViews } from './shared';

/** A worker failed or died: the run stops (the leader's state is that of the last finished update). */
export class WorkerError extends GraphemeError {
  constructor(readonly worker: number, readonly reason: string) {
    super(`worker ${worker} ${reason}`);
  }
}

const WAIT_SLICE_MS = 20;
/** how long a synchronous wait (trainStep) waits for a replica before it calls it dead */
const SYNC_TIMEOUT_MS = 120_000;

export class WorkerPool {
  private readonly views: SharedViews;
  private readonly handles: ReplicaHandle[] = [];
  private stateText: string | null = null;
  private failure: WorkerError | null = null;
  private closed = false;
  private generation = 0;
  /** whether this thread may block in Atomics.wait */
  private readonly canBlock: boolean;
  /** transferred buffers: whoever waits for the next answer (or a death), woken by the replicas' events */
  private readonly waiters = new Set<() => void>();

  /** a P-float buffer in the leader's persistent heap: a replica's gradients are copied here, then added by the axpy kernel */
  private readonly scratch: number;
  /** a P-float mirror of `weights` in the leader's heap (what it last wrote there: ./shared.ts, SPARSE TRANSFERS) */
  private readonly mirror: number;
  /** the mirror does not hold `weights` (before the first command, after explicit weights): the next command writes every tensor */
  private mirrorStale = true;
  /** each parameter's writeCount when the mirror last took its values (Parameter, WEIGHT WRITES) */
  private readonly mirroredWrites: number[];

  private constructor(readonly workers: number, private readonly params: readonly Parameter[], readonly sharedMemory: boolean) {
    this.views = sharedViews(workers, params.map((p) => p.size), sharedMemory ? 'shared' : 'private');
    this.canBlock = mayBlock();
    const heap = params[0]?.backend.heap;
    this.scratch = heap === undefined ? 0 : heap.allocPersistent(4 * this.views.parameters);
    this.mirror = heap === undefined ? 0 : heap.allocPersistent(4 * this.views.parameters);
    this.mirroredWrites = params.map(() => 0);
  }

  /** Starts workers − 1 replicas and waits until each has built its model (or fails). */
  static async start(spawner: ReplicaSpawner, workers: number, params: readonly Parameter[], init: Omit<ReplicaInit, 'worker' | 'workers' | 'buffer' | 'sizes'>, sharedMemory: boolean): Promise<WorkerPool> {
    const pool = new WorkerPool(workers, params, sharedMemory);
    const ready: Promise<void>[] = [];
    for (let w = 1; w < workers; w++) {
      const buffer = sharedMemory ? (pool.views.buffer as SharedArrayBuffer) : null;
      const handle = spawner.spawn({ ...init, worker: w, workers, buffer, sizes: [...pool.views.sizes] });
      pool.handles.push(handle);
      ready.push(new Promise<void>((resolve, reject) => {
        handle.onMessage((m) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'failed') reject(new WorkerError(w, `could not start: ${m.message}`));
          else if (m.type === 'done' && m.worker === w) {
            applyAnswer(pool.views, m);
            pool.wakeAll();
          }
        });
        handle.onExit((reason) => {
          const error = new WorkerError(w, reason);
          if (!pool.closed) pool.failure ??= error;
          pool.wakeAll();
          reject(error);
        });
      }));
    }
    const started = Promise.all(ready);
    try {
      const mute = pool.handles.findIndex((h) => typeof h.post !== 'function');
      if (!sharedMemory && mute >= 0) {
        started.catch(() => undefined); // the replicas' ends, once closed below
        throw new WorkerError(mute + 1, 'cannot be sent messages (its spawner\'s handles have no post()), which transferred buffers need');
      }
      await started;
    } catch (err) {
      pool.close();
      throw err;
    }
    for (const h of pool.handles) h.unref();
    return pool;
  }

  /** Publishes weights (from `weights`, default the parameters) and state, and wakes the replicas with a command. */
  private command(command: number, words: Partial<Record<keyof typeof C, number>>, state: unknown, weights?: readonly Float32Array[]): void {
    if (this.closed) throw new WorkerError(0, 'pool is closed');
    if (this.failure !== null) throw this.failure;
    const v = this.views;
    // the state first: it may not fit its box (a throw), and a throw must leave the mirror as
    // the replicas' weights are, or the next command would skip tensors they never received
    const text = toJson(state);
    const stateMoved = text !== this.stateText;
    if (stateMoved) {
      v.control[C.stateBytes] = writeText(v.stateBox, text, 'the shared state');
      v.control[C.stateVersion]++;
      this.stateText = text;
    }
    // a tensor is compared with the mirror only when it may have changed since the mirror took
    // it (Parameter, WEIGHT WRITES): on levels 1–4 the optimizer moves ~22 small tensors of 115
    const params = this.params;
    for (let i = 0, at = 0; i < params.length; i++) {
      const p = params[i];
      const given = weights?.[i];
      if (given !== undefined) {
        v.weights.set(given, at);
        v.fresh[i] = 1;
      } else if (this.mirrorStale) {
        this.mirroredWrites[i] = p.writeCount;
        p.backend.kernels.copy(this.mirror + 4 * at, p.ptr, p.size);
        v.weights.set(p.readData(), at);
        v.fresh[i] = 1;
      } else if (p.changedSince(this.mirroredWrites[i])) {
        this.mirroredWrites[i] = p.writeCount;
        const fresh = p.backend.kernels.copyIfChanged(this.mirror + 4 * at, p.ptr, p.size);
        v.fresh[i] = fresh;
        if (fresh === 1) v.weights.set(p.readData(), at);
      } else {
        v.fresh[i] = 0;
      }
      at += p.size;
    }
    this.mirrorStale = weights !== undefined;
    for (const [key, value] of Object.entries(words)) v.control[C[key as keyof typeof C]] = value!;
    v.control[C.command] = command;
    this.generation++;
    Atomics.store(v.control, C.generation, this.generation);
    if (this.sharedMemory) Atomics.notify(v.control, C.generation);
    else {
      for (const h of this.handles) {
        const { message, transfer } = commandMessage(v, stateMoved);
        h.post!(message, transfer); // present: start() refuses a handle without it here
      }
    }
  }

  /**
   * finish() without handing the event loop back (Trainer.trainStep): a replica's failure is
   * read from shared memory, but a DEATH is heard only through events, so this waits at most
   * SYNC_TIMEOUT_MS for an answer (stepAsync and run hear a death at once).
   */
  private finishSync(work?: () => boolean): void {
    const v = this.views;
    this.checkCanWaitSync();
    const deadline = performance.now() + SYNC_TIMEOUT_MS;
    for (let w = 1; w < this.workers; w++) {
      while (Atomics.load(v.done, w) !== this.generation && work?.() === true);
      spinUntil(() => Atomics.load(v.done, w) === this.generation);
      while (Atomics.load(v.done, w) !== this.generation) {
        if (this.failure !== null) throw this.failure;
        if (performance.now() > deadline) {
          this.failure = new WorkerError(w, `did not answer within ${SYNC_TIMEOUT_MS / 1000} s (a synchronous trainStep cannot hear a worker die; stepAsync and run can)`);
          throw this.failure;
        }
        Atomics.wait(v.done, w, Atomics.load(v.done, w), 1000);
      }
    }
    this.checkStatus();
  }

  /**
   * Waits for every replica to finish the current command; throws the first failure. `work`
   * is run while a replica is not done (by transferred buffers, where no answer can arrive
   * meanwhile: until it is done), one piece per call, until it returns false (the leader's
   * micro-batches drawn ahead: ./ahead.ts); only then does the wait spin or sleep.
   */
  private async finish(work?: () => boolean): Promise<void> {
    const v = this.views;
    if (!this.sharedMemory) {
      // the answers arrive as events, which cannot run during this loop: it works to its end
      while (work?.() === true);
      // the answers' events write done[w] (applyAnswer) and wake this wait; the replicas are
      // referenced meanwhile, or an event loop with nothing else to do would end here
      for (const h of this.handles) h.ref();
      try {
        for (let w = 1; w < this.workers; w++) {
          while (v.done[w] !== this.generation) {
            if (this.failure !== null) throw this.failure;
            if (this.closed) throw new WorkerError(0, 'pool was closed while it waited');
            await new Promise<void>((resolve) => this.waiters.add(resolve));
          }
        }
      } finally {
        for (const h of this.handles) h.unref();
      }
      this.checkStatus();
      return;
    }
    for (let w = 1; w < this.workers; w++) {
      while (Atomics.load(v.done, w) !== this.generation && work?.() === true);
      // a thread that may block may spin; a page's main thread keeps its event loop free
      if (this.canBlock) spinUntil(() => Atomics.load(v.done, w) === this.generation);
      while (Atomics.load(v.done, w) !== this.generation) {
        if (this.failure !== null) throw this.failure;
        if (this.closed) throw new WorkerError(0, 'pool was closed while it waited');
        if (this.canBlock) {
          if (Atomics.wait(v.done, w, Atomics.load(v.done, w), WAIT_SLICE_MS) === 'timed-out') await yieldToEventLoop();
        } else {
          const wait = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => { value: Promise<string> | string } }).waitAsync(v.done, w, Atomics.load(v.done, w), WAIT_SLICE_MS);
          await wait.value;
        }
      }
    }
    this.checkStatus();
  }

  private checkStatus(): void {
    const v = this.views;
    for (let w = 1; w < this.workers; w++) {
      if (v.status[w] !== 0) {
        this.failure = new WorkerError(w, `failed: ${readText(v.results.subarray(w * RESULT_BOX_BYTES), v.resultBytes[w])}`);
        throw this.failure;
      }
    }
  }

  /** Whether finishStepSync/finishEvaluationSync can wait here: shared memory, on a thread that may block. */
  get canWaitSync(): boolean {
    return this.sharedMemory && this.canBlock;
  }

  /** Throws the WorkerError that says why this pool cannot be waited for synchronously (see canWaitSync). */
  checkCanWaitSync(): void {
    if (!this.canBlock) throw new WorkerError(0, 'cannot be waited for synchronously on this thread (a page\'s main thread): use stepAsync()');
    if (!this.sharedMemory) throw new WorkerError(0, 'cannot be waited for synchronously without shared memory (the answers arrive as events): use stepAsync() or run()');
  }

  /** Starts update `update` on the replicas (the leader then computes its own block). */
  startStep(update: number, state: unknown): void {
    this.command(COMMAND.step, { update }, state);
  }

  /** Waits for the replicas' gradients (running `work` meanwhile: see finish) and adds them to the parameters' in worker order; returns the sum of their objectives. */
  async finishStep(work?: () => boolean): Promise<number> {
    await this.finish(work);
    return this.addGradients();
  }

  /** finishStep() for a synchronous caller (see finishSync). */
  finishStepSync(work?: () => boolean): number {
    this.finishSync(work);
    return this.addGradients();
  }

  private addGradients(): number {
    const v = this.views;
    let lossSum = 0;
    if (this.params.length === 0) return v.losses.reduce((a, l, w) => (w === 0 ? a : a + l), 0);
    const backend = this.params[0].backend;
    const tensors = this.params.length;
    for (let w = 1; w < this.workers; w++) {
      let at = 0;
      this.params.forEach((p, i) => {
        if (v.sent[w * tensors + i] === 1) {
          const g = w * v.parameters + at;
          backend.heap.f32View(this.scratch + 4 * at, p.size).set(v.grads.subarray(g, g + p.size));
          backend.kernels.axpy(p.gradPtr, 1, this.scratch + 4 * at, p.size);
        }
        at += p.size;
      });
      lossSum += v.losses[w];
    }
    return lossSum;
  }

  /** Starts an evaluation of `split` (count per group; the groups of `groupMask`, −1 all: held-out.ts) with `weights` (default the parameters); the leader computes the chunks it claims (claimer). */
  startEvaluation(split: 'val' | 'test', count: number, state: unknown, weights?: readonly Float32Array[], withLoss = true, groupMask = -1): void {
    this.command(COMMAND.evaluate, { split: SPLITS.indexOf(split), count, withLoss: withLoss ? 1 : 0, groupMask, nextChunk: 0 }, state, weights);
  }

  /** The leader's claimer of an evaluation's `chunks` (./shared.ts, CHUNK CLAIMING). */
  claimer(chunks: number): () => number {
    return chunkClaimer(this.sharedMemory ? this.views.control : null, 0, this.workers, chunks);
  }

  /** The replicas' chunk figures, by chunk index. */
  async finishEvaluation(): Promise<Map<number, ChunkFigures>> {
    await this.finish();
    return this.evaluationRows();
  }

  /** finishEvaluation() for a synchronous caller (see finishSync). */
  finishEvaluationSync(): Map<number, ChunkFigures> {
    this.finishSync();
    return this.evaluationRows();
  }

  private evaluationRows(): Map<number, ChunkFigures> {
    const v = this.views;
    const out = new Map<number, ChunkFigures>();
    for (let w = 1; w < this.workers; w++) {
      const rows = fromJson(readText(v.results.subarray(w * RESULT_BOX_BYTES), v.resultBytes[w])) as (ChunkFigures & { k: number })[];
      for (const { k, metrics, lossSum } of rows) out.set(k, { metrics, lossSum });
    }
    return out;
  }

  private wakeAll(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiting) resolve();
  }

  /** Ends the replicas (they are stopped, then terminated). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const v = this.views;
    v.control[C.command] = COMMAND.stop;
    Atomics.add(v.control, C.generation, 1);
    if (this.sharedMemory) Atomics.notify(v.control, C.generation);
    this.wakeAll();
    for (const h of this.handles) h.terminate();
  }

  /** Terminates replica `w` as a crash would (tests of the failure path). */
  kill(w: number): void {
    this.handles[w - 1]?.terminate();
  }
}

/** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}
