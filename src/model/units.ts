/**
 * The primitive arithmetic of the value stream: fixed functions of the children's values,
 * which every kind mixes with its own learned weights (the kind → primitive assignment is
 * learned from the loss; nothing tells `/` to use the ratio). In the spirit of NALU, whose
 * units are a fixed sum and a fixed log-exp product with learned weights.
 *
 * Domain guards: a primitive outside its domain (division by ~0, log of a non-positive
 * number, a fractional power of a negative base, …) or beyond ±CAP gives 0 with zero
 * gradient, so one wild child value cannot poison a batch with NaN.
 */
import type { RowFunction } from './ops';

/** |values| and |derivatives| beyond this count as out of the domain */
export const CAP = 1e6;

/**
 * The bound `guard` applies (BOUND[0]: set by the unit function that calls it, CAP by default).
 * HOT PATH (a host pass evaluates units per node, ~100 passes per decoded level-5 answer): no
 * double crosses a call. V8 boxes each double it passes to a call it does not inline, so the
 * primitives read their arguments from the row's array and write results into y and the
 * jacobian, and the bound lives in a typed array (measured: 31 bytes per node before).
 */
const BOUND = new Float64Array([CAP]);

/**
 * Keeps y[j] and its `arity` partial derivatives (just written by the caller) when they are
 * finite and within the bound, else sets all of them to 0 (out of the domain: zero gradient).
 */
function guard(y: Float64Array, jacobian: Float64Array, arity: 1 | 2, j: number): void {
  const bound = BOUND[0];
  const dBound = Math.max(bound, CAP);
  const value = y[j];
  const d0 = jacobian[j * arity];
  const d1 = arity === 2 ? jacobian[j * arity + 1] : 0;
  const ok = Number.isFinite(value) && Math.abs(value) <= bound && Number.isFinite(d0) && Math.abs(d0) <= dBound && (arity === 1 || (Number.isFinite(d1) && Math.abs(d1) <= dBound));
  if (ok) return;
  y[j] = 0;
  jacobian[j * arity] = 0;
  if (arity === 2) jacobian[j * arity + 1] = 0;
}

/** The primitives of two children a, b, by name. */
export const BINARY_PRIMITIVES = ['product', 'ratio', 'power'] as const;
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];

/** Output j: primitive `name` of a = x[0], b = x[1], and its two partial derivatives. */
function binaryPrimitive(name: BinaryPrimitive, x: Float64Array, y: Float64Array, jacobian: Float64Array, j: number): void {
  const a = x[0];
  const b = x[1];
  if (name === 'product') {
    y[j] = a * b;
    jacobian[2 * j] = b;
    jacobian[2 * j + 1] = a;
  } else if (name === 'ratio') {
    const near0 = Math.abs(b) < 1e-6;
    y[j] = near0 ? NaN : a / b;
    jacobian[2 * j] = near0 ? 0 : 1 / b;
    jacobian[2 * j + 1] = near0 ? 0 : -a / (b * b);
  } else {
    const power = Math.pow(a, b);
    y[j] = power;
    // ∂/∂a = b·a^(b−1); ∂/∂b = a^b·ln a (only for a > 0: elsewhere the exponent is held fixed)
    jacobian[2 * j] = b === 0 ? 0 : b * Math.pow(a, b - 1);
    jacobian[2 * j + 1] = a > 0 ? power * Math.log(a) : 0;
  }
  guard(y, jacobian, 2, j);
}

/**
 * The chosen primitives of two children, in the order given. `unitBound` (default CAP): a
 * result beyond ±unitBound (a derivative beyond ±max(unitBound, CAP)) counts as out of the domain (0, zero gradient) — a
 * bound on the explosive features (power, exp, tan) while the weights of the kinds that do
 * not use them are not yet exactly 0 (in the spirit of iNALU's clipped exponent; measured in
 * docs/experiments.md). Lift it (CAP, or Infinity: only non-finite results are out) once
 * they are: (cos (exp (exp 4))) needs exp(54.6) ≈ 5e23.
 */
export function binaryUnits(names: readonly BinaryPrimitive[], unitBound: number = CAP): RowFunction {
  return {
    arity: 2,
    outputs: names.length,
    evaluate(x, y, jacobian) {
      BOUND[0] = unitBound;
      for (let j = 0; j < names.length; j++) binaryPrimitive(names[j], x, y, jacobian, j);
      BOUND[0] = CAP;
    },
  };
}

/** [sin v, cos v, tan v, log v, exp v, sqrt v] of one child (natural log); unitBound as for binaryUnits. */
export function unaryUnits(unitBound: number = CAP): RowFunction {
  return {
    arity: 1,
    outputs: 6,
    evaluate(x, y, jacobian) {
      BOUND[0] = unitBound;
      unary(x, y, jacobian);
      BOUND[0] = CAP;
    },
  };
}

export const UNARY_UNITS: RowFunction = unaryUnits(CAP);

/** [sin, cos, tan, log, exp, sqrt] of v = x[0] and their derivatives; outside a domain NaN, which guard turns into 0 */
function unary(x: Float64Array, y: Float64Array, jacobian: Float64Array): void {
  const v = x[0];
  const c = Math.cos(v);
  y[0] = Math.sin(v);
  jacobian[0] = c;
  y[1] = c;
  jacobian[1] = -Math.sin(v);
  y[2] = Math.tan(v);
  jacobian[2] = 1 / (c * c);
  y[3] = v > 0 ? Math.log(v) : NaN;
  jacobian[3] = v > 0 ? 1 / v : 0;
  y[4] = Math.exp(v);
  jacobian[4] = Math.exp(v);
  y[5] = v > 1e-9 ? Math.sqrt(v) : v === 0 ? 0 : NaN;
  jacobian[5] = v > 1e-9 ? 0.5 / Math.sqrt(v) : 0;
  for (let j = 0; j < 6; j++) guard(y, jacobian, 1, j);
}

/** The primitive units of a kind of `arity` children (none for other arities or an empty set). */
export function unitsFor(arity: number, binary: RowFunction, unary: RowFunction = UNARY_UNITS): RowFunction | null {
  return arity === 2 ? (binary.outputs > 0 ? binary : null) : arity === 1 ? unary : null;
}
