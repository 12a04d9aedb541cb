import { GraphemeError } from '../errors';
/** Typed errors of the math engine. Every message says where (column) or what (symbol, value). */

/** withoutEngineStacks calls under way (nested calls count) */
let stackless = 0;

/**
 * Runs `f` with the engine's errors made without a stack trace, for a caller that catches and
 * counts them: the generator rejects a draw on a division by zero or a domain error (levels
 * 2–4 meet one for every 7–14 records they keep), and capturing a stack was ~10% of drawing levels
 * 1–4 (docs/experiments.md, "Both cores, ninth pass"). Every other error keeps its stack.
 */
export function withoutEngineStacks<T>(f: () => T): T {
  stackless++;
  try {
    return f();
  } finally {
    stackless--;
  }
}

export class EngineError extends GraphemeError {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    if (stackless > 0) Error.stackTraceLimit = 0; // read by the Error constructor below
    super(message);
    Error.stackTraceLimit = limit;
    this.name = new.target.name;
  }
}

/** Malformed Polish text. `column` and `line` are 1-based; `offset` is 0-based into the input. */
export class ParseError extends EngineError {
  constructor(
    readonly detail: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(line > 1 ? `${detail} at line ${line}, column ${column}` : `${detail} at column ${column}`);
  }
}

/** A value that has no Polish text (a non-finite float in an expression built by hand). */
export class PrintError extends EngineError {}

/** A well-formed expression that has no value (or no value we can compute). */
export class EvalError extends EngineError {}

export class DivisionByZeroError extends EvalError {
  constructor(what = 'division by zero') {
    super(what);
  }
}

/** Outside a function's real domain: log or sqrt of a negative, a non-finite result, ... */
export class DomainError extends EvalError {}

export class UnboundSymbolError extends EvalError {
  constructor(readonly symbol: string) {
    super(`symbol '${symbol}' has no binding`);
  }
}

/** `solve` found no real root (or every number is a root). */
export class NoSolutionError extends EvalError {}

/** Numeric quadrature did not converge (singular or wildly oscillating integrand). */
export class IntegrationError extends EvalError {}

/** The engine deliberately does not handle this form (e.g. `solve` inside a symbolic expression). */
export class UnsupportedError extends EvalError {}
