import { DivisionByZeroError, EvalError } from './errors';

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

function bitLength(n: bigint): number {
  if (n < 0n) n = -n;
  return n === 0n ? 0 : n.toString(16).length * 4;
}

/** Exponent results larger than this many bits are refused (they are never learnable data). */
const MAX_POWER_BITS = 1 << 20;

/** Exact rational number on BigInt. Always reduced, denominator positive. */
export class Rational {
  private constructor(
    readonly num: bigint,
    readonly den: bigint,
  ) {}

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);
  static readonly MINUS_ONE = new Rational(-1n, 1n);

  static of(num: bigint, den: bigint = 1n): Rational {
    if (den === 0n) throw new DivisionByZeroError();
    if (den === 1n) return new Rational(num, 1n);
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num, den);
    return g === 1n ? new Rational(num, den) : new Rational(num / g, den / g);
  }

  static fromInt(n: number | bigint): Rational {
    return new Rational(typeof n === 'bigint' ? n : BigInt(n), 1n);
  }

  /** The exact value of a decimal text such as `-12.375` (no exponent). */
  static fromDecimal(text: string): Rational {
    const dot = text.indexOf('.');
    if (dot < 0) return new Rational(BigInt(text), 1n);
    const digits = text.slice(0, dot) + text.slice(dot + 1);
    return Rational.of(BigInt(digits), 10n ** BigInt(text.length - dot - 1));
  }

  get isInteger(): boolean {
    return this.den === 1n;
  }
  get isZero(): boolean {
    return this.num === 0n;
  }
  get sign(): -1 | 0 | 1 {
    return this.num < 0n ? -1 : this.num > 0n ? 1 : 0;
  }

  add(o: Rational): Rational {
    if (this.den === 1n && o.den === 1n) return new Rational(this.num + o.num, 1n);
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    if (this.den === 1n && o.den === 1n) return new Rational(this.num - o.num, 1n);
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    if (this.den === 1n && o.den === 1n) return new Rational(this.num * o.num, 1n);
    return Rational.of(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    if (o.num === 0n) throw new DivisionByZeroError();
    return Rational.of(this.num * o.den, this.den * o.num);
  }
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }
  abs(): Rational {
    return this.num < 0n ? this.neg() : this;
  }
  inv(): Rational {
    if (this.num === 0n) throw new DivisionByZeroError();
    return Rational.of(this.den, this.num);
  }

  /** this^n for an integer n; 0^negative is a division by zero. */
  pow(n: bigint): Rational {
    if (n === 0n) return Rational.ONE;
    if (this.num === 0n) {
      if (n < 0n) throw new DivisionByZeroError('zero to a negative power');
      return Rational.ZERO;
    }
    const magnitude = n < 0n ? -n : n;
    const bits = Math.max(bitLength(this.num), bitLength(this.den));
    if (bits > 1 && Number(magnitude) * (bits - 1) > MAX_POWER_BITS) {
      throw new EvalError(`power too large: about ${Number(magnitude) * (bits - 1)} bits`);
    }
    const p = new Rational(this.num ** magnitude, this.den ** magnitude);
    return n < 0n ? p.inv() : p;
  }

  /** Exact q-th root when it exists (q >= 2), else null. Negative values only for odd q. */
  root(q: bigint): Rational | null {
    if (this.num < 0n) {
      if (q % 2n === 0n) return null;
      const r = this.neg().root(q);
      return r === null ? null : r.neg();
    }
    const n = integerRoot(this.num, q);
    const d = integerRoot(this.den, q);
    return n === null || d === null ? null : new Rational(n, d);
  }

  compare(o: Rational): number {
    const diff = this.num * o.den - o.num * this.den;
    return diff < 0n ? -1 : diff > 0n ? 1 : 0;
  }
  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }

  /** Nearest double (correct for small values; within an ulp or two for huge ones). */
  toNumber(): number {
    const n = this.num;
    const d = this.den;
    if (d === 1n) return Number(n);
    if (n >= -9007199254740992n && n <= 9007199254740992n && d <= 9007199254740992n) return Number(n) / Number(d);
    // Scale so the quotient keeps ~64 significant bits before converting.
    const shift = bitLength(n) - bitLength(d) - 64;
    const q = shift >= 0 ? n / (d << BigInt(shift)) : (n << BigInt(-shift)) / d;
    return Number(q) * 2 ** shift;
  }

  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }

  /** console.log shows the number (`18446744073709551616`, `1/3`), not the fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Exact integer q-th root of n >= 0, or null when n is not a perfect q-th power. */
function integerRoot(n: bigint, q: bigint): bigint | null {
  if (n < 2n) return n;
  const qn = Number(q);
  // Newton's method from an upper estimate.
  let x = 1n << BigInt(Math.ceil(bitLength(n) / qn) + 1);
  for (;;) {
    const y = ((q - 1n) * x + n / x ** (q - 1n)) / q;
    if (y >= x) break;
    x = y;
  }
  return x ** q === n ? x : null;
}
