import { Tape } from '../../src/autograd/index';
import type { Backend } from '../../src/backend/index';
import type { Kernels } from '../../src/backend/index';
import { MathGraph } from '../../src/graph/index';
import { buildPlan, DagNN, numericLoss, type NumericLossOptions, type NumericTarget, type PlanInput } from '../../src/model/index';

export const BACKENDS = ['js', 'wasm'] as const;

/** The backend with every kernel call counted (forward and backward alike). */
export function countingBackend(backend: Backend): { backend: Backend; calls: () => number; reset: () => void } {
  let count = 0;
  const kernels = new Proxy(backend.kernels, {
    get(target, name, receiver) {
      const f = Reflect.get(target, name, receiver);
      if (typeof f !== 'function') return f;
      return (...args: unknown[]) => {
        count++;
        return (f as (...a: unknown[]) => unknown)(...args);
      };
    },
  }) as Kernels;
  return { backend: { name: backend.name, heap: backend.heap, kernels }, calls: () => count, reset: () => (count = 0) };
}

export function inputsOf(polish: readonly string[], bindings: Record<string, number> = {}): PlanInput[] {
  return polish.map((p) => ({ graph: MathGraph.fromPolish(p), bindings }));
}

/** One forward + loss (+ backward when `backward`), returns the objective's value. */
export function lossOnce(model: DagNN, tape: Tape, inputs: PlanInput[], targets: NumericTarget[], options?: NumericLossOptions, backward = false): number {
  const out = model.forward(tape, buildPlan(inputs));
  const { loss } = numericLoss(tape, out, targets, options);
  const value = tape.scalar(loss);
  if (backward) tape.backward(loss);
  return value;
}
