import { OptimizerConfigError } from './errors';
import { finiteAsF32, Optimizer, type BaseOptions, type ParamsArg, type Slot } from './optimizer';
import { checkBoolean, checkNumber } from './validate';

export interface SGDOptions extends BaseOptions {
  /** required: PyTorch has no default learning rate for SGD either */
  lr: number;
  /** momentum factor; 0 (the default) disables the momentum buffer */
  momentum: number;
  /** how much of the gradient the momentum buffer does NOT take in, after the first step */
  dampening: number;
  /** coupled L2 penalty: d = g + weightDecay * p */
  weightDecay: number;
  /** Nesterov momentum (PyTorch's form: needs momentum > 0 and dampening = 0) */
  nesterov: boolean;
}

const KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'] as const;

/**
 * Stochastic gradient descent, torch.optim.SGD semantics (formula beside the sgdStep /
 * sgdMomentumStep kernels in assembly/optim.ts). The momentum buffer starts as a copy of the
 * first (decayed) gradient, as in PyTorch; dampening applies from the second step on.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsArg<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (options === undefined || options.lr === undefined) throw new OptimizerConfigError('options.lr', 'SGD needs a learning rate');
    super('SGD', params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options }, KEYS);
  }

  protected validate(field: string, o: SGDOptions): SGDOptions {
    checkNumber(`${field}.momentum`, o.momentum, { min: 0 });
    checkNumber(`${field}.dampening`, o.dampening, { min: 0, max: 1 });
    checkBoolean(`${field}.nesterov`, o.nesterov);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new OptimizerConfigError(`${field}.nesterov`, 'Nesterov momentum needs momentum > 0 and dampening = 0');
    }
    return o;
  }

  protected bufferNames(o: SGDOptions): readonly string[] {
    return o.momentum !== 0 ? ['momentumBuffer'] : [];
  }

  /** d = 0 and buf = 0: buf stays 0 and p − lr · 0 = p when there is no decay */
  protected override idleIsExact(o: SGDOptions): boolean {
    return o.weightDecay === 0 && finiteAsF32(o.lr, o.momentum);
  }

  protected updateGroup(o: SGDOptions, slots: readonly Slot[], t: number): void {
    const k = this.backend.kernels;
    if (o.momentum === 0) {
      for (const { param } of slots) k.sgdStep(param.dataPtr, param.gradAddress, param.size, o.lr, o.weightDecay);
      return;
    }
    // first step: buf = d (PyTorch clones the gradient); afterwards buf = momentum buf + (1 - dampening) d
    const bufDecay = t === 1 ? 0 : o.momentum;
    const gradScale = t === 1 ? 1 : 1 - o.dampening;
    const nesterov = o.nesterov ? 1 : 0;
    for (const { param, buffers } of slots) {
      k.sgdMomentumStep(param.dataPtr, param.gradAddress, buffers.momentumBuffer, param.size, o.lr, o.weightDecay, o.momentum, bufDecay, gradScale, nesterov);
    }
  }

  override getMomentum(group = 0): number {
    return this.group(group).options.momentum;
  }

  override setMomentum(momentum: number, group?: number): void {
    this.updateOptions(group, (o, field) => this.validate(field, { ...o, momentum: checkNumber(`${field}.momentum`, momentum, { min: 0 }) }));
  }
}
