/**
 * Ordered labelled trees flattened for the Zhang–Shasha dynamic program.
 *
 * A `FlatTree` lists its nodes in postorder (children left to right, then the parent) and
 * keeps, per postorder index i:
 *   - lld[i]: the postorder index of i's leftmost leaf descendant (i itself for a leaf), so
 *     the subtree of i is exactly the postorder range [lld[i], i];
 *   - the node's label id (interned Polish token), type code and numeric value;
 *   - parent[i] (−1 for the root) and sourceId[i], the node's id in the caller's structure
 *     (MathGraph node id, or preorder index = Polish token index for nested objects).
 * keyroots are the root and every node that is not a first child, ascending: the roots of
 * the leftmost paths that decompose the tree (Zhang & Shasha 1989, section 3).
 *
 * Flattening is iterative, so 10 000-deep trees do not overflow the call stack.
 */
import { GraphemeError } from '../errors';
import { isNumericType, typeCode, TYPE_OTHER, type NodeKey } from './costs';

export class TreeInputError extends GraphemeError {}

/** A tree as nested objects; type and value are optional (label-only trees). */
export interface TreeNode {
  label: string;
  type?: string;
  value?: number;
  children?: readonly TreeNode[];
}

/**
 * Label ids shared by every FlatTree, so packing a batch is array copies. The table is
 * bounded: past `LABEL_LIMIT` labels it starts over with a new epoch and trees built in an
 * older epoch re-intern their labels when next used (`FlatTree.labelIds`).
 */
const LABEL_LIMIT = 1 << 20;
let labelTable = new Map<string, number>();
let labelEpoch = 0;

function internLabel(label: string): number {
  let id = labelTable.get(label);
  if (id === undefined) {
    if (labelTable.size >= LABEL_LIMIT) {
      labelTable = new Map();
      labelEpoch++;
    }
    id = labelTable.size;
    labelTable.set(label, id);
  }
  return id;
}

export class FlatTree {
  private ids: Int32Array;
  private idsEpoch: number;
  private mirrorCache: FlatTree | null = null;

  constructor(
    readonly labels: readonly string[],
    readonly types: Int32Array,
    readonly values: Float64Array,
    readonly parent: Int32Array,
    readonly lld: Int32Array,
    readonly keyroots: Int32Array,
    readonly sourceIds: Int32Array,
    /**
     * Zhang–Shasha work when this tree is decomposed by leftmost paths: the sum of the
     * keyroot subtree sizes (the DP fills Σ_A × Σ_B cells), and the same by rightmost paths.
     */
    readonly leftWork: number,
    readonly rightWork: number,
  ) {
    this.ids = new Int32Array(labels.length);
    this.idsEpoch = -1;
  }

  get size(): number {
    return this.labels.length;
  }

  /** Label ids in the current interning epoch (re-interned after the table starts over). */
  get labelIds(): Int32Array {
    if (this.idsEpoch !== labelEpoch) {
      const epoch = labelEpoch;
      for (let i = 0; i < this.labels.length; i++) this.ids[i] = internLabel(this.labels[i]);
      // interning may itself have started a new epoch halfway; then intern again
      this.idsEpoch = epoch === labelEpoch ? epoch : -1;
      if (this.idsEpoch === -1) return this.labelIds;
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
   * The same tree with every node's children reversed. TED(A, B) = TED(mirror A, mirror B)
   * (a mapping preserves ancestry and sibling order in both or in neither), and the leftmost
   * paths of the mirror are the rightmost paths of the tree: the cheap way to run
   * Zhang–Shasha along right paths when they are the cheaper decomposition.
   */
  mirror(): FlatTree {
    if (this.mirrorCache) return this.mirrorCache;
    const kids = this.children();
    const root = this.size - 1;
    const m = flattenWith<number>(
      root,
      (i) => kids[i].slice().reverse(),
      (i) => ({ label: this.labels[i], type: this.types[i], value: this.values[i] }),
      (i) => this.sourceIds[i],
    );
    m.mirrorCache = this;
    this.mirrorCache = m;
    return m;
  }
}

/**
 * Flattens any ordered tree: `childrenOf` gives a node's children in order, `keyOf` its
 * label, type and value, `idOf` (optional) its id; without `idOf` ids are preorder indices.
 */
export function flattenWith<N>(
  root: N,
  childrenOf: (node: N) => readonly N[],
  keyOf: (node: N) => NodeKey,
  idOf?: (node: N, preorder: number) => number,
): FlatTree {
  const labels: string[] = [];
  const typesList: number[] = [];
  const valuesList: number[] = [];
  const lldList: number[] = [];
  const sourceList: number[] = [];
  const parentOfPost: number[] = [];
  // explicit DFS stack: node, its children, next child, its preorder id, its first child's postorder index
  const stackNode: N[] = [root];
  const stackKids: (readonly N[])[] = [childrenOf(root)];
  const stackNext: number[] = [0];
  const stackId: number[] = [idOf ? idOf(root, 0) : 0];
  const stackFirstPost: number[] = [-1];
  const stackChildPosts: number[][] = [[]];
  let preorder = 1;
  let leftWork = 0;
  let rightWork = 0;
  while (stackNode.length > 0) {
    const top = stackNode.length - 1;
    const kids = stackKids[top];
    const next = stackNext[top];
    if (next < kids.length) {
      stackNext[top] = next + 1;
      const child = kids[next];
      stackNode.push(child);
      stackKids.push(childrenOf(child));
      stackNext.push(0);
      stackId.push(idOf ? idOf(child, preorder) : preorder);
      stackFirstPost.push(-1);
      stackChildPosts.push([]);
      preorder++;
      continue;
    }
    // all children done: emit the node in postorder
    const node = stackNode.pop() as N;
    stackKids.pop();
    stackNext.pop();
    const id = stackId.pop() as number;
    const firstPost = stackFirstPost.pop() as number;
    const childPosts = stackChildPosts.pop() as number[];
    const post = labels.length;
    const key = keyOf(node);
    if (typeof key.label !== 'string') throw new TreeInputError(`tree node ${id}: label must be a string, got ${typeof key.label}`);
    labels.push(key.label);
    typesList.push(key.type);
    valuesList.push(key.value);
    sourceList.push(id);
    const lld = firstPost < 0 ? post : lldList[firstPost];
    lldList.push(lld);
    parentOfPost.push(-1);
    for (const c of childPosts) parentOfPost[c] = post;
    const size = post - lld + 1;
    const parentTop = stackNode.length - 1;
    if (parentTop >= 0) {
      const siblings = stackKids[parentTop];
      const position = stackNext[parentTop] - 1;
      if (position === 0) stackFirstPost[parentTop] = post;
      else leftWork += size; // not a first child: a left keyroot
      if (position !== siblings.length - 1) rightWork += size; // not a last child: a right keyroot
      stackChildPosts[parentTop].push(post);
    } else {
      leftWork += size;
      rightWork += size;
    }
  }
  const n = labels.length;
  const lld = Int32Array.from(lldList);
  const parent = Int32Array.from(parentOfPost);
  // keyroots: for each distinct lld value, the highest node having it (the top of that leftmost path)
  const topOfPath = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) topOfPath[lld[i]] = i;
  const keyroots: number[] = [];
  for (let l = 0; l < n; l++) if (topOfPath[l] >= 0) keyroots.push(topOfPath[l]);
  keyroots.sort((x, y) => x - y);
  return new FlatTree(
    labels,
    Int32Array.from(typesList),
    Float64Array.from(valuesList),
    parent,
    lld,
    Int32Array.from(keyroots),
    Int32Array.from(sourceList),
    leftWork,
    rightWork,
  );
}

function nodeKeyOf(node: TreeNode): NodeKey {
  const type = typeCode(node.type);
  const value = isNumericType(type) ? Number(node.value ?? Number(node.label)) : NaN;
  return { label: node.label, type: node.type === undefined ? TYPE_OTHER : type, value };
}

const NO_KIDS: readonly TreeNode[] = [];

/** Flattens nested `{ label, type?, value?, children? }` objects; ids are preorder indices. */
export function flattenTreeNode(root: TreeNode): FlatTree {
  return flattenWith<TreeNode>(root, (n) => n.children ?? NO_KIDS, nodeKeyOf);
}
