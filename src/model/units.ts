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

/** the bound `put` applies (set by the unit function that calls it, CAP by default) */
let bound = CAP;

/** y[j] = value and its `arity` partial derivatives d0 (, d1), or 0 and zero gradient outside the domain (fixed arguments: no array per call on this hot path) */
function put(y: Float64Array, jacobian: Float64Array, arity: 1 | 2, j: number, value: number, d0 = 0, d1 = 0): void {
  const dBound = Math.max(bound, CAP);
  const ok = Number.isFinite(value) && Math.abs(value) <= bound && Number.isFinite(d0) && Math.abs(d0) <= dBound && (arity === 1 || (Number.isFinite(d1) && Math.abs(d1) <= dBound));
  y[j] = ok ? value : 0;
  jacobian[j * arity] = ok ? d0 : 0;
  if (arity === 2) jacobian[j * arity + 1] = ok ? d1 : 0;
}

/** The primitives of two children a, b, by name. */
export const BINARY_PRIMITIVES = ['product', 'ratio', 'power'] as const;
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];

function binaryPrimitive(name: BinaryPrimitive, a: number, b: number, y: Float64Array, jacobian: Float64Array, j: number): void {
  if (name === 'product') {
    put(y, jacobian, 2, j, a * b, b, a);
  } else if (name === 'ratio') {
    if (Math.abs(b) < 1e-6) put(y, jacobian, 2, j, NaN);
    else put(y, jacobian, 2, j, a / b, 1 / b, -a / (b * b));
  } else {
    const power = Math.pow(a, b);
    // ∂/∂a = b·a^(b−1); ∂/∂b = a^b·ln a (only for a > 0: elsewhere the exponent is held fixed)
    const dBase = b === 0 ? 0 : b * Math.pow(a, b - 1);
    const dExponent = a > 0 ? power * Math.log(a) : 0;
    put(y, jacobian, 2, j, power, dBase, dExponent);
  }
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
      bound = unitBound;
      for (let j = 0; j < names.length; j++) binaryPrimitive(names[j], x[0], x[1], y, jacobian, j);
      bound = CAP;
    },
  };
}

/** [sin v, cos v, tan v, log v, exp v, sqrt v] of one child (natural log); unitBound as for binaryUnits. */
export function unaryUnits(unitBound: number = CAP): RowFunction {
  return {
    arity: 1,
    outputs: 6,
    evaluate(x, y, jacobian) {
      bound = unitBound;
      unary(x[0], y, jacobian);
      bound = CAP;
    },
  };
}

export const UNARY_UNITS: RowFunction = unaryUnits(CAP);

function unary(v: number, y: Float64Array, jacobian: Float64Array): void {
  {
    put(y, jacobian, 1, 0, Math.sin(v), Math.cos(v));
    put(y, jacobian, 1, 1, Math.cos(v), -Math.sin(v));
    const c = Math.cos(v);
    put(y, jacobian, 1, 2, Math.tan(v), 1 / (c * c));
    if (v > 0) put(y, jacobian, 1, 3, Math.log(v), 1 / v);
    else put(y, jacobian, 1, 3, NaN);
    put(y, jacobian, 1, 4, Math.exp(v), Math.exp(v));
    if (v > 1e-9) put(y, jacobian, 1, 5, Math.sqrt(v), 0.5 / Math.sqrt(v));
    else put(y, jacobian, 1, 5, v === 0 ? 0 : NaN, 0);
  }
}

/** The primitive units of a kind of `arity` children (none for other arities or an empty set). */
export function unitsFor(arity: number, binary: RowFunction, unary: RowFunction = UNARY_UNITS): RowFunction | null {
  return arity === 2 ? (binary.outputs > 0 ? binary : null) : arity === 1 ? unary : null;
}
