export {
  MathGraph,
  GraphError,
  label,
  tokenCode,
  NODE_TYPES,
  TYPE_CODE,
  TOKEN_VOCABULARY,
  type CompactGraph,
  type GraphValue,
  type GraphNodeJSON,
  type GraphEdgeJSON,
  type MathGraphJSON,
} from './mathgraph';
