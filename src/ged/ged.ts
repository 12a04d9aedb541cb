/**
 * Graph edit distance between labelled directed graphs (DAGs in practice), with ordered
 * out-edges; the cost model is in ./graph.ts and ./costs.ts.
 *
 * `method: 'bipartite'`: the Riesen–Bunke bounds (./bipartite.ts), O((n + m)³).
 * `method: 'exact'`: branch and bound (./exact.ts) started from the bipartite bounds; a
 * timeout returns the best bounds found with `exact: false`.
 * Default: exact when both graphs have at most 12 nodes, bipartite otherwise.
 */
import type { Backend } from '../backend/index';
import { GraphemeError } from '../errors';
import { defaultGedBackend } from './backend';
import { bipartiteBounds } from './bipartite';
import { resolveCosts, type EditCosts } from './costs';
import { branchAndBound } from './exact';
import { editPathCost, GraphIndex, scaleCosts, type ScaledCosts } from './graph';
import { toLabelledGraph, type GraphInput } from './input';
import type { EditMapping } from './mapping';

export class GedOptionError extends GraphemeError {}

export interface GraphEditOptions {
  method?: 'exact' | 'bipartite';
  costs?: Partial<EditCosts>;
  /** exact search budget in milliseconds (default 10 000); ignored by 'bipartite' */
  timeoutMs?: number;
  backend?: Backend;
}

export interface GraphEditResult {
  /** the cost of the best edit script found: the GED when `exact`, else an upper bound */
  distance: number;
  lowerBound: number;
  upperBound: number;
  /** true when lowerBound = upperBound, i.e. distance is the GED */
  exact: boolean;
  /** the node mapping of the script whose cost is `distance` */
  mapping: EditMapping;
}

const EXACT_BY_DEFAULT_MAX_NODES = 12;

export function graphEditDistance(a: GraphInput, b: GraphInput, options: GraphEditOptions = {}): GraphEditResult {
  const c = scaleCosts(resolveCosts(options.costs));
  const ga = new GraphIndex(toLabelledGraph(a, 'a'));
  const gb = new GraphIndex(toLabelledGraph(b, 'b'));
  const method = options.method ?? (Math.max(ga.n, gb.n) <= EXACT_BY_DEFAULT_MAX_NODES ? 'exact' : 'bipartite');
  if (method !== 'exact' && method !== 'bipartite') throw new GedOptionError(`graphEditDistance: method must be 'exact' or 'bipartite', got '${String(method)}'`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs >= 0)) throw new GedOptionError(`graphEditDistance: timeoutMs must be >= 0, got ${timeoutMs}`);
  const backend = options.backend ?? defaultGedBackend();
  const start = bipartiteBounds(backend, ga, gb, c);
  const tolerance = 1e-9 * Math.max(1, start.upperBound);
  if (method === 'bipartite') {
    const exact = start.upperBound - start.lowerBound <= tolerance;
    return {
      distance: start.upperBound,
      lowerBound: exact ? start.upperBound : start.lowerBound,
      upperBound: start.upperBound,
      exact,
      mapping: toMapping(ga, gb, start.map, c),
    };
  }
  const r = branchAndBound(backend, ga, gb, c, start, timeoutMs);
  return { distance: r.upperBound, lowerBound: r.lowerBound, upperBound: r.upperBound, exact: r.exact, mapping: toMapping(ga, gb, r.map, c) };
}

function toMapping(a: GraphIndex, b: GraphIndex, map: Int32Array, c: ScaledCosts): EditMapping {
  const mapping: EditMapping = { pairs: [], relabelled: [], deleted: [], inserted: [] };
  const covered = new Uint8Array(b.n);
  for (let u = 0; u < a.n; u++) {
    const v = map[u];
    if (v < 0) mapping.deleted.push(u);
    else {
      covered[v] = 1;
      mapping.pairs.push([u, v]);
      if (c.sub(a.keys[u], b.keys[v]) !== 0) mapping.relabelled.push([u, v]);
    }
  }
  for (let v = 0; v < b.n; v++) if (!covered[v]) mapping.inserted.push(v);
  return mapping;
}

/**
 * The exact cost of the edit script a node mapping induces (ids as in EditMapping; nodes
 * of a not in `pairs` are deleted, nodes of b not in `pairs` inserted).
 */
export function graphMappingCost(a: GraphInput, b: GraphInput, mapping: Pick<EditMapping, 'pairs'>, costs?: Partial<EditCosts>): number {
  const ga = new GraphIndex(toLabelledGraph(a, 'a'));
  const gb = new GraphIndex(toLabelledGraph(b, 'b'));
  const map = new Int32Array(ga.n).fill(-1);
  const taken = new Uint8Array(gb.n);
  for (const [u, v] of mapping.pairs) {
    if (!(u >= 0 && u < ga.n && v >= 0 && v < gb.n)) throw new GedOptionError(`graphMappingCost: pair [${u}, ${v}] names a node that is not in the graphs`);
    if (map[u] >= 0 || taken[v]) throw new GedOptionError(`graphMappingCost: pair [${u}, ${v}] maps a node twice`);
    map[u] = v;
    taken[v] = 1;
  }
  return editPathCost(ga, gb, map, scaleCosts(resolveCosts(costs)));
}
