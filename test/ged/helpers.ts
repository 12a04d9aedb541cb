/**
 * Test-only helpers for the GED tests: random trees, and two oracles for tree edit distance
 * written independently of src/ged (no keyroots, no postorder tables):
 *   - `forestDistance`: the textbook recursion on forests (remove the rightmost root, insert
 *     the rightmost root, or match the two rightmost trees), memoised on the forests' node sets;
 *   - `bruteForceTed`: the minimum cost over every valid tree mapping (Tai 1979), enumerated.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createBackend, type Backend } from '../../src/backend/index';
import type { TreeNode } from '../../src/ged/tree';

export type BackendName = 'wasm' | 'js';

const cache = new Map<BackendName, Promise<Backend>>();
/** One backend of each kind per test file. GRAPHEME_WASM overrides the module path (dev builds). */
export function backendOf(name: BackendName): Promise<Backend> {
  let b = cache.get(name);
  if (!b) {
    const override = process.env.GRAPHEME_WASM;
    b = createBackend(name, name === 'wasm' && override ? { wasm: readFileSync(override) } : {});
    cache.set(name, b);
  }
  return b;
}

/** A simple deterministic generator for tests (mulberry32), independent of src/. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random ordered tree: node k > 0 hangs under a random earlier node, in creation order. */
export function randomTree(random: () => number, size: number, alphabet: readonly string[]): TreeNode {
  const nodes: { label: string; children: TreeNode[] }[] = [];
  for (let k = 0; k < size; k++) {
    const node = { label: alphabet[Math.floor(random() * alphabet.length)], children: [] as TreeNode[] };
    nodes.push(node);
    if (k > 0) nodes[Math.floor(random() * k)].children.push(node);
  }
  return nodes[0];
}

/** fast-check arbitrary of ordered trees with 1..maxSize nodes over `alphabet`. */
export function arbTree(maxSize: number, alphabet: readonly string[]): fc.Arbitrary<TreeNode> {
  return fc
    .record({
      labels: fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: maxSize }),
      parents: fc.array(fc.nat(), { minLength: maxSize, maxLength: maxSize }),
    })
    .map(({ labels, parents }) => {
      const nodes = labels.map((label) => ({ label, children: [] as TreeNode[] }));
      for (let k = 1; k < nodes.length; k++) nodes[parents[k] % k].children.push(nodes[k]);
      return nodes[0];
    });
}

/** Node records in preorder (the ids src/ged reports for nested trees). */
export interface PlainNode {
  id: number;
  label: string;
  parent: number;
  children: number[];
}

export function preorderNodes(root: TreeNode): PlainNode[] {
  const out: PlainNode[] = [];
  const visit = (n: TreeNode, parent: number): number => {
    const id = out.length;
    out.push({ id, label: n.label, parent, children: [] });
    for (const c of n.children ?? []) out[id].children.push(visit(c, id));
    return id;
  };
  visit(root, -1);
  return out;
}

export interface UnitCosts {
  ins: number;
  del: number;
  sub: (x: string, y: string) => number;
}
export const UNIT: UnitCosts = { ins: 1, del: 1, sub: (x, y) => (x === y ? 0 : 1) };

/**
 * Tree edit distance by the forest recursion. A forest is a list of root ids (left to
 * right); the memo key is the forest's root list, which determines the forest.
 */
export function forestDistance(a: TreeNode, b: TreeNode, costs: UnitCosts = UNIT): number {
  const A = preorderNodes(a);
  const B = preorderNodes(b);
  const memo = new Map<string, number>();
  const size = (N: PlainNode[], roots: number[]): number => roots.reduce((s, r) => s + 1 + size(N, N[r].children), 0);
  const d = (f: number[], g: number[]): number => {
    if (f.length === 0) return size(B, g) * costs.ins;
    if (g.length === 0) return size(A, f) * costs.del;
    const key = `${f.join(',')}|${g.join(',')}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const v = f[f.length - 1];
    const w = g[g.length - 1];
    const fMinusV = [...f.slice(0, -1), ...A[v].children];
    const gMinusW = [...g.slice(0, -1), ...B[w].children];
    const result = Math.min(
      d(fMinusV, g) + costs.del,
      d(f, gMinusW) + costs.ins,
      d(A[v].children, B[w].children) + d(f.slice(0, -1), g.slice(0, -1)) + costs.sub(A[v].label, B[w].label),
    );
    memo.set(key, result);
    return result;
  };
  return d([0], [0]);
}

/** Ancestor test and preorder/postorder positions for the Tai mapping conditions. */
function orderInfo(N: PlainNode[]): { isAncestor: (x: number, y: number) => boolean; post: number[] } {
  const post = new Array<number>(N.length);
  let counter = 0;
  const visit = (x: number) => {
    for (const c of N[x].children) visit(c);
    post[x] = counter++;
  };
  visit(0);
  // preorder ids: x is a proper ancestor of y iff pre(x) < pre(y) and post(x) > post(y)
  return { isAncestor: (x, y) => x < y && post[x] > post[y], post };
}

/**
 * True when `pairs` (preorder ids) is a valid tree mapping: one-to-one, and for any two
 * pairs, x1 is an ancestor of x2 iff y1 is of y2, and x1 is left of x2 iff y1 is left of y2.
 */
export function isTreeMapping(a: TreeNode, b: TreeNode, pairs: ReadonlyArray<readonly [number, number]>): boolean {
  const A = orderInfo(preorderNodes(a));
  const B = orderInfo(preorderNodes(b));
  const xs = new Set(pairs.map((p) => p[0]));
  const ys = new Set(pairs.map((p) => p[1]));
  if (xs.size !== pairs.length || ys.size !== pairs.length) return false;
  for (const [x1, y1] of pairs) {
    for (const [x2, y2] of pairs) {
      if (x1 === x2) continue;
      if (A.isAncestor(x1, x2) !== B.isAncestor(y1, y2)) return false;
      const leftA = x1 < x2 && !A.isAncestor(x1, x2);
      const leftB = y1 < y2 && !B.isAncestor(y1, y2);
      if (leftA !== leftB) return false;
    }
  }
  return true;
}

/** Minimum cost over all valid tree mappings, enumerated (trees of up to ~6 nodes). */
export function bruteForceTed(a: TreeNode, b: TreeNode, costs: UnitCosts = UNIT): number {
  const A = preorderNodes(a);
  const B = preorderNodes(b);
  const A_ = orderInfo(A);
  const B_ = orderInfo(B);
  let best = Infinity;
  const pairs: [number, number][] = [];
  const usedB = new Array<boolean>(B.length).fill(false);
  const compatible = (x: number, y: number) =>
    pairs.every(([x2, y2]) => {
      if (A_.isAncestor(x, x2) !== B_.isAncestor(y, y2) || A_.isAncestor(x2, x) !== B_.isAncestor(y2, y)) return false;
      const leftA = x2 < x && !A_.isAncestor(x2, x);
      const leftB = y2 < y && !B_.isAncestor(y2, y);
      return leftA === leftB;
    });
  const go = (x: number, cost: number) => {
    if (x === A.length) {
      const total = cost + (B.length - pairs.length) * costs.ins;
      if (total < best) best = total;
      return;
    }
    go(x + 1, cost + costs.del); // x deleted
    for (let y = 0; y < B.length; y++) {
      if (usedB[y] || !compatible(x, y)) continue;
      usedB[y] = true;
      pairs.push([x, y]);
      go(x + 1, cost + costs.sub(A[x].label, B[y].label));
      pairs.pop();
      usedB[y] = false;
    }
  };
  go(0, 0);
  return best;
}

/** Cost of a mapping computed from the trees themselves. */
export function plainMappingCost(a: TreeNode, b: TreeNode, pairs: ReadonlyArray<readonly [number, number]>, costs: UnitCosts = UNIT): number {
  const A = preorderNodes(a);
  const B = preorderNodes(b);
  let cost = (A.length - pairs.length) * costs.del + (B.length - pairs.length) * costs.ins;
  for (const [x, y] of pairs) cost += costs.sub(A[x].label, B[y].label);
  return cost;
}

/** Polish-like text of a nested tree, for failure messages. */
export function show(t: TreeNode): string {
  return t.children && t.children.length ? `(${t.label} ${t.children.map(show).join(' ')})` : t.label;
}
