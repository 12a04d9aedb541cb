import { UnsupportedError } from './errors';
import { type Expr, fn, foldExpr, int, op } from './expr';

interface Differentiated {
  expr: Expr;
  /** d expr / d variable, or null when it is identically zero. */
  derivative: Expr | null;
  dependsOnVariable: boolean;
}

const ONE = int(1);
const TWO = int(2);
const MINUS_ONE = int(-1);
const MINUS_TWO = int(-2);

function sum(a: Expr | null, b: Expr | null): Expr | null {
  if (a === null) return b;
  if (b === null) return a;
  return op('+', a, b);
}

function difference(a: Expr | null, b: Expr | null): Expr | null {
  if (b === null) return a;
  if (a === null) return op('*', MINUS_ONE, b);
  return op('-', a, b);
}

function times(a: Expr, d: Expr | null): Expr | null {
  return d === null ? null : op('*', a, d);
}

/**
 * The textbook differentiation rules applied once, bottom-up, without simplification
 * (`simplify` turns the result into the canonical form). Iterative, so deep inputs are fine.
 * A nested `(derive g y)` is differentiated after expanding it. `integrate`/`solve` are
 * constants when the variable does not occur in them, otherwise unsupported.
 */
export function differentiate(f: Expr, variable: string): Expr {
  const result = foldExpr<Differentiated>(f, (node, kids): Differentiated => {
    switch (node.type) {
      case 'int':
      case 'float':
        return { expr: node, derivative: null, dependsOnVariable: false };
      case 'symbol': {
        const isVariable = node.value === variable;
        return { expr: node, derivative: isVariable ? ONE : null, dependsOnVariable: isVariable };
      }
      case 'op': {
        const [a, b] = kids;
        const dependsOnVariable = a.dependsOnVariable || b.dependsOnVariable;
        const u = a.expr, v = b.expr, du = a.derivative, dv = b.derivative;
        let derivative: Expr | null;
        switch (node.value) {
          case '+':
            derivative = sum(du, dv);
            break;
          case '-':
            derivative = difference(du, dv);
            break;
          case '*':
            derivative = sum(du === null ? null : op('*', du, v), times(u, dv));
            break;
          case '/':
            // u'/v - u·v'·v^-2: a negative power keeps v whole (no expansion of v^2 in the denominator).
            derivative = difference(
              du === null ? null : op('/', du, v),
              dv === null ? null : op('*', op('*', u, dv), op('^', v, MINUS_TWO)),
            );
            break;
          case '^':
            if (!b.dependsOnVariable) {
              // power rule: v·u^(v-1)·u'
              derivative = du === null ? null : op('*', op('*', v, op('^', u, op('-', v, ONE))), du);
            } else if (!a.dependsOnVariable) {
              // exponential rule: u^v·log(u)·v'
              derivative = op('*', op('*', node, fn('log', u)), dv!);
            } else {
              // u^v·(v'·log u + v·u'/u)
              derivative = op('*', node, sum(op('*', dv!, fn('log', u)), du === null ? null : op('/', op('*', v, du), u))!);
            }
            break;
          case '=':
            throw new UnsupportedError(`cannot differentiate an equation '='`);
        }
        return { expr: node, derivative, dependsOnVariable };
      }
      case 'fn': {
        const dependsOnVariable = kids.some((k) => k.dependsOnVariable);
        switch (node.value) {
          case 'derive': {
            const inner = differentiate(kids[0].expr, (kids[1].expr as { value: string }).value);
            const outer = differentiate(inner, variable);
            const isZero = outer.type === 'int' && outer.value === 0n;
            return { expr: inner, derivative: isZero ? null : outer, dependsOnVariable: !isZero };
          }
          case 'integrate':
          case 'solve': {
            const boundVariable = (kids[1].expr as { value: string }).value;
            const freeUse = boundVariable === variable ? kids.slice(2).some((k) => k.dependsOnVariable) : dependsOnVariable;
            if (freeUse) throw new UnsupportedError(`cannot differentiate '${node.value}' with respect to '${variable}'`);
            return { expr: node, derivative: null, dependsOnVariable: false };
          }
        }
        const u = kids[0].expr;
        const du = kids[0].derivative;
        let derivative: Expr | null = null;
        if (du !== null) {
          switch (node.value) {
            case 'sin':
              derivative = op('*', fn('cos', u), du);
              break;
            case 'cos':
              derivative = op('*', op('*', MINUS_ONE, fn('sin', u)), du);
              break;
            case 'tan':
              derivative = op('/', du, op('^', fn('cos', u), TWO));
              break;
            case 'log':
              derivative = op('/', du, u);
              break;
            case 'exp':
              derivative = op('*', node, du);
              break;
            case 'sqrt':
              derivative = op('/', du, op('*', TWO, node));
              break;
          }
        }
        return { expr: node, derivative, dependsOnVariable };
      }
    }
  });
  return result.derivative ?? int(0);
}
