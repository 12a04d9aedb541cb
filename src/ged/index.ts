// Public surface of the GED layer: exact tree edit distance (single pair with mapping, and
// batches in one kernel call), graph edit distance (exact branch and bound, bipartite
// bounds), the cost model, and the differentiable GED loss.
export { treeEditDistance, treeEditDistanceBatch, treeMappingCost, TreeEditError, type TreeEditResult, type TreeEditMapping, type TreeEditOptions } from './ted';
export { graphEditDistance, graphMappingCost, GedOptionError, type GraphEditOptions, type GraphEditResult } from './ged';
export { DEFAULT_COSTS, resolveCosts, GedCostError, type EditCosts, type NodeKey } from './costs';
export type { EditMapping } from './mapping';
export { FlatTree, flattenTreeNode, TreeInputError, type TreeNode } from './tree';
export { toFlatTree, type TreeInput, type GraphInput, type LabelledGraph } from './input';
export { solveAssignment, AssignmentError, type Assignment } from './lsap';
export {
  gedLoss, gedLossForward, gedLossBackward, identityMapping, mappingFromEdit, GedLossError,
  type GedLossHeads, type GedLossOptions, type LossTarget, type LossGraphSpec, type LossPredictions, type LossGradients, type LossCosts,
} from './loss';
