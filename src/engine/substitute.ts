import { EvalError } from './errors';
import { type Expr, childrenOf, float, foldExpr, int, isConstant, op } from './expr';
import { Rational } from './rational';
import type { Bindings } from './value';

function literal(value: number | Rational): Expr {
  if (typeof value !== 'number') return value.isInteger ? int(value.num) : op('/', int(value.num), int(value.den));
  if (!Number.isFinite(value)) throw new EvalError(`binding value ${value} is not finite`);
  return Number.isInteger(value) && Number.isSafeInteger(value) ? int(value) : float(value);
}

/** Replaces bound symbols by number literals, except `keep` (a variable bound by the context). */
export function substitute(expr: Expr, bindings: Bindings, keep?: string): Expr {
  const names = Object.keys(bindings).filter((name) => name !== keep);
  if (names.length === 0) return expr;
  for (const name of names) if (isConstant(name)) throw new EvalError(`cannot bind the constant '${name}'`);
  return foldExpr<Expr>(expr, (node, kids) => {
    if (node.type === 'symbol') {
      return names.includes(node.value) ? literal(bindings[node.value]) : node;
    }
    if (node.type !== 'op' && node.type !== 'fn') return node;
    const old = childrenOf(node);
    let changed = false;
    for (let i = 0; i < kids.length; i++) if (kids[i] !== old[i]) changed = true;
    if (!changed) return node;
    // A calculus node's own variable must stay a symbol, even if bound outside.
    if (node.type === 'fn' && (node.value === 'derive' || node.value === 'integrate' || node.value === 'solve')) {
      const inner = substitute(node.children[0], bindings, (node.children[1] as { value: string }).value);
      const rest = kids.slice(2);
      return { type: 'fn', value: node.value, children: [inner, node.children[1], ...rest] };
    }
    return { ...node, children: kids } as Expr;
  });
}
