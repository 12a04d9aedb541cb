/**
 * Ordered trees appended into shared, growable typed arrays in the layout the `tedBatch`
 * kernel reads. Batches flatten thousands of small trees: one set of arrays reused for
 * every tree (and every call) instead of a dozen typed arrays per tree keeps the garbage
 * collector out of the training loop.
 *
 * Per node, at postorder index i of its tree (local indices, children left to right before
 * their parent):
 *   ids      label id (interned Polish token; equal ids = equal labels)
 *   types    type code (./costs.ts), values: numeric value (NaN for non-numbers)
 *   lld      leftmost leaf descendant: the subtree of i is the postorder range [lld[i], i]
 *   pre      preorder index, parent: parent's postorder index (−1 for the root)
 *   source   the node's id in the caller's structure
 * Per tree: keyroots, ascending: the root and every node that is not a first child
 * (Zhang & Shasha 1989), i.e. the tops of the leftmost paths.
 * Handy facts used below: i is the LAST child of its parent iff parent[i] = i + 1 (its
 * parent comes right after it in postorder); i is a FIRST child iff lld[i] = lld[parent[i]].
 */
import { GraphemeError } from '../errors';

export class TreeInputError extends GraphemeError {}

/** How to read a node of the caller's tree. */
export interface TreeReader<N> {
  children(node: N): readonly N[];
  label(node: N): string;
  /** type code (./costs.ts) */
  type(node: N): number;
  /** numeric value of int/float nodes, NaN otherwise */
  value(node: N): number;
  /** the id mappings report; the preorder index when absent */
  id?(node: N, preorder: number): number;
}

/** Where a tree sits in a TreeArrays, and its Zhang–Shasha work both ways. */
export interface TreeSlot {
  nodeStart: number;
  size: number;
  keyrootStart: number;
  keyrootCount: number;
  /** Σ of keyroot subtree sizes along leftmost paths; the DP of a pair fills leftWork_A · leftWork_B cells */
  leftWork: number;
  /** the same along rightmost paths (= leftWork of the mirrored tree) */
  rightWork: number;
}

/**
 * Label ids shared by every tree, so equal labels compare as equal i32s in the kernel.
 * The table is bounded: past LABEL_LIMIT labels it starts over and `labelEpoch` moves on;
 * ids made in an older epoch must be re-interned (FlatTree does so).
 */
const LABEL_LIMIT = 1 << 20;
let labelTable = new Map<string, number>();
let epoch = 0;

export function labelEpoch(): number {
  return epoch;
}

// A direct-mapped cache in front of the table, hashed on the first and last character and
// the length: flattening looks a label up per node, and the few labels of expression trees
// then mostly skip the Map (a hit is one string comparison; measured ~0.3 ms of 1 ms
// flattening 2 000 trees of 10–20 nodes).
const CACHE_SLOTS = 256;
const cachedLabel: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);
const cachedId = new Int32Array(CACHE_SLOTS);

// Single ASCII characters (operators, variables, digits: most labels of expression trees)
// skip the hash: their ids by character code, −1 until first seen.
const singleCharId = new Int32Array(128).fill(-1);

export function internLabel(label: string): number {
  const first = label.charCodeAt(0);
  if (label.length === 1 && first < 128) {
    const id = singleCharId[first];
    if (id >= 0) return id;
  }
  const slot = (first * 31 + label.charCodeAt(label.length - 1) * 7 + label.length) & (CACHE_SLOTS - 1);
  if (cachedLabel[slot] === label) return cachedId[slot];
  let id = labelTable.get(label);
  if (id === undefined) {
    if (labelTable.size >= LABEL_LIMIT) {
      labelTable = new Map();
      cachedLabel.fill(undefined);
      singleCharId.fill(-1);
      epoch++;
    }
    id = labelTable.size;
    labelTable.set(label, id);
  }
  if (label.length === 1 && first < 128) singleCharId[first] = id;
  cachedLabel[slot] = label;
  cachedId[slot] = id;
  return id;
}

/** `a`, or a copy at least twice as long when it is shorter than `need`. */
export function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

// Scratch of appendTree, reused (not re-entrant: a reader must not flatten trees itself):
// the DFS stack of nodes, and per preorder index: parent, depth, position flags, label id,
// type, value, id, and subtree size.
let stack: unknown[] = [];
let stackParent = new Int32Array(64);
let stackFlags = new Uint8Array(64);
let preParent = new Int32Array(64);
let preDepth = new Int32Array(64);
let preFlags = new Uint8Array(64); // bit 0: first child, bit 1: last child (the root is both)
let preIds = new Int32Array(64);
let preTypes = new Int32Array(64);
let preValues = new Float64Array(64);
let preSource = new Int32Array(64);
let preSize = new Int32Array(64);
let mirrorKeyroot = new Uint8Array(64);
/** Child-position bits (a node's shape in ./columns.ts; the root has neither). */
export const FIRST_CHILD = 1;
export const LAST_CHILD = 2;
const FIRST = FIRST_CHILD;
const LAST = LAST_CHILD;

function growPreorder(n: number): void {
  preParent = grown(preParent, n);
  preDepth = grown(preDepth, n);
  preFlags = grown(preFlags, n);
  preIds = grown(preIds, n);
  preTypes = grown(preTypes, n);
  preValues = grown(preValues, n);
  preSource = grown(preSource, n);
  preSize = grown(preSize, n);
}

export class TreeArrays {
  ids = new Int32Array(256);
  types = new Int32Array(256);
  values = new Float64Array(256);
  lld = new Int32Array(256);
  pre = new Int32Array(256);
  parent = new Int32Array(256);
  source = new Int32Array(256);
  keyroots = new Int32Array(256);
  nodeCount = 0;
  keyrootCount = 0;

  /** Forget every tree; the arrays are kept for reuse. */
  clear(): void {
    this.nodeCount = 0;
    this.keyrootCount = 0;
  }

  /** Room for `nodes` more nodes (and keyroots) past the end. */
  reserve(nodes: number): void {
    const need = this.nodeCount + nodes;
    if (need <= this.ids.length) return;
    this.ids = grown(this.ids, need);
    this.types = grown(this.types, need);
    this.values = grown(this.values, need);
    this.lld = grown(this.lld, need);
    this.pre = grown(this.pre, need);
    this.parent = grown(this.parent, need);
    this.source = grown(this.source, need);
    this.keyroots = grown(this.keyroots, need);
  }

  /**
   * Appends the tree under `root`. When `labels` is given, the node labels are pushed onto it
   * in postorder. One iterative preorder pass (10 000-deep trees are fine) reads the nodes;
   * the postorder layout then follows by arithmetic: with depth d(v) and subtree size s(v),
   *   post(v) = pre(v) − d(v) + s(v) − 1   (nodes finished before v: the earlier non-ancestors and v's descendants)
   *   lld(v)  = post(v) − s(v) + 1         (the subtree is a postorder range ending at v)
   */
  appendTree<N>(root: N, reader: TreeReader<N>, labels?: string[]): TreeSlot {
    const nodes = stack as N[];
    nodes[0] = root;
    stackParent[0] = -1;
    stackFlags[0] = FIRST | LAST;
    let top = 1;
    let n = 0;
    while (top > 0) {
      top--;
      const node = nodes[top];
      nodes[top] = undefined as N; // let the caller's nodes be collected
      if (n >= preParent.length) growPreorder(n + 1);
      const parent = stackParent[top];
      preParent[n] = parent;
      preDepth[n] = parent < 0 ? 0 : preDepth[parent] + 1;
      preFlags[n] = stackFlags[top];
      const label = reader.label(node);
      if (typeof label !== 'string') throw new TreeInputError(`tree node ${n} (preorder): label must be a string, got ${typeof label}`);
      if (labels) labels.push(label);
      preIds[n] = internLabel(label);
      preTypes[n] = reader.type(node);
      preValues[n] = reader.value(node);
      preSource[n] = reader.id ? reader.id(node, n) : n;
      preSize[n] = 1;
      // children go on the stack last-first, so the first child is popped (visited) next
      const kids = reader.children(node);
      const k = kids.length;
      if (top + k > stackParent.length) {
        stackParent = grown(stackParent, top + k);
        stackFlags = grown(stackFlags, top + k);
      }
      for (let c = k - 1; c >= 0; c--) {
        nodes[top] = kids[c];
        stackParent[top] = n;
        stackFlags[top] = (c === 0 ? FIRST : 0) | (c === k - 1 ? LAST : 0);
        top++;
      }
      n++;
    }
    if (labels) {
      // labels were pushed in preorder: put them in postorder
      const pre = labels.splice(labels.length - n, n);
      for (let v = 0; v < n; v++) labels.push('');
      const base = labels.length - n;
      for (let v = n - 1; v >= 1; v--) preSize[preParent[v]] += preSize[v];
      for (let v = 0; v < n; v++) labels[base + v - preDepth[v] + preSize[v] - 1] = pre[v];
    } else {
      for (let v = n - 1; v >= 1; v--) preSize[preParent[v]] += preSize[v];
    }
    this.reserve(n);
    const nodeStart = this.nodeCount;
    const keyrootStart = this.keyrootCount;
    const { ids, types, values, lld, pre, parent, source } = this;
    let leftWork = 0;
    let rightWork = 0;
    for (let v = 0; v < n; v++) {
      const size = preSize[v];
      const post = v - preDepth[v] + size - 1;
      const at = nodeStart + post;
      ids[at] = preIds[v];
      types[at] = preTypes[v];
      values[at] = preValues[v];
      source[at] = preSource[v];
      pre[at] = v;
      lld[at] = post - size + 1;
      const p = preParent[v];
      parent[at] = p < 0 ? -1 : p - preDepth[p] + preSize[p] - 1;
      const flags = preFlags[v];
      if (!(flags & FIRST) || p < 0) leftWork += size;
      if (!(flags & LAST) || p < 0) rightWork += size;
    }
    // keyroots ascending in postorder: the root and every node that is not a first child
    // (its lld differs from its parent's)
    let keyroots = 0;
    for (let i = 0; i < n; i++) {
      const p = parent[nodeStart + i];
      if (p < 0 || lld[nodeStart + p] !== lld[nodeStart + i]) this.keyroots[keyrootStart + keyroots++] = i;
    }
    this.nodeCount += n;
    this.keyrootCount += keyroots;
    return { nodeStart, size: n, keyrootStart, keyrootCount: keyroots, leftWork, rightWork };
  }

  /**
   * Appends the mirror of a tree already here (every node's children reversed).
   * TED(A, B) = TED(mirror A, mirror B), and the mirror's leftmost paths are the tree's
   * rightmost paths. The mirror's postorder is the tree's preorder reversed: node i
   * (preorder p, subtree size s) goes to m = n − 1 − p, its leftmost leaf in the mirror is
   * its rightmost leaf (preorder p + s − 1), i.e. n − p − s, and its mirror preorder is n − 1 − i.
   * Mirror keyroots: the root and every node that is not a last child here.
   * `kernelOnly` reads only ids, types, values, lld and pre, and writes the first four (what
   * the tedBatch kernel reads): for slots whose parent and source columns are stale.
   */
  appendMirror(slot: TreeSlot, kernelOnly = false): TreeSlot {
    const n = slot.size;
    this.reserve(n);
    const src = slot.nodeStart;
    const dst = this.nodeCount;
    mirrorKeyroot = grown(mirrorKeyroot, n);
    const isKeyroot = mirrorKeyroot;
    const { ids, types, values, lld, pre, parent, source } = this;
    for (let i = 0; i < n; i++) {
      const p = pre[src + i];
      const m = dst + n - 1 - p;
      ids[m] = ids[src + i];
      types[m] = types[src + i];
      values[m] = values[src + i];
      lld[m] = n - p - (i - lld[src + i] + 1);
      // i is its parent's last child iff the parent comes right after it: i + 1's subtree holds i
      const lastChild = i + 1 < n && lld[src + i + 1] <= i;
      isKeyroot[n - 1 - p] = lastChild ? 0 : 1;
      if (!kernelOnly) {
        const up = parent[src + i];
        source[m] = source[src + i];
        pre[m] = n - 1 - i;
        parent[m] = up < 0 ? -1 : n - 1 - pre[src + up];
      }
    }
    const keyrootStart = this.keyrootCount;
    let k = 0;
    for (let m = 0; m < n; m++) if (isKeyroot[m]) this.keyroots[keyrootStart + k++] = m;
    this.nodeCount += n;
    this.keyrootCount += k;
    return { nodeStart: dst, size: n, keyrootStart, keyrootCount: k, leftWork: slot.rightWork, rightWork: slot.leftWork };
  }
}
