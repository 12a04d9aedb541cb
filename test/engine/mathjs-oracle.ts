// Independent oracle: converts our expressions to mathjs infix and evaluates them with mathjs.
import { create, all, type MathJsInstance } from 'mathjs';
import { type Expr, foldExpr, formatFloat } from '../../src/engine/index';

export const math: MathJsInstance = create(all, { number: 'number' });

/** mathjs infix text of an arithmetic/elementary expression (no calculus nodes). */
export function toInfix(expr: Expr): string {
  return foldExpr<string>(expr, (node, kids) => {
    switch (node.type) {
      case 'int':
        return `(${node.value.toString()})`;
      case 'float':
        return `(${formatFloat(node.value)})`;
      case 'symbol':
        return node.value;
      case 'op':
        if (node.value === '=') throw new Error('no = in infix');
        return `(${kids[0]} ${node.value} ${kids[1]})`;
      case 'fn':
        if (['derive', 'integrate', 'solve'].includes(node.value)) throw new Error(`no ${node.value} in infix`);
        return `${node.value}(${kids[0]})`;
    }
  });
}

/** mathjs's real value of an expression, or null when mathjs says it is not a finite real. */
export function mathjsValue(expr: Expr, scope: Record<string, number> = {}): number | null {
  const v: unknown = math.evaluate(toInfix(expr), { ...scope });
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function relativeClose(a: number, b: number, rel = 1e-9, abs = 1e-12): boolean {
  return Math.abs(a - b) <= abs + rel * Math.max(Math.abs(a), Math.abs(b));
}
