import {
  type Answer,
  type Bindings,
  type Expr,
  type Integrand,
  type Rational,
  answer,
  compileNumeric,
  evaluateAt,
  exprDepth,
  isConstant,
  isExact,
  numericValue,
  parse,
  print,
  substitute,
  toNumber,
} from '../engine/index';
import { GraphError, MathGraph, type MathGraphJSON } from '../graph/index';
import { excerpt, isWellFormed } from '../util/text';
import { LEVEL_CONTRACT, type Level, isLevel } from './levels';

/** The longest `polish` a record may have: a level's largest problem (depth 4) is a few hundred characters. */
export const MAX_POLISH_CHARS = 4096;
/** The most nodes (and edges) a record's graph or result graph may have (the largest level-5 answers have 25). */
export const MAX_GRAPH_NODES = 1024;

const RECORD_KEYS = ['id', 'level', 'polish', 'bindings', 'graph', 'result_numeric', 'result_symbolic', 'result_graph'];
const GRAPH_KEYS = ['nodes', 'edges'];
const NODE_KEYS = ['id', 'type', 'value'];
const EDGE_KEYS = ['from', 'to'];
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The path of the first string (key or value) in `value` that is not well-formed Unicode, or null. */
function illFormedString(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isWellFormed(value) ? null : path;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = illFormedString(value[i], `${path}[${i}]`);
      if (bad !== null) return bad;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (!isWellFormed(k)) return at;
    const bad = illFormedString(v, at);
    if (bad !== null) return bad;
  }
  return null;
}

/** Keys of the objects of a graph that are not part of the graph JSON. */
function unknownGraphKeys(graph: unknown, field: string, add: (field: string, message: string) => void): void {
  if (typeof graph !== 'object' || graph === null || Array.isArray(graph)) return;
  const extra = (obj: unknown, known: string[], where: string) => {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
    for (const key of Object.keys(obj)) if (!known.includes(key)) add(`${where}.${excerpt(key, 40)}`, `unknown key (known: ${known.join(', ')})`);
  };
  extra(graph, GRAPH_KEYS, field);
  const { nodes, edges } = graph as { nodes?: unknown; edges?: unknown };
  if (Array.isArray(nodes)) nodes.forEach((n, i) => extra(n, NODE_KEYS, `${field}.nodes[${i}]`));
  if (Array.isArray(edges)) edges.forEach((e, i) => extra(e, EDGE_KEYS, `${field}.edges[${i}]`));
}

/** One dataset line (DESIGN.md "Dataset record"). */
export interface DatasetRecord {
  id: string;
  level: Level;
  polish: string;
  bindings: Record<string, number>;
  graph: MathGraphJSON;
  /** The numeric answer at full double precision (null for symbolic answers). */
  result_numeric: number | null;
  /** Canonical Polish text of a symbolic answer (null for numeric answers). */
  result_symbolic: string | null;
  /** Target graph: an `int` node for exact integers, a `float` node rounded to 3 decimals, or the expression graph. */
  result_graph: MathGraphJSON;
}

/**
 * DESIGN evaluation protocol: floats are compared after rounding to 3 decimals. Ties round
 * half away from zero (symmetric for negative answers).
 */
export function roundTo3(value: number): number {
  const r = (Math.sign(value) * Math.round(Math.abs(value) * 1000)) / 1000;
  return r === 0 ? 0 : r;
}

/**
 * roundTo3 of an exact rational, decided exactly: -127/80 = -1.5875 is a tie and becomes
 * -1.588, where rounding the nearest double could fall either side of the tie.
 */
export function roundRationalTo3(value: Rational): number {
  const scaled = value.num * 1000n;
  const magnitude = (2n * (scaled < 0n ? -scaled : scaled) + value.den) / (2n * value.den);
  const r = Number(scaled < 0n ? -magnitude : magnitude) / 1000;
  return r === 0 ? 0 : r;
}

export function resultGraphOf(result: Answer): MathGraphJSON {
  if (result.kind === 'symbolic') return MathGraph.jsonOf(result.expr);
  const v = result.value;
  if (isExact(v) && v.isInteger) return MathGraph.jsonOf({ type: 'int', value: v.num });
  return { nodes: [{ id: 0, type: 'float', value: isExact(v) ? roundRationalTo3(v) : roundTo3(v) }], edges: [] };
}

export function buildRecord(id: string, level: Level, expr: Expr, bindings: Record<string, number>, result: Answer): DatasetRecord {
  return {
    id,
    level,
    polish: print(expr),
    bindings,
    graph: MathGraph.jsonOf(expr),
    result_numeric: result.kind === 'numeric' ? toNumber(result.value) : null,
    result_symbolic: result.kind === 'symbolic' ? print(result.expr) : null,
    result_graph: resultGraphOf(result),
  };
}

/** What is wrong with a record: the field and why. */
export interface RecordProblem {
  field: string;
  message: string;
}

function sameGraph(a: MathGraphJSON, b: MathGraphJSON): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function closeEnough(a: number, b: number, rel: number, abs = 0): boolean {
  return Math.abs(a - b) <= abs + rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Points where derivatives are compared with finite differences (away from common singularities). */
const PROBE_POINTS = [0.37, 1.23, 2.71, -0.83, -1.91, 3.3, 0.61];

/** 4-point central difference of f at x with step h. */
function centralDifference(f: (x: number) => number, x: number, h: number): number {
  return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);
}

/**
 * Independent numeric check of f' = d at several points: 4-point central differences of the
 * float-compiled f against d. A point is used only where f is finite around it and the
 * estimates with steps h and h/2 agree (so a nearby pole cannot fake a disagreement);
 * at least two usable points are required.
 */
export function checkDerivativeNumerically(f: Expr, variable: string, d: Expr, bindings: Bindings = {}): string | null {
  const fx = compileNumeric(f, variable, bindings);
  const dx = compileNumeric(d, variable, bindings);
  let compared = 0;
  for (const x of PROBE_POINTS) {
    const h = 1e-3 * Math.max(1, Math.abs(x));
    const exact = dx(x);
    const coarse = centralDifference(fx, x, h);
    const fine = centralDifference(fx, x, h / 2);
    if (!Number.isFinite(exact) || !Number.isFinite(coarse) || !Number.isFinite(fine)) continue;
    const scale = Math.max(1, Math.abs(exact), Math.abs(fx(x)));
    if (Math.abs(coarse - fine) > 1e-7 * scale) continue; // too close to a singularity to judge
    if (Math.abs(fine - exact) > 1e-6 * scale) return `derivative disagrees with finite differences at ${variable}=${x}: ${exact} vs ${fine}`;
    compared++;
  }
  return compared >= 2 ? null : 'derivative could not be checked: fewer than 2 points where it is finite';
}

// 5-point Gauss–Legendre nodes/weights on [-1, 1].
const GL5_X = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664];
const GL5_W = [0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647, 0.23692688505618908];

/**
 * Composite 5-point Gauss–Legendre on fixed equal panels: an independent check of the
 * engine's adaptive Gauss–Kronrod result (different rule, nodes and subdivision).
 */
export function fixedPanelQuadrature(f: Integrand, a: number, b: number, panels = 64): number {
  const h = (b - a) / panels;
  const xs = new Float64Array(panels * 5);
  for (let p = 0; p < panels; p++) {
    const center = a + (p + 0.5) * h;
    for (let k = 0; k < 5; k++) xs[p * 5 + k] = center + 0.5 * h * GL5_X[k];
  }
  const fx = new Float64Array(xs.length);
  evaluateAt(f, xs, fx, xs.length);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += GL5_W[i % 5] * fx[i];
  return 0.5 * h * sum;
}

/** Checks the numeric answer of a calculus-free, integrate or solve problem by a separate float path. */
function checkNumericIndependently(expr: Expr, bindings: Bindings, value: number): string | null {
  if (expr.type === 'fn' && expr.value === 'integrate') {
    const [f, v, lo, hi] = expr.children;
    const variable = (v as { value: string }).value;
    const integrand = compileNumeric(substitute(f, bindings, variable), variable, bindings);
    const a = numericValue(lo, null, bindings, 0);
    const b = numericValue(hi, null, bindings, 0);
    const check = fixedPanelQuadrature(integrand, a, b);
    if (!Number.isFinite(check) || !closeEnough(check, value, 1e-6, 1e-9)) return `fixed-panel Gauss–Legendre gives ${check}, record says ${value}`;
    return null;
  }
  if (expr.type === 'fn' && expr.value === 'solve') {
    const [equation, v] = expr.children;
    const variable = (v as { value: string }).value;
    const [lhs, rhs] = (equation as { children: readonly Expr[] }).children;
    const l = numericValue(lhs, variable, bindings, value);
    const r = numericValue(rhs, variable, bindings, value);
    if (!(Math.abs(l - r) <= 1e-7 * (1 + Math.abs(l) + Math.abs(r)))) return `substituting ${variable}=${value} gives ${l} = ${r}`;
    return null;
  }
  const check = numericValue(expr, null, bindings, 0);
  if (!Number.isFinite(check) || !closeEnough(check, value, 1e-9, 1e-12)) return `float evaluation gives ${check}, record says ${value}`;
  return null;
}

/** The calculus task's level, or null for plain arithmetic. */
function taskOf(expr: Expr): 'derive' | 'integrate' | 'solve' | 'evaluate' {
  if (expr.type === 'fn' && (expr.value === 'derive' || expr.value === 'integrate' || expr.value === 'solve')) return expr.value;
  return 'evaluate';
}

/** Ops and functions used anywhere in an expression (besides the top-level task node and '='). */
function checkContract(expr: Expr, level: Level): string | null {
  const contract = LEVEL_CONTRACT[level];
  if (taskOf(expr) !== contract.task) return `level ${level} is a ${contract.task} task, got ${taskOf(expr)}`;
  const depth = exprDepth(expr);
  if (depth > contract.maxDepth) return `depth ${depth} exceeds level ${level}'s maximum ${contract.maxDepth}`;
  const stack: Expr[] = contract.task === 'evaluate' ? [expr] : [...(expr as { children: readonly Expr[] }).children];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'op') {
      if (node.value !== '=' && !contract.ops.includes(node.value)) return `operator '${node.value}' is not part of level ${level}`;
      stack.push(...node.children);
    } else if (node.type === 'fn') {
      if (!(contract.fns as readonly string[]).includes(node.value)) return `function '${node.value}' is not part of level ${level}`;
      stack.push(...node.children);
    } else if (node.type === 'symbol' && !contract.symbols && !isConstant(node.value)) {
      return `level ${level} has no symbols, found '${node.value}'`;
    }
  }
  return null;
}

/**
 * The generator's check before emitting a record it just built: the polish text parses back
 * to itself, and an independent float path (float evaluation, fixed-panel quadrature, substitution,
 * finite differences) agrees with the engine's exact/symbolic answer. Null when it passes.
 * (`checkRecord` is the full check of a record from an untrusted file.)
 */
export function verifyGenerated(record: DatasetRecord, result: Answer): string | null {
  const reparsed = parse(record.polish);
  if (print(reparsed) !== record.polish) return 'polish does not parse back to itself';
  if (result.kind === 'symbolic') {
    const [f, v] = (reparsed as { children: readonly Expr[] }).children;
    const variable = (v as { value: string }).value;
    return checkDerivativeNumerically(substitute(f, record.bindings, variable), variable, result.expr, record.bindings);
  }
  return checkNumericIndependently(reparsed, record.bindings, record.result_numeric!);
}

/**
 * Re-verifies a record from scratch: the fields are well-typed, the polish text is canonical,
 * the graph is exactly fromPolish(polish), the problem fits its level, the engine's answer
 * equals the recorded one, and an independent float path (finite differences, fixed-panel quadrature,
 * substitution, float evaluation) agrees. Returns every problem found (empty = valid).
 */
/**
 * Structure only (no math): every field has its type, `graph` and `result_graph` are valid
 * MathGraph JSON. Returns every problem found (empty = well-formed).
 */
export function checkRecordShape(value: unknown): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ field: '', message: 'expected a JSON object' }];
  const r = value as Partial<Record<keyof DatasetRecord, unknown>>;
  // bounds first: nothing below may cost more than a record can be worth
  if (typeof r.polish === 'string' && r.polish.length > MAX_POLISH_CHARS) add('polish', `${r.polish.length} characters, more than the ${MAX_POLISH_CHARS} any level's problem takes`);
  for (const field of ['graph', 'result_graph'] as const) {
    const g = r[field] as { nodes?: unknown; edges?: unknown } | undefined;
    for (const part of ['nodes', 'edges'] as const) {
      const list = g?.[part];
      if (Array.isArray(list) && list.length > MAX_GRAPH_NODES) add(`${field}.${part}`, `${list.length} entries, more than the ${MAX_GRAPH_NODES} a record's graph may have`);
    }
  }
  if (problems.length > 0) return problems;
  const illFormed = illFormedString(value, '');
  if (illFormed !== null) return [{ field: excerpt(illFormed, 60), message: 'not valid Unicode (a lone surrogate)' }];
  for (const key of Object.keys(r)) if (!RECORD_KEYS.includes(key)) add(excerpt(key, 40), `unknown key (known: ${RECORD_KEYS.join(', ')})`);
  unknownGraphKeys(r.graph, 'graph', add);
  unknownGraphKeys(r.result_graph, 'result_graph', add);
  if (typeof r.id !== 'string' || r.id.length === 0) add('id', 'expected a non-empty string');
  else if (/[\u0000-\u001f\u007f-\u009f]/.test(r.id)) add('id', 'control characters are not allowed in an id');
  if (!isLevel(r.level)) add('level', `expected an integer 1-7, got ${JSON.stringify(r.level)}`);
  if (typeof r.polish !== 'string') add('polish', 'expected a string');
  if (typeof r.bindings !== 'object' || r.bindings === null || Array.isArray(r.bindings)) add('bindings', 'expected an object');
  else {
    for (const [name, v] of Object.entries(r.bindings)) {
      if (!IDENTIFIER.test(name)) add(`bindings.${excerpt(name, 40)}`, 'a binding names a symbol: letters, digits and _, not starting with a digit');
      else if (typeof v !== 'number' || !Number.isFinite(v)) add(`bindings.${name}`, 'expected a finite number');
    }
  }
  if (r.result_numeric !== null && (typeof r.result_numeric !== 'number' || !Number.isFinite(r.result_numeric))) add('result_numeric', 'expected a finite number or null');
  if (r.result_symbolic !== null && typeof r.result_symbolic !== 'string') add('result_symbolic', 'expected a string or null');
  for (const field of ['graph', 'result_graph'] as const) {
    try {
      MathGraph.fromJSON(r[field], field);
    } catch (err) {
      if (err instanceof GraphError) add(err.field, err.detail);
      else throw err;
    }
  }
  return problems;
}

export function checkRecord(value: unknown): RecordProblem[] {
  const problems = checkRecordShape(value);
  if (problems.length > 0) return problems;
  const r = value as DatasetRecord;
  const bindings = r.bindings;
  const add = (field: string, message: string) => problems.push({ field, message });
  let expr: Expr;
  try {
    expr = parse(r.polish);
  } catch (err) {
    add('polish', excerpt((err as Error).message, 200));
    return problems;
  }
  const canonical = print(expr);
  if (canonical !== r.polish) add('polish', `not canonical; canonical form is ${excerpt(canonical)}`);
  const contractProblem = checkContract(expr, r.level);
  if (contractProblem !== null) add('level', contractProblem);

  if (!sameGraph(MathGraph.fromJSON(r.graph).toJSON(), MathGraph.fromExpr(expr).toJSON())) {
    add('graph', 'does not match the graph of polish');
  }

  let expected: Answer;
  try {
    expected = answer(expr, bindings);
  } catch (err) {
    add('polish', `the engine cannot answer it: ${(err as Error).name}: ${excerpt((err as Error).message, 200)}`);
    return problems;
  }
  const expectedGraph = resultGraphOf(expected);
  if (!sameGraph(MathGraph.fromJSON(r.result_graph).toJSON(), expectedGraph)) {
    add('result_graph', `expected ${JSON.stringify(expectedGraph.nodes.length === 1 ? expectedGraph.nodes[0].value : 'the canonical derivative graph')}`);
  }
  if (expected.kind === 'symbolic') {
    const text = print(expected.expr);
    if (r.result_symbolic !== text) add('result_symbolic', `expected ${excerpt(text)}`);
    if (r.result_numeric !== null) add('result_numeric', 'expected null for a symbolic answer');
    const [f, v] = (expr as { children: readonly Expr[] }).children;
    const variable = (v as { value: string }).value;
    const problem = checkDerivativeNumerically(substitute(f, bindings, variable), variable, expected.expr, bindings);
    if (problem !== null) add('result_symbolic', problem);
  } else {
    const number = toNumber(expected.value);
    if (r.result_symbolic !== null) add('result_symbolic', 'expected null for a numeric answer');
    if (typeof r.result_numeric !== 'number' || !closeEnough(r.result_numeric, number, 1e-9, 1e-12)) add('result_numeric', `expected ${number}`);
    const problem = checkNumericIndependently(expr, bindings, number);
    if (problem !== null) add('result_numeric', problem);
  }
  return problems;
}
