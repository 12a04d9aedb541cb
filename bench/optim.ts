/**
 * `npm run bench -- optim [--json] [--filter TEXT] [--quick]`
 *
 * One optimizer update over 1M and 10M parameters, all contenders in one process and one run:
 *   - wasm:        our fused SIMD kernel (adamStep / sgdMomentumStep), one pass
 *   - wasm step(): Optimizer.step() around it (adds the countNonFinite pass over the gradient)
 *   - js:          the TypeScript twin of the kernel (and its step())
 *   - tfjs-cpu / tfjs-wasm: @tensorflow/tfjs's tf.train.adam / tf.train.momentum applyGradients
 *                  on a variable of the same size, plus reading one value back (forces completion)
 *   - memory.copy: the `copy` kernel (wasm memory.copy) moving as many bytes as the update
 *                  must move: the bandwidth limit, measured in the same run.
 *
 * Bandwidth accounting (bytes an update must read + write per parameter, f32):
 *   Adam:          read p, g, m, v; write p, m, v                 = 7 × 4 = 28 B
 *   SGD momentum:  read p, g, buf; write p, buf                   = 5 × 4 = 20 B
 *   step():        the same plus one more read of g (finite check) = 32 B / 24 B (reported
 *                  with the kernel's byte count, so its GB/s is comparable, i.e. lower)
 *   memory.copy of N bytes reads N and writes N: the baseline copies 14 B (Adam) or 10 B (SGD)
 *   per parameter, i.e. 28 B / 20 B of traffic. tfjs is reported with the same byte count
 *   (it makes several passes, so its true traffic is higher: "effective GB/s").
 * GB/s = bytes / median seconds per update. The wasm kernel and memory.copy are measured in
 * alternating rounds (median of round medians) so a burst of load from other processes hits
 * both alike.
 */
import { Parameter } from '../src/autograd/parameter';
import { createBackend, type Backend } from '../src/backend/index';
import { Adam, SGD } from '../src/optim/index';
import { matches, measureSync, median, Reporter, type Suite } from './util';
import { useTfjsWasm } from './tfjs';

const SUITE = 'optim';
const SIZES = [1_000_000, 10_000_000];
const ADAM_BYTES = 28;
const SGD_BYTES = 20;
const LR = 1e-3;

type Tf = typeof import('@tensorflow/tfjs');

/** A deterministic, varied gradient (the update's cost does not depend on it; the checks do). */
function gradientValues(n: number): Float32Array {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = ((Math.imul(i, 2654435761) >>> 0) % 2001) / 1000 - 1;
  return g;
}

interface OursAtSize {
  adamKernel: () => void;
  adamStep: () => void;
  sgdKernel: () => void;
  sgdStep: () => void;
  copyAdamBytes?: () => void;
  copySgdBytes?: () => void;
  /** the first values of the parameter after `steps` Adam updates from zero (for the tfjs check) */
  adamAfter: (steps: number) => Float32Array;
}

function oursAtSize(backend: Backend, n: number, g: Float32Array): OursAtSize {
  const { heap, kernels: k } = backend;
  // one parameter for the kernel passes, one for the optimizers' step()
  const p = new Parameter(backend, [n], 'p');
  p.grad.set(g);
  const m = heap.allocPersistent(n * 4);
  const v = heap.allocPersistent(n * 4);
  const q = new Parameter(backend, [n], 'q');
  q.grad.set(g);
  const adam = new Adam([q], { lr: LR });
  const r = new Parameter(backend, [n], 'r');
  r.grad.set(g);
  const sgd = new SGD([r], { lr: LR, momentum: 0.9 });
  let t = 0;
  const adamKernel = () => {
    t++;
    k.adamStep(p.ptr, p.gradPtr, m, v, n, 0.9, 0.1, 0.999, 0.001, 1e-8, LR / (1 - 0.9 ** t), 1 / Math.sqrt(1 - 0.999 ** t), 0, 1);
  };
  const sgdKernel = () => k.sgdMomentumStep(p.ptr, p.gradPtr, m, n, LR, 0, 0.9, 0.9, 1, 0);
  const out: OursAtSize = {
    adamKernel,
    adamStep: () => adam.step(),
    sgdKernel,
    sgdStep: () => sgd.step(),
    adamAfter: (steps) => {
      const s = new Parameter(backend, [16], 's');
      s.grad.set(g.subarray(0, 16));
      const opt = new Adam([s], { lr: LR });
      for (let i = 0; i < steps; i++) opt.step();
      return s.data.slice();
    },
  };
  if (backend.name === 'wasm') {
    const src = heap.allocPersistent(n * (ADAM_BYTES / 2));
    const dst = heap.allocPersistent(n * (ADAM_BYTES / 2));
    out.copyAdamBytes = () => k.copy(dst, src, (n * ADAM_BYTES) / 2 / 4);
    out.copySgdBytes = () => k.copy(dst, src, (n * SGD_BYTES) / 2 / 4);
  }
  return out;
}

interface TfAtSize {
  adam: () => void;
  momentum: () => void;
  adamAfter: (steps: number) => Float32Array;
  dispose: () => void;
}

function tfAtSize(tf: Tf, n: number, g: Float32Array): TfAtSize {
  const grad = tf.tensor1d(g);
  const x = tf.variable(tf.zeros([n]), true, `x${n}`);
  const y = tf.variable(tf.zeros([n]), true, `y${n}`);
  const adam = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  const momentum = tf.train.momentum(LR, 0.9);
  /** one value read back: tfjs backends may defer work until data is requested */
  const readOne = (v: import('@tensorflow/tfjs').Variable) => tf.tidy(() => v.slice([0], [1])).dataSync()[0];
  return {
    adam: () => {
      adam.applyGradients([{ name: x.name, tensor: grad }]);
      readOne(x);
    },
    momentum: () => {
      momentum.applyGradients([{ name: y.name, tensor: grad }]);
      readOne(y);
    },
    adamAfter: (steps) => {
      const s = tf.variable(tf.zeros([16]), true, `s${n}`);
      const gs = tf.tensor1d(g.subarray(0, 16));
      const opt = tf.train.adam(LR, 0.9, 0.999, 1e-8);
      for (let i = 0; i < steps; i++) opt.applyGradients([{ name: s.name, tensor: gs }]);
      const out = s.dataSync() as Float32Array;
      opt.dispose();
      s.dispose();
      gs.dispose();
      return Float32Array.from(out);
    },
    dispose: () => {
      adam.dispose();
      momentum.dispose();
      x.dispose();
      y.dispose();
      grad.dispose();
    },
  };
}

async function loadTf(): Promise<{ tf: Tf; wasmNote: string }> {
  const tf = await import('@tensorflow/tfjs');
  return { tf, wasmNote: `tfjs ${tf.version.tfjs}; ${await useTfjsWasm(tf)}` };
}

/** A full collection when node runs with --expose-gc (NODE_OPTIONS=--expose-gc), else nothing. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function warmUp(fn: () => void, ms: number): void {
  const end = performance.now() + ms;
  do fn();
  while (performance.now() < end);
}

export const run: Suite = async (opts) => {
  const reporter = new Reporter(opts);
  const quick = opts.quick ?? false;
  const sizes = quick ? [100_000] : SIZES;
  const reps = quick ? 3 : 5;
  const minMs = quick ? 5 : 60;
  const rounds = quick ? 1 : 7;
  const wasm = await createBackend('wasm');
  const js = await createBackend('js');
  const { tf, wasmNote } = await loadTf();
  const table: string[] = [];
  const ratioRows: { size: number; name: string; value: number; unit: string }[] = [];

  for (const n of sizes) {
    const g = gradientValues(n);
    const w = oursAtSize(wasm, n, g);
    const j = oursAtSize(js, n, g);

    // the contenders must do the same update: 10 Adam steps from 0 agree with tfjs's
    const ours10 = w.adamAfter(10);
    const secs: Record<string, number> = {};

    // wasm kernel vs memory.copy, interleaved
    collectGarbage();
    for (const fn of [w.adamKernel, w.copyAdamBytes!, w.adamStep, w.sgdKernel, w.copySgdBytes!, w.sgdStep]) warmUp(fn, quick ? 10 : 200);
    const roundsOf: Record<string, number[]> = {};
    const contenders: [string, () => void][] = [
      ['adam/wasm', w.adamKernel],
      ['adam/memory.copy', w.copyAdamBytes!],
      ['adam-step/wasm', w.adamStep],
      ['sgd/wasm', w.sgdKernel],
      ['sgd/memory.copy', w.copySgdBytes!],
      ['sgd-step/wasm', w.sgdStep],
    ];
    for (let r = 0; r < rounds; r++) {
      for (const [key, fn] of contenders) (roundsOf[key] ??= []).push(measureSync(fn, reps, minMs));
    }
    for (const [key] of contenders) secs[key] = median(roundsOf[key]);

    // the twin: slow, fewer samples
    collectGarbage();
    const jsReps = quick ? 1 : 3;
    for (const fn of [j.adamKernel, j.sgdKernel]) warmUp(fn, quick ? 10 : 300);
    secs['adam/js'] = measureSync(j.adamKernel, jsReps, minMs);
    secs['adam-step/js'] = measureSync(j.adamStep, jsReps, minMs);
    secs['sgd/js'] = measureSync(j.sgdKernel, jsReps, minMs);
    secs['sgd-step/js'] = measureSync(j.sgdStep, jsReps, minMs);

    // tfjs on its wasm and cpu backends (wasm first: the cpu backend leaves much garbage
    // behind, whose collection would otherwise land in the wasm backend's samples)
    const checks: string[] = [];
    for (const tfBackend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(tfBackend);
      await tf.ready();
      collectGarbage();
      const t = tfAtSize(tf, n, g);
      const theirs10 = t.adamAfter(10);
      const diff = Math.max(...Array.from(ours10, (o, i) => Math.abs(o - theirs10[i]) / Math.max(1e-6, Math.abs(theirs10[i]))));
      checks.push(`tfjs-${tfBackend} ${diff.toExponential(1)}`);
      if (!(diff < 1e-3)) throw new Error(`optim bench: tfjs-${tfBackend} Adam disagrees with ours after 10 steps (relative ${diff})`);
      warmUp(t.adam, quick ? 10 : 300);
      warmUp(t.momentum, quick ? 10 : 300);
      // tfjs-cpu takes seconds per update at 10M: fewer samples there
      const tfReps = tfBackend === 'wasm' ? reps : jsReps;
      secs[`adam/tfjs-${tfBackend}`] = measureSync(t.adam, tfReps, minMs);
      secs[`sgd/tfjs-${tfBackend}`] = measureSync(t.momentum, tfReps, minMs);
      t.dispose();
    }

    const add = (name: string, backend: string, seconds: number, bytes: number) => {
      if (!matches(opts, name, backend, n)) return;
      reporter.add({ suite: SUITE, name, backend, size: n, value: (bytes * n) / seconds / 1e9, unit: 'GB/s' });
      table.push(`${name.padEnd(26)} ${backend.padEnd(12)} ${String(n).padStart(9)}  ${(seconds * 1e3).toFixed(2).padStart(9)} ms`);
    };
    for (const [algo, label, bytes] of [['adam', 'adam update', ADAM_BYTES], ['sgd', 'sgd-momentum update', SGD_BYTES]] as const) {
      add(label, 'memory.copy', secs[`${algo}/memory.copy`], bytes);
      add(label, 'wasm', secs[`${algo}/wasm`], bytes);
      add(label, 'js', secs[`${algo}/js`], bytes);
      add(label, 'tfjs-cpu', secs[`${algo}/tfjs-cpu`], bytes);
      add(label, 'tfjs-wasm', secs[`${algo}/tfjs-wasm`], bytes);
      add(`${algo} optimizer.step()`, 'wasm', secs[`${algo}-step/wasm`], bytes);
      add(`${algo} optimizer.step()`, 'js', secs[`${algo}-step/js`], bytes);
      const k = secs[`${algo}/wasm`];
      ratioRows.push(
        { size: n, name: `${algo} wasm / memory.copy bandwidth`, value: (100 * secs[`${algo}/memory.copy`]) / k, unit: '%' },
        { size: n, name: `${algo} wasm vs js twin`, value: secs[`${algo}/js`] / k, unit: 'x' },
        { size: n, name: `${algo} wasm vs tfjs-cpu`, value: secs[`${algo}/tfjs-cpu`] / k, unit: 'x' },
        { size: n, name: `${algo} wasm vs tfjs-wasm`, value: secs[`${algo}/tfjs-wasm`] / k, unit: 'x' },
      );
    }
    table.push(`  (size ${n}: Adam after 10 steps, max relative difference ours vs ${checks.join(', ')})`);
  }

  const extra = [
    '',
    'bytes per parameter: Adam 28 (read p g m v, write p m v), SGD momentum 20 (read p g buf, write p buf);',
    'memory.copy moves the same bytes (copies half, reads + writes); optimizer.step() adds a countNonFinite read of g.',
    `note: ${wasmNote}; our kernels are single-threaded`,
    '',
    'ratios (same run):',
    ...ratioRows.map((r) => `  ${r.name.padEnd(34)} ${String(r.size).padStart(9)}  ${r.value.toFixed(r.unit === '%' ? 0 : 1).padStart(7)} ${r.unit}`),
    '',
    'median time per update:',
    ...table,
  ];
  reporter.printTable('optim: one update over n f32 parameters, GB/s of the update\'s minimal traffic (higher is better)', extra);
  for (const r of ratioRows) reporter.add({ suite: SUITE, name: r.name, backend: 'wasm', size: r.size, value: r.value, unit: r.unit });
  if (opts.json) console.error(`note: ${wasmNote}`);
  return reporter.rows;
};
