import { DivisionByZeroError, DomainError } from './errors';
import type { ElementaryFn } from './expr';
import { formatFloat } from './print';
import { Rational } from './rational';

/**
 * A numeric value: exact (Rational) while only + - * / and rational powers are involved,
 * a double once a transcendental function, a constant (e, pi) or an irrational root enters.
 */
export type Value = Rational | number;

export function isExact(v: Value): v is Rational {
  return typeof v !== 'number';
}

export function toNumber(v: Value): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** Exact rational meaning of a double: the value of its shortest decimal text (0.1 -> 1/10). */
export function rationalFromFloat(value: number): Rational {
  if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return Rational.fromInt(value);
  return Rational.fromDecimal(formatFloat(value));
}

function finite(x: number, what: string): number {
  if (!Number.isFinite(x)) throw new DomainError(`${what} is not a finite number`);
  return x;
}

export function add(a: Value, b: Value): Value {
  if (typeof a !== 'number' && typeof b !== 'number') return a.add(b);
  return finite(toNumber(a) + toNumber(b), 'sum');
}

export function sub(a: Value, b: Value): Value {
  if (typeof a !== 'number' && typeof b !== 'number') return a.sub(b);
  return finite(toNumber(a) - toNumber(b), 'difference');
}

export function mul(a: Value, b: Value): Value {
  if (typeof a !== 'number' && typeof b !== 'number') return a.mul(b);
  return finite(toNumber(a) * toNumber(b), 'product');
}

export function div(a: Value, b: Value): Value {
  if (typeof a !== 'number' && typeof b !== 'number') return a.div(b);
  const divisor = toNumber(b);
  if (divisor === 0) throw new DivisionByZeroError();
  return finite(toNumber(a) / divisor, 'quotient');
}

export function pow(base: Value, exponent: Value): Value {
  if (typeof base !== 'number' && typeof exponent !== 'number') {
    if (exponent.isInteger) return base.pow(exponent.num);
    // Rational exponent p/q: exact when base is a perfect q-th power.
    if (base.sign < 0 && exponent.den % 2n === 0n) {
      throw new DomainError(`(^ ${base} ${exponent}): even root of a negative number`);
    }
    if (base.isZero && exponent.sign < 0) throw new DivisionByZeroError('zero to a negative power');
    const root = exponent.den <= 64n ? base.root(exponent.den) : null;
    if (root !== null) return root.pow(exponent.num);
    const magnitude = Math.pow(Math.abs(base.toNumber()), exponent.toNumber());
    // Odd root of a negative base: real, sign follows the numerator's parity.
    const negative = base.sign < 0 && exponent.num % 2n !== 0n;
    return finite(negative ? -magnitude : magnitude, 'power');
  }
  const b = toNumber(base);
  const e = toNumber(exponent);
  if (b === 0 && e < 0) throw new DivisionByZeroError('zero to a negative power');
  if (b < 0 && !Number.isInteger(e)) throw new DomainError(`(^ ${b} ${e}): negative base with a non-integer exponent`);
  return finite(Math.pow(b, e), 'power');
}

/**
 * Elementary functions. Arguments with an exact value (sin 0 = 0, log 1 = 0, sqrt 9/4 = 3/2)
 * stay exact; everything else is a double. Outside the real domain is a DomainError.
 */
export function applyFn(name: ElementaryFn, arg: Value): Value {
  if (typeof arg !== 'number') {
    if (arg.isZero && (name === 'sin' || name === 'tan')) return Rational.ZERO;
    if (arg.isZero && (name === 'cos' || name === 'exp')) return Rational.ONE;
    if (name === 'log' && arg.equals(Rational.ONE)) return Rational.ZERO;
    if (name === 'sqrt' && arg.sign >= 0) {
      const root = arg.root(2n);
      if (root !== null) return root;
    }
  }
  const x = toNumber(arg);
  switch (name) {
    case 'sin':
      return finite(Math.sin(x), 'sin');
    case 'cos':
      return finite(Math.cos(x), 'cos');
    case 'tan':
      return finite(Math.tan(x), 'tan');
    case 'exp':
      return finite(Math.exp(x), `(exp ${x})`);
    case 'log':
      if (x <= 0) throw new DomainError(`log of a non-positive number (${x})`);
      return Math.log(x);
    case 'sqrt':
      if (x < 0) throw new DomainError(`sqrt of a negative number (${x})`);
      return Math.sqrt(x);
  }
}

/** Values for free symbols. Plain numbers mean their shortest decimal text (0.1 is 1/10). */
export type Bindings = Readonly<Record<string, number | Rational>>;

export function bindingValue(value: number | Rational): Value {
  if (typeof value !== 'number') return value;
  if (!Number.isFinite(value)) throw new DomainError(`binding value ${value} is not finite`);
  return rationalFromFloat(value);
}
