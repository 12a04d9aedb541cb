/**
 * Transferred buffers: the protocol of ./shared.ts where SharedArrayBuffer is unavailable (a
 * page served without the cross-origin-isolation headers). Each side then keeps a private copy
 * of the same layout (`sharedViews` over an ArrayBuffer), and a command and its answer carry
 * exactly the parts of it the other side would have read from shared memory:
 *
 *   command (leader → replica): the control words, the fresh flags, the fresh tensors' weights
 *     (SPARSE TRANSFERS: only those), and the state box when its version moved;
 *   answer (replica → leader): the generation done, status, objective sum, the sent flags, the
 *     sent tensors' gradients, and the result box when it holds something (evaluation, error).
 *
 * Both are applied into the receiver's views, so the command's code and the leader's sum are
 * the shared-memory ones: the same seed and worker count give the same bits either way
 * (tested). Buffers are transferred, not cloned. A synchronous wait is impossible here (a
 * message arrives only through the event loop): trainStep() refuses, stepAsync() and run()
 * work, and the synchronous evaluations (evaluate(), test(), a snap point's validation) run
 * on the leader alone, with the same figures.
 */
import { C, RESULT_BOX_BYTES, type SharedViews } from './shared';

export interface CommandMessage {
  type: 'command';
  control: Int32Array;
  fresh: Int32Array;
  /** the weights of the tensors marked fresh, in tensor order */
  weights: Float32Array[];
  /** the state box's bytes, when its version moved since the last command */
  state: Uint8Array | null;
}

export interface AnswerMessage {
  type: 'done';
  worker: number;
  generation: number;
  status: number;
  loss: number;
  sent: Int32Array;
  /** the gradients of the tensors marked sent, in tensor order */
  grads: Float32Array[];
  result: Uint8Array | null;
}

/** The leader's command, read from its views (`stateMoved`: the state box was rewritten); `transfer` lists its buffers. */
export function commandMessage(v: SharedViews, stateMoved: boolean): { message: CommandMessage; transfer: ArrayBuffer[] } {
  const weights: Float32Array[] = [];
  let at = 0;
  v.sizes.forEach((size, i) => {
    if (v.fresh[i] === 1) weights.push(v.weights.slice(at, at + size));
    at += size;
  });
  const state = stateMoved ? v.stateBox.slice(0, v.control[C.stateBytes]) : null;
  const message: CommandMessage = { type: 'command', control: v.control.slice(), fresh: v.fresh.slice(), weights, state };
  return { message, transfer: [...weights.map((w) => w.buffer as ArrayBuffer), ...(state === null ? [] : [state.buffer as ArrayBuffer])] };
}

/** A replica writes the leader's command into its own views. */
export function applyCommand(v: SharedViews, m: CommandMessage): void {
  v.control.set(m.control);
  v.fresh.set(m.fresh);
  let at = 0;
  let k = 0;
  v.sizes.forEach((size, i) => {
    if (v.fresh[i] === 1) v.weights.set(m.weights[k++], at);
    at += size;
  });
  if (m.state !== null) v.stateBox.set(m.state);
}

/** Replica `w`'s answer, read from its views after the command; `transfer` lists its buffers. */
export function answerMessage(v: SharedViews, w: number, withResult: boolean): { message: AnswerMessage; transfer: ArrayBuffer[] } {
  const tensors = v.sizes.length;
  const sent = v.sent.slice(w * tensors, (w + 1) * tensors);
  const grads: Float32Array[] = [];
  let g = w * v.parameters;
  v.sizes.forEach((size, i) => {
    if (sent[i] === 1) grads.push(v.grads.slice(g, g + size));
    g += size;
  });
  const result = withResult ? v.results.slice(w * RESULT_BOX_BYTES, w * RESULT_BOX_BYTES + v.resultBytes[w]) : null;
  const message: AnswerMessage = { type: 'done', worker: w, generation: v.done[w], status: v.status[w], loss: v.losses[w], sent, grads, result };
  return { message, transfer: [...grads.map((x) => x.buffer as ArrayBuffer), ...(result === null ? [] : [result.buffer as ArrayBuffer])] };
}

/** The leader writes replica `m.worker`'s answer into its views (then reads them as it reads shared memory). */
export function applyAnswer(v: SharedViews, m: AnswerMessage): void {
  const w = m.worker;
  const tensors = v.sizes.length;
  v.sent.set(m.sent, w * tensors);
  let g = w * v.parameters;
  let k = 0;
  v.sizes.forEach((size, i) => {
    if (m.sent[i] === 1) v.grads.set(m.grads[k++], g);
    g += size;
  });
  v.losses[w] = m.loss;
  v.status[w] = m.status;
  if (m.result !== null) {
    v.results.set(m.result, w * RESULT_BOX_BYTES);
    v.resultBytes[w] = m.result.length;
  }
  v.done[w] = m.generation;
}
