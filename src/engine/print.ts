import { PrintError } from './errors';
import type { Expr } from './expr';

/**
 * Canonical decimal text of a double: shortest round-trip digits, never exponent notation,
 * always a fractional part (`2.0`), and -0 printed as `0.0`. Parsing it gives the same double.
 */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new PrintError(`cannot print the non-finite float ${value}: Polish text has no infinities or NaN`);
  if (value === 0) return '0.0';
  const text = String(value);
  const ePos = text.indexOf('e');
  if (ePos < 0) return text.indexOf('.') < 0 ? `${text}.0` : text;
  const negative = text[0] === '-';
  const mantissa = text.slice(negative ? 1 : 0, ePos);
  const exponent = Number(text.slice(ePos + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const pointAt = (dot < 0 ? mantissa.length : dot) + exponent; // digits before the decimal point
  let body: string;
  if (pointAt <= 0) body = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) body = `${digits}${'0'.repeat(pointAt - digits.length)}.0`;
  else body = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${body}` : body;
}

/** The Polish token of one node, without its children: `+`, `sin`, `x`, `-3`, `0.5`. */
export function nodeToken(node: Expr): string {
  switch (node.type) {
    case 'int':
      return node.value.toString();
    case 'float':
      return formatFloat(node.value);
    default:
      return node.value;
  }
}

/**
 * Canonical Polish text: `(op a b)`, single spaces. A pre-order walk with an explicit stack
 * (deep trees are fine) appending each token to one string: no text per subtree.
 */
export function print(expr: Expr): string {
  const stack: (Expr | null)[] = [expr]; // null: the ')' closing a list
  let text = '';
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === null) {
      text += ')';
      continue;
    }
    if (text.length > 0) text += ' ';
    if (node.type === 'op' || node.type === 'fn') {
      text += '(' + node.value;
      stack.push(null);
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
    } else {
      text += nodeToken(node);
    }
  }
  return text;
}
