import { derive } from './derive';
import { EvalError, UnboundSymbolError } from './errors';
import { CONSTANTS, type ElementaryFn, type Expr, isConstant } from './expr';
import { integrate } from './integrate';
import { Rational } from './rational';
import { solve } from './solve';
import { add, applyFn, type Bindings, bindingValue, div, mul, pow, sub, type Value } from './value';

function variableOf(node: Expr): string {
  return (node as { value: string }).value;
}

/** Value of a calculus node, evaluated as a whole (its variable is bound inside). */
function evaluateCalculus(node: Expr & { type: 'fn' }, bindings: Bindings): Value {
  const [body, variableNode] = node.children;
  const variable = variableOf(variableNode);
  switch (node.value) {
    case 'derive':
      // The derivative function evaluated at the bound value of the variable.
      return evaluate(derive(body, variable), bindings);
    case 'integrate': {
      const lower = evaluate(node.children[2], bindings);
      const upper = evaluate(node.children[3], bindings);
      return integrate(body, variable, lower, upper, bindings).value;
    }
    case 'solve':
      // A scalar value of an equation: its smallest real root (see SolveResult for all of them).
      return solve(body, variable, bindings).roots[0];
    default:
      throw new EvalError(`'${node.value}' is not a calculus function`);
  }
}

/**
 * Numeric value of an expression: exact rationals for + - * / and rational powers, doubles
 * once a transcendental function or e/pi enters. `(derive f x)` is f' at the bound x,
 * `(integrate f x a b)` the definite integral, `(solve (= l r) x)` the smallest real root.
 * Errors are typed: DivisionByZeroError, DomainError, UnboundSymbolError, NoSolutionError,
 * IntegrationError. Iterative: deep trees are fine.
 */
export function evaluate(expr: Expr, bindings: Bindings = {}): Value {
  for (const name in bindings) if (isConstant(name)) throw new EvalError(`cannot bind the constant '${name}'`);
  const nodes: Expr[] = [expr];
  const nextChild: number[] = [0];
  const values: Value[] = [];
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    const node = nodes[top];
    switch (node.type) {
      case 'int':
      case 'float':
      case 'symbol': {
        nodes.pop();
        nextChild.pop();
        values.push(leafValue(node, bindings));
        continue;
      }
      case 'fn':
        if (node.value === 'derive' || node.value === 'integrate' || node.value === 'solve') {
          nodes.pop();
          nextChild.pop();
          values.push(evaluateCalculus(node, bindings));
          continue;
        }
        break;
      case 'op':
        if (node.value === '=') throw new EvalError(`'=' has no value outside solve`);
        break;
    }
    const kids = (node as { children: readonly Expr[] }).children;
    const i = nextChild[top];
    if (i < kids.length) {
      nextChild[top] = i + 1;
      nodes.push(kids[i]);
      nextChild.push(0);
      continue;
    }
    nodes.pop();
    nextChild.pop();
    if (node.type === 'fn') {
      values.push(applyFn(node.value as ElementaryFn, values.pop()!));
      continue;
    }
    const b = values.pop()!;
    const a = values.pop()!;
    switch (node.value) {
      case '+': values.push(add(a, b)); break;
      case '-': values.push(sub(a, b)); break;
      case '*': values.push(mul(a, b)); break;
      case '/': values.push(div(a, b)); break;
      case '^': values.push(pow(a, b)); break;
    }
  }
  return values[0];
}

function leafValue(node: Expr, bindings: Bindings): Value {
  switch (node.type) {
    case 'int':
      return Rational.fromInt(node.value);
    case 'float':
      return bindingValue(node.value);
    default: {
      const name = node.value as string;
      if (Object.prototype.hasOwnProperty.call(CONSTANTS, name)) return CONSTANTS[name];
      if (!Object.prototype.hasOwnProperty.call(bindings, name)) throw new UnboundSymbolError(name);
      return bindingValue(bindings[name]);
    }
  }
}
