import { describe, expect, it } from 'vitest';
import { GraphemeError } from '../src/errors';
import { parse, evaluate } from '../src/engine/index';
import { MathGraph } from '../src/graph/index';
import { parseRecordLine } from '../src/data/index';
import { createBackend, HeapOutOfMemoryError } from '../src/backend/index';

// One catch clause tells our typed, located errors from bugs: every layer's error is a GraphemeError.
describe('typed errors share one root', () => {
  it('parse, evaluation, graph JSON, dataset lines and the heap all throw GraphemeError', async () => {
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('expected a throw');
    };
    const parseError = thrown(() => parse('(+ 1 2))'));
    const divError = thrown(() => evaluate(parse('(/ 5 0)')));
    const graphError = thrown(() => MathGraph.fromJSON({ nodes: [{ id: 0, type: 'int', value: 'x' }], edges: [] }));
    const lineError = thrown(() => parseRecordLine('{"id": 3', 7));
    for (const e of [parseError, divError, graphError, lineError]) expect(e).toBeInstanceOf(GraphemeError);
    expect((parseError as Error).message).toMatch(/column 8/);
    expect((lineError as Error).message).toMatch(/line 7/);
    const backend = await createBackend('js', { maxBytes: 1 << 20 });
    const oom = thrown(() => backend.heap.allocStep(4 << 20));
    expect(oom).toBeInstanceOf(HeapOutOfMemoryError);
    expect(oom).toBeInstanceOf(GraphemeError);
  });
});
