import { differentiate } from './derive-rules';
import type { Expr } from './expr';
import { simplify } from './simplify';

/** d f / d variable in canonical simplified form (deterministic: same input, same tree). */
export function derive(f: Expr, variable: string): Expr {
  return simplify(differentiate(f, variable));
}
