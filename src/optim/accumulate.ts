import type { Parameter } from '../autograd/parameter';
import { OptimizerConfigError } from './errors';
import { checkChoice, checkNumber } from './validate';

export interface GradientAccumulatorOptions {
  /** micro-batches per optimizer update */
  microBatches: number;
  /** 'mean' (default) divides the summed gradients by the number of micro-batches */
  reduction?: 'mean' | 'sum';
}

/**
 * Gradient accumulation over micro-batches, in place. Backward passes ACCUMULATE into
 * Parameter.grad, so the sum over micro-batches builds up by itself as long as nothing zeroes
 * the gradients in between; this class counts the micro-batches and, when an update is due,
 * turns the sum into the mean (one scale kernel per parameter). No extra buffers.
 *
 *   const acc = new GradientAccumulator(params, { microBatches: 4 });
 *   for (const batch of batches) {
 *     backward(batch);                       // adds into p.grad
 *     if (acc.accumulate()) { opt.step(); opt.zeroGrad(); }
 *   }
 *   if (acc.flush() > 0) { opt.step(); opt.zeroGrad(); }   // the partial last accumulation
 *
 * A non-finite gradient in any micro-batch makes the whole accumulated update non-finite, so
 * the optimizer skips it (and counts it).
 */
export class GradientAccumulator {
  readonly microBatches: number;
  readonly reduction: 'mean' | 'sum';
  private readonly params: Parameter[];
  private count = 0;

  constructor(params: Iterable<Parameter>, options: GradientAccumulatorOptions) {
    this.params = [...params];
    if (this.params.length === 0) throw new OptimizerConfigError('params', 'expected at least one Parameter');
    this.microBatches = checkNumber('microBatches', options?.microBatches, { min: 1, integer: true });
    this.reduction = checkChoice('reduction', options.reduction ?? 'mean', ['mean', 'sum'] as const);
  }

  /** Micro-batches in the gradients since the last update. */
  get pending(): number {
    return this.count;
  }

  /**
   * Records one finished micro-batch. Returns true when `microBatches` are in: the gradients
   * then hold their mean (or sum) and the caller should step the optimizer and zero them.
   */
  accumulate(): boolean {
    this.count++;
    if (this.count < this.microBatches) return false;
    this.reduce();
    return true;
  }

  /**
   * Ends a partial accumulation (e.g. the last micro-batches of an epoch): reduces what is
   * there as if it were complete (the mean divides by the micro-batches actually seen).
   * Returns how many micro-batches it held; 0 means there is nothing to step on.
   */
  flush(): number {
    const n = this.count;
    if (n > 0) this.reduce();
    return n;
  }

  /** Forgets the micro-batches counted so far (after the caller discarded the gradients). */
  reset(): void {
    this.count = 0;
  }

  private reduce(): void {
    const n = this.count;
    this.count = 0;
    if (this.reduction === 'sum' || n === 1) return;
    // 1/n in float64, rounded once to f32 by the kernel: the mean is exact for n a power of two
    for (const p of this.params) p.backend.kernels.scale(p.gradPtr, p.gradPtr, 1 / n, p.size);
  }
}
