/**
 * Exact tree edit distance between ordered labelled trees (every MathGraph is one).
 *
 * Algorithm: Zhang & Shasha (1989). The tree distance td[x][y] of every subtree pair comes
 * out of one forest-distance DP per pair of keyroots; the work is Σ_A · Σ_B cells, where
 * Σ_T sums the sizes of T's keyroot subtrees: O(n² · min(depth, leaves)²), O(n⁴) in the
 * worst case. Per pair we run it along leftmost or rightmost paths, whichever does less
 * work (the right decomposition is the left one on mirrored trees), which turns the
 * O(n⁴) case of Zhang–Shasha on combs like (+ 1 (+ 1 (+ 1 …))) into O(n²). Trees that
 * zig-zag both ways still cost more than APTED's O(n³) bound; our workload (expression
 * trees of 5–200 nodes, depth ≤ ~10) stays far from it.
 *
 * The DP runs in the backend's `tedBatch` kernel (WebAssembly or its TS twin). A batch is
 * packed as three columns per node (./columns.ts: label id, leftmost leaf, preorder and
 * child-position bits); the kernel picks each pair's orientation and builds keyroots and
 * mirrors itself, and on small pairs with integral costs runs whole table rows as byte
 * vectors (assembly/ged.ts). For a single pair the host orients the trees (the pair runs
 * "as given") and recovers the mapping by backtracking the forest tables of the pairs the
 * optimal script passes through, re-derived from the kernel's td table.
 */
import type { Backend } from '../backend/index';
import { GraphemeError } from '../errors';
import { defaultGedBackend, withScratch } from './backend';
import { resolveCosts, substituteCost, type EditCosts } from './costs';
import { KernelColumns } from './columns';
import { toFlatTree, treeSource, type TreeInput } from './input';
import type { EditMapping } from './mapping';
import { labelEpoch } from './pack';
import { FlatTree, flattenWith, type TreeNode } from './tree';

/** Which node maps to which, and which are deleted, inserted or relabelled. */
export type TreeEditMapping = EditMapping;

export interface TreeEditResult {
  distance: number;
  mapping: TreeEditMapping;
}

export interface TreeEditOptions {
  /** the backend whose kernels run the DP; default: see ./backend.ts */
  backend?: Backend;
}

export class TreeEditError extends GraphemeError {}

/** Scalar costs the kernel takes, alpha applied. */
interface KernelCosts {
  insert: number;
  delete: number;
  type: number;
  value: number;
  tolerance: number;
}

function kernelCosts(c: EditCosts): KernelCosts {
  return {
    insert: c.alpha * c.nodeInsert,
    delete: c.alpha * c.nodeDelete,
    type: c.alpha * c.nodeType,
    value: c.alpha * c.nodeValue,
    tolerance: c.tolerance,
  };
}

/** Left or right path decomposition, whichever fills fewer DP cells (the kernel decides alike for batches). */
function rightIsCheaper(a: { leftWork: number; rightWork: number }, b: { leftWork: number; rightWork: number }): boolean {
  return a.leftWork * b.leftWork > a.rightWork * b.rightWork;
}

function oriented(a: FlatTree, b: FlatTree): [FlatTree, FlatTree] {
  return rightIsCheaper(a, b) ? [a.mirror(), b.mirror()] : [a, b];
}

interface Packed {
  pairs: number;
  labels: number;
  types: number;
  values: number;
  llds: number;
  shapes: number;
  td: number;
  fd: number;
  out: number;
}

/** The kernel's per-node columns, shared by every batch (reused: no per-tree garbage). */
const columns = new KernelColumns();
// per distinct input of a batch (reused): where its nodes start, and its size
let slotStart = new Int32Array(256);
let slotSize = new Int32Array(256);
let chosen = new Int32Array(256); // per pair and side: its slot

/** The pair's side as the error messages name it. */
const where = (pair: number, side: number) => `pairs[${pair}][${side}]`;

/** Pair flag (assembly/ged.ts): run the pair as given, no mirroring (its td is backtracked). */
const AS_GIVEN = 1;

/**
 * Scratch bytes the kernel needs for a pair (assembly/ged.ts: orientation, then the
 * forest tables; on byte cells also the td bytes, B's keyroots and 64-byte rows).
 */
function fdScratchBytes(nA: number, nB: number): number {
  const orient = (25 * (nA + nB) + 256 + 15) & ~15;
  return orient + 16 + 8 * (nA + 1) * (nB + 1) + 64 * (nA + 1) + 512;
}

/** Appends one input's nodes to the columns (nested objects in one walk, the batch workload). */
function appendInput(t: TreeInput, pair: number, side: number): void {
  if (t instanceof FlatTree) columns.appendFlat(t);
  else if (typeof t === 'object' && t !== null && typeof (t as TreeNode).label === 'string') columns.appendTreeNode(t as TreeNode);
  else {
    const source = treeSource(t, where(pair, side));
    columns.appendFlat(source instanceof FlatTree ? source : flattenWith(source.root, source.reader));
  }
}

/**
 * Writes the trees of `pairs` into the shared columns, each distinct input once, then
 * copies them into the step arena in the kernel's layout. `withValues`: the costs read
 * types and values. `asGiven`: the kernel must not mirror (single pairs, whose td the
 * host backtracks in the orientation it chose).
 */
function pack(backend: Backend, pairs: ReadonlyArray<readonly [TreeInput, TreeInput]>, withValues: boolean, asGiven: boolean): Packed {
  if (chosen.length < pairs.length * 2) {
    chosen = new Int32Array(pairs.length * 2);
    slotStart = new Int32Array(pairs.length * 2);
    slotSize = new Int32Array(pairs.length * 2);
  }
  for (;;) {
    const epoch = labelEpoch();
    columns.clear(withValues);
    let slots = 0;
    // an input repeated on one side of consecutive pairs (one target against many
    // predictions), or on both sides of a pair, is written once; a Map over every input
    // cost more than it saved on batches of distinct trees
    let recent0: unknown = undefined;
    let recent1: unknown = undefined;
    let recentSlot0 = -1;
    let recentSlot1 = -1;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      for (let side = 0; side < 2; side++) {
        const t = pair[side];
        let s: number;
        if (t === recent0) s = recentSlot0;
        else if (t === recent1) s = recentSlot1;
        else {
          s = slots++;
          slotStart[s] = columns.count;
          appendInput(t, i, side);
          slotSize[s] = columns.count - slotStart[s];
        }
        if (side === 0) {
          recent0 = t;
          recentSlot0 = s;
        } else {
          recent1 = t;
          recentSlot1 = s;
        }
        chosen[2 * i + side] = s;
      }
    }
    // the label table restarted halfway (after 2^20 distinct labels): ids are mixed, pack again
    if (epoch === labelEpoch()) break;
  }
  let maxTd = 1;
  let fdBytes = 16;
  for (let i = 0; i < pairs.length; i++) {
    const nA = slotSize[chosen[2 * i]];
    const nB = slotSize[chosen[2 * i + 1]];
    if (nA * nB > maxTd) maxTd = nA * nB;
    const bytes = fdScratchBytes(nA, nB);
    if (bytes > fdBytes) fdBytes = bytes;
  }
  const nodes = columns.count;
  const heap = backend.heap;
  const p: Packed = {
    pairs: heap.allocStep(pairs.length * 32),
    labels: heap.allocStep(nodes * 4 + 64), // the byte path reads labels 16 at a time past a tree's end
    types: withValues ? heap.allocStep(nodes * 4) : 0,
    values: withValues ? heap.allocStep(nodes * 8) : 0,
    llds: heap.allocStep(nodes * 4),
    shapes: heap.allocStep(nodes * 4),
    td: heap.allocStep(maxTd * 8),
    fd: heap.allocStep(fdBytes),
    out: heap.allocStep(pairs.length * 8),
  };
  const { i32, f64 } = heap; // no allocation below: the views stay valid
  i32.set(columns.ids.subarray(0, nodes), p.labels >>> 2);
  i32.set(columns.lld.subarray(0, nodes), p.llds >>> 2);
  i32.set(columns.shape.subarray(0, nodes), p.shapes >>> 2);
  if (withValues) {
    i32.set(columns.types.subarray(0, nodes), p.types >>> 2);
    f64.set(columns.values.subarray(0, nodes), p.values >>> 3);
  }
  let r = p.pairs >>> 2;
  const flags = asGiven ? AS_GIVEN : 0;
  for (let i = 0; i < pairs.length; i++) {
    const a = chosen[2 * i];
    const b = chosen[2 * i + 1];
    i32[r] = slotStart[a];
    i32[r + 1] = slotSize[a];
    i32[r + 2] = slotStart[b];
    i32[r + 3] = slotSize[b];
    i32[r + 4] = flags;
    r += 8;
  }
  return p;
}

/** Whether substitute reads types and values (assembly/ged.ts: not with label-only costs). */
function readsValues(c: KernelCosts): boolean {
  return c.type !== c.value || c.tolerance >= 0;
}

function runKernel(backend: Backend, p: Packed, count: number, c: KernelCosts): void {
  backend.kernels.tedBatch(
    count, p.pairs, p.labels, p.types, p.values, p.llds, p.shapes,
    c.insert, c.delete, c.type, c.value, c.tolerance, p.td, p.fd, p.out,
  );
}

/**
 * Exact tree edit distance and an optimal edit mapping.
 * `a`, `b`: MathGraphs, Polish strings, nested `{ label, children }` objects or FlatTrees.
 * Default costs: insert 1, delete 1, relabel 1 when labels differ (see ./costs.ts).
 * Mapping ids: MathGraph node ids; preorder indices (Polish token order) otherwise.
 */
export function treeEditDistance(a: TreeInput, b: TreeInput, costs?: Partial<EditCosts>, options: TreeEditOptions = {}): TreeEditResult {
  const c = resolveCosts(costs);
  const kc = kernelCosts(c);
  const [ta, tb] = oriented(toFlatTree(a, 'a'), toFlatTree(b, 'b'));
  const backend = options.backend ?? defaultGedBackend();
  return withScratch(backend, () => {
    const p = pack(backend, [[ta, tb]], readsValues(kc), true);
    runKernel(backend, p, 1, kc);
    const heap = backend.heap;
    const distance = heap.f64[p.out >>> 3];
    const td = heap.f64.slice(p.td >>> 3, (p.td >>> 3) + ta.size * tb.size);
    return { distance, mapping: backtrackMapping(ta, tb, td, c, kc) };
  });
}

/**
 * Distances of many pairs in ONE kernel call (the training and evaluation workload).
 * Returns a Float64Array, one distance per pair, in order.
 */
export function treeEditDistanceBatch(
  pairs: ReadonlyArray<readonly [TreeInput, TreeInput]>,
  costs?: Partial<EditCosts>,
  options: TreeEditOptions = {},
): Float64Array {
  const kc = kernelCosts(resolveCosts(costs));
  const backend = options.backend ?? defaultGedBackend();
  return withScratch(backend, () => {
    const p = pack(backend, pairs, readsValues(kc), false);
    runKernel(backend, p, pairs.length, kc);
    return backend.heap.f64.slice(p.out >>> 3, (p.out >>> 3) + pairs.length);
  });
}

/**
 * The optimal mapping, by backtracking (Zhang & Shasha's mapping recovery): start at the two
 * roots; re-derive the forest table of the current subtree pair from td; walk it back from
 * the full forests: a step up is a deletion, a step left an insertion, a diagonal step
 * between two trees on the leftmost paths keeps (maps) x to y, and a jump over a whole
 * subtree pair (x, y) off the paths is queued as a new subtree pair to backtrack.
 */
function backtrackMapping(a: FlatTree, b: FlatTree, td: Float64Array, c: EditCosts, kc: KernelCosts): TreeEditMapping {
  const nB = b.size;
  const mapping: TreeEditMapping = { pairs: [], relabelled: [], deleted: [], inserted: [] };
  if (a.size === 0 || nB === 0) {
    for (let x = 0; x < a.size; x++) mapping.deleted.push(a.sourceIds[x]);
    for (let y = 0; y < nB; y++) mapping.inserted.push(b.sourceIds[y]);
    return mapping;
  }
  const sub = (x: number, y: number) => substituteCost(a.key(x), b.key(y), c);
  const near = (u: number, v: number) => Math.abs(u - v) <= 1e-9 * Math.max(1, Math.abs(u), Math.abs(v));
  const kept: Array<[number, number]> = [];
  const stack: Array<[number, number]> = [[a.size - 1, nB - 1]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    const li = a.lld[i];
    const lj = b.lld[j];
    const rows = i - li + 2;
    const width = j - lj + 2;
    const fd = new Float64Array(rows * width);
    for (let bb = 1; bb < width; bb++) fd[bb] = bb * kc.insert;
    for (let aa = 1; aa < rows; aa++) {
      const x = li + aa - 1;
      const lx = a.lld[x];
      fd[aa * width] = aa * kc.delete;
      for (let bb = 1; bb < width; bb++) {
        const y = lj + bb - 1;
        const ly = b.lld[y];
        const diagonal = lx === li && ly === lj ? fd[(aa - 1) * width + bb - 1] + sub(x, y) : fd[(lx - li) * width + (ly - lj)] + td[x * nB + y];
        fd[aa * width + bb] = Math.min(fd[(aa - 1) * width + bb] + kc.delete, fd[aa * width + bb - 1] + kc.insert, diagonal);
      }
    }
    let aa = rows - 1;
    let bb = width - 1;
    while (aa > 0 || bb > 0) {
      const here = fd[aa * width + bb];
      const x = li + aa - 1;
      const y = lj + bb - 1;
      if (aa > 0 && near(here, fd[(aa - 1) * width + bb] + kc.delete)) {
        mapping.deleted.push(a.sourceIds[x]);
        aa--;
      } else if (bb > 0 && near(here, fd[aa * width + bb - 1] + kc.insert)) {
        mapping.inserted.push(b.sourceIds[y]);
        bb--;
      } else {
        const lx = a.lld[x];
        const ly = b.lld[y];
        if (lx === li && ly === lj) {
          kept.push([x, y]);
          aa--;
          bb--;
        } else {
          stack.push([x, y]);
          aa = lx - li;
          bb = ly - lj;
        }
      }
    }
  }
  kept.sort((p, q) => p[0] - q[0]);
  for (const [x, y] of kept) {
    const pair: [number, number] = [a.sourceIds[x], b.sourceIds[y]];
    mapping.pairs.push(pair);
    if (sub(x, y) !== 0) mapping.relabelled.push(pair);
  }
  return mapping;
}

/**
 * The cost of a mapping between two trees: substitutions of its pairs plus deletions and
 * insertions of every node it leaves out (ids as in TreeEditMapping). It does not check
 * that the mapping is a valid tree mapping (ancestry and sibling order preserved).
 */
export function treeMappingCost(a: TreeInput, b: TreeInput, mapping: Pick<TreeEditMapping, 'pairs'>, costs?: Partial<EditCosts>): number {
  const c = resolveCosts(costs);
  const ta = toFlatTree(a, 'a');
  const tb = toFlatTree(b, 'b');
  const indexA = new Map<number, number>();
  const indexB = new Map<number, number>();
  for (let i = 0; i < ta.size; i++) indexA.set(ta.sourceIds[i], i);
  for (let i = 0; i < tb.size; i++) indexB.set(tb.sourceIds[i], i);
  let cost = 0;
  for (const [x, y] of mapping.pairs) {
    const i = indexA.get(x);
    const j = indexB.get(y);
    if (i === undefined || j === undefined) throw new TreeEditError(`treeMappingCost: pair [${x}, ${y}] names a node that is not in the trees`);
    cost += substituteCost(ta.key(i), tb.key(j), c);
  }
  cost += (ta.size - mapping.pairs.length) * c.alpha * c.nodeDelete;
  cost += (tb.size - mapping.pairs.length) * c.alpha * c.nodeInsert;
  return cost;
}
