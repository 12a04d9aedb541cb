// Runs a trajectory fixture case with our optimizers: the problem's parameters on a backend,
// the optimizer built from the case's options (PyTorch names mapped to ours), and one
// update at a time with the gradient evaluated in float64 from the float32 parameters.
import { expect } from 'vitest';
import { Parameter } from '../../src/autograd/parameter';
import type { Backend } from '../../src/backend/index';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../src/optim/index';
import { gradient, ourOptionNames, type TrajectoryCase, type TrajectoryFixture } from './reference';

const CONSTRUCTORS = { SGD, Adam, AdamW, RMSprop, Adagrad } as const;

export interface CaseRun {
  params: Parameter[];
  opt: Optimizer<never>;
  /** all coordinates, parameter after parameter (a copy) */
  read(): Float32Array;
  /** writes the problem's gradient at the current point and applies one update */
  update(): void;
}

/** `start` replaces the problem's x0 (e.g. weights saved halfway through a run). */
export function startCase(fx: TrajectoryFixture, backend: Backend, c: TrajectoryCase, start?: ArrayLike<number>): CaseRun {
  const problem = fx.problems[c.problem];
  const x0 = start ?? problem.x0;
  let offset = 0;
  const params = problem.sizes.map((size, gi) => {
    const p = new Parameter(backend, [size], `x${gi}`, Array.from(x0).slice(offset, offset + size));
    offset += size;
    return p;
  });
  const groups = params.map((p, gi) => ({ params: [p], ...ourOptionNames(c.groups[gi]) }));
  const Ctor = CONSTRUCTORS[c.optimizer] as unknown as new (p: unknown, o: unknown) => Optimizer<never>;
  const opt = new Ctor(groups, ourOptionNames(c.options));
  const read = () => {
    const x = new Float32Array(offset);
    let o = 0;
    for (const p of params) {
      x.set(p.data, o);
      o += p.size;
    }
    return x;
  };
  const update = () => {
    const g = gradient(problem, read());
    let o = 0;
    for (const p of params) {
      p.grad.set(g.subarray(o, o + p.size)); // rounds to float32
      o += p.size;
    }
    expect(opt.step()).toBe(true);
  };
  return { params, opt, read, update };
}
