/**
 * A worker replica: the loop a worker thread runs for the leader (./pool.ts), over the shared
 * memory of ./shared.ts (or, without SharedArrayBuffer, by transferred buffers: ./messages.ts).
 * It owns a backend, a model and a record source built from the same config as the leader's,
 * and per command:
 *
 *   step:      weights ← shared (the tensors marked fresh); state ← shared when its version moved; zero gradients;
 *              backward of its block of the update's micro-batches (each drawn by its own
 *              source: batch(update, micro) is a pure function of seed, update and the
 *              source's state); its gradient sum → its slot (the tensors with a bit other than +0, marked sent); its objective sum → losses[w];
 *              then, until the next command, it draws its micro-batches of the next updates a
 *              record at a time (./ahead.ts: used only if the state has not moved by then;
 *              by transferred buffers the next update only, whole)
 *   evaluate:  weights ← shared; the chunks of the held-out groups (those of groupMask) it
 *              claims (./shared.ts, CHUNK CLAIMING) → its result box
 *   stop:      return
 *
 * An exception is reported, not thrown: status[w] = 1 and the message in its result box.
 */
import { Tape } from '../../autograd/index';
import { createBackend, type Backend } from '../../backend/index';
import { batchDraft, type RecordSource } from '../../data/source';
import type { TrainingConfig } from '../config';
import type { TrainableModel } from '../contract';
import { chunkFigures, evalChunks, selectGroups, type ChunkFigures } from '../held-out';
import { accumulateGradients } from '../step';
import { AHEAD_DEPTH, DrawnAhead } from './ahead';
import { answerMessage, applyCommand, type AnswerMessage, type CommandMessage } from './messages';
import { C, chunkClaimer, COMMAND, fromJson, microsOf, readText, RESULT_BOX_BYTES, sharedViews, spinUntil, SPLITS, toJson, writeText, type SharedViews } from './shared';

/** What a worker is started with (structured-cloneable). */
export interface ReplicaInit {
  /** this worker's index, 1 … workers − 1 (0 is the leader) */
  worker: number;
  workers: number;
  config: TrainingConfig;
  /** the shared memory; null: transferred buffers (no SharedArrayBuffer here: ./messages.ts) */
  buffer: SharedArrayBuffer | null;
  /** the float count of each of the leader's parameter tensors, in order */
  sizes: number[];
  /** a folder of level files the leader's source reads (Node replicas load it themselves) */
  levelFiles?: string | null;
  /** the leader's compiled kernel module (wasm backends), so a replica fetches nothing */
  wasm?: WebAssembly.Module | null;
  /** a module exporting replicaParts(config, backend) → { model, data }: a custom model and source (absent: the built-in ones) */
  module?: string | null;
}

export interface ReplicaParts<R> {
  model: TrainableModel<R>;
  data: RecordSource<R>;
}

/** Messages a worker posts: ready (built, waiting for commands), failed (while building), or a command's answer (transferred buffers only). */
export type ReplicaMessage = { type: 'ready' } | { type: 'failed'; message: string } | AnswerMessage;
/** How a replica posts to the leader (`transfer`: buffers to move, not copy). */
export type PostToLeader = (message: ReplicaMessage, transfer?: ArrayBuffer[]) => void;
/** How a replica hears the leader's messages after its ReplicaInit (needed only for transferred buffers). */
export type ListenToLeader = (listener: (message: CommandMessage) => void) => void;

export async function serveReplica<R>(
  init: ReplicaInit,
  build: (config: TrainingConfig, backend: Backend, levelFiles: string | null) => Promise<ReplicaParts<R>>,
  post: PostToLeader,
  listen?: ListenToLeader,
): Promise<void> {
  let parts: ReplicaParts<R>;
  let backend: Backend;
  try {
    backend = await createBackend(init.config.backend, init.wasm ? { wasm: init.wasm } : {});
    parts = await build(init.config, backend, init.levelFiles ?? null);
    const sizes = parts.model.parameters().map((p) => p.size);
    if (sizes.length !== init.sizes.length || sizes.some((n, i) => n !== init.sizes[i])) {
      throw new Error(sizes.length !== init.sizes.length ? `the replica's model has ${sizes.length} parameter tensors, the leader's ${init.sizes.length}` : `the replica's parameter tensors hold ${sizes.join(', ')} weights, the leader's ${init.sizes.join(', ')}`);
    }
  } catch (err) {
    post({ type: 'failed', message: (err as Error)?.message ?? String(err) });
    return;
  }
  if (init.buffer === null && listen === undefined) {
    post({ type: 'failed', message: 'transferred buffers (no SharedArrayBuffer) need serveReplica\'s listen argument' });
    return;
  }
  post({ type: 'ready' });
  const v = sharedViews(init.workers, init.sizes, init.buffer ?? 'private');
  const runner = commandRunner(init, parts, new Tape(backend), v);
  if (init.buffer !== null) return serveShared(init.worker, v, runner);
  await serveMessages(init.worker, v, runner, post, listen!);
}

/** A replica's side of one command: `execute` runs it over the views (returns the update a step computed, else null), `drawAhead` draws a record ahead. */
function commandRunner<R>(init: ReplicaInit, { model, data }: ReplicaParts<R>, tape: Tape, v: SharedViews) {
  const w = init.worker;
  const params = model.parameters();
  const { batchSize, accumulationSteps } = init.config;
  const [from, to] = microsOf(w, init.workers, accumulationSteps);
  const request = (update: number, i: number) => ({ update, micro: from + i, micros: accumulationSteps, size: batchSize });
  const draw = (update: number) => Array.from({ length: to - from }, (_, i) => data.batch(request(update, i)));
  let stateVersion = 0;
  // this worker's micro-batches of the next updates, drawn a record at a time while it waits
  // for a command (./ahead.ts), tagged with the version of the shared state they were drawn under
  const ahead = new DrawnAhead<R, number>((update) => Array.from({ length: to - from }, (_, i) => batchDraft(data, request(update, i))), AHEAD_DEPTH);
  return {
    execute(command: number): number | null {
      let last: number | null = null;
      try {
        const version = v.control[C.stateVersion];
        if (version !== stateVersion) {
          const state = fromJson(readText(v.stateBox, v.control[C.stateBytes])) as { source: unknown; model: unknown };
          if (state.source !== null) data.loadStateDict?.(state.source);
          if (state.model !== null) model.loadSharedState?.(state.model);
          stateVersion = version;
        }
        let at = 0;
        params.forEach((p, i) => {
          if (v.fresh[i] === 1) p.writeData().set(v.weights.subarray(at, at + p.size));
          at += p.size;
        });
        if (command === COMMAND.step) {
          const update = v.control[C.update];
          const batches = ahead.take(update, () => stateVersion) ?? draw(update);
          for (const p of params) p.zeroGrad();
          v.losses[w] = accumulateGradients(tape, (t, micro) => model.loss(t, batches[micro - from]), from, to, accumulationSteps);
          let g = w * v.parameters;
          params.forEach((p, i) => {
            const sent = !p.gradIsZero && p.backend.kernels.countNonZeroBits(p.gradAddress, p.size) > 0 ? 1 : 0;
            if (sent === 1) v.grads.set(p.readGrad(), g);
            v.sent[w * params.length + i] = sent;
            g += p.size;
          });
          last = update;
        } else if (command === COMMAND.evaluate) {
          const groups = selectGroups(data.heldOut(SPLITS[v.control[C.split]], v.control[C.count]), v.control[C.groupMask]);
          const chunks = evalChunks(groups);
          const claim = chunkClaimer(init.buffer === null ? null : v.control, w, init.workers, chunks.length);
          const rows: ({ k: number } & ChunkFigures)[] = [];
          for (let k = claim(); k >= 0; k = claim()) rows.push({ k, ...chunkFigures(model, tape, groups[chunks[k].group].slice(chunks[k].start, chunks[k].end), v.control[C.withLoss] === 1) });
          v.resultBytes[w] = writeText(v.results.subarray(w * RESULT_BOX_BYTES, (w + 1) * RESULT_BOX_BYTES), toJson(rows), `worker ${w}'s evaluation`);
        }
        v.status[w] = 0;
      } catch (err) {
        v.status[w] = 1;
        const message = (err as Error)?.stack ?? String(err);
        v.resultBytes[w] = writeText(v.results.subarray(w * RESULT_BOX_BYTES, (w + 1) * RESULT_BOX_BYTES), message.slice(0, 4000), 'error');
      }
      return last;
    },
    // after a step of update `last`: draws one record of its micro-batches of the next updates,
    // up to `depth` of them (false: none left)
    drawAhead(last: number | null, depth?: number): boolean {
      return last !== null && from < to && ahead.fill(last, stateVersion, depth);
    },
  };
}

/** Commands over shared memory: wait on the generation, run, store done[w] and notify. */
function serveShared(w: number, v: SharedViews, runner: ReturnType<typeof commandRunner>): void {
  // the generation before the leader's first command: 0, NOT a load (the leader may have
  // issued its first command between our 'ready' and this line: a load would miss its wake-up)
  let seen = 0;
  for (;;) {
    if (!spinUntil(() => Atomics.load(v.control, C.generation) !== seen)) Atomics.wait(v.control, C.generation, seen);
    seen = Atomics.load(v.control, C.generation);
    const command = Atomics.load(v.control, C.command);
    if (command === COMMAND.stop) return;
    const last = runner.execute(command);
    Atomics.store(v.done, w, seen);
    Atomics.notify(v.done, w);
    // until the next command: a record at a time, so a command waits for one record at most
    while (Atomics.load(v.control, C.generation) === seen && runner.drawAhead(last));
  }
}

/** Commands by message (./messages.ts): each is written into this side's views, run, and answered; resolves on stop. */
function serveMessages(w: number, v: SharedViews, runner: ReturnType<typeof commandRunner>, post: PostToLeader, listen: ListenToLeader): Promise<void> {
  return new Promise((resolve) => {
    listen((m) => {
      if (m?.type !== 'command') return;
      applyCommand(v, m);
      const command = v.control[C.command];
      if (command === COMMAND.stop) return resolve();
      const last = runner.execute(command);
      v.done[w] = v.control[C.generation];
      const { message, transfer } = answerMessage(v, w, command !== COMMAND.step || v.status[w] !== 0);
      post(message, transfer);
      // the next command arrives as an event, which cannot run during this loop: the next update only
      while (runner.drawAhead(last, 1));
    });
  });
}
