// Every op, gradient-checked on both backends, two ways each:
//   FD  — Richardson-extrapolated central differences (steps h = s·max(1,|x|) and 2h, s per
//         case in op-cases.ts: 1 for ops at most quadratic in each input, 0.1 softmax, 0.03 else) of
//         L = Σ w ⊙ f(x), summed in float64 from the float32 outputs, the float32-rounded
//         perturbation as divisor;
//   REF — the float64 reference gradient written plainly in op-cases.ts.
// Plus the forward output against its float64 reference. All three: relative error < 1e-3
// (element-wise, denominator floored at 1e-3). Inputs are O(1) and kinked ops (relu, leaky
// relu) are probed at |x| ≥ 0.1, away from the kink by more than 2h.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCheck } from '../../src/autograd/index';
import { createBackend, type Backend } from '../../src/backend/index';
import { BACKENDS } from './helpers';
import { GELU_KIND, opCases } from './op-cases';

const report: string[] = [];
const fmt = (v: number) => v.toExponential(1);

for (const backendName of BACKENDS) {
  describe(`gradient check of every op on ${backendName}`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await createBackend(backendName);
    });

    for (const c of opCases(GELU_KIND)) {
      it(c.name, () => {
        const result = gradCheck(backend, c.inputs, c.f, { referenceGradient: c.gradient, referenceForward: c.forward, step: c.step });
        const fd = Math.max(...result.finiteDifference!.map((r) => r.maxRelError));
        const ref = Math.max(...result.reference!.map((r) => r.maxRelError));
        report.push(`${backendName.padEnd(4)}  ${c.name.padEnd(58)}  FD ${fmt(fd)}  REF ${fmt(ref)}  forward ${fmt(result.forward!.maxRelError)}`);
        expect(result.forward!.maxRelError).toBeLessThan(1e-3);
        expect(fd).toBeLessThan(1e-3);
        expect(ref).toBeLessThan(1e-3);
      });
    }
  });
}

afterAll(() => {
  if (process.env.AUTOGRAD_REPORT) console.log(`max relative errors per op\n${report.join('\n')}`);
});
