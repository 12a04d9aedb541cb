import type { Parameter } from '../autograd/parameter';
import { OptimizerConfigError } from './errors';
import { checkNumber } from './validate';

/** PyTorch's guard against dividing by a zero norm in clip_grad_norm_. */
const NORM_EPS = 1e-6;

/**
 * The norm of all gradients taken together, as if concatenated into one vector, in float64.
 * normType 2 and Infinity use the sumSquares / maxAbs kernels; any other p >= 1 sums |g|^p in
 * a plain loop. A NaN or ±Inf gradient value makes the result non-finite.
 */
export function gradNorm(params: Iterable<Parameter>, normType = 2): number {
  checkNorm(normType);
  const list = [...params];
  if (list.length === 0) return 0;
  const k = list[0].backend.kernels;
  if (normType === Infinity) {
    let max = 0;
    for (const p of list) {
      if (p.gradIsZero) continue; // |+0| = 0 ≤ max
      const m = k.maxAbs(p.gradAddress, p.size);
      if (!(m <= max)) max = m; // also takes NaN
    }
    return max;
  }
  if (normType === 2) {
    let sum = 0;
    // a known-zero gradient adds +0, which leaves the sum as it is (Parameter, KNOWN-ZERO GRADIENT)
    for (const p of list) if (!p.gradIsZero) sum += k.sumSquares(p.gradAddress, p.size);
    return Math.sqrt(sum);
  }
  let sum = 0;
  for (const p of list) {
    if (p.gradIsZero) continue;
    const g = p.readGrad();
    for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]) ** normType;
  }
  return sum ** (1 / normType);
}

/**
 * Scales all gradients by maxNorm / (total + 1e-6) when that is below 1, PyTorch's
 * clip_grad_norm_. Returns the total norm BEFORE clipping. When the norm is not finite the
 * gradients are left as they are (the optimizer's non-finite check then skips the update,
 * instead of PyTorch's scaling everything to NaN).
 */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number, normType = 2): number {
  checkNumber('maxNorm', maxNorm, { min: 0 });
  const list = [...params];
  const total = gradNorm(list, normType);
  if (!Number.isFinite(total)) return total;
  const coef = maxNorm / (total + NORM_EPS);
  if (coef < 1) {
    for (const p of list) if (!p.gradIsZero) p.backend.kernels.scale(p.gradAddress, p.gradAddress, coef, p.size); // +0 · coef = +0
  }
  return total;
}

/**
 * Clamps every gradient value into [-clipValue, clipValue], PyTorch's clip_grad_value_.
 * Returns the global 2-norm of the gradients BEFORE clipping (for logging; PyTorch returns
 * nothing). NaN stays NaN, so the optimizer still skips such an update.
 */
export function clipGradValue(params: Iterable<Parameter>, clipValue: number): number {
  checkNumber('clipValue', clipValue, { min: 0 });
  const list = [...params];
  const total = gradNorm(list, 2);
  for (const p of list) if (!p.gradIsZero) p.backend.kernels.clampInPlace(p.gradAddress, p.size, -clipValue, clipValue);
  return total;
}

function checkNorm(normType: number): void {
  if (normType !== Infinity) checkNumber('normType', normType, { min: 1 });
  if (Number.isNaN(normType)) throw new OptimizerConfigError('normType', 'expected a number >= 1 or Infinity');
}
