/**
 * FlatTree: one ordered labelled tree in postorder arrays (the layout of ./pack.ts), kept
 * with its label strings so costs and mappings can be reported. Single-pair TED and the
 * mapping recovery work on FlatTrees; batches pack trees straight into shared arrays.
 */
import { isNumericType, typeCode, TYPE_OTHER, type NodeKey } from './costs';
import { FIRST_CHILD, internLabel, LAST_CHILD, labelEpoch, TreeArrays, TreeInputError, type TreeReader, type TreeSlot } from './pack';

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

  private shapeCache: Int32Array | null = null;

  /** Per node: preorder · 4 + FIRST_CHILD + LAST_CHILD (the kernel's shape column, ./columns.ts). */
  get shapes(): Int32Array {
    if (this.shapeCache === null) {
      const { lld, parent, pre } = this;
      const shapes = new Int32Array(this.size);
      for (let i = 0; i < shapes.length; i++) {
        const p = parent[i];
        // a first child shares its parent's leftmost leaf; a last child comes right before its parent
        const first = p >= 0 && lld[p] === lld[i] ? FIRST_CHILD : 0;
        const last = p >= 0 && p === i + 1 ? LAST_CHILD : 0;
        shapes[i] = (pre[i] << 2) | first | last;
      }
      this.shapeCache = shapes;
    }
    return this.shapeCache;
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

/** Flattens nested `{ label, type?, value?, children? }` objects; ids are preorder indices. */
export function flattenTreeNode(root: TreeNode): FlatTree {
  return flattenWith(root, treeNodeReader);
}
