// Micro-batches drawn a record at a time (RecordSource.draft, batchDraft). The oracle is a
// fixture of the records Curriculum.batch drew before drafts existed (written by
// fixtures/curriculum-batches.gen.mts run on 7092ffc, where the pools' draw() was one loop),
// for a mixed, a progressive and a staged curriculum with replay, and a RecordLevels pool: a
// draft must give exactly those records, one per step.
import { describe, expect, it } from 'vitest';
import { DataGenerator } from '../../src/data/generator';
import type { Level } from '../../src/data/levels';
import { ArraySource, batchDraft, RecordLevels, type BatchRequest } from '../../src/data/source';
import { validateConfig } from '../../src/train/config';
import { Curriculum } from '../../src/train/curriculum';
import fixture from './fixtures/curriculum-batches.json';

interface Case {
  name: string;
  config?: Parameters<typeof validateConfig>[0];
  advance?: number;
  phase?: unknown;
  poolSeed?: string;
  poolPerLevel?: number;
  batches: { request: BatchRequest; records: string[] }[];
}

function curriculumOf(c: Case): Curriculum {
  if (c.poolSeed !== undefined) {
    const g = new DataGenerator({ seed: c.poolSeed });
    const records = ([1, 2, 3] as Level[]).flatMap((l) => g.take(l, c.poolPerLevel!));
    return new Curriculum(validateConfig({ seed: 'drafts', levels: [1, 2, 3], steps: 1000, curriculum: { mode: 'mixed' } }), new RecordLevels({ train: records }));
  }
  const cur = new Curriculum(validateConfig(c.config!));
  for (let s = 1; s <= (c.advance ?? 0); s++) cur.afterStep(s);
  if (c.phase !== undefined) expect(JSON.parse(JSON.stringify(cur.phase()))).toEqual(c.phase);
  return cur;
}

const text = (r: { id: string; polish: string }) => `${r.id} ${r.polish}`;

describe('drafts: micro-batches a record at a time', () => {
  for (const c of fixture as Case[]) {
    it(`${c.name}: batch() and a draft stepped record by record give the records drawn before drafts`, () => {
      const cur = curriculumOf(c);
      for (const { request, records } of c.batches) {
        expect(cur.batch(request).map(text)).toEqual(records);
        // count the records the pool hands out: a generated pool one per step; one without
        // stream() (RecordLevels) all of them at the first step, none before
        let handed = 0;
        const pool = cur.pool as { stream?: (...a: never[]) => Iterator<unknown> };
        const stream = pool.stream;
        if (stream !== undefined) {
          pool.stream = (...a: never[]) => {
            const it = stream.apply(cur.pool, a);
            return { next: () => { const n = it.next(); if (n.done !== true) handed++; return n; } } as Iterator<unknown>;
          };
        }
        let draws = 0;
        const poolDraw = cur.pool.draw;
        if (stream === undefined) cur.pool.draw = (...a) => (draws++, poolDraw.apply(cur.pool, a));
        const draft = cur.draft(request);
        expect(handed + draws).toBe(0); // nothing drawn before the first step
        for (let i = 0; i < request.size; i++) {
          expect(draft.step(), `step ${i + 1}`).toBe(true);
          if (stream !== undefined) expect(handed).toBe(i + 1);
        }
        if (stream !== undefined) pool.stream = stream;
        else {
          expect(draws).toBe(1); // the whole batch, at the first step
          cur.pool.draw = poolDraw;
        }
        expect(draft.step()).toBe(false); // complete: nothing more drawn
        expect(draft.records().map(text)).toEqual(records);
      }
    });
  }

  it('drafts of two micro-batches stepped in turn, and one completed half-way by records(), give the same records', () => {
    const c = (fixture as Case[])[2]; // staged, with replay
    const cur = curriculumOf(c);
    const [a, b] = c.batches.map((x) => cur.draft(x.request));
    for (let i = 0; i < 10; i++) {
      a.step();
      b.step();
    }
    expect(a.records().map(text)).toEqual(c.batches[0].records);
    expect(b.records().map(text)).toEqual(c.batches[1].records);
  });

  it('batchDraft of a source without drafts draws the whole batch in its first step', () => {
    const train = Array.from({ length: 50 }, (_, i) => i);
    const source = new ArraySource({ train, seed: 3 });
    let calls = 0;
    const batch = source.batch.bind(source);
    source.batch = (r) => (calls++, batch(r));
    const request = { update: 4, micro: 1, micros: 2, size: 8 };
    const draft = batchDraft(source, request);
    expect(calls).toBe(0);
    expect(draft.step()).toBe(true);
    expect(draft.step()).toBe(false);
    expect(draft.records()).toEqual(new ArraySource({ train, seed: 3 }).batch(request));
    expect(calls).toBe(1);
  });
});
