/**
 * FlatTree: one ordered labelled tree in postorder arrays (the layout of ./pack.ts), kept
 * with its label strings so costs and mappings can be reported. Single-pair TED and the
 * mapping recovery work on FlatTrees; batches pack trees straight into shared arrays.
 */
import { isNumericType, typeCode, TYPE_OTHER, type NodeKey } from './costs';
import { internLabel, labelEpoch, TreeArrays, TreeInputError, type TreeReader, type TreeSlot } from './pack';

export { TreeInputError, type TreeReader } from './pack';

/** A tree as nested objects; type and value are optional (label-only trees). */
export interface TreeNode {
  label: string;
  type?: string;
  value?: number;
  children?: readonly TreeNode[];
}

export class FlatTree {
  private idsEpoch: number;
  private mirrorCache: FlatTree | null = null;

  private constructor(
    readonly labels: readonly string[],
    private ids: Int32Array,
    readonly types: Int32Array,
    readonly values: Float64Array,
    /** leftmost leaf descendant: the subtree of i is the postorder range [lld[i], i] */
    readonly lld: Int32Array,
    readonly pre: Int32Array,
    readonly parent: Int32Array,
    readonly sourceIds: Int32Array,
    /** the root and every node that is not a first child, ascending */
    readonly keyroots: Int32Array,
    /** Zhang–Shasha work along leftmost / rightmost paths (see TreeSlot) */
    readonly leftWork: number,
    readonly rightWork: number,
    epoch: number,
  ) {
    this.idsEpoch = epoch;
  }

  /**
   * Copies a tree out of shared arrays into ONE ArrayBuffer (values f64, then the i32 fields,
   * as views): thousands of live FlatTrees then cost the garbage collector thousands of
   * buffers, not tens of thousands.
   */
  static fromArrays(arrays: TreeArrays, slot: TreeSlot, labels: readonly string[], epoch: number): FlatTree {
    const n = slot.size;
    const a = slot.nodeStart;
    const k = slot.keyrootCount;
    const buffer = new ArrayBuffer(8 * n + 4 * (6 * n + k));
    const values = new Float64Array(buffer, 0, n);
    const ints = new Int32Array(buffer, 8 * n, 6 * n + k);
    values.set(arrays.values.subarray(a, a + n));
    const field = (index: number, from: Int32Array) => {
      const view = ints.subarray(index * n, (index + 1) * n);
      view.set(from.subarray(a, a + n));
      return view;
    };
    const keyroots = ints.subarray(6 * n, 6 * n + k);
    keyroots.set(arrays.keyroots.subarray(slot.keyrootStart, slot.keyrootStart + k));
    return new FlatTree(
      labels,
      field(0, arrays.ids),
      field(1, arrays.types),
      values,
      field(2, arrays.lld),
      field(3, arrays.pre),
      field(4, arrays.parent),
      field(5, arrays.source),
      keyroots,
      slot.leftWork,
      slot.rightWork,
      epoch,
    );
  }

  get size(): number {
    return this.labels.length;
  }

  /** Label ids in the current interning epoch (re-interned after the table starts over). */
  get labelIds(): Int32Array {
    while (this.idsEpoch !== labelEpoch()) {
      this.idsEpoch = labelEpoch();
      for (let i = 0; i < this.labels.length; i++) this.ids[i] = internLabel(this.labels[i]);
    }
    return this.ids;
  }

  key(i: number): NodeKey {
    return { label: this.labels[i], type: this.types[i], value: this.values[i] };
  }

  /** Postorder indices of the children of every node, left to right. */
  children(): number[][] {
    const out: number[][] = Array.from({ length: this.size }, () => []);
    for (let i = 0; i < this.size; i++) if (this.parent[i] >= 0) out[this.parent[i]].push(i);
    return out;
  }

  /**
   * Appends this tree to shared arrays (for packing a batch). `kernelOnly` copies just what
   * the tedBatch kernel reads (label ids, types, values, lld, keyroots); the preorder,
   * parent and id columns are then left stale, so TreeArrays.appendMirror must not be used
   * on the slot (a FlatTree mirrors itself: `mirror()`).
   */
  appendTo(arrays: TreeArrays, kernelOnly = false): TreeSlot {
    const at = arrays.nodeCount;
    const n = this.size;
    arrays.reserve(n);
    // plain loops: these arrays are short, and TypedArray.set has a fixed cost per call that
    // dominated packing batches of 10–20-node trees
    const { ids, types, values, lld, keyroots } = arrays;
    const labelIds = this.labelIds;
    for (let i = 0; i < n; i++) {
      ids[at + i] = labelIds[i];
      types[at + i] = this.types[i];
      values[at + i] = this.values[i];
      lld[at + i] = this.lld[i];
    }
    if (!kernelOnly) {
      arrays.pre.set(this.pre, at);
      arrays.parent.set(this.parent, at);
      arrays.source.set(this.sourceIds, at);
    }
    const k0 = arrays.keyrootCount;
    for (let k = 0; k < this.keyroots.length; k++) keyroots[k0 + k] = this.keyroots[k];
    const slot = { nodeStart: at, size: n, keyrootStart: arrays.keyrootCount, keyrootCount: this.keyroots.length, leftWork: this.leftWork, rightWork: this.rightWork };
    arrays.nodeCount += n;
    arrays.keyrootCount += this.keyroots.length;
    return slot;
  }

  /**
   * The same tree with every node's children reversed (see TreeArrays.appendMirror): the
   * cheap way to run Zhang–Shasha along rightmost paths. Node ids are kept.
   */
  mirror(): FlatTree {
    if (this.mirrorCache) return this.mirrorCache;
    scratch.clear();
    const epoch = labelEpoch();
    const slot = scratch.appendMirror(this.appendTo(scratch));
    const labels = new Array<string>(this.size);
    for (let i = 0; i < this.size; i++) labels[this.size - 1 - this.pre[i]] = this.labels[i];
    const m = FlatTree.fromArrays(scratch, slot, labels, epoch);
    m.mirrorCache = this;
    this.mirrorCache = m;
    return m;
  }
}

const scratch = new TreeArrays();

/** Flattens any ordered tree read through `reader`. */
export function flattenWith<N>(root: N, reader: TreeReader<N>): FlatTree {
  scratch.clear();
  const epoch = labelEpoch();
  const labels: string[] = [];
  const slot = scratch.appendTree(root, reader, labels);
  // ids made across a restart of the label table are stale: mark them so (epoch −1)
  return FlatTree.fromArrays(scratch, slot, labels, epoch === labelEpoch() ? epoch : -1);
}

const NO_KIDS: readonly TreeNode[] = [];

export const treeNodeReader: TreeReader<TreeNode> = {
  children: (n) => n.children ?? NO_KIDS,
  label: (n) => n.label,
  type: (n) => (n.type === undefined ? TYPE_OTHER : typeCode(n.type)),
  value: (n) => (n.type !== undefined && isNumericType(typeCode(n.type)) ? Number(n.value ?? Number(n.label)) : NaN),
};

/** Deeper trees go through TreeArrays.appendTree (iterative); the recursion stays far from the stack limit. */
const MAX_RECURSION = 400;
class TooDeep {}
const TOO_DEEP = new TooDeep();

/**
 * The walk of appendTreeNodes; its state lives in fields (not module variables) so the
 * recursion passes nothing but the node and stays on V8's fast property paths.
 */
class TreeNodeWalker {
  ids = new Int32Array(0);
  types = new Int32Array(0);
  values = new Float64Array(0);
  lld = new Int32Array(0);
  pre = new Int32Array(0);
  keyroots = new Int32Array(0);
  /** where the tree starts, the next postorder slot, the keyroot count, the preorder counter */
  start = 0;
  next = 0;
  keyrootEnd = 0;
  preorder = 0;
  leftWork = 0;
  rightWork = 0;

  /** Numbers `node`'s subtree; returns the local postorder index of its leftmost leaf. */
  visit(arrays: TreeArrays, node: TreeNode, first: boolean, last: boolean, depth: number): number {
    if (depth > MAX_RECURSION) throw TOO_DEEP;
    const label = node.label;
    if (typeof label !== 'string') throw new TreeInputError(`tree node ${this.preorder} (preorder): label must be a string, got ${typeof label}`);
    const preorder = this.preorder++;
    const kids = node.children;
    let leftmost = -1;
    if (kids !== undefined) {
      const k = kids.length;
      if (k > 0) {
        leftmost = this.visit(arrays, kids[0], true, k === 1, depth + 1);
        for (let c = 1; c < k; c++) this.visit(arrays, kids[c], false, c === k - 1, depth + 1);
      }
    }
    const at = this.next++;
    if (at >= this.ids.length) this.grow(arrays, at);
    const local = at - this.start;
    if (leftmost < 0) leftmost = local;
    const size = local - leftmost + 1;
    this.ids[at] = internLabel(label);
    const type = node.type;
    if (type === undefined) {
      this.types[at] = TYPE_OTHER;
      this.values[at] = NaN;
    } else {
      const code = typeCode(type);
      this.types[at] = code;
      this.values[at] = isNumericType(code) ? Number(node.value ?? Number(label)) : NaN;
    }
    this.lld[at] = leftmost;
    this.pre[at] = preorder;
    // keyroots: the root and every node that is not a first child
    if (!first) {
      this.keyroots[this.keyrootEnd++] = local;
      this.leftWork += size;
    }
    if (!last) this.rightWork += size;
    return leftmost;
  }

  /** Room for node `at` in the arrays (and re-read them). */
  grow(arrays: TreeArrays, at: number): void {
    arrays.reserve(at + 1 - arrays.nodeCount);
    this.bind(arrays);
  }

  bind(arrays: TreeArrays): void {
    this.ids = arrays.ids;
    this.types = arrays.types;
    this.values = arrays.values;
    this.lld = arrays.lld;
    this.pre = arrays.pre;
    this.keyroots = arrays.keyroots;
  }
}

const walker = new TreeNodeWalker();

/**
 * The batch fast path for nested objects: appends the tree under `root` straight in
 * postorder with one recursive walk, writing what the tedBatch kernel reads (label ids,
 * types, values, lld, keyroots) and the preorder column (for appendMirror with
 * kernelOnly); the parent and source columns are left stale. Same numbers as appendTree
 * with treeNodeReader. Keyroots come out ascending because a node is numbered after its subtree.
 */
export function appendTreeNodes(arrays: TreeArrays, root: TreeNode): TreeSlot {
  const w = walker;
  w.bind(arrays);
  w.start = w.next = arrays.nodeCount;
  w.keyrootEnd = arrays.keyrootCount;
  w.preorder = 0;
  w.leftWork = w.rightWork = 0;
  try {
    w.visit(arrays, root, false, false, 0);
  } catch (err) {
    if (err !== TOO_DEEP) throw err;
    return arrays.appendTree(root, treeNodeReader);
  }
  const slot = { nodeStart: w.start, size: w.next - w.start, keyrootStart: arrays.keyrootCount, keyrootCount: w.keyrootEnd - arrays.keyrootCount, leftWork: w.leftWork, rightWork: w.rightWork };
  arrays.nodeCount = w.next;
  arrays.keyrootCount = w.keyrootEnd;
  return slot;
}

/** Flattens nested `{ label, type?, value?, children? }` objects; ids are preorder indices. */
export function flattenTreeNode(root: TreeNode): FlatTree {
  return flattenWith(root, treeNodeReader);
}
