import { GraphemeError } from '../errors';
import {
  type Expr,
  FN_ARITY,
  type FnName,
  type NodeType,
  OP_ARITY,
  type OpName,
  formatFloat,
  isConstant,
  isFnName,
  isOpName,
  parse,
  print,
} from '../engine/index';

/**
 * MathGraph: the typed DAG IR of an expression. Node i has a type, a value and an ordered
 * child list; node 0 is the root and, for graphs built from expressions, ids are the
 * pre-order positions (parents before children, children left to right) — exactly the
 * dataset's `graph` field. Int values are numbers when they fit in 2^53, else digit strings.
 */

export type GraphValue = number | string;

export interface GraphNodeJSON {
  id: number;
  type: NodeType;
  value: GraphValue;
}
export interface GraphEdgeJSON {
  from: number;
  to: number;
}
export interface MathGraphJSON {
  nodes: GraphNodeJSON[];
  edges: GraphEdgeJSON[];
}

/** A graph JSON that breaks the contract; `field` names the offending part (`nodes[3].value`). */
export class GraphError extends GraphemeError {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'GraphError';
  }
}

export const NODE_TYPES: readonly NodeType[] = ['int', 'float', 'symbol', 'op', 'fn'];
/** Stable numeric codes of node types for model inputs. */
export const TYPE_CODE: Readonly<Record<NodeType, number>> = { int: 0, float: 1, symbol: 2, op: 3, fn: 4 };

/**
 * Fixed token vocabulary for op, fn and common symbol nodes (index = token code). Numbers
 * and symbols outside it get code -1 and are told apart by `numericValue` / `labels`.
 */
export const TOKEN_VOCABULARY: readonly string[] = [
  '+', '-', '*', '/', '^', '=',
  'sin', 'cos', 'tan', 'log', 'exp', 'sqrt', 'derive', 'integrate', 'solve',
  'e', 'pi', 'x', 'y', 'z', 'a', 'b', 'c', 't', 'u', 'v', 'w', 'n',
];
const TOKEN_CODE = new Map(TOKEN_VOCABULARY.map((token, i) => [token, i]));

export function tokenCode(token: string): number {
  return TOKEN_CODE.get(token) ?? -1;
}

/** The Polish token of a node: `+`, `sin`, `x`, `-3`, `0.5` (floats always with a point: `2.0`). */
export function label(node: { type: NodeType; value: GraphValue }): string {
  if (node.type === 'float') return formatFloat(node.value as number);
  return String(node.value);
}

/** Arrays for level-batched model code: one entry per node, children in CSR form. */
export interface CompactGraph {
  size: number;
  /** TYPE_CODE per node. */
  typeCode: Uint8Array;
  /** TOKEN_VOCABULARY index per node, -1 for numbers and unknown symbols. */
  tokenCode: Int16Array;
  /** Value of int/float nodes (ints beyond 2^53 rounded), NaN for the others. */
  numericValue: Float64Array;
  /** Children of node i: childIndex[childStart[i] .. childStart[i+1]), in order. */
  childStart: Int32Array;
  childIndex: Int32Array;
  /** Distance from the leaves (leaves 0). */
  depth: Int32Array;
  /** Node ids, children before parents: by depth, then id. */
  topoOrder: Int32Array;
  /** Nodes at depth d are topoOrder[levelStart[d] .. levelStart[d+1]). */
  levelStart: Int32Array;
  labels: string[];
}

function intGraphValue(value: bigint): GraphValue {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value.toString();
}

export class MathGraph {
  private depthCache: Int32Array | null = null;
  /** numberedForward(), once known */
  private forward: boolean | null = null;

  private constructor(
    readonly types: readonly NodeType[],
    readonly values: readonly GraphValue[],
    readonly children: readonly (readonly number[])[],
    readonly root: number,
  ) {}

  get size(): number {
    return this.types.length;
  }

  /** Pre-order numbering, iterative (deep expressions are fine). */
  static fromExpr(expr: Expr): MathGraph {
    const types: NodeType[] = [];
    const values: GraphValue[] = [];
    const children: number[][] = [];
    const stack: Expr[] = [expr];
    const parents: number[] = [-1];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const parent = parents.pop()!;
      const id = types.length;
      types.push(node.type);
      values.push(node.type === 'int' ? intGraphValue(node.value) : node.value);
      children.push([]);
      if (parent >= 0) children[parent].push(id);
      if (node.type === 'op' || node.type === 'fn') {
        for (let i = node.children.length - 1; i >= 0; i--) {
          stack.push(node.children[i]);
          parents.push(id);
        }
      }
    }
    return new MathGraph(types, values, children, 0);
  }

  /**
   * The dataset JSON of an expression in one pass (what fromExpr(expr).toJSON() gives, without
   * the intermediate graph): node ids in pre-order, edges grouped by parent in child order.
   */
  static jsonOf(expr: Expr): MathGraphJSON {
    const nodes: GraphNodeJSON[] = [];
    const parentOf: number[] = []; // by id; -1 for the root
    const stack: Expr[] = [expr];
    const parents: number[] = [-1];
    let edgeCount = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      const id = nodes.length;
      parentOf.push(parents.pop()!);
      nodes.push({ id, type: node.type, value: node.type === 'int' ? intGraphValue(node.value) : node.value });
      if (node.type === 'op' || node.type === 'fn') {
        edgeCount += node.children.length;
        for (let i = node.children.length - 1; i >= 0; i--) {
          stack.push(node.children[i]);
          parents.push(id);
        }
      }
    }
    // edges grouped by parent, each parent's in child order: a counting sort of the children
    // on their parent (ids grow with child order, so the sort keeps it)
    const start = new Int32Array(nodes.length + 1);
    for (let id = 1; id < nodes.length; id++) start[parentOf[id] + 1]++;
    for (let i = 0; i < nodes.length; i++) start[i + 1] += start[i];
    const edges: GraphEdgeJSON[] = new Array(edgeCount);
    for (let id = 1; id < nodes.length; id++) edges[start[parentOf[id]]++] = { from: parentOf[id], to: id };
    return { nodes, edges };
  }

  static fromPolish(text: string): MathGraph {
    return MathGraph.fromExpr(parse(text));
  }

  /**
   * Validates and loads the dataset JSON form. Node ids must be 0..n-1 in order; values must
   * match their type; edges must point at existing nodes; every op/fn needs its arity of
   * children; there must be one root and no cycle; and the result must be a well-formed
   * expression (e.g. derive's variable is a symbol). Errors are GraphError naming the field.
   */
  static fromJSON(json: unknown, field = 'graph'): MathGraph {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new GraphError(field, 'expected an object with nodes and edges');
    const { nodes, edges } = json as { nodes?: unknown; edges?: unknown };
    if (!Array.isArray(nodes)) throw new GraphError(`${field}.nodes`, 'expected an array');
    if (!Array.isArray(edges)) throw new GraphError(`${field}.edges`, 'expected an array');
    if (nodes.length === 0) throw new GraphError(`${field}.nodes`, 'a graph needs at least one node');
    const n = nodes.length;
    const types: NodeType[] = [];
    const values: GraphValue[] = [];
    // the paths of errors (`graph.nodes[3].value`) are built only for an error
    for (let i = 0; i < n; i++) {
      const node = nodes[i] as { id?: unknown; type?: unknown; value?: unknown };
      if (typeof node !== 'object' || node === null) throw new GraphError(`${field}.nodes[${i}]`, 'expected an object');
      if (node.id !== i) throw new GraphError(`${field}.nodes[${i}].id`, `expected ${i}, got ${JSON.stringify(node.id)}`);
      const type = node.type as NodeType;
      if (!NODE_TYPES.includes(type)) throw new GraphError(`${field}.nodes[${i}].type`, `unknown node type ${JSON.stringify(node.type)}`);
      types.push(type);
      values.push(checkValue(type, node.value, field, i));
    }
    const children: number[][] = Array.from({ length: n }, () => []);
    const parentCount = new Int32Array(n);
    for (let k = 0; k < edges.length; k++) {
      const edge = edges[k] as { from?: unknown; to?: unknown };
      if (typeof edge !== 'object' || edge === null) throw new GraphError(`${field}.edges[${k}]`, 'expected an object');
      for (const end of EDGE_ENDS) {
        const v = edge[end];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
          throw new GraphError(`${field}.edges[${k}].${end}`, `expected a node id in [0, ${n - 1}], got ${JSON.stringify(v)}`);
        }
      }
      children[edge.from as number].push(edge.to as number);
      parentCount[edge.to as number]++;
    }
    for (let i = 0; i < n; i++) {
      const expected = expectedArity(types[i], values[i]);
      if (children[i].length !== expected) {
        throw new GraphError(`${field}.nodes[${i}]`, `'${label({ type: types[i], value: values[i] })}' needs ${expected} children, has ${children[i].length}`);
      }
    }
    const roots: number[] = [];
    for (let i = 0; i < n; i++) if (parentCount[i] === 0) roots.push(i);
    if (roots.length !== 1) throw new GraphError(`${field}.edges`, `expected exactly one root, found ${roots.length}`);
    const graph = new MathGraph(types, values, children, roots[0]);
    if (!graph.numberedForward()) graph.topologicalOrder(`${field}.edges`); // throws on a cycle
    graph.checkCalculusArguments(field);
    return graph;
  }

  /** The parser's rules: variables of derive/integrate/solve are symbols (not e, pi); '=' only as solve's equation. */
  private checkCalculusArguments(field: string): void {
    for (let i = 0; i < this.size; i++) {
      const kids = this.children[i];
      if (this.types[i] === 'fn' && (this.values[i] === 'derive' || this.values[i] === 'integrate' || this.values[i] === 'solve')) {
        const v = kids[1];
        if (this.types[v] !== 'symbol' || isConstant(this.values[v] as string)) {
          throw new GraphError(`${field}.nodes[${v}]`, `the variable of '${this.values[i]}' must be a symbol other than e, pi`);
        }
        if (this.values[i] === 'solve' && !(this.types[kids[0]] === 'op' && this.values[kids[0]] === '=')) {
          throw new GraphError(`${field}.nodes[${kids[0]}]`, `'solve' needs an equation (=) as its first argument`);
        }
      }
      for (let k = 0; k < kids.length; k++) {
        const c = kids[k];
        if (this.types[c] === 'op' && this.values[c] === '=' && !(k === 0 && this.types[i] === 'fn' && this.values[i] === 'solve')) {
          throw new GraphError(`${field}.nodes[${c}]`, `'=' is only allowed as the first argument of solve`);
        }
      }
    }
    if (this.types[this.root] === 'op' && this.values[this.root] === '=') {
      throw new GraphError(`${field}.nodes[${this.root}]`, `'=' is only allowed as the first argument of solve`);
    }
  }

  toJSON(): MathGraphJSON {
    const nodes: GraphNodeJSON[] = [];
    const edges: GraphEdgeJSON[] = [];
    for (let i = 0; i < this.size; i++) {
      nodes.push({ id: i, type: this.types[i], value: this.values[i] });
      for (const c of this.children[i]) edges.push({ from: i, to: c });
    }
    return { nodes, edges };
  }

  label(id: number): string {
    return label({ type: this.types[id], value: this.values[id] });
  }

  /** Rebuilds the expression (shared DAG nodes become shared subtrees). Iterative. */
  toExpr(): Expr {
    const built: (Expr | undefined)[] = new Array(this.size);
    for (const id of this.childrenFirst()) {
      const type = this.types[id];
      const value = this.values[id];
      let node: Expr;
      switch (type) {
        case 'int':
          node = { type, value: BigInt(value) };
          break;
        case 'float':
          node = { type, value: value as number };
          break;
        case 'symbol':
          node = { type, value: value as string };
          break;
        case 'op':
          node = { type, value: value as OpName, children: this.children[id].map((c) => built[c]!) };
          break;
        case 'fn':
          node = { type, value: value as FnName, children: this.children[id].map((c) => built[c]!) };
          break;
      }
      built[id] = node;
    }
    return built[this.root]!;
  }

  toPolish(): string {
    return print(this.toExpr());
  }

  /**
   * Whether every edge goes from a node to a later one: the pre-order numbering fromExpr gives
   * (and so every generated record). Such a graph has no cycle, and ids in decreasing order
   * put children before parents, with nothing allocated: the orders below are for the others.
   */
  private numberedForward(): boolean {
    if (this.forward === null) {
      let forward = true;
      for (let i = 0; i < this.size && forward; i++) for (const c of this.children[i]) if (c <= i) forward = false;
      this.forward = forward;
    }
    return this.forward;
  }

  /** Node ids, children before parents. */
  private childrenFirst(): Iterable<number> {
    if (!this.numberedForward()) return this.topologicalOrder('edges');
    const n = this.size;
    return (function* () {
      for (let id = n - 1; id >= 0; id--) yield id;
    })();
  }

  /** Children before parents (Kahn's algorithm from the leaves); ties by id. */
  private topologicalOrder(field: string): number[] {
    const n = this.size;
    const pending = new Int32Array(n);
    const parents: number[][] = Array.from({ length: n }, () => []);
    for (let i = 0; i < n; i++) {
      pending[i] = this.children[i].length;
      for (const c of this.children[i]) parents[c].push(i);
    }
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (pending[i] === 0) order.push(i);
    for (let k = 0; k < order.length; k++) {
      for (const p of parents[order[k]]) if (--pending[p] === 0) order.push(p);
    }
    if (order.length !== n) throw new GraphError(field, 'the graph has a cycle');
    return order;
  }

  /** Distance of every node from the leaves (leaves 0). */
  depths(): Int32Array {
    if (this.depthCache !== null) return this.depthCache;
    const depth = new Int32Array(this.size);
    const order = this.numberedForward() ? null : this.topologicalOrder('edges');
    for (let k = 0; k < this.size; k++) {
      const id = order === null ? this.size - 1 - k : order[k];
      let d = -1;
      for (const c of this.children[id]) if (depth[c] > d) d = depth[c];
      depth[id] = d + 1;
    }
    this.depthCache = depth;
    return depth;
  }

  /** Depth of the root = the expression's depth. */
  get depth(): number {
    return this.depths()[this.root];
  }

  /** Node ids grouped by depth: levels()[d] lists the nodes at distance d from the leaves. */
  levels(): number[][] {
    const depth = this.depths();
    const out: number[][] = [];
    for (let i = 0; i < this.size; i++) {
      while (out.length <= depth[i]) out.push([]);
      out[depth[i]].push(i);
    }
    return out;
  }

  /** Leaves first, then by depth; within a depth by id. */
  topoOrder(): Int32Array {
    return this.depthOrder().topoOrder;
  }

  /** levels() flattened (topoOrder) and where each depth starts in it, by a counting sort on depth. */
  private depthOrder(): { topoOrder: Int32Array; levelStart: Int32Array } {
    const n = this.size;
    const depth = this.depths();
    let maxDepth = 0;
    for (let i = 0; i < n; i++) if (depth[i] > maxDepth) maxDepth = depth[i];
    const levelStart = new Int32Array(maxDepth + 2);
    for (let i = 0; i < n; i++) levelStart[depth[i] + 1]++;
    for (let d = 0; d <= maxDepth; d++) levelStart[d + 1] += levelStart[d];
    const topoOrder = new Int32Array(n);
    const next = levelStart.slice(0, maxDepth + 1);
    for (let i = 0; i < n; i++) topoOrder[next[depth[i]]++] = i;
    return { topoOrder, levelStart };
  }

  toArrays(): CompactGraph {
    const n = this.size;
    const typeCode = new Uint8Array(n);
    const tokens = new Int16Array(n);
    const numericValue = new Float64Array(n);
    const childStart = new Int32Array(n + 1);
    const labels: string[] = [];
    let edgeCount = 0;
    for (let i = 0; i < n; i++) edgeCount += this.children[i].length;
    const childIndex = new Int32Array(edgeCount);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const type = this.types[i];
      typeCode[i] = TYPE_CODE[type];
      const text = this.label(i);
      labels.push(text);
      tokens[i] = type === 'int' || type === 'float' ? -1 : tokenCode(text);
      numericValue[i] = type === 'int' || type === 'float' ? Number(this.values[i]) : NaN;
      childStart[i] = k;
      for (const c of this.children[i]) childIndex[k++] = c;
    }
    childStart[n] = k;
    const { topoOrder, levelStart } = this.depthOrder();
    return {
      size: n,
      typeCode,
      tokenCode: tokens,
      numericValue,
      childStart,
      childIndex,
      depth: this.depths().slice(),
      topoOrder,
      levelStart,
      labels,
    };
  }
}

function expectedArity(type: NodeType, value: GraphValue): number {
  if (type === 'op') return OP_ARITY[value as OpName];
  if (type === 'fn') return FN_ARITY[value as FnName];
  return 0;
}

const EDGE_ENDS = ['from', 'to'] as const;
const SYMBOL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function valueError(field: string, i: number, expected: string, value: unknown): never {
  throw new GraphError(`${field}.nodes[${i}].value`, `expected ${expected}, got ${JSON.stringify(value)}`);
}

/** Node `i`'s value checked against its type; a GraphError names `field`.nodes[i].value. */
function checkValue(type: NodeType, value: unknown, field: string, i: number): GraphValue {
  switch (type) {
    case 'int':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value === 0 ? 0 : value;
      if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) {
        const big = BigInt(value);
        return intGraphValue(big);
      }
      return valueError(field, i, 'an integer', value);
    case 'float':
      if (typeof value === 'number' && Number.isFinite(value)) return value === 0 ? 0 : value;
      return valueError(field, i, 'a finite number', value);
    case 'symbol':
      if (typeof value === 'string' && SYMBOL_NAME.test(value) && !isFnName(value)) return value;
      return valueError(field, i, 'a symbol name', value);
    case 'op':
      if (typeof value === 'string' && isOpName(value)) return value;
      return valueError(field, i, 'one of + - * / ^ =', value);
    case 'fn':
      if (typeof value === 'string' && isFnName(value)) return value;
      return valueError(field, i, 'a function name', value);
  }
}
