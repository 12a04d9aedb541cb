// DrawnAhead (src/train/parallel/ahead.ts): micro-batches drawn a record at a time before the
// update that computes them. The oracle is the drafts themselves, counted: what is taken is
// exactly what they give for that update under that tag, one record per fill, nothing drawn
// twice or past the depth.
import { describe, expect, it } from 'vitest';
import { draftOf } from '../../src/data/source';
import { DrawnAhead } from '../../src/train/parallel/ahead';

/** one micro-batch of 3 records `u:tag:i` per update, under the tag in `state` ('broken': the first record throws, 'flaky': the second, once); counts the records drawn and the drafts begun */
function counted(state: { tag: string }) {
  const drawn: string[] = [];
  const begun: string[] = [];
  let flaked = false;
  const ahead = new DrawnAhead<string, string>((u) => {
    const tag = state.tag;
    begun.push(`${u}:${tag}`);
    function* records() {
      for (let i = 0; i < 3; i++) {
        if (tag === 'broken') throw new Error('a source that throws');
        if (tag === 'flaky' && i === 1 && !flaked) {
          flaked = true;
          throw new Error('a source that throws once, half-way');
        }
        drawn.push(`${u}:${tag}:${i}`);
        yield `${u}:${tag}:${i}`;
      }
    }
    return [draftOf(records())];
  }, 2);
  return { ahead, drawn, begun };
}

describe('DrawnAhead', () => {
  it('draws one record per fill, the next updates in order, up to its depth, none twice', () => {
    const { ahead, drawn, begun } = counted({ tag: 'a' });
    let fills = 0;
    while (ahead.fill(4, 'a')) fills++;
    expect(fills).toBe(6); // 2 updates × 3 records
    expect(drawn).toEqual(['5:a:0', '5:a:1', '5:a:2', '6:a:0', '6:a:1', '6:a:2']);
    expect(begun).toEqual(['5:a', '6:a']);
    expect(ahead.fill(4, 'a')).toBe(false);
    expect(ahead.fill(4, 'a', 1)).toBe(false);
    expect(ahead.size).toBe(2);
  });

  it('take completes a drawing begun, gives it under the same tag and forgets it and every earlier update', () => {
    const { ahead, drawn } = counted({ tag: 'a' });
    ahead.fill(0, 'a'); // one record of update 1
    expect(ahead.take(1, () => 'a')).toEqual([['1:a:0', '1:a:1', '1:a:2']]);
    expect(drawn).toEqual(['1:a:0', '1:a:1', '1:a:2']);
    expect(ahead.take(1, () => 'a')).toBeNull(); // taken once
    while (ahead.fill(1, 'a'));
    expect(ahead.take(3, () => 'a')).toEqual([['3:a:0', '3:a:1', '3:a:2']]);
    expect(ahead.size).toBe(0); // 2 was skipped: forgotten with 3
  });

  it('a drawing begun under another state is neither used nor continued: it is begun again', () => {
    const state = { tag: 'a' };
    const { ahead, begun } = counted(state);
    ahead.fill(0, 'a');
    state.tag = 'b'; // a phase change
    ahead.fill(0, 'b');
    expect(begun).toEqual(['1:a', '1:b']);
    expect(ahead.take(1, () => 'b')).toEqual([['1:b:0', '1:b:1', '1:b:2']]);
    ahead.fill(1, 'b');
    expect(ahead.take(2, () => 'a')).toBeNull(); // begun under 'b', asked under 'a'
  });

  it('a drawing that throws half-way is dropped, not kept as a short batch: the next fill begins it again', () => {
    const { ahead, begun } = counted({ tag: 'flaky' });
    expect(ahead.fill(0, 'flaky')).toBe(true); // record 0
    expect(ahead.fill(0, 'flaky')).toBe(false); // record 1 throws
    expect(ahead.size).toBe(0);
    while (ahead.fill(0, 'flaky', 1));
    expect(begun).toEqual(['1:flaky', '1:flaky']);
    expect(ahead.take(1, () => 'flaky')).toEqual([['1:flaky:0', '1:flaky:1', '1:flaky:2']]);
  });

  it('a drafted iterator that throws throws again at every later call, never completing short', () => {
    let calls = 0;
    const draft = draftOf((function* () {
      yield 'a';
      calls++;
      throw new Error('half-way');
    })());
    expect(draft.step()).toBe(true);
    expect(() => draft.step()).toThrow('half-way');
    expect(() => draft.step()).toThrow('half-way');
    expect(() => draft.records()).toThrow('half-way');
    expect(calls).toBe(1);
  });

  it('a drawing that throws holds nothing and reports no work, so the step draws again and meets the error', () => {
    const { ahead } = counted({ tag: 'broken' });
    expect(ahead.fill(0, 'broken')).toBe(false);
    expect(ahead.size).toBe(0);
    expect(ahead.take(1, () => 'broken')).toBeNull();
  });
});
