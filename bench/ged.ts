/**
 * Bench suite `ged`: tree edit distance (wasm kernel vs its js twin vs the npm package
 * `edit-distance`'s Zhang–Shasha `ted`) on single pairs of 10, 50 and 200 nodes and on a
 * batch of 1 000 pairs of 10–20-node trees, and bipartite GED on 50-node DAGs.
 * All three TED implementations are checked to give the same distances before timing.
 *
 * What is timed: for us, the public call from tree objects to distances (flattening,
 * packing into the heap and the kernel; the batch is ONE kernel call); `ted-batch-flat`
 * starts from trees flattened beforehand (packing and kernel only). For `edit-distance`,
 * `ted(...).distance` pair by pair on the same objects. `ted+mapping` rows add our mapping
 * recovery (edit-distance computes its backtracking table in the same call).
 */
import { createRequire } from 'node:module';
import { createBackend, type Backend } from '../src/backend/index';
import { graphEditDistance } from '../src/ged/ged';
import type { LabelledGraph } from '../src/ged/input';
import { treeEditDistance, treeEditDistanceBatch } from '../src/ged/ted';
import { flattenTreeNode, type TreeNode } from '../src/ged/tree';
import { Prng } from '../src/util/prng';
import { matches, measureSync, Reporter, type Suite } from './util';

interface EditDistanceTed {
  distance: number;
}
const editDistance = createRequire(import.meta.url)('edit-distance') as {
  ted: (
    a: TreeNode, b: TreeNode, children: (n: TreeNode) => readonly TreeNode[] | undefined,
    insert: (n: TreeNode) => number, remove: (n: TreeNode) => number, update: (a: TreeNode, b: TreeNode) => number,
  ) => EditDistanceTed;
};

const NO_KIDS: readonly TreeNode[] = [];
const childrenOf = (n: TreeNode) => n.children ?? NO_KIDS;
const one = () => 1;
const update = (a: TreeNode, b: TreeNode) => (a.label === b.label ? 0 : 1);
const theirTed = (a: TreeNode, b: TreeNode) => editDistance.ted(a, b, childrenOf, one, one, update).distance;

const OPS = ['+', '-', '*', '/', '^'];
const FNS = ['sin', 'cos', 'exp', 'log'];
const LEAVES = ['x', 'y', '0', '1', '2', '3', '0.5', 'pi'];

/** A random expression-shaped tree of exactly `size` nodes (binary ops, unary fns, leaves). */
function randomExpression(rng: Prng, size: number): TreeNode {
  if (size === 1) return { label: rng.pick(LEAVES) };
  if (size === 2 || rng.chance(0.15)) return { label: rng.pick(FNS), children: [randomExpression(rng, size - 1)] };
  const left = rng.int(1, size - 2);
  return { label: rng.pick(OPS), children: [randomExpression(rng, left), randomExpression(rng, size - 1 - left)] };
}

/** A random DAG of `n` nodes: node i points at up to 3 later nodes (ordered), labels from a small alphabet. */
function randomDag(rng: Prng, n: number): LabelledGraph {
  const labels = [...OPS, ...LEAVES];
  const nodes = Array.from({ length: n }, () => ({ label: rng.pick(labels), type: 5, value: NaN }));
  const children = nodes.map((_, i) => {
    const kids = new Set<number>();
    const want = i < n - 1 ? rng.int(0, 3) : 0;
    for (let k = 0; k < want; k++) kids.add(rng.int(i + 1, n - 1));
    return [...kids];
  });
  return { nodes, children };
}

export const run: Suite = async (opts) => {
  const reporter = new Reporter(opts);
  const backends: Backend[] = [await createBackend('wasm'), await createBackend('js')];
  const rng = new Prng('bench-ged');
  const reps = opts.quick ? 3 : 7;
  const minMs = opts.quick ? 5 : 60;
  const ratios: string[] = [];

  for (const size of [10, 50, 200]) {
    const a = randomExpression(rng, size);
    const b = randomExpression(rng, size);
    const expected = theirTed(a, b);
    const times: Record<string, number> = {};
    for (const backend of backends) {
      const got = treeEditDistanceBatch([[a, b]], undefined, { backend })[0];
      const withMapping = treeEditDistance(a, b, undefined, { backend }).distance;
      if (got !== expected || withMapping !== expected) throw new Error(`ted ${size}: ${backend.name} gives ${got}/${withMapping}, edit-distance ${expected}`);
      if (matches(opts, 'ted', backend.name, size)) {
        times[backend.name] = measureSync(() => treeEditDistanceBatch([[a, b]], undefined, { backend }), reps, minMs);
        reporter.add({ suite: 'ged', name: 'ted', backend: backend.name, size, value: times[backend.name] * 1e3, unit: 'ms/pair' });
      }
      if (matches(opts, 'ted+mapping', backend.name, size)) {
        const t = measureSync(() => treeEditDistance(a, b, undefined, { backend }), reps, minMs);
        reporter.add({ suite: 'ged', name: 'ted+mapping', backend: backend.name, size, value: t * 1e3, unit: 'ms/pair' });
      }
    }
    if (matches(opts, 'ted', 'edit-distance', size)) {
      times['edit-distance'] = measureSync(() => theirTed(a, b), reps, minMs);
      reporter.add({ suite: 'ged', name: 'ted', backend: 'edit-distance', size, value: times['edit-distance'] * 1e3, unit: 'ms/pair' });
    }
    if (times.wasm && times.js && times['edit-distance']) {
      ratios.push(`ted ${size} nodes: wasm ${(times['edit-distance'] / times.wasm).toFixed(1)}× edit-distance, ${(times.js / times.wasm).toFixed(2)}× js twin`);
    }
  }

  {
    const pairs = Array.from({ length: 1000 }, () => [randomExpression(rng, rng.int(10, 20)), randomExpression(rng, rng.int(10, 20))] as const);
    // the same pairs flattened once beforehand (how a training loop can hold its targets)
    const flatPairs = pairs.map(([a, b]) => [flattenTreeNode(a), flattenTreeNode(b)] as const);
    const expected = Float64Array.from(pairs, ([a, b]) => theirTed(a, b));
    const times: Record<string, number> = {};
    for (const backend of backends) {
      for (const [name, input] of [['ted-batch', pairs], ['ted-batch-flat', flatPairs]] as const) {
        const got = treeEditDistanceBatch(input, undefined, { backend });
        for (let i = 0; i < pairs.length; i++) {
          if (got[i] !== expected[i]) throw new Error(`${name} pair ${i}: ${backend.name} gives ${got[i]}, edit-distance ${expected[i]}`);
        }
        if (matches(opts, name, backend.name, 1000)) {
          times[`${name} ${backend.name}`] = measureSync(() => treeEditDistanceBatch(input, undefined, { backend }), reps, minMs);
          reporter.add({ suite: 'ged', name, backend: backend.name, size: 1000, value: times[`${name} ${backend.name}`] * 1e3, unit: 'ms/batch' });
        }
      }
    }
    if (matches(opts, 'ted-batch', 'edit-distance', 1000)) {
      times['edit-distance'] = measureSync(() => {
        let s = 0;
        for (const [a, b] of pairs) s += theirTed(a, b);
        return s;
      }, reps, minMs);
      reporter.add({ suite: 'ged', name: 'ted-batch', backend: 'edit-distance', size: 1000, value: times['edit-distance'] * 1e3, unit: 'ms/batch' });
    }
    for (const name of ['ted-batch', 'ted-batch-flat']) {
      const wasm = times[`${name} wasm`];
      const js = times[`${name} js`];
      if (wasm && js && times['edit-distance']) {
        ratios.push(`${name} of 1000: wasm ${(times['edit-distance'] / wasm).toFixed(1)}× edit-distance pair by pair, ${(js / wasm).toFixed(2)}× js twin`);
      }
    }
  }

  {
    const a = randomDag(rng, 50);
    const b = randomDag(rng, 50);
    const results = backends.map((backend) => graphEditDistance(a, b, { method: 'bipartite', backend }));
    if (results[0].upperBound !== results[1].upperBound || results[0].lowerBound !== results[1].lowerBound) {
      throw new Error(`bipartite GED: wasm [${results[0].lowerBound}, ${results[0].upperBound}] vs js [${results[1].lowerBound}, ${results[1].upperBound}]`);
    }
    const times: Record<string, number> = {};
    for (const backend of backends) {
      if (!matches(opts, 'ged-bipartite', backend.name, 50)) continue;
      times[backend.name] = measureSync(() => graphEditDistance(a, b, { method: 'bipartite', backend }), reps, minMs);
      reporter.add({ suite: 'ged', name: 'ged-bipartite', backend: backend.name, size: 50, value: times[backend.name] * 1e3, unit: 'ms/pair' });
    }
    if (times.wasm && times.js) {
      ratios.push(`bipartite GED 50-node DAGs: bounds [${results[0].lowerBound}, ${results[0].upperBound}], wasm ${(times.js / times.wasm).toFixed(2)}× js twin`);
    }
  }

  reporter.printTable('ged: tree and graph edit distance (median)', ratios);
  return reporter.rows;
};
