// Float64 references for the optimizer tests: the documented PyTorch formulas written
// plainly (one array per state buffer, one loop per update, no kernels), the two test
// problems, and the PyTorch fixture loader. Independent of src/optim on purpose.
import { readFileSync } from 'node:fs';

export type TorchOptions = Record<string, number | boolean | number[]>;

export interface TrajectoryCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  problem: 'quadratic' | 'rosenbrock';
  /** PyTorch option names (weight_decay, lr_decay, ...) */
  options: TorchOptions;
  /** per group overrides (PyTorch names); group g holds parameter g of the problem */
  groups: TorchOptions[];
  snapshots: number;
  /** snapshot-major float64: trajectory[k * dims + i] is coordinate i after step k * every */
  trajectory: Float64Array;
}

export interface Problem {
  name: 'quadratic' | 'rosenbrock';
  sizes: number[];
  x0: number[];
  a?: number[];
  c?: number[];
}

export interface TrajectoryFixture {
  torch: string;
  steps: number;
  every: number;
  problems: Record<string, Problem>;
  cases: TrajectoryCase[];
}

export function loadTrajectories(): TrajectoryFixture {
  const raw = JSON.parse(readFileSync(new URL('../fixtures/optim/trajectories.json', import.meta.url), 'utf8'));
  for (const c of raw.cases) {
    const bytes = Buffer.from(c.trajectory_f64le_b64, 'base64');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float64Array(bytes.byteLength / 8);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
    c.trajectory = out;
    delete c.trajectory_f64le_b64;
  }
  return raw as TrajectoryFixture;
}

/** The gradient of the problem at x (float64 in, float64 out). */
export function gradient(problem: Problem, x: ArrayLike<number>): Float64Array {
  const g = new Float64Array(x.length);
  if (problem.name === 'quadratic') {
    // f = 1/2 sum a_i (x_i - c_i)^2
    for (let i = 0; i < x.length; i++) g[i] = problem.a![i] * (x[i] - problem.c![i]);
  } else {
    // f = sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
    for (let i = 0; i + 1 < x.length; i++) {
      const r = x[i + 1] - x[i] * x[i];
      g[i] += -400 * x[i] * r - 2 * (1 - x[i]);
      g[i + 1] += 200 * r;
    }
  }
  return g;
}

/** PyTorch option names to ours. */
const OPTION_NAMES: Record<string, string> = {
  lr: 'lr',
  momentum: 'momentum',
  dampening: 'dampening',
  weight_decay: 'weightDecay',
  nesterov: 'nesterov',
  betas: 'betas',
  eps: 'eps',
  amsgrad: 'amsgrad',
  alpha: 'alpha',
  centered: 'centered',
  lr_decay: 'lrDecay',
  initial_accumulator_value: 'initialAccumulatorValue',
};

export function ourOptionNames(options: TorchOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    const name = OPTION_NAMES[k];
    if (!name) throw new Error(`no mapping for PyTorch option ${k}`);
    out[name] = v;
  }
  return out;
}

/** PyTorch's defaults (1.13), the reference's starting point. */
const TORCH_DEFAULTS: Record<TrajectoryCase['optimizer'], TorchOptions> = {
  SGD: { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false },
  Adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false },
  AdamW: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, amsgrad: false },
  RMSprop: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false },
  Adagrad: { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10 },
};

/**
 * One parameter tensor under a float64 reference optimizer: `update(x, g, t, lr?)` applies
 * update t (1-based) in place, with the formulas of torch/optim/*.py `_single_tensor_*`;
 * `lr` overrides the configured learning rate for that update (a schedule).
 */
export function referenceUpdater(kind: TrajectoryCase['optimizer'], torchOptions: TorchOptions, n: number) {
  const o = { ...TORCH_DEFAULTS[kind], ...torchOptions } as Record<string, any>;
  const zeros = () => new Float64Array(n);
  const wd: number = o.weight_decay;
  switch (kind) {
    case 'SGD': {
      let buf: Float64Array | null = null;
      return (x: Float64Array, g: Float64Array, _t: number, lr: number = o.lr) => {
        const d = g.map((gi, i) => (wd !== 0 ? gi + wd * x[i] : gi));
        let step: Float64Array<ArrayBufferLike> = d;
        if (o.momentum !== 0) {
          if (buf === null) buf = Float64Array.from(d);
          else for (let i = 0; i < n; i++) buf[i] = buf[i] * o.momentum + (1 - o.dampening) * d[i];
          step = o.nesterov ? d.map((di, i) => di + o.momentum * buf![i]) : buf;
        }
        for (let i = 0; i < n; i++) x[i] += -lr * step[i];
      };
    }
    case 'Adam':
    case 'AdamW': {
      const m = zeros(), v = zeros(), vmax = zeros();
      const [b1, b2] = o.betas as number[];
      return (x: Float64Array, g: Float64Array, t: number, lr: number = o.lr) => {
        if (kind === 'AdamW') for (let i = 0; i < n; i++) x[i] *= 1 - lr * wd;
        const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
        const stepSize = lr / bc1;
        for (let i = 0; i < n; i++) {
          const gi = kind === 'Adam' && wd !== 0 ? g[i] + wd * x[i] : g[i];
          m[i] = m[i] * b1 + gi * (1 - b1);
          v[i] = v[i] * b2 + gi * gi * (1 - b2);
          let vi = v[i];
          if (o.amsgrad) vi = vmax[i] = Math.max(vmax[i], v[i]);
          const denom = Math.sqrt(vi) / Math.sqrt(bc2) + o.eps;
          x[i] += -stepSize * (m[i] / denom);
        }
      };
    }
    case 'RMSprop': {
      const sq = zeros(), ga = zeros(), buf = zeros();
      return (x: Float64Array, g: Float64Array, _t: number, lr: number = o.lr) => {
        for (let i = 0; i < n; i++) {
          const gi = wd !== 0 ? g[i] + wd * x[i] : g[i];
          sq[i] = sq[i] * o.alpha + gi * gi * (1 - o.alpha);
          let avg: number;
          if (o.centered) {
            ga[i] = ga[i] * o.alpha + gi * (1 - o.alpha);
            avg = Math.sqrt(sq[i] - ga[i] * ga[i]) + o.eps;
          } else {
            avg = Math.sqrt(sq[i]) + o.eps;
          }
          if (o.momentum > 0) {
            buf[i] = buf[i] * o.momentum + gi / avg;
            x[i] += -lr * buf[i];
          } else {
            x[i] += -lr * (gi / avg);
          }
        }
      };
    }
    case 'Adagrad': {
      const sum = new Float64Array(n).fill(o.initial_accumulator_value);
      return (x: Float64Array, g: Float64Array, t: number, lr: number = o.lr) => {
        const clr = lr / (1 + (t - 1) * o.lr_decay);
        for (let i = 0; i < n; i++) {
          const gi = wd !== 0 ? g[i] + wd * x[i] : g[i];
          sum[i] += gi * gi;
          x[i] += -clr * (gi / (Math.sqrt(sum[i]) + o.eps));
        }
      };
    }
  }
}

/**
 * Runs the float64 reference of a fixture case for `steps` updates; returns the coordinates
 * after every step (row t = after update t; row 0 = start).
 */
export function referenceTrajectory(fx: TrajectoryFixture, c: TrajectoryCase): Float64Array[] {
  const problem = fx.problems[c.problem];
  const x = Float64Array.from(problem.x0);
  const updaters = problem.sizes.map((size, gi) => referenceUpdater(c.optimizer, { ...c.options, ...c.groups[gi] }, size));
  const rows = [Float64Array.from(x)];
  for (let t = 1; t <= fx.steps; t++) {
    const g = gradient(problem, x);
    let offset = 0;
    problem.sizes.forEach((size, gi) => {
      updaters[gi](x.subarray(offset, offset + size), g.subarray(offset, offset + size), t);
      offset += size;
    });
    rows.push(Float64Array.from(x));
  }
  return rows;
}

/** max_i |a_i - b_i| / max_i |b_i|: the ∞-norm relative error of a parameter vector. */
export function normwiseRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
