/**
 * What the GED functions accept, and its conversion to the two internal forms:
 *   - a FlatTree (postorder arrays) for tree edit distance;
 *   - a LabelledGraph (node keys + ordered child lists) for graph edit distance.
 * Inputs: a MathGraph, a Polish string (parsed by the engine), nested `{ label, children }`
 * objects, or for graphs also `{ nodes, edges }` in the dataset's JSON form or a
 * LabelledGraph. Node ids are MathGraph ids (= preorder positions for parsed expressions),
 * or preorder positions of nested objects.
 *
 * A MathGraph whose nodes are shared (a DAG) is unfolded into a tree for TED: a shared
 * node appears once per path to it, under its one id.
 */
import { MathGraph } from '../graph/index';
import { isNumericType, typeCode, type NodeKey } from './costs';
import { FlatTree, flattenTreeNode, flattenWith, treeNodeReader, TreeInputError, type TreeNode, type TreeReader } from './tree';

export type TreeInput = FlatTree | TreeNode | MathGraph | string;

/** A directed graph whose edges out of a node are ordered (child positions 0, 1, …). */
export interface LabelledGraph {
  nodes: readonly NodeKey[];
  /** children[i]: the targets of i's out-edges, in order */
  children: readonly (readonly number[])[];
}

export type GraphInput = LabelledGraph | MathGraph | TreeNode | string | { nodes: readonly unknown[]; edges: readonly unknown[] };

export function mathGraphKey(g: MathGraph, id: number): NodeKey {
  const type = typeCode(g.types[id]);
  return { label: g.label(id), type, value: isNumericType(type) ? Number(g.values[id]) : NaN };
}

function parsePolish(text: string, where: string): MathGraph {
  try {
    return MathGraph.fromPolish(text);
  } catch (err) {
    throw new TreeInputError(`${where}: not a Polish expression: ${(err as Error).message}`);
  }
}

/** A tree to flatten: a root and how to read it, or an already flat tree. */
export type TreeSource = FlatTree | { root: unknown; reader: TreeReader<unknown> };

function mathGraphReader(g: MathGraph): TreeReader<number> {
  return {
    children: (id) => g.children[id],
    label: (id) => g.label(id),
    type: (id) => typeCode(g.types[id]),
    value: (id) => (isNumericType(typeCode(g.types[id])) ? Number(g.values[id]) : NaN),
    id: (id) => id,
  };
}

export function treeSource(input: TreeInput, where: string): TreeSource {
  if (input instanceof FlatTree) return input;
  if (typeof input === 'string') input = parsePolish(input, where);
  if (input instanceof MathGraph) return { root: input.root, reader: mathGraphReader(input) as TreeReader<unknown> };
  if (typeof input === 'object' && input !== null && typeof (input as TreeNode).label === 'string') {
    return { root: input, reader: treeNodeReader as TreeReader<unknown> };
  }
  throw new TreeInputError(`${where}: expected a MathGraph, a Polish string, a tree ({ label, children }) or a FlatTree, got ${describe(input)}`);
}

export function toFlatTree(input: TreeInput, where: string): FlatTree {
  const source = treeSource(input, where);
  return source instanceof FlatTree ? source : flattenWith(source.root, source.reader);
}

export function toLabelledGraph(input: GraphInput, where: string): LabelledGraph {
  if (typeof input === 'string') input = parsePolish(input, where);
  if (input instanceof MathGraph) {
    const g = input;
    return { nodes: Array.from({ length: g.size }, (_, id) => mathGraphKey(g, id)), children: g.children };
  }
  if (typeof input !== 'object' || input === null) throw new TreeInputError(`${where}: expected a graph, got ${describe(input)}`);
  if (typeof (input as TreeNode).label === 'string') {
    const t = flattenTreeNode(input as TreeNode);
    // back to preorder ids, the ids nested trees are reported with
    const nodes = new Array<NodeKey>(t.size);
    const children: number[][] = Array.from({ length: t.size }, () => []);
    const kids = t.children();
    for (let i = 0; i < t.size; i++) {
      nodes[t.sourceIds[i]] = t.key(i);
      for (const c of kids[i]) children[t.sourceIds[i]].push(t.sourceIds[c]);
    }
    return { nodes, children };
  }
  const { nodes, edges, children } = input as { nodes: readonly unknown[]; edges?: readonly unknown[]; children?: unknown };
  if (!Array.isArray(nodes)) throw new TreeInputError(`${where}.nodes: expected an array`);
  if (Array.isArray(children)) return checkLabelledGraph(input as LabelledGraph, where);
  if (Array.isArray(edges)) return toLabelledGraph(MathGraph.fromJSON(input, where), where);
  throw new TreeInputError(`${where}: expected { nodes, children } or { nodes, edges }`);
}

function checkLabelledGraph(g: LabelledGraph, where: string): LabelledGraph {
  const n = g.nodes.length;
  if (g.children.length !== n) throw new TreeInputError(`${where}.children: ${g.children.length} child lists for ${n} nodes`);
  for (let i = 0; i < n; i++) {
    const key = g.nodes[i];
    if (typeof key?.label !== 'string') throw new TreeInputError(`${where}.nodes[${i}].label: expected a string`);
    if (!Number.isInteger(key.type)) throw new TreeInputError(`${where}.nodes[${i}].type: expected a type code`);
    const seen = new Set<number>();
    for (const c of g.children[i]) {
      if (!Number.isInteger(c) || c < 0 || c >= n) throw new TreeInputError(`${where}.children[${i}]: ${c} is not a node id in [0, ${n})`);
      if (c === i) throw new TreeInputError(`${where}.children[${i}]: self loop`);
      if (seen.has(c)) throw new TreeInputError(`${where}.children[${i}]: duplicate edge to ${c}`);
      seen.add(c);
    }
  }
  return g;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x;
}
