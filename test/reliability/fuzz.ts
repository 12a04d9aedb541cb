// The expression fuzzer shared by the fuzz test (a few thousand runs) and scripts/fuzz.ts (as
// many as asked): Polish-like text from tokens, numbers of any length, stray and control
// characters; parse, print, the graph round trip and tree edit distance on whatever parses.
import fc from 'fast-check';
import { parse, print } from '../../src/engine/index';
import { GraphemeError } from '../../src/errors';
import { treeEditDistance } from '../../src/ged/index';
import { MathGraph } from '../../src/graph/index';

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noNaN: true }).map((x) => String(x)),
  fc.tuple(fc.boolean(), digits(1, 30), fc.option(digits(0, 30), { nil: undefined })).map(([neg, whole, frac]) => `${neg ? '-' : ''}${whole}${frac === undefined ? '' : `.${frac}`}`),
  // around the double range: 300-420 integer digits
  fc.tuple(fc.boolean(), digits(300, 420), fc.option(digits(0, 40), { nil: undefined })).map(([neg, whole, frac]) => `${neg ? '-' : ''}${whole}${frac === undefined ? '' : `.${frac}`}`),
);

const token = fc.oneof(
  { weight: 4, arbitrary: number },
  { weight: 3, arbitrary: fc.constantFrom('(', ')', '(', ')', '+', '-', '*', '/', '^', '=') },
  { weight: 2, arbitrary: fc.constantFrom('sin', 'cos', 'tan', 'log', 'exp', 'sqrt', 'derive', 'integrate', 'solve', 'x', 'y', 'e', 'pi') },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u001b', '\t', '\n', '\ud800', '.', '--1', '1.', '.5', '1e5', 'Infinity', 'NaN') },
);

/** Well-formed Polish of any shape (arities right or off by one), numbers of any size. */
const wellFormed = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    number,
    fc.constantFrom('x', 'y', 'e', 'pi'),
    fc.tuple(fc.constantFrom('+', '-', '*', '/', '^'), fc.array(tie('expr'), { minLength: 1, maxLength: 4 })).map(([head, args]) => `(${head} ${args.join(' ')})`),
    fc.tuple(fc.constantFrom('sin', 'cos', 'tan', 'log', 'exp', 'sqrt'), tie('expr')).map(([head, arg]) => `(${head} ${arg})`),
    fc.tuple(tie('expr'), fc.constantFrom('x', 'e')).map(([f, v]) => `(derive ${f} ${v})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([f, a, b]) => `(integrate ${f} x ${a} ${b})`),
    fc.tuple(tie('expr'), tie('expr')).map(([l, r]) => `(solve (= ${l} ${r}) x)`),
  ),
})).expr;

/** Well-formed Polish, Polish-looking token soup, and any string at all. */
export const expressionText = fc.oneof(
  { weight: 5, arbitrary: wellFormed },
  { weight: 5, arbitrary: fc.array(token, { maxLength: 40 }).map((ts) => ts.join(' ')) },
  { weight: 2, arbitrary: fc.array(token, { maxLength: 40 }).map((ts) => ts.join('')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

/**
 * Everything the engine does with one text. `parse` and treeEditDistance of the raw text may
 * throw, but only a GraphemeError; a text that parses must print, round-trip through
 * MathGraph and be measured without any throw. Returns what went wrong, or null.
 */
export function exercise(text: string): unknown {
  try {
    treeEditDistance(text, '(+ 1 2)');
  } catch (err) {
    if (!(err instanceof GraphemeError)) return err;
  }
  let expr;
  try {
    expr = parse(text);
  } catch (err) {
    return err instanceof GraphemeError ? null : err;
  }
  try {
    const printed = print(expr);
    if (print(parse(printed)) !== printed) return new Error(`print is not a fixed point for ${JSON.stringify(text)}`);
    const graph = MathGraph.fromPolish(printed);
    MathGraph.fromJSON(graph.toJSON());
    treeEditDistance(printed, graph);
    return null;
  } catch (err) {
    return err; // a text that parses has a printed form, a graph and a distance
  }
}
