import { finiteAsF32, Optimizer, type BaseOptions, type ParamsArg, type Slot } from './optimizer';
import { checkBoolean, checkNumber } from './validate';
import { OptimizerConfigError } from './errors';

export interface AdamOptions extends BaseOptions {
  lr: number;
  /** decay rates of the first and second moment averages */
  betas: readonly [number, number];
  /** added to the bias-corrected sqrt(v), outside the root (PyTorch's placement) */
  eps: number;
  /** Adam: coupled L2 (g + wd p). AdamW: decoupled, p *= 1 - lr wd before the step. */
  weightDecay: number;
  /** use the running maximum of v in the denominator (Reddi et al. 2018) */
  amsgrad: boolean;
}

const KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'] as const;

/**
 * Adam and AdamW share everything but where the weight decay goes. Formula beside adamStep
 * in assembly/optim.ts. Per-step scalars, computed here in float64 for update t and passed
 * to the kernel as f32:
 *   stepSize   = lr / (1 - beta1^t)
 *   invBc2Sqrt = 1 / sqrt(1 - beta2^t)
 *   decay      = 1 - lr * weightDecay (AdamW) or 1 (Adam)
 */
abstract class AdamFamily extends Optimizer<AdamOptions> {
  protected constructor(kind: string, private readonly decoupledDecay: boolean, params: ParamsArg<AdamOptions>, options: Partial<AdamOptions>) {
    super(kind, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options }, KEYS);
  }

  protected validate(field: string, o: AdamOptions): AdamOptions {
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new OptimizerConfigError(`${field}.betas`, 'expected [beta1, beta2]');
    checkNumber(`${field}.betas[0]`, o.betas[0], { min: 0, max: 1, maxExclusive: true });
    checkNumber(`${field}.betas[1]`, o.betas[1], { min: 0, max: 1, maxExclusive: true });
    checkNumber(`${field}.eps`, o.eps, { min: 0 });
    checkBoolean(`${field}.amsgrad`, o.amsgrad);
    return { ...o, betas: [o.betas[0], o.betas[1]] };
  }

  protected bufferNames(o: AdamOptions): readonly string[] {
    return o.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  }

  /** g = 0, m = v = 0: m, v stay 0 and p − stepSize · 0 / (0 + eps) = p when eps > 0 (as float32) and there is no decay */
  protected override idleIsExact(o: AdamOptions): boolean {
    return o.weightDecay === 0 && Math.fround(o.eps) > 0 && finiteAsF32(o.lr, o.lr / (1 - o.betas[0]));
  }

  protected updateGroup(o: AdamOptions, slots: readonly Slot[], t: number): void {
    const k = this.backend.kernels;
    const [beta1, beta2] = o.betas;
    const stepSize = o.lr / (1 - beta1 ** t);
    const invBc2Sqrt = 1 / Math.sqrt(1 - beta2 ** t);
    const coupled = this.decoupledDecay ? 0 : o.weightDecay;
    const decay = this.decoupledDecay ? 1 - o.lr * o.weightDecay : 1;
    for (const { param: p, buffers: b } of slots) {
      if (o.amsgrad) {
        k.adamAmsgradStep(p.dataPtr, p.gradAddress, b.expAvg, b.expAvgSq, b.maxExpAvgSq, p.size,
          beta1, 1 - beta1, beta2, 1 - beta2, o.eps, stepSize, invBc2Sqrt, coupled, decay);
      } else {
        k.adamStep(p.dataPtr, p.gradAddress, b.expAvg, b.expAvgSq, p.size,
          beta1, 1 - beta1, beta2, 1 - beta2, o.eps, stepSize, invBc2Sqrt, coupled, decay);
      }
    }
  }

  /** beta1, the momentum-like coefficient a one-cycle schedule cycles */
  override getMomentum(group = 0): number {
    return this.group(group).options.betas[0];
  }

  override setMomentum(beta1: number, group?: number): void {
    this.updateOptions(group, (o, field) => this.validate(field, { ...o, betas: [beta1, o.betas[1]] }));
  }
}

/**
 * Adam, torch.optim.Adam semantics: bias-corrected moments, eps outside the square root,
 * optional amsgrad, weight decay coupled into the gradient (an L2 term, g + wd p).
 */
export class Adam extends AdamFamily {
  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', false, params, options);
  }
}

/**
 * AdamW (Loshchilov & Hutter), torch.optim.AdamW semantics: the weight decay is decoupled
 * from the gradient, p = p * (1 - lr * weightDecay) before the Adam step, so it is not
 * rescaled by the adaptive denominator. Default weightDecay 1e-2, as in PyTorch.
 */
export class AdamW extends AdamFamily {
  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', true, params, { weightDecay: 1e-2, ...options });
  }
}
