/**
 * HANDOFF: worker 1 draws the leader's micro-batches of a coming update while it would wait.
 * The leader does per update what no replica does (adding the gradients, clipping, the
 * optimizer, the hooks, publishing the weights: ~0.25 ms of a ~1.7 ms level 1–4 update), so a
 * replica that has drawn its own next updates (./ahead.ts) waits about that long for every
 * command. It spends that wait drawing the leader's micro-batches of update last + LEAD, a
 * record at a time, and hands the finished records over as exact JSON
 * (RecordSource.encode/decode); the leader decodes them instead of
 * drawing (32 records of levels 1–4: ~0.1 against ~0.6 ms). A micro-batch is a pure function of (update, micro, the source's state), so the
 * records, and the losses, are bit-identical whoever draws them.
 *
 * One slot in shared memory: `words` = [slot, version, bytes] and a box for the text.
 * slot = update·4 + state, one Int32 that both sides change by compareExchange:
 *
 *   NONE     nothing claimed
 *   DRAWING  worker 1 draws `update` for the leader (it alone writes the box now)
 *   READY    the box holds `update`, drawn under the shared state `version`
 *   LEADER   the leader draws (or has taken) `update`; worker 1 leaves it
 *
 * Invariants. Worker 1 claims only an update after the slot's, and only when the slot is not
 * DRAWING or READY; it writes the box only while the slot is DRAWING for its update, so the
 * leader reads a READY box that no one can write. The leader never draws an update that is
 * DRAWING or READY ahead; at compute time it takes it (a READY one under the current state) or
 * takes it over (still DRAWING: worker 1's publish then fails and its drawing is dropped). The
 * leader never waits for worker 1: whatever is not READY when it is needed, it draws itself.
 */
import { readText, writeText } from './shared';

const NONE = 0;
const DRAWING = 1;
const READY = 2;
const LEADER = 3;
const pack = (update: number, state: number) => update * 4 + state;

/** How far ahead of its last step worker 1 draws for the leader: beyond the leader's own drawing ahead (AHEAD_DEPTH = 2), with two updates' waits to finish it in. */
export const HANDOFF_LEAD = 4;

/** The leader's side of the slot. */
export class HandoffReceiver {
  constructor(private readonly words: Int32Array, private readonly box: Uint8Array) {}

  /**
   * Before the leader draws `update` ahead (while it computes `current`): false when worker 1
   * draws or drew it (it is taken at compute time), true when the leader may draw it.
   */
  claim(update: number, current: number): boolean {
    for (;;) {
      const slot = Atomics.load(this.words, 0);
      const u = Math.floor(slot / 4);
      const state = slot & 3;
      if (u === update) {
        if (state === DRAWING || state === READY) return false;
        if (state === LEADER) return true;
      } else if ((state === DRAWING || state === READY) && u > current) {
        return true; // busy with another coming update: worker 1 claims nothing else meanwhile
      }
      // NONE, LEADER for another update, or a stale drawing the leader will never take
      if (Atomics.compareExchange(this.words, 0, slot, pack(update, LEADER)) === slot) return true;
    }
  }

  /**
   * At compute time: the text of `update` if worker 1 drew it under the shared state
   * `version`, else null (the leader draws it; a drawing not finished is taken over).
   */
  take(update: number, version: number): string | null {
    for (;;) {
      const slot = Atomics.load(this.words, 0);
      const u = Math.floor(slot / 4);
      const state = slot & 3;
      if (u !== update) {
        if ((state === READY || state === DRAWING) && u < update) Atomics.compareExchange(this.words, 0, slot, pack(update, LEADER)); // stale: empty it
        return null;
      }
      if (state !== DRAWING && state !== READY) return null;
      const text = state === READY && this.words[1] === version ? readText(this.box, this.words[2]) : null;
      if (Atomics.compareExchange(this.words, 0, slot, pack(update, LEADER)) === slot) return text;
    }
  }
}

/** Worker 1's side of the slot. */
export class HandoffSender {
  constructor(private readonly words: Int32Array, private readonly box: Uint8Array) {}

  /** Claims `update` for drawing it for the leader; false when the leader has it (or a later one) or the slot is busy. */
  claim(update: number): boolean {
    const slot = Atomics.load(this.words, 0);
    if (Math.floor(slot / 4) >= update || (slot & 3) === READY || (slot & 3) === DRAWING) return false;
    return Atomics.compareExchange(this.words, 0, slot, pack(update, DRAWING)) === slot;
  }

  /** Whether `update` is still claimed by this side (the leader has not taken it over). */
  holds(update: number): boolean {
    return Atomics.load(this.words, 0) === pack(update, DRAWING);
  }

  /** Hands the claimed `update`'s text over (drawn under shared state `version`); null (the drawing threw) or a text too long for the box leaves it to the leader. */
  publish(update: number, version: number, text: string | null): void {
    let bytes = -1;
    if (text !== null) {
      try {
        bytes = writeText(this.box, text, 'handoff');
      } catch {
        bytes = -1;
      }
    }
    if (bytes < 0) {
      Atomics.compareExchange(this.words, 0, pack(update, DRAWING), pack(update, LEADER));
      return;
    }
    this.words[1] = version;
    this.words[2] = bytes;
    // fails when the leader took the update over meanwhile: the drawing is dropped
    Atomics.compareExchange(this.words, 0, pack(update, DRAWING), pack(update, READY));
  }
}

/** The text of micro-batches handed over: their record counts, a line break, the source's encoding of all their records. */
export function encodeBatches<R>(batches: R[][], encode: (records: R[]) => string): string {
  return `${batches.map((b) => b.length).join(',')}\n${encode(batches.flat())}`;
}

export function decodeBatches<R>(text: string, decode: (text: string) => R[]): R[][] {
  const line = text.indexOf('\n');
  const counts = text.slice(0, line).split(',').map(Number);
  const records = decode(text.slice(line + 1));
  let at = 0;
  return counts.map((n) => records.slice(at, (at += n)));
}
