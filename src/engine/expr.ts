/**
 * The expression tree every engine module works on. Node types match the dataset's graph
 * node types (`int float symbol op fn`). Trees are immutable; `+` and `*` are binary after
 * parsing (n-ary input is folded left), so one tree shape prints as one canonical text.
 */

export type NodeType = 'int' | 'float' | 'symbol' | 'op' | 'fn';
export type OpName = '+' | '-' | '*' | '/' | '^' | '=';
export type ElementaryFn = 'sin' | 'cos' | 'tan' | 'log' | 'exp' | 'sqrt';
export type FnName = ElementaryFn | 'derive' | 'integrate' | 'solve';

export interface IntExpr {
  readonly type: 'int';
  /** Exact, arbitrary size. */
  readonly value: bigint;
}
export interface FloatExpr {
  readonly type: 'float';
  /**
   * An IEEE double; its exact meaning is its shortest decimal text, so `0.1` means 1/10
   * and `(- 0.1 0.1)` is exactly 0.
   */
  readonly value: number;
}
export interface SymbolExpr {
  readonly type: 'symbol';
  readonly value: string;
}
export interface OpExpr {
  readonly type: 'op';
  readonly value: OpName;
  readonly children: readonly Expr[];
}
export interface FnExpr {
  readonly type: 'fn';
  readonly value: FnName;
  readonly children: readonly Expr[];
}
export type Expr = IntExpr | FloatExpr | SymbolExpr | OpExpr | FnExpr;

/** Arity of each operator after parsing (`+` and `*` accept 2+ on input, then fold to 2). */
export const OP_ARITY: Readonly<Record<OpName, number>> = { '+': 2, '-': 2, '*': 2, '/': 2, '^': 2, '=': 2 };
export const FN_ARITY: Readonly<Record<FnName, number>> = {
  sin: 1, cos: 1, tan: 1, log: 1, exp: 1, sqrt: 1, derive: 2, integrate: 4, solve: 2,
};
export const ELEMENTARY_FNS: readonly ElementaryFn[] = ['sin', 'cos', 'tan', 'log', 'exp', 'sqrt'];
/** Symbols with a fixed value; they cannot be bound, differentiated by, or solved for. */
export const CONSTANTS: Readonly<Record<string, number>> = { e: Math.E, pi: Math.PI };

export function isOpName(token: string): token is OpName {
  return token === '+' || token === '-' || token === '*' || token === '/' || token === '^' || token === '=';
}
export function isFnName(token: string): token is FnName {
  return Object.prototype.hasOwnProperty.call(FN_ARITY, token);
}
export function isConstant(name: string): boolean {
  return name === 'e' || name === 'pi';
}

const NO_CHILDREN: readonly Expr[] = [];

export function childrenOf(node: Expr): readonly Expr[] {
  return node.type === 'op' || node.type === 'fn' ? node.children : NO_CHILDREN;
}

export const int = (value: bigint | number): IntExpr => ({ type: 'int', value: typeof value === 'bigint' ? value : BigInt(value) });
export const float = (value: number): FloatExpr => ({ type: 'float', value: value === 0 ? 0 : value });
export const sym = (name: string): SymbolExpr => ({ type: 'symbol', value: name });
export const op = (name: OpName, a: Expr, b: Expr): OpExpr => ({ type: 'op', value: name, children: [a, b] });
export const fn = (name: FnName, ...args: Expr[]): FnExpr => ({ type: 'fn', value: name, children: args });

/** What a leaf's visit receives: one frozen empty list, not a new one per leaf. */
const NO_RESULTS: readonly never[] = Object.freeze([]);

/**
 * Bottom-up fold without recursion, so 10 000-deep trees cannot overflow the call stack.
 * `visit` receives a node and the results of its children, in order.
 */
export function foldExpr<R>(root: Expr, visit: (node: Expr, childResults: readonly R[]) => R): R {
  const nodes: Expr[] = [root];
  const nextChild: number[] = [0];
  const results: R[] = [];
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    const node = nodes[top];
    const kids = childrenOf(node);
    const i = nextChild[top];
    if (i < kids.length) {
      nextChild[top] = i + 1;
      nodes.push(kids[i]);
      nextChild.push(0);
    } else {
      nodes.pop();
      nextChild.pop();
      const childResults = kids.length === 0 ? NO_RESULTS : results.splice(results.length - kids.length, kids.length);
      results.push(visit(node, childResults));
    }
  }
  return results[0];
}

/** Structural equality (iterative). */
export function exprEquals(a: Expr, b: Expr): boolean {
  const left: Expr[] = [a];
  const right: Expr[] = [b];
  while (left.length > 0) {
    const x = left.pop()!;
    const y = right.pop()!;
    if (x.type !== y.type || x.value !== y.value) return false;
    const xs = childrenOf(x);
    const ys = childrenOf(y);
    if (xs.length !== ys.length) return false;
    for (let i = 0; i < xs.length; i++) {
      left.push(xs[i]);
      right.push(ys[i]);
    }
  }
  return true;
}

/** Free symbols (constants `e`, `pi` excluded; variables bound by derive/integrate/solve still count). */
export function freeSymbols(root: Expr): Set<string> {
  const found = new Set<string>();
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'symbol') {
      if (!isConstant(node.value)) found.add(node.value);
    } else if (node.type === 'op' || node.type === 'fn') {
      for (const child of node.children) stack.push(child);
    }
  }
  return found;
}

/** Whether some node of the tree passes `test` (iterative, stops at the first). */
export function containsNode(root: Expr, test: (node: Expr) => boolean): boolean {
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (test(node)) return true;
    if (node.type === 'op' || node.type === 'fn') for (const child of node.children) stack.push(child);
  }
  return false;
}

export function containsSymbol(root: Expr, name: string): boolean {
  return containsNode(root, (node) => node.type === 'symbol' && node.value === name);
}

/** Depth = edges on the longest root-to-leaf path (a lone leaf has depth 0). Iterative; allocates two stacks. */
export function exprDepth(root: Expr): number {
  const nodes: Expr[] = [root];
  const depths: number[] = [0];
  let deepest = 0;
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > deepest) deepest = depth;
    if (node.type === 'op' || node.type === 'fn') {
      for (const child of node.children) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return deepest;
}

/** The number of nodes (iterative). */
export function exprSize(root: Expr): number {
  const stack: Expr[] = [root];
  let total = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    total++;
    if (node.type === 'op' || node.type === 'fn') for (const child of node.children) stack.push(child);
  }
  return total;
}
