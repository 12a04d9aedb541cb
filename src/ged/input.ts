/**
 * What the GED functions accept as a tree, and its conversion to a FlatTree.
 */
import { FlatTree, flattenTreeNode, TreeInputError, type TreeNode } from './tree';

export type TreeInput = FlatTree | TreeNode;

export function toFlatTree(input: TreeInput, where: string): FlatTree {
  if (input instanceof FlatTree) return input;
  if (typeof input === 'object' && input !== null && typeof (input as TreeNode).label === 'string') {
    return flattenTreeNode(input as TreeNode);
  }
  throw new TreeInputError(`${where}: expected a tree ({ label, children }) or a FlatTree, got ${describe(input)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x;
}
