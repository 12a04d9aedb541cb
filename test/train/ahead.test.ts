// DrawnAhead (src/train/parallel/ahead.ts): micro-batches drawn before the update that computes
// them. The oracle is the drawing function itself, counted: what is taken is exactly what it
// drew for that update under that tag, and nothing is drawn twice or past the depth.
import { describe, expect, it } from 'vitest';
import { DrawnAhead } from '../../src/train/parallel/ahead';

/** draws [[`u:tag`]] for update u under the tag in `state`, counting each call */
function counted(state: { tag: string }) {
  const calls: string[] = [];
  const ahead = new DrawnAhead<string, string>((u) => {
    calls.push(`${u}:${state.tag}`);
    if (state.tag === 'broken') throw new Error('a source that throws');
    return [[`${u}:${state.tag}`]];
  }, 2);
  return { ahead, calls };
}

describe('DrawnAhead', () => {
  it('draws the next updates one per call, up to its depth, and never the same one twice', () => {
    const state = { tag: 'a' };
    const { ahead, calls } = counted(state);
    expect(ahead.fill(4, 'a')).toBe(true);
    expect(ahead.fill(4, 'a')).toBe(true);
    expect(ahead.fill(4, 'a')).toBe(false); // 5 and 6 held: nothing left to do
    expect(calls).toEqual(['5:a', '6:a']);
    expect(ahead.size).toBe(2);
  });

  it('take gives the batches of that update under the same tag and forgets it and every earlier one', () => {
    const state = { tag: 'a' };
    const { ahead, calls } = counted(state);
    while (ahead.fill(0, 'a'));
    expect(ahead.take(1, () => 'a')).toEqual([['1:a']]);
    expect(ahead.size).toBe(1);
    expect(ahead.take(1, () => 'a')).toBeNull(); // taken once
    expect(ahead.fill(1, 'a')).toBe(true); // 2 is held, 3 is drawn
    expect(calls).toEqual(['1:a', '2:a', '3:a']);
    expect(ahead.take(3, () => 'a')).toEqual([['3:a']]);
    expect(ahead.size).toBe(0); // 2 was skipped: forgotten with 3
  });

  it('a batch drawn under another state is neither used nor kept: the next fill draws it again', () => {
    const state = { tag: 'a' };
    const { ahead, calls } = counted(state);
    while (ahead.fill(0, 'a'));
    state.tag = 'b'; // a phase change
    expect(ahead.fill(0, 'b')).toBe(true);
    expect(ahead.take(1, () => 'b')).toEqual([['1:b']]);
    expect(ahead.take(2, () => 'b')).toBeNull(); // drawn under 'a'
    expect(calls).toEqual(['1:a', '2:a', '1:b']);
  });

  it('a drawing that throws holds nothing and reports no work, so the step draws again and meets the error', () => {
    const state = { tag: 'broken' };
    const { ahead } = counted(state);
    expect(ahead.fill(0, 'broken')).toBe(false);
    expect(ahead.size).toBe(0);
    expect(ahead.take(1, () => 'broken')).toBeNull();
  });
});
