/**
 * A thread's micro-batches drawn AHEAD of the update that computes them. A micro-batch is a
 * pure function of (update, micro, the source's state), so drawing it earlier changes nothing
 * but when: the records, and so the losses, are bit-identical whoever draws them when.
 *
 * THE LEADER draws while it waits. Each update ends at a barrier where the leader waits for
 * every replica's gradients; a replica that drew dearer records, or collected garbage, keeps
 * it idle there. Instead it draws its own micro-batches of the next `depth` updates, one per
 * call, as long as a replica is not done; the step that needs them finds them drawn, and the
 * wait has become work the leader had to do anyway.
 *
 * REPLICAS draw the next update's micro-batches right after their step, while the leader sums
 * and steps (depth 1). Drawing further ahead while waiting for the next command was measured
 * slower on levels 1–4: a drawing cannot be interrupted, so one begun in the leader's short
 * tail delays the replica's next step by the rest of it (docs/experiments.md, "Both cores,
 * sixth pass").
 *
 * Each drawing is kept with a tag of the source's state it was drawn under (the leader: the
 * state's JSON; a replica: the version of the shared state) and used only under the same
 * tag; a phase change or a loaded checkpoint simply draws again. Invariant: at most `depth`
 * updates are held, all after the last one taken.
 */
/** updates the leader draws ahead at most: two absorb a wait longer than one drawing, and hold few records */
export const AHEAD_DEPTH = 2;

export class DrawnAhead<R, T> {
  private readonly drawn = new Map<number, { tag: T; batches: R[][] }>();

  /** `draw(update)`: this thread's micro-batches of that update, drawn now. */
  constructor(private readonly draw: (update: number) => R[][], readonly depth: number) {}

  /**
   * Draws the first update of `after` + 1 … `after` + depth not yet drawn under `tag`; returns
   * whether it drew (false: all are, or the drawing threw — the step draws again and reports it).
   */
  fill(after: number, tag: T): boolean {
    for (let u = after + 1; u <= after + this.depth; u++) {
      const have = this.drawn.get(u);
      if (have !== undefined && have.tag === tag) continue;
      this.drawn.delete(u);
      try {
        this.drawn.set(u, { tag, batches: this.draw(u) });
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** The batches of `update` if they were drawn under the tag `tag()` gives, else null; forgets `update` and every earlier one. */
  take(update: number, tag: () => T): R[][] | null {
    if (this.drawn.size === 0) return null;
    const have = this.drawn.get(update);
    for (const u of this.drawn.keys()) if (u <= update) this.drawn.delete(u);
    return have !== undefined && have.tag === tag() ? have.batches : null;
  }

  /** How many updates are held (tests). */
  get size(): number {
    return this.drawn.size;
  }
}
