import { excerpt } from '../util/text';
import { ParseError } from './errors';
import { type Expr, type FnName, type OpName, FN_ARITY, isConstant, isFnName, isOpName } from './expr';

/**
 * Polish-notation parser. Grammar: expr = number | symbol | '(' head expr* ')', where head
 * is an operator (`+ - * / ^ =`) or a function (`sin cos tan log exp sqrt derive integrate
 * solve`). Numbers: `-?digits(.digits)?`. `+` and `*` take 2+ arguments and are folded to
 * left-nested binary nodes; `-`, `/`, `^`, `=` take exactly 2 (negation is a literal `-3`
 * or `(* -1 x)`). `derive` (f, var), `integrate` (f, var, lower, upper) and
 * `solve` ((= lhs rhs), var) need a non-constant symbol as their variable; `=` is only
 * allowed as the first argument of `solve`.
 *
 * Iterative with an explicit stack: nesting depth is limited only by memory.
 */

interface Frame {
  head: OpName | FnName;
  isOp: boolean;
  openOffset: number;
  children: Expr[];
  /** where each child starts, for a function's argument errors (null for an operator: its errors point at the '(') */
  childOffsets: number[] | null;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** 'int' | 'float' for a valid number token, null otherwise. */
function numberKind(token: string): 'int' | 'float' | null {
  let i = token.charCodeAt(0) === 45 ? 1 : 0;
  const digitsStart = i;
  while (i < token.length && isDigit(token.charCodeAt(i))) i++;
  if (i === digitsStart) return null;
  if (i === token.length) return 'int';
  if (token.charCodeAt(i) !== 46) return null;
  const fractionStart = ++i;
  while (i < token.length && isDigit(token.charCodeAt(i))) i++;
  return i > fractionStart && i === token.length ? 'float' : null;
}

function isIdentifier(token: string): boolean {
  if (!isIdentStart(token.charCodeAt(0))) return false;
  for (let i = 1; i < token.length; i++) if (!isIdentPart(token.charCodeAt(i))) return false;
  return true;
}

function describe(token: string): string {
  return `'${excerpt(token, 24)}'`;
}

export function parse(text: string): Expr {
  return new PolishParser(text).run();
}

/** One parse's state, with methods rather than closures made per call. */
class PolishParser {
  private readonly frames: Frame[] = [];
  private root: Expr | null = null;

  constructor(private readonly text: string) {}

  private fail(detail: string, offset: number): never {
    const text = this.text;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new ParseError(detail, offset, line, offset - lineStart + 1);
  }

  /** The token starting at `start`: up to a space or a parenthesis. */
  private readToken(start: number): string {
    const text = this.text;
    let end = start;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (isSpace(c) || c === 40 || c === 41) break;
      end++;
    }
    return text.slice(start, end);
  }

  private attach(node: Expr, offset: number): void {
    const frames = this.frames;
    if (frames.length === 0) {
      if (this.root !== null) this.fail(`unexpected ${describe(this.readToken(offset))} after the end of the expression`, offset);
      this.root = node;
      return;
    }
    const frame = frames[frames.length - 1];
    frame.children.push(node);
    frame.childOffsets?.push(offset);
  }

  private close(frame: Frame): Expr {
    const kids = frame.children;
    const n = kids.length;
    if (frame.isOp) {
      const head = frame.head as OpName;
      if (head === '+' || head === '*') {
        if (n < 2) this.fail(`'${head}' expects at least 2 arguments, got ${n}`, frame.openOffset);
        let acc: Expr = { type: 'op', value: head, children: [kids[0], kids[1]] };
        for (let i = 2; i < n; i++) acc = { type: 'op', value: head, children: [acc, kids[i]] };
        return acc;
      }
      if (n !== 2) this.fail(`'${head}' expects 2 arguments, got ${n}`, frame.openOffset);
      return { type: 'op', value: head, children: kids };
    }
    const head = frame.head as FnName;
    const arity = FN_ARITY[head];
    if (n !== arity) this.fail(`'${head}' expects ${arity} argument${arity === 1 ? '' : 's'}, got ${n}`, frame.openOffset);
    if (head === 'derive' || head === 'integrate' || head === 'solve') {
      const variable = kids[1];
      if (variable.type !== 'symbol' || isConstant(variable.value)) {
        this.fail(`'${head}' needs a variable (a symbol other than e, pi) as argument 2`, frame.childOffsets![1]);
      }
      if (head === 'solve') {
        const equation = kids[0];
        if (equation.type !== 'op' || equation.value !== '=') {
          this.fail(`'solve' needs an equation (= lhs rhs) as argument 1`, frame.childOffsets![0]);
        }
      }
    }
    return { type: 'fn', value: head, children: kids };
  }

  run(): Expr {
    const { text, frames } = this;
    const length = text.length;
    let pos = 0;
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (isSpace(c)) {
        pos++;
        continue;
      }
      if (c === 40) {
        // '(' head
        const openOffset = pos;
        if (frames.length === 0 && this.root !== null) this.fail(`unexpected '(' after the end of the expression`, pos);
        pos++;
        while (pos < length && isSpace(text.charCodeAt(pos))) pos++;
        if (pos >= length) this.fail(`unexpected end of input, expected an operator or function after '('`, pos);
        const h = text.charCodeAt(pos);
        if (h === 41) this.fail(`empty list '()'`, openOffset);
        if (h === 40) this.fail(`expected an operator or function name, got '('`, pos);
        const headOffset = pos;
        const token = this.readToken(pos);
        pos += token.length;
        if (isOpName(token)) {
          if (token === '=') {
            const parent = frames[frames.length - 1];
            if (parent === undefined || parent.head !== 'solve' || parent.children.length !== 0) {
              this.fail(`'=' is only allowed as the first argument of solve`, headOffset);
            }
          }
          frames.push({ head: token, isOp: true, openOffset, children: [], childOffsets: null });
        } else if (isFnName(token)) {
          frames.push({ head: token, isOp: false, openOffset, children: [], childOffsets: [] });
        } else if (isIdentifier(token)) {
          this.fail(`unknown function ${describe(token)}`, headOffset);
        } else {
          this.fail(`expected an operator or function name, got ${describe(token)}`, headOffset);
        }
        continue;
      }
      if (c === 41) {
        const frame = frames.pop();
        if (frame === undefined) this.fail(`unexpected ')'`, pos);
        const node = this.close(frame);
        pos++;
        this.attach(node, frame.openOffset);
        continue;
      }
      const tokenOffset = pos;
      const token = this.readToken(pos);
      pos += token.length;
      const kind = numberKind(token);
      let node: Expr;
      if (kind === 'int') node = { type: 'int', value: BigInt(token) };
      else if (kind === 'float') {
        const value = Number(token);
        // more than ~308 integer digits: a double cannot hold it, and Infinity has no Polish text
        if (!Number.isFinite(value)) this.fail(`number ${describe(token)} is too large for a float (at most ~1.8e308)`, tokenOffset);
        node = { type: 'float', value: value === 0 ? 0 : value };
      } else if (isIdentifier(token)) {
        if (isFnName(token)) this.fail(`function '${token}' must be applied: write (${token} ...)`, tokenOffset);
        node = { type: 'symbol', value: token };
      } else if (isOpName(token)) {
        this.fail(`operator '${token}' must follow '('`, tokenOffset);
      } else {
        this.fail(`invalid token ${describe(token)}`, tokenOffset);
      }
      this.attach(node, tokenOffset);
    }
    if (frames.length > 0) {
      const open = frames[frames.length - 1];
      this.fail(`unexpected end of input, expected ')' to close '(${open.head}'`, length);
    }
    if (this.root === null) this.fail('empty input, expected an expression', length);
    return this.root;
  }
}
