/**
 * A thread's micro-batches drawn AHEAD of the update that computes them, while it waits. A
 * micro-batch is a pure function of (update, micro, the source's state), so drawing it earlier
 * changes nothing but when: the records, and so the losses, are bit-identical whoever draws
 * them when.
 *
 * Each update ends at a barrier: the leader waits for every replica's gradients (a replica
 * that drew dearer records, or collected garbage, keeps it idle), and a replica waits for the
 * leader's next command (the leader alone adds the gradients, steps and publishes). Each side
 * spends its wait drawing its own micro-batches of the next `depth` updates, ONE RECORD PER
 * CALL (RecordSource.draft), checking between two records whether the other side is done: so
 * the wait becomes drawing it had to do anyway, and the next step starts at most one record
 * late (16–130 µs). Drawing whole micro-batches instead (0.7 ms for 32 level 1–4 records)
 * made a replica that began one in the leader's short tail start its next step late by the
 * rest of it (docs/experiments.md, "Both cores, sixth pass").
 *
 * Each drawing is kept with a tag of the source's state it was begun under (the leader: the
 * state's JSON; a replica: the version of the shared state) and used only under the same
 * tag; a phase change (or an evaluation the source's state records) simply draws again. Invariant: at most `depth`
 * updates are held, all after the last one taken; take() completes a drawing begun.
 */
import type { BatchDraft } from '../../data/source';

/**
 * Updates a thread draws ahead at most. One: a thread that has drawn its next update sleeps
 * (after its spin) instead of drawing the one after, and the core it leaves idle is the one
 * the other thread's garbage collector runs its helpers on; levels 1–4 on 2 workers 47.6k →
 * 49.9k samples/s against two (median of six pairs), level 6 the same (docs/experiments.md,
 * "Both cores, eighth pass"). Deeper (4–32) measured no better.
 */
export const AHEAD_DEPTH = 1;

export class DrawnAhead<R, T> {
  private readonly drawn = new Map<number, { tag: T; drafts: BatchDraft<R>[] }>();

  /** `drafts(update)`: this thread's micro-batches of that update, as drafts not yet drawn. */
  constructor(private readonly drafts: (update: number) => BatchDraft<R>[], readonly depth: number) {}

  /**
   * Draws ONE record of the first update of `after` + 1 … `after` + depth (default: the
   * constructor's) not yet complete under `tag`; returns whether it drew
   * (false: none is left, or the drawing threw — the step draws again and reports it).
   */
  fill(after: number, tag: T, depth = this.depth): boolean {
    for (let u = after + 1; u <= after + depth; u++) {
      let have = this.drawn.get(u);
      if (have !== undefined && have.tag !== tag) have = undefined;
      try {
        if (have === undefined) this.drawn.set(u, (have = { tag, drafts: this.drafts(u) }));
        for (const draft of have.drafts) if (draft.step()) return true;
      } catch {
        this.drawn.delete(u);
        return false;
      }
    }
    return false;
  }

  /**
   * The batches of `update` if they were begun under the tag `tag()` gives (completed now),
   * else null; forgets `update` and every earlier one.
   */
  take(update: number, tag: () => T): R[][] | null {
    if (this.drawn.size === 0) return null;
    const have = this.drawn.get(update);
    for (const u of this.drawn.keys()) if (u <= update) this.drawn.delete(u);
    return have !== undefined && have.tag === tag() ? have.drafts.map((d) => d.records()) : null;
  }

  /** Forgets every drawing. */
  clear(): void {
    this.drawn.clear();
  }

  /** How many updates are held, complete or begun (tests). */
  get size(): number {
    return this.drawn.size;
  }
}
