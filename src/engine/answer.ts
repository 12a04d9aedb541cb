import { derive } from './derive';
import { type Expr } from './expr';
import { evaluate } from './evaluate';
import { substitute } from './substitute';
import type { Bindings, Value } from './value';

/** The engine's answer to a problem: a number, or (for a top-level derive) an expression. */
export type Answer = { kind: 'numeric'; value: Value } | { kind: 'symbolic'; expr: Expr };

/**
 * Answers a curriculum problem. A top-level `(derive f x)` answers with the canonical
 * simplified derivative (bindings of symbols other than x substituted first); every other
 * expression answers with its numeric value (see `evaluate`).
 */
export function answer(expr: Expr, bindings: Bindings = {}): Answer {
  if (expr.type === 'fn' && expr.value === 'derive') {
    const variable = (expr.children[1] as { value: string }).value;
    return { kind: 'symbolic', expr: derive(substitute(expr.children[0], bindings, variable), variable) };
  }
  return { kind: 'numeric', value: evaluate(expr, bindings) };
}
