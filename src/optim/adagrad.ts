import { finiteAsF32, Optimizer, type BaseOptions, type ParamsArg, type Slot } from './optimizer';
import { checkNumber } from './validate';

export interface AdagradOptions extends BaseOptions {
  lr: number;
  /** the learning rate of update t is lr / (1 + (t - 1) * lrDecay) */
  lrDecay: number;
  /** coupled L2 penalty: g' = g + weightDecay * p */
  weightDecay: number;
  /** starting value of the squared-gradient sum */
  initialAccumulatorValue: number;
  /** added to sqrt(sum), outside the root */
  eps: number;
}

const KEYS = ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const;

/** Adagrad, torch.optim.Adagrad semantics; formula beside adagradStep in assembly/optim.ts. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsArg<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...options }, KEYS);
  }

  protected validate(field: string, o: AdagradOptions): AdagradOptions {
    checkNumber(`${field}.lrDecay`, o.lrDecay, { min: 0 });
    checkNumber(`${field}.initialAccumulatorValue`, o.initialAccumulatorValue, { min: 0 });
    checkNumber(`${field}.eps`, o.eps, { min: 0 });
    return o;
  }

  protected bufferNames(): readonly string[] {
    return ['sum'];
  }

  /** g = 0 and sum = 0 (initialAccumulatorValue 0): sum stays 0 and p − clr · 0 / (0 + eps) = p when eps > 0 and there is no decay */
  protected override idleIsExact(o: AdagradOptions): boolean {
    return o.weightDecay === 0 && Math.fround(o.eps) > 0 && finiteAsF32(o.lr);
  }

  protected override initBuffer(_name: string, ptr: number, size: number, o: AdagradOptions): void {
    if (o.initialAccumulatorValue !== 0) this.backend.kernels.fill(ptr, size, o.initialAccumulatorValue);
  }

  protected updateGroup(o: AdagradOptions, slots: readonly Slot[], t: number): void {
    const k = this.backend.kernels;
    const clr = o.lr / (1 + (t - 1) * o.lrDecay);
    for (const { param: p, buffers: b } of slots) k.adagradStep(p.dataPtr, p.gradAddress, b.sum, p.size, clr, o.eps, o.weightDecay);
  }
}
