import { differentiate } from './derive-rules';
import { UnboundSymbolError, UnsupportedError } from './errors';
import { CONSTANTS, type Expr, foldExpr } from './expr';
import { rationalFromFloat, type Bindings } from './value';

/**
 * Compiles an expression to a flat postfix program over doubles, for the hot numeric loops
 * (quadrature, root scans, finite-difference checks). A stack machine instead of nested
 * closures, so evaluating a deep expression cannot overflow the call stack. Pure IEEE
 * semantics: log of a negative gives NaN, 1/0 gives Infinity — callers check finiteness.
 */

const PUSH_CONST = 0, PUSH_VAR = 1, ADD = 2, SUB = 3, MUL = 4, DIV = 5, POW = 6;
const SIN = 7, COS = 8, TAN = 9, LOG = 10, EXP = 11, SQRT = 12;

const FN_CODE: Record<string, number> = { sin: SIN, cos: COS, tan: TAN, log: LOG, exp: EXP, sqrt: SQRT };
const OP_CODE: Record<string, number> = { '+': ADD, '-': SUB, '*': MUL, '/': DIV, '^': POW };

/** Replaces each nested (derive f v) by its (unsimplified) derivative. */
function expandDerivatives(expr: Expr): Expr {
  return foldExpr<Expr>(expr, (node, kids) => {
    if (node.type === 'fn' && node.value === 'derive') return differentiate(kids[0], (kids[1] as { value: string }).value);
    if (node.type === 'op' || node.type === 'fn') return { ...node, children: kids } as Expr;
    return node;
  });
}

export type NumericFunction = (x: number) => number;

export function compileNumeric(expr: Expr, variable: string | null, bindings: Bindings = {}): NumericFunction {
  const code: number[] = [];
  const constants: number[] = [];
  let depth = 0;
  let maxDepth = 0;
  const push = () => {
    depth++;
    if (depth > maxDepth) maxDepth = depth;
  };
  const source = expr.type === 'op' || expr.type === 'fn' ? expandDerivatives(expr) : expr;
  foldExpr<void>(source, (node) => {
    switch (node.type) {
      case 'int':
        code.push(PUSH_CONST, constants.length);
        constants.push(Number(node.value));
        push();
        return;
      case 'float':
        code.push(PUSH_CONST, constants.length);
        constants.push(node.value);
        push();
        return;
      case 'symbol': {
        const name = node.value;
        if (name === variable) {
          code.push(PUSH_VAR, 0);
        } else {
          code.push(PUSH_CONST, constants.length);
          if (Object.prototype.hasOwnProperty.call(CONSTANTS, name)) constants.push(CONSTANTS[name]);
          else if (Object.prototype.hasOwnProperty.call(bindings, name)) {
            const bound = bindings[name];
            constants.push(typeof bound === 'number' ? rationalFromFloat(bound).toNumber() : bound.toNumber());
          } else throw new UnboundSymbolError(name);
        }
        push();
        return;
      }
      case 'op':
        if (node.value === '=') throw new UnsupportedError(`'=' is only meaningful inside solve`);
        code.push(OP_CODE[node.value], 0);
        depth--;
        return;
      case 'fn': {
        const c = FN_CODE[node.value];
        if (c === undefined) throw new UnsupportedError(`'${node.value}' cannot be evaluated numerically inside another expression`);
        code.push(c, 0);
        return;
      }
    }
  });
  if (maxDepth <= CLOSURE_MAX_DEPTH && exprDepthAtMost(source, CLOSURE_MAX_DEPTH)) return closureOf(code, constants);
  const program = Int32Array.from(code);
  const values = Float64Array.from(constants);
  const stack = new Float64Array(maxDepth + 1);
  return (x: number): number => {
    let sp = -1;
    for (let pc = 0; pc < program.length; pc += 2) {
      switch (program[pc]) {
        case PUSH_CONST: stack[++sp] = values[program[pc + 1]]; break;
        case PUSH_VAR: stack[++sp] = x; break;
        case ADD: stack[sp - 1] += stack[sp]; sp--; break;
        case SUB: stack[sp - 1] -= stack[sp]; sp--; break;
        case MUL: stack[sp - 1] *= stack[sp]; sp--; break;
        case DIV: stack[sp - 1] /= stack[sp]; sp--; break;
        case POW: stack[sp - 1] = Math.pow(stack[sp - 1], stack[sp]); sp--; break;
        case SIN: stack[sp] = Math.sin(stack[sp]); break;
        case COS: stack[sp] = Math.cos(stack[sp]); break;
        case TAN: stack[sp] = Math.tan(stack[sp]); break;
        case LOG: stack[sp] = Math.log(stack[sp]); break;
        case EXP: stack[sp] = Math.exp(stack[sp]); break;
        case SQRT: stack[sp] = Math.sqrt(stack[sp]); break;
      }
    }
    return stack[0];
  };
}

/**
 * Shallow expressions (the common case) become nested closures, several times faster than
 * the stack machine in quadrature loops; their call depth is bounded by CLOSURE_MAX_DEPTH.
 * (No `new Function`: edge runtimes forbid it.)
 */
const CLOSURE_MAX_DEPTH = 64;

function exprDepthAtMost(expr: Expr, limit: number): boolean {
  const nodes: Expr[] = [expr];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const d = depths.pop()!;
    if (d > limit) return false;
    if (node.type === 'op' || node.type === 'fn') for (const c of node.children) { nodes.push(c); depths.push(d + 1); }
  }
  return true;
}

function closureOf(code: readonly number[], constants: readonly number[]): NumericFunction {
  const stack: NumericFunction[] = [];
  for (let pc = 0; pc < code.length; pc += 2) {
    const instruction = code[pc];
    if (instruction === PUSH_CONST) {
      const c = constants[code[pc + 1]];
      stack.push(() => c);
      continue;
    }
    if (instruction === PUSH_VAR) {
      stack.push((x) => x);
      continue;
    }
    if (instruction >= SIN) {
      const a = stack.pop()!;
      const unary: Record<number, NumericFunction> = {
        [SIN]: (x) => Math.sin(a(x)), [COS]: (x) => Math.cos(a(x)), [TAN]: (x) => Math.tan(a(x)),
        [LOG]: (x) => Math.log(a(x)), [EXP]: (x) => Math.exp(a(x)), [SQRT]: (x) => Math.sqrt(a(x)),
      };
      stack.push(unary[instruction]);
      continue;
    }
    const b = stack.pop()!;
    const a = stack.pop()!;
    switch (instruction) {
      case ADD: stack.push((x) => a(x) + b(x)); break;
      case SUB: stack.push((x) => a(x) - b(x)); break;
      case MUL: stack.push((x) => a(x) * b(x)); break;
      case DIV: stack.push((x) => a(x) / b(x)); break;
      case POW: stack.push((x) => Math.pow(a(x), b(x))); break;
    }
  }
  return stack[0];
}
