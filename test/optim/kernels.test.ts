// The fused optimizer kernels against their TypeScript twins: bit-identical outputs for
// every length class (empty, tails only, vector body + tail, long), aligned and unaligned,
// with guard words around every buffer (a tail that writes past n fails). The arithmetic
// itself is checked against PyTorch and a float64 reference in trajectories.test.ts.
import { describe, expect, it } from 'vitest';
import type { Backend, Kernels } from '../../src/backend/index';
import { createBothBackends, expectSameF32, LENGTHS, runKernel, TestRandom, type Buffers } from '../backend/harness';

interface KernelCase {
  name: string;
  /** state buffers besides p and g, with their value range (second moments are non-negative) */
  state: Record<string, [number, number]>;
  call: (k: Kernels, p: Record<string, number>, n: number, r: TestRandom) => void;
}

const CASES: KernelCase[] = [
  { name: 'sgdStep', state: {}, call: (k, p, n) => k.sgdStep(p.p, p.g, n, 0.03, 0.01) },
  {
    name: 'sgdMomentumStep (first step)',
    state: { buf: [0, 0] },
    call: (k, p, n) => k.sgdMomentumStep(p.p, p.g, p.buf, n, 0.01, 0.001, 0.9, 0, 1, 0),
  },
  {
    name: 'sgdMomentumStep (dampening)',
    state: { buf: [-1, 1] },
    call: (k, p, n) => k.sgdMomentumStep(p.p, p.g, p.buf, n, 0.01, 0.001, 0.9, 0.9, 0.7, 0),
  },
  {
    name: 'sgdMomentumStep (nesterov)',
    state: { buf: [-1, 1] },
    call: (k, p, n) => k.sgdMomentumStep(p.p, p.g, p.buf, n, 0.01, 0, 0.9, 0.9, 1, 1),
  },
  {
    name: 'adamStep',
    state: { m: [-0.5, 0.5], v: [0, 0.5] },
    call: (k, p, n) => k.adamStep(p.p, p.g, p.m, p.v, n, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.0123, 1.7, 0.01, 1),
  },
  {
    name: 'adamStep (AdamW decay)',
    state: { m: [-0.5, 0.5], v: [0, 0.5] },
    call: (k, p, n) => k.adamStep(p.p, p.g, p.m, p.v, n, 0.8, 0.2, 0.99, 0.01, 1e-6, 0.003, 3.1, 0, 1 - 0.003 * 0.1),
  },
  {
    name: 'adamAmsgradStep',
    state: { m: [-0.5, 0.5], v: [0, 0.5], vmax: [0, 0.6] },
    call: (k, p, n) => k.adamAmsgradStep(p.p, p.g, p.m, p.v, p.vmax, n, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.0123, 1.7, 0.01, 1),
  },
  {
    name: 'rmspropStep (plain)',
    state: { sq: [0, 1] },
    call: (k, p, n) => k.rmspropStep(p.p, p.g, p.sq, 0, 0, n, 0.01, 0.99, 0.01, 1e-8, 0.001, 0, 0),
  },
  {
    name: 'rmspropStep (centered, momentum)',
    // sq >= ga^2 keeps the centered variance non-negative, as it is in a real run
    state: { sq: [1, 2], ga: [-0.5, 0.5], buf: [-1, 1] },
    call: (k, p, n) => k.rmspropStep(p.p, p.g, p.sq, p.ga, p.buf, n, 0.01, 0.9, 0.1, 1e-8, 0.001, 0.9, 1),
  },
  {
    name: 'rmspropStep (momentum only)',
    state: { sq: [0, 1], buf: [-1, 1] },
    call: (k, p, n) => k.rmspropStep(p.p, p.g, p.sq, 0, p.buf, n, 0.01, 0.99, 0.01, 1e-8, 0, 0.5, 0),
  },
  {
    name: 'rmspropStep (centered only)',
    state: { sq: [1, 2], ga: [-0.5, 0.5] },
    call: (k, p, n) => k.rmspropStep(p.p, p.g, p.sq, p.ga, 0, n, 0.01, 0.99, 0.01, 1e-8, 0, 0, 1),
  },
  {
    name: 'adagradStep',
    state: { sum: [0, 3] },
    call: (k, p, n) => k.adagradStep(p.p, p.g, p.sum, n, 0.05, 1e-10, 0.01),
  },
];

describe('optimizer kernels: wasm and the TS twins agree bit for bit', async () => {
  const backends: Backend[] = await createBothBackends();

  for (const c of CASES) {
    it(c.name, () => {
      const r = new TestRandom(0x0971 + c.name.length);
      // 12, 13, 27: an odd number of whole vectors (the unrolled loop then does one group alone)
      for (const n of [...LENGTHS, 12, 13, 27]) {
        for (const misalign of [false, true]) {
          const inputs: Buffers = { p: r.f32(n, -2, 2), g: r.f32Wide(n, 3) };
          for (const [name, [lo, hi]] of Object.entries(c.state)) inputs[name] = r.f32(n, lo, hi);
          const [wasm, js] = backends.map((b) => runKernel(b, cloneBuffers(inputs), (k, p) => c.call(k, p, n, r), { misalign }).out);
          for (const name of Object.keys(inputs)) expectSameF32(wasm[name], js[name], `${c.name} n=${n} misalign=${misalign} ${name}`);
          // the gradient is read-only, and something happened to the parameters
          expectSameF32(wasm.g, inputs.g, `${c.name} n=${n}: g unchanged`);
          if (n > 0) expect(wasm.p.some((v, i) => v !== inputs.p[i]), `${c.name} n=${n}: p updated`).toBe(true);
          for (const name of Object.keys(inputs)) expect(wasm[name].every(Number.isFinite), `${c.name} ${name} finite`).toBe(true);
        }
      }
    });
  }
});

function cloneBuffers(b: Buffers): Buffers {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.slice()]));
}
