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

export function internLabel(label: string): number {
  let id = labelTable.get(label);
  if (id === undefined) {
    if (labelTable.size >= LABEL_LIMIT) {
      labelTable = new Map();
      epoch++;
    }
    id = labelTable.size;
    labelTable.set(label, id);
  }
  return id;
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

// The DFS stack of appendTree, reused: node, its children, next child, first child's
// postorder index, preorder index. Not re-entrant: a reader must not flatten trees itself.
let stackNodes: unknown[] = [];
let stackKids: (readonly unknown[])[] = [];
let stackNext = new Int32Array(64);
let stackFirstPost = new Int32Array(64);
let stackPre = new Int32Array(64);
let postOfPre = new Int32Array(64);
let mirrorKeyroot = new Uint8Array(64);

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
   * Appends the tree under `root` (iterative DFS: 10 000-deep trees are fine). When `labels`
   * is given, the node labels are pushed onto it in postorder.
   */
  appendTree<N>(root: N, reader: TreeReader<N>, labels?: string[]): TreeSlot {
    const nodeStart = this.nodeCount;
    const keyrootStart = this.keyrootCount;
    const nodes = stackNodes as N[];
    const kidsStack = stackKids as (readonly N[])[];
    nodes[0] = root;
    kidsStack[0] = reader.children(root);
    stackNext[0] = 0;
    stackFirstPost[0] = -1;
    stackPre[0] = 0;
    let top = 0;
    let preorder = 1;
    let post = 0;
    let keyroots = 0;
    let leftWork = 0;
    let rightWork = 0;
    while (top >= 0) {
      const kids = kidsStack[top];
      const next = stackNext[top];
      if (next < kids.length) {
        stackNext[top] = next + 1;
        const child = kids[next];
        top++;
        if (top >= stackNext.length) {
          stackNext = grown(stackNext, top + 1);
          stackFirstPost = grown(stackFirstPost, top + 1);
          stackPre = grown(stackPre, top + 1);
        }
        nodes[top] = child;
        kidsStack[top] = reader.children(child);
        stackNext[top] = 0;
        stackFirstPost[top] = -1;
        stackPre[top] = preorder++;
        continue;
      }
      // all children done: emit the node in postorder
      if (nodeStart + post >= this.ids.length) this.reserve(post + 1);
      const node = nodes[top];
      const at = nodeStart + post;
      const pre = stackPre[top];
      const label = reader.label(node);
      if (typeof label !== 'string') throw new TreeInputError(`tree node ${pre} (preorder): label must be a string, got ${typeof label}`);
      if (labels) labels.push(label);
      this.ids[at] = internLabel(label);
      this.types[at] = reader.type(node);
      this.values[at] = reader.value(node);
      this.source[at] = reader.id ? reader.id(node, pre) : pre;
      this.pre[at] = pre;
      const firstPost = stackFirstPost[top];
      const lld = firstPost < 0 ? post : this.lld[nodeStart + firstPost];
      this.lld[at] = lld;
      const size = post - lld + 1;
      nodes[top] = undefined as N; // let the caller's nodes be collected
      kidsStack[top] = undefined as unknown as readonly N[];
      top--;
      if (top >= 0) {
        const position = stackNext[top] - 1;
        if (position === 0) stackFirstPost[top] = post;
        else {
          leftWork += size;
          this.keyroots[keyrootStart + keyroots++] = post;
        }
        if (position !== kidsStack[top].length - 1) rightWork += size;
        this.parent[at] = -2 - stackPre[top]; // the parent's preorder index, turned into its postorder index below
      } else {
        leftWork += size;
        rightWork += size;
        this.keyroots[keyrootStart + keyroots++] = post;
        this.parent[at] = -1;
      }
      post++;
    }
    // parents were recorded by preorder index (the parent is emitted after its children)
    const n = post;
    postOfPre = grown(postOfPre, n);
    for (let i = 0; i < n; i++) postOfPre[this.pre[nodeStart + i]] = i;
    for (let i = 0; i < n; i++) {
      const p = this.parent[nodeStart + i];
      if (p <= -2) this.parent[nodeStart + i] = postOfPre[-2 - p];
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
   */
  appendMirror(slot: TreeSlot): TreeSlot {
    const n = slot.size;
    this.reserve(n);
    const src = slot.nodeStart;
    const dst = this.nodeCount;
    mirrorKeyroot = grown(mirrorKeyroot, n);
    const isKeyroot = mirrorKeyroot;
    for (let i = 0; i < n; i++) {
      const p = this.pre[src + i];
      const m = dst + n - 1 - p;
      const parent = this.parent[src + i];
      this.ids[m] = this.ids[src + i];
      this.types[m] = this.types[src + i];
      this.values[m] = this.values[src + i];
      this.source[m] = this.source[src + i];
      this.lld[m] = n - p - (i - this.lld[src + i] + 1);
      this.pre[m] = n - 1 - i;
      this.parent[m] = parent < 0 ? -1 : n - 1 - this.pre[src + parent];
      isKeyroot[n - 1 - p] = parent < 0 || parent !== i + 1 ? 1 : 0;
    }
    const keyrootStart = this.keyrootCount;
    let k = 0;
    for (let m = 0; m < n; m++) if (isKeyroot[m]) this.keyroots[keyrootStart + k++] = m;
    this.nodeCount += n;
    this.keyrootCount += k;
    return { nodeStart: dst, size: n, keyrootStart, keyrootCount: k, leftWork: slot.rightWork, rightWork: slot.leftWork };
  }
}
