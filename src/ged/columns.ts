/**
 * The per-node columns the `tedBatch` kernel reads (assembly/ged.ts), for a whole batch:
 * trees are appended one after the other in postorder, and the kernel derives everything
 * else (keyroots, the mirror for right-path pairs) from these. Per node:
 *   ids     label id (interned: equal ids = equal labels)
 *   lld     leftmost leaf descendant, local postorder index: the subtree of i is [lld[i], i]
 *   shape   preorder index · 4 + FIRST_CHILD + LAST_CHILD (0 for the root)
 *   types, values   type code and numeric value — written only when the costs read them
 * One set of arrays is reused for every batch, so packing thousands of small trees makes
 * no garbage, and the walk of nested objects is the one pass over the caller's nodes.
 */
import { isNumericType, typeCode, TYPE_OTHER } from './costs';
import { FIRST_CHILD, grown, internLabel, LAST_CHILD, TreeInputError } from './pack';
import { flattenTreeNode, type FlatTree, type TreeNode } from './tree';

export class KernelColumns {
  ids = new Int32Array(1024);
  lld = new Int32Array(1024);
  shape = new Int32Array(1024);
  types = new Int32Array(1024);
  values = new Float64Array(1024);
  count = 0;
  /** whether types and values are written (the costs compare more than labels) */
  withValues = false;

  clear(withValues: boolean): void {
    this.count = 0;
    this.withValues = withValues;
  }

  /** Room for node index `last` (and every node before it). */
  reserve(last: number): void {
    if (last < this.ids.length) return;
    this.ids = grown(this.ids, last + 1);
    this.lld = grown(this.lld, last + 1);
    this.shape = grown(this.shape, last + 1);
    this.types = grown(this.types, last + 1);
    this.values = grown(this.values, last + 1);
  }

  /** Appends a FlatTree (its shape column is computed once and kept on it). */
  appendFlat(t: FlatTree): void {
    const at = this.count;
    const n = t.size;
    this.reserve(at + n - 1);
    const { ids, lld, shape } = this;
    const labelIds = t.labelIds;
    const shapes = t.shapes;
    // plain loops: these trees are short, and TypedArray.set has a fixed cost per call
    for (let i = 0; i < n; i++) {
      ids[at + i] = labelIds[i];
      lld[at + i] = t.lld[i];
      shape[at + i] = shapes[i];
    }
    if (this.withValues) {
      for (let i = 0; i < n; i++) {
        this.types[at + i] = t.types[i];
        this.values[at + i] = t.values[i];
      }
    }
    this.count = at + n;
  }

  /**
   * Appends nested `{ label, type?, value?, children? }` objects in one recursive walk (the
   * batch workload); trees deeper than the recursion allows go through flattenTreeNode's
   * iterative pass. Same numbers as flattenTreeNode.
   */
  appendTreeNode(root: TreeNode): void {
    walker.bind(this);
    walker.start = walker.next = this.count;
    walker.preorder = 0;
    try {
      walker.visit(root, 0, 0);
    } catch (err) {
      if (err !== TOO_DEEP) throw err;
      this.appendFlat(flattenTreeNode(root));
      return;
    }
    this.count = walker.next;
  }
}

/** Deeper trees go through the iterative flattening; the recursion stays far from the stack limit. */
const MAX_RECURSION = 400;
class TooDeep {}
const TOO_DEEP = new TooDeep();

/**
 * The walk of appendTreeNode; its state lives in fields so the recursion passes only the
 * node, its child-position bits and its depth, and stays on V8's fast property paths.
 */
class TreeNodeWalker {
  columns!: KernelColumns;
  // the columns' arrays, held here so the recursion stores without a second indirection
  ids!: Int32Array;
  lld!: Int32Array;
  shape!: Int32Array;
  withValues = false;
  /** where the tree starts, the next postorder slot, the preorder counter */
  start = 0;
  next = 0;
  preorder = 0;

  bind(columns: KernelColumns): void {
    this.columns = columns;
    this.ids = columns.ids;
    this.lld = columns.lld;
    this.shape = columns.shape;
    this.withValues = columns.withValues;
  }

  /** Numbers `node`'s subtree; returns the local postorder index of its leftmost leaf. */
  visit(node: TreeNode, position: number, depth: number): number {
    if (depth > MAX_RECURSION) throw TOO_DEEP;
    const label = node.label;
    if (typeof label !== 'string') throw new TreeInputError(`tree node ${this.preorder} (preorder): label must be a string, got ${typeof label}`);
    const preorder = this.preorder++;
    const kids = node.children;
    let leftmost = -1;
    if (kids !== undefined) {
      const k = kids.length;
      if (k > 0) {
        leftmost = this.visit(kids[0], k === 1 ? FIRST_CHILD | LAST_CHILD : FIRST_CHILD, depth + 1);
        for (let c = 1; c < k; c++) this.visit(kids[c], c === k - 1 ? LAST_CHILD : 0, depth + 1);
      }
    }
    const at = this.next++;
    if (at >= this.ids.length) {
      this.columns.reserve(at);
      this.bind(this.columns);
    }
    const local = at - this.start;
    if (leftmost < 0) leftmost = local;
    this.ids[at] = internLabel(label);
    this.lld[at] = leftmost;
    this.shape[at] = (preorder << 2) | position;
    if (this.withValues) this.writeValues(node, label, at);
    return leftmost;
  }

  writeValues(node: TreeNode, label: string, at: number): void {
    const columns = this.columns;
    const type = node.type;
    if (type === undefined) {
      columns.types[at] = TYPE_OTHER;
      columns.values[at] = NaN;
    } else {
      const code = typeCode(type);
      columns.types[at] = code;
      columns.values[at] = isNumericType(code) ? Number(node.value ?? Number(label)) : NaN;
    }
  }
}

const walker = new TreeNodeWalker();
