import { finiteAsF32, Optimizer, type BaseOptions, type ParamsArg, type Slot } from './optimizer';
import { checkBoolean, checkNumber } from './validate';

export interface RMSpropOptions extends BaseOptions {
  lr: number;
  /** decay rate of the squared-gradient average */
  alpha: number;
  /** added to the root, outside it (PyTorch's placement; TensorFlow adds it inside) */
  eps: number;
  /** coupled L2 penalty: g' = g + weightDecay * p */
  weightDecay: number;
  /** momentum factor; > 0 allocates a momentum buffer */
  momentum: number;
  /** subtract the squared mean gradient from the average (allocates a gradient average) */
  centered: boolean;
}

const KEYS = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'] as const;

/** RMSprop, torch.optim.RMSprop semantics; formula beside rmspropStep in assembly/optim.ts. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsArg<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options }, KEYS);
  }

  protected validate(field: string, o: RMSpropOptions): RMSpropOptions {
    checkNumber(`${field}.alpha`, o.alpha, { min: 0, max: 1 });
    checkNumber(`${field}.eps`, o.eps, { min: 0 });
    checkNumber(`${field}.momentum`, o.momentum, { min: 0 });
    checkBoolean(`${field}.centered`, o.centered);
    return o;
  }

  protected bufferNames(o: RMSpropOptions): readonly string[] {
    const names = ['squareAvg'];
    if (o.momentum > 0) names.push('momentumBuffer');
    if (o.centered) names.push('gradAvg');
    return names;
  }

  /** g = 0 and zero state: every average stays 0, the denominator is eps, and p − lr · 0 = p when eps > 0 and there is no decay */
  protected override idleIsExact(o: RMSpropOptions): boolean {
    return o.weightDecay === 0 && Math.fround(o.eps) > 0 && finiteAsF32(o.lr, o.momentum);
  }

  protected updateGroup(o: RMSpropOptions, slots: readonly Slot[]): void {
    const k = this.backend.kernels;
    for (const { param: p, buffers: b } of slots) {
      // unused buffers are passed as 0: the kernel touches gradAvg only when centered and the
      // momentum buffer only when momentum > 0
      k.rmspropStep(p.dataPtr, p.gradAddress, b.squareAvg, b.gradAvg ?? 0, b.momentumBuffer ?? 0, p.size,
        o.lr, o.alpha, 1 - o.alpha, o.eps, o.weightDecay, o.momentum, o.centered ? 1 : 0);
    }
  }

  override getMomentum(group = 0): number {
    return this.group(group).options.momentum;
  }

  override setMomentum(momentum: number, group?: number): void {
    this.updateOptions(group, (o, field) => this.validate(field, { ...o, momentum }));
  }
}
