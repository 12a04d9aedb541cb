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

/** A real function of one variable. */
export type NumericFunction = (x: number) => number;

/** What compileNumeric returns: f(x), and `many(xs, out, n)`, which writes f at xs[0 … n − 1] (n defaults to xs.length) into out. */
export interface CompiledFunction extends NumericFunction {
  many(xs: ArrayLike<number>, out: Float64Array, n?: number): void;
}

export function compileNumeric(expr: Expr, variable: string | null, bindings: Bindings = {}): CompiledFunction {
  const program = emptyProgram();
  emit(expr, variable, bindings, program);
  // a fresh program's arrays hold exactly what was written
  return stackMachine(Int32Array.from(program.code), Float64Array.from(program.constants), program.maxDepth);
}

/**
 * A postfix program: instruction pairs (instruction, operand) and constants, written from
 * index 0; a reused program's arrays may be longer than what the last emit wrote.
 */
interface Program {
  code: number[];
  codeLength: number;
  constants: number[];
  constantCount: number;
  /** the deepest the stack gets */
  maxDepth: number;
}

const emptyProgram = (): Program => ({ code: [], codeLength: 0, constants: [], constantCount: 0, maxDepth: 0 });

// numericValue's program and stack, and emit's walk, reused from call to call (nothing they
// call emits again); arrays are written by index and never shortened, so a call allocates
// nothing once they have grown (entries past the counts are stale)
const once = emptyProgram();
let onceStack = new Float64Array(8);
const emitOrder: Expr[] = [];
const emitStack: Expr[] = [];

/**
 * The value of `expr` at `variable` = x (or of a constant expression, variable null), on the
 * same postfix program as compileNumeric, without building a function: a one-point check
 * (the generator verifies every record with one) allocates nothing once warm.
 */
export function numericValue(expr: Expr, variable: string | null, bindings: Bindings, x: number): number {
  emit(expr, variable, bindings, once);
  if (onceStack.length <= once.maxDepth) onceStack = new Float64Array(2 * (once.maxDepth + 1));
  return runOnce(once.code, once.codeLength, once.constants, onceStack, x);
}

/**
 * Writes `expr`'s postfix program into `program` from index 0 (a nested derive expanded
 * first). Post-order by reversing a pre-order walk that visits children right to left, so no
 * recursion and nothing allocated per node.
 */
function emit(expr: Expr, variable: string | null, bindings: Bindings, program: Program, expanded = false): void {
  const order = emitOrder;
  const stack = emitStack;
  let count = 0;
  let top = 0;
  let derive = false;
  stack[top++] = expr;
  while (top > 0) {
    const node = stack[--top];
    order[count++] = node;
    if (node.type === 'op' || node.type === 'fn') {
      if (node.type === 'fn' && node.value === 'derive') derive = true;
      for (const child of node.children) stack[top++] = child;
    }
  }
  if (derive && !expanded) return emit(expandDerivatives(expr), variable, bindings, program, true);
  const { code, constants } = program;
  let c = 0;
  let k = 0;
  let depth = 0;
  let maxDepth = 0;
  for (let i = count - 1; i >= 0; i--) {
    const node = order[i];
    switch (node.type) {
      case 'int':
      case 'float':
        code[c++] = PUSH_CONST;
        code[c++] = k;
        constants[k++] = Number(node.value);
        break;
      case 'symbol': {
        const name = node.value;
        if (name === variable) {
          code[c++] = PUSH_VAR;
          code[c++] = 0;
        } else {
          code[c++] = PUSH_CONST;
          code[c++] = k;
          constants[k++] = symbolValue(name, bindings);
        }
        break;
      }
      case 'op':
        if (node.value === '=') throw new UnsupportedError(`'=' is only meaningful inside solve`);
        code[c++] = OP_CODE[node.value];
        code[c++] = 0;
        depth -= 2; // two popped, one pushed below
        break;
      case 'fn': {
        const f = FN_CODE[node.value];
        if (f === undefined) throw new UnsupportedError(`'${node.value}' cannot be evaluated numerically inside another expression`);
        code[c++] = f;
        code[c++] = 0;
        depth--;
        break;
      }
    }
    if (++depth > maxDepth) maxDepth = depth;
  }
  program.codeLength = c;
  program.constantCount = k;
  program.maxDepth = maxDepth;
}

/** A bound symbol's double: a constant's, or the binding's exact meaning (its shortest decimal) rounded. */
function symbolValue(name: string, bindings: Bindings): number {
  if (Object.prototype.hasOwnProperty.call(CONSTANTS, name)) return CONSTANTS[name];
  if (!Object.prototype.hasOwnProperty.call(bindings, name)) throw new UnboundSymbolError(name);
  const bound = bindings[name];
  if (typeof bound !== 'number') return bound.toNumber();
  if (Number.isSafeInteger(bound)) return bound === 0 ? 0 : bound; // what the exact path gives, without it
  return rationalFromFloat(bound).toNumber();
}

/**
 * The program's two evaluators. One point: a Float64Array stack, so no value is boxed on the
 * way (nested closures boxed one number per node per call: most of record generation's
 * garbage on the calculus levels; level 6's records took 83 µs each with either). Many
 * points: each instruction runs over all n points at once (stack slot s holds rows s·n …
 * s·n + n − 1), so a quadrature rule's nodes cost one pass over the program and no
 * allocation once the stack has grown.
 */
function stackMachine(program: Int32Array, values: Float64Array, maxDepth: number): CompiledFunction {
  const stack = new Float64Array(maxDepth + 1);
  let rows = new Float64Array(0);
  const one = (x: number): number => runOnce(program, program.length, values, stack, x);
  const many = (xs: ArrayLike<number>, out: Float64Array, n: number = xs.length): void => {
    if (!Number.isInteger(n) || n < 0 || n > xs.length || n > out.length) throw new RangeError(`many: n = ${n} points, xs holds ${xs.length} and out ${out.length}`);
    if (rows.length < (maxDepth + 1) * n) rows = new Float64Array((maxDepth + 1) * n);
    let top = -n; // first row of the top slot
    for (let pc = 0; pc < program.length; pc += 2) {
      const op = program[pc];
      if (op === PUSH_CONST) {
        top += n;
        rows.fill(values[program[pc + 1]], top, top + n);
      } else if (op === PUSH_VAR) {
        top += n;
        for (let i = 0; i < n; i++) rows[top + i] = xs[i];
      } else if (op >= SIN) {
        unaryRows(op, rows, top, top + n);
      } else {
        binaryRows(op, rows, top - n, top, n);
        top -= n;
      }
    }
    for (let i = 0; i < n; i++) out[i] = rows[i];
  };
  return Object.assign(one, { many });
}

/** The program's first `length` entries at one point, on `stack` (at least its deepest + 1 long). */
function runOnce(program: ArrayLike<number>, length: number, values: ArrayLike<number>, stack: Float64Array, x: number): number {
  let sp = -1;
  for (let pc = 0; pc < length; pc += 2) {
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
}

// one loop per operation (the switch outside it): the loops are the quadrature's inner work

/** rows[i] ← op(rows[i]) for i in [from, to) */
function unaryRows(op: number, rows: Float64Array, from: number, to: number): void {
  switch (op) {
    case SIN: for (let i = from; i < to; i++) rows[i] = Math.sin(rows[i]); return;
    case COS: for (let i = from; i < to; i++) rows[i] = Math.cos(rows[i]); return;
    case TAN: for (let i = from; i < to; i++) rows[i] = Math.tan(rows[i]); return;
    case LOG: for (let i = from; i < to; i++) rows[i] = Math.log(rows[i]); return;
    case EXP: for (let i = from; i < to; i++) rows[i] = Math.exp(rows[i]); return;
    default: for (let i = from; i < to; i++) rows[i] = Math.sqrt(rows[i]);
  }
}

/** rows[a + i] ← rows[a + i] op rows[b + i] for i in [0, n) */
function binaryRows(op: number, rows: Float64Array, a: number, b: number, n: number): void {
  switch (op) {
    case ADD: for (let i = 0; i < n; i++) rows[a + i] += rows[b + i]; return;
    case SUB: for (let i = 0; i < n; i++) rows[a + i] -= rows[b + i]; return;
    case MUL: for (let i = 0; i < n; i++) rows[a + i] *= rows[b + i]; return;
    case DIV: for (let i = 0; i < n; i++) rows[a + i] /= rows[b + i]; return;
    default: for (let i = 0; i < n; i++) rows[a + i] = Math.pow(rows[a + i], rows[b + i]);
  }
}
