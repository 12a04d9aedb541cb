/**
 * Edit costs shared by tree edit distance (TED), graph edit distance (GED) and the GED loss.
 *
 * A node is compared by its label (its Polish token), its type and its numeric value:
 *   substitute(u, v) = 0                    when label(u) == label(v)
 *                    = nodeType             when type(u) != type(v)
 *                    = 0                    when both are numeric (int/float) and |value(u) − value(v)| <= tolerance
 *                    = nodeValue            otherwise (same type, different label or value)
 * Node insertions and deletions cost `nodeInsert` / `nodeDelete`; edge insertions and
 * deletions cost `edgeInsert` / `edgeDelete`; an edge kept between mapped endpoints whose
 * child position changed costs `edgeSubstitute`. Every node cost is multiplied by `alpha`
 * and every edge cost by `beta` (the node/edge weights TrainingConfig carries).
 *
 * TED has no separate edge operations (deleting a node re-hangs its children on its parent),
 * so TED uses the node costs times alpha only.
 */
import { GraphemeError } from '../errors';

export class GedCostError extends GraphemeError {}

export interface EditCosts {
  nodeInsert: number;
  nodeDelete: number;
  /** substitution between nodes of different types */
  nodeType: number;
  /** substitution between nodes of the same type whose labels (or numeric values) differ */
  nodeValue: number;
  edgeInsert: number;
  edgeDelete: number;
  /** an edge kept between mapped endpoints but at another child position (GED only) */
  edgeSubstitute: number;
  /**
   * Numeric nodes (int, float) of the same type whose values differ by at most this are
   * equal. Negative: compare labels only (the default, exact).
   */
  tolerance: number;
  /** weight of every node cost */
  alpha: number;
  /** weight of every edge cost */
  beta: number;
}

/** Unit costs: insert 1, delete 1, relabel 1 when labels differ; exact label comparison. */
export const DEFAULT_COSTS: Readonly<EditCosts> = Object.freeze({
  nodeInsert: 1,
  nodeDelete: 1,
  nodeType: 1,
  nodeValue: 1,
  edgeInsert: 1,
  edgeDelete: 1,
  edgeSubstitute: 1,
  tolerance: -1,
  alpha: 1,
  beta: 1,
});

const COST_FIELDS = ['nodeInsert', 'nodeDelete', 'nodeType', 'nodeValue', 'edgeInsert', 'edgeDelete', 'edgeSubstitute', 'alpha', 'beta'] as const;

/** Fills defaults and checks every field: costs and weights must be finite and >= 0. */
export function resolveCosts(costs?: Partial<EditCosts>): EditCosts {
  const out: EditCosts = { ...DEFAULT_COSTS, ...(costs ?? {}) };
  for (const field of COST_FIELDS) {
    const v = out[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new GedCostError(`costs.${field} must be a finite number >= 0, got ${String(v)}`);
    }
  }
  if (typeof out.tolerance !== 'number' || Number.isNaN(out.tolerance) || out.tolerance === Infinity) {
    throw new GedCostError(`costs.tolerance must be a finite number (negative disables it), got ${String(out.tolerance)}`);
  }
  return out;
}

/** True when insert and delete costs (and their weights) agree, so the distance is symmetric. */
export function symmetricCosts(c: EditCosts): boolean {
  return c.nodeInsert === c.nodeDelete && c.edgeInsert === c.edgeDelete;
}

/**
 * Node type codes the kernels see. Codes 0 and 1 are numeric (the tolerance applies);
 * `TYPE_OTHER` is for trees whose nodes carry a label only.
 */
export const TYPE_INT = 0;
export const TYPE_FLOAT = 1;
export const TYPE_SYMBOL = 2;
export const TYPE_OP = 3;
export const TYPE_FN = 4;
export const TYPE_OTHER = 5;

export type NodeTypeName = 'int' | 'float' | 'symbol' | 'op' | 'fn';

const TYPE_CODES: Readonly<Record<string, number>> = { int: TYPE_INT, float: TYPE_FLOAT, symbol: TYPE_SYMBOL, op: TYPE_OP, fn: TYPE_FN };

export function typeCode(type: string | undefined): number {
  if (type === undefined) return TYPE_OTHER;
  return TYPE_CODES[type] ?? TYPE_OTHER;
}

export function isNumericType(code: number): boolean {
  return code === TYPE_INT || code === TYPE_FLOAT;
}

/** What a cost function needs to know about a node. */
export interface NodeKey {
  label: string;
  type: number;
  /** numeric value for int/float nodes, NaN otherwise */
  value: number;
}

/** The substitution cost of the header comment, alpha applied. */
export function substituteCost(a: NodeKey, b: NodeKey, c: EditCosts): number {
  if (a.label === b.label) return 0;
  if (a.type !== b.type) return c.alpha * c.nodeType;
  if (isNumericType(a.type) && Math.abs(a.value - b.value) <= c.tolerance) return 0;
  return c.alpha * c.nodeValue;
}
