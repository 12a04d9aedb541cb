// Data-parallel training (src/train/parallel/): worker replicas in worker_threads, gradients
// summed in worker order. The oracle for N workers is the same Trainer on one thread (the
// same update up to float summation order), and for determinism the run itself, repeated.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Trainer, TrainingConfigError, validateConfig, WorkerError, type TrainingConfigInput } from '../../src/train/index';
import { allFinite } from '../../src/train/divergence';
import { AHEAD_DEPTH } from '../../src/train/parallel/ahead';
import { C, chunkClaimer } from '../../src/train/parallel/shared';
import { startWorker, workerFlags } from '../../src/train/parallel/spawn-node';

const config = (workers: number | 'auto', extra: Partial<TrainingConfigInput> = {}): TrainingConfigInput => ({
  seed: 'parallel check',
  backend: 'wasm',
  levels: [1, 2],
  steps: 1000,
  batchSize: 16,
  accumulationSteps: 2,
  workers,
  learningRate: 1e-2,
  maxGradNorm: 1,
  curriculum: { mode: 'mixed' },
  evalEvery: 0,
  evalSize: 300,
  model: { hidden: 16 },
  ...extra,
});

async function losses(t: Trainer, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await t.stepAsync()).loss);
  return out;
}

const weights = (t: Trainer) => t.parameters().map((p) => Array.from(p.data));

/** A 1-worker and a 2-worker trainer of the same config, closed after `body`. */
async function oneAndTwo(make: (workers: number) => TrainingConfigInput, body: (one: Trainer, two: Trainer) => Promise<void>): Promise<void> {
  const one = await Trainer.create(make(1));
  const two = await Trainer.create(make(2));
  try {
    await body(one, two);
  } finally {
    one.close();
    two.close();
  }
}

/**
 * A 1-worker trainer and a 2-worker one whose replica spends 400 ms in every loss (so the
 * leader surely waits at each update's end), with the updates the 2-worker leader's source is
 * asked to draft, in order (the curriculum's batch() completes a draft); closed after `body`.
 */
async function withSlowReplica(make: (workers: number) => TrainingConfigInput, body: (one: Trainer, two: Trainer, asked: number[]) => Promise<void>): Promise<void> {
  const one = await Trainer.create(make(1));
  const two = await Trainer.create(make(2), { replica: new URL('./fixtures/slow-replica.ts', import.meta.url) });
  try {
    const asked: number[] = [];
    const data = two.data as Required<typeof two.data>;
    const draft = data.draft.bind(data);
    data.draft = (request) => (asked.push(request.update), draft(request));
    await body(one, two, asked);
  } finally {
    one.close();
    two.close();
  }
}

/** 2 workers' objectives follow 1 worker's up to the float summation order. */
function expectFollows(l1: readonly number[], l2: readonly number[]): void {
  expect(l2.length).toBe(l1.length);
  for (let i = 0; i < l1.length; i++) expect(Math.abs(l2[i] - l1[i]), `update ${i + 1}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(l1[i])));
}

describe('data-parallel training', () => {
  it('2 workers: the same losses and weights run after run, and across a resume', async () => {
    const a = await Trainer.create(config(2));
    const b = await Trainer.create(config(2));
    try {
      expect(a.workers).toBe(2);
      const la = await losses(a, 12);
      const lb = await losses(b, 6);
      const resumed = await Trainer.resume(b.checkpoint());
      try {
        expect(resumed.workers).toBe(2);
        lb.push(...(await losses(resumed, 6)));
        expect(lb).toEqual(la);
        expect(weights(resumed)).toEqual(weights(a));
      } finally {
        resumed.close();
      }
    } finally {
      a.close();
      b.close();
    }
  }, 60_000);

  it('2 workers compute the 1-worker update up to float summation order', async () => {
    await oneAndTwo(config, async (one, two) => {
      const l1 = await losses(one, 8);
      const l2 = await losses(two, 8);
      expect(l2[0]).toBe(l1[0]); // the first update's objective: the same records, the same weights
      expectFollows(l1, l2);
      const w1 = weights(one).flat();
      const w2 = weights(two).flat();
      let worst = 0;
      for (let i = 0; i < w1.length; i++) worst = Math.max(worst, Math.abs(w1[i] - w2[i]));
      expect(worst).toBeLessThan(1e-4);
      // evaluation split across the workers: the figures of a one-thread trainer on the same weights
      const alone = await Trainer.resume(two.checkpoint(), { workers: 1 });
      const local = alone.test(300, 'last');
      const split = await two.testAsync(300, 'last');
      expect(two.test(300, 'last')).toEqual(split);
      // the same chunks, each computed from the same weights, merged by chunk index: the same bits
      expect(split.perLevel).toEqual(local.perLevel);
      expect(Object.keys(split.perLevel).sort()).toEqual(['1', '2']);
    });
  }, 60_000);

  it('across a level change (the batches drawn ahead for the old level are dropped), 2 workers follow 1 worker', async () => {
    // level 1's budget ends after update 3: the updates after it draw level 2 (with replay),
    // so a batch drawn ahead under level 1's state would change the objective if it were used
    const progressive = (workers: number) => config(workers, { steps: 8, curriculum: { mode: 'progressive', levelSteps: { '1': 3, '2': 5 }, replay: 0.25 } });
    await oneAndTwo(progressive, async (one, two) => {
      const l1 = await losses(one, 8);
      const l2 = await losses(two, 8);
      expect(one.levelHistory.map((c) => [c.step, c.from, c.to])).toEqual([[3, 1, 2]]);
      expect(two.levelHistory).toEqual(one.levelHistory);
      expectFollows(l1, l2);
    });
  }, 60_000);

  it('the leader draws its micro-batches of the next AHEAD_DEPTH updates while it waits for a worker, each once, and the losses still follow 1 worker', async () => {
    await withSlowReplica(config, async (one, two, asked) => {
      const l1 = await losses(one, 3);
      const l2 = await losses(two, 3);
      // update 0 is drawn when it is computed; 1 … D while waiting in update 0, D + 1 in 1, D + 2 in 2 (D = AHEAD_DEPTH)
      expect(asked).toEqual(range(0, 2 + AHEAD_DEPTH));
      expect((two as unknown as { ahead: { size: number } }).ahead.size).toBe(AHEAD_DEPTH); // 3 … D + 2, drawn
      expectFollows(l1, l2);
    });
  }, 60_000);

  it('batches the leader drew ahead under a level that has ended are drawn again under the next, and the losses still follow 1 worker', async () => {
    // level 1 ends after update 1
    const progressive = (workers: number) => config(workers, { steps: 8, curriculum: { mode: 'progressive', levelSteps: { '1': 1, '2': 7 }, replay: 0.25 } });
    await withSlowReplica(progressive, async (one, two, asked) => {
      const l1 = await losses(one, 3);
      const l2 = await losses(two, 3);
      expect(two.levelHistory.map((c) => [c.step, c.from, c.to])).toEqual([[1, 1, 2]]);
      // 1 … D were drawn ahead under level 1: after the change 1 is drawn at compute time, and
      // 2 … D again in the wait with D + 1, then D + 2 (D = AHEAD_DEPTH)
      expect(asked).toEqual([0, ...range(1, AHEAD_DEPTH), 1, ...range(2, 2 + AHEAD_DEPTH)]);
      expectFollows(l1, l2);
    });
  }, 60_000);

  it('weights changed outside the optimizer reach the workers (only changed tensors cross: shared.ts, SPARSE TRANSFERS)', async () => {
    await oneAndTwo(config, async (one, two) => {
      const l1 = await losses(one, 3);
      const l2 = await losses(two, 3);
      // every tensor, the idle ones included (no gradient, no optimizer state: the optimizer
      // leaves them alone, so only a comparison with what was last sent can see the change)
      for (const t of [one, two]) for (const p of t.parameters()) p.data.set(p.data.map((x, i) => 0.8 * x + 0.01 * Math.sin(i)));
      l1.push(...(await losses(one, 4)));
      l2.push(...(await losses(two, 4)));
      expectFollows(l1, l2);
    });
  }, 60_000);

  it('only tensors with a counted write or an exposed view are compared (Parameter, WEIGHT WRITES): the run equals, bit for bit, one whose every tensor is compared — Adam and SGD, and snaps, a stage change and evaluations', async () => {
    // the oracle: the same 2-worker run with every tensor exposed (p.data taken), so the
    // leader compares all of them with what it last sent, as before the counts; a writer the
    // counts missed (a kernel at ptr, a view from readData written) would leave a worker's
    // weights stale, and its gradients and so the losses would differ
    const staged: TrainingConfigInput = config(2, {
      seed: 'tracked writes', steps: 80, batchSize: 8, learningRate: 3e-2, groupLr: { state: 0.1 },
      curriculum: { stages: 'depth', stageSteps: { 1: [30], 2: [20, 15, 15] }, replay: 0.3, threshold: 1 },
      exactness: { snapAt: [0.5, 1], probeSize: 40, clamp: 1 }, evalEvery: 20, evalSize: 12,
      model: { hidden: 4, binaryUnits: ['product', 'ratio', 'power'], exact: true },
    });
    const runs: [string, TrainingConfigInput][] = [
      ['adam', config(2)],
      ['sgd with momentum', config(2, { optimizer: { name: 'sgd', momentum: 0.9 } })],
      ['stages and exactness', staged],
    ];
    for (const [name, cfg] of runs) {
      const tracked = await Trainer.create(cfg);
      const compared = await Trainer.create(cfg);
      try {
        for (const p of compared.parameters()) void p.data; // exposed: compared every update
        const run = async (t: Trainer) => {
          const out: number[] = [];
          for (let i = 0; i < 80; i++) {
            out.push((await t.stepAsync()).loss);
            if ((i + 1) % 20 === 0) await t.evaluateAsync();
          }
          return out;
        };
        const a = await run(tracked);
        const b = await run(compared);
        if (cfg.exactness !== undefined) expect(tracked.snaps.length, name).toBeGreaterThan(0);
        expect(tracked.snaps.map((e) => [e.step, e.kept]), name).toEqual(compared.snaps.map((e) => [e.step, e.kept]));
        expect(a, name).toEqual(b);
        expect(weights(tracked), name).toEqual(weights(compared));
      } finally {
        tracked.close();
        compared.close();
      }
    }
  }, 120_000);

  it('the Trainer\'s own paths expose no tensor (which would make the leader compare it every update): updates, evaluations, tests, checkpoints and the CLI\'s finiteness check', async () => {
    const t = await Trainer.create(config(2));
    try {
      for (let i = 0; i < 3; i++) await t.stepAsync();
      await t.evaluateAsync();
      await t.testAsync(20, 'best');
      t.checkpoint();
      expect(allFinite(t.parameters())).toBe(true);
      await t.stepAsync();
      expect(t.parameters().filter((p) => p.changedSince(p.writeCount)).map((p) => p.name)).toEqual([]);
    } finally {
      t.close();
    }
  }, 60_000);

  it('a view of the values kept across updates and written between them reaches the workers', async () => {
    await oneAndTwo(config, async (one, two) => {
      const l1 = await losses(one, 3); // the heap has grown (which detaches older views)
      const l2 = await losses(two, 3);
      const kept = [one, two].map((t) => t.parameters().map((p) => p.data));
      l1.push(...(await losses(one, 3)));
      l2.push(...(await losses(two, 3)));
      // frozen, and one update sends what the optimizer last wrote: from then on no write is
      // counted on any tensor, and only the views' exposure can tell the leader these values moved
      for (const t of [one, two]) for (const p of t.parameters()) p.requiresGrad = false;
      l1.push(...(await losses(one, 1)));
      l2.push(...(await losses(two, 1)));
      for (const views of kept) for (const d of views) {
        expect(d.length).toBeGreaterThan(0); // still attached: the writes below land
        for (let i = 0; i < d.length; i++) d[i] = 0.7 * d[i] + 0.02 * Math.cos(i);
      }
      l1.push(...(await losses(one, 4)));
      l2.push(...(await losses(two, 4)));
      expectFollows(l1, l2);
    });
  }, 60_000);

  it('after a test on the best weights the workers hold those, and the next update sends every tensor again', async () => {
    // a rate too small to move any float32 weight: every change comes from outside the
    // optimizer, so what the workers compute with is what the leader sent them
    const still = (workers: number) => config(workers, { learningRate: 1e-30 });
    await oneAndTwo(still, async (one, two) => {
      for (const t of [one, two]) await t.evaluateAsync(); // the best weights: these
      for (const t of [one, two]) for (const p of t.parameters()) p.data.set(p.data.map((x, i) => 0.9 * x - 0.01 * Math.cos(i)));
      const l1 = await losses(one, 1);
      const l2 = await losses(two, 1);
      const figures = await two.testAsync(100, 'best'); // the workers now hold the best weights
      expect(figures.step).toBe(0);
      l1.push(...(await losses(one, 2)));
      l2.push(...(await losses(two, 2)));
      expectFollows(l1, l2);
    });
  }, 60_000);

  it('transferred buffers (no shared memory) give the shared-memory run bit for bit: updates, a level change, weights set outside, evaluations', async () => {
    // the oracle: the same 2-worker trainer over SharedArrayBuffer; the transport only moves
    // the same bytes, so every loss, weight and figure must be identical
    const progressive = (extra: Partial<TrainingConfigInput> = {}) => config(2, { steps: 12, curriculum: { mode: 'progressive', levelSteps: { '1': 4, '2': 8 }, replay: 0.25 }, ...extra });
    const shared = await Trainer.create(progressive(), { sharedMemory: true });
    const byMessage = await Trainer.create(progressive(), { sharedMemory: false });
    try {
      expect(byMessage.workers).toBe(2);
      const ls = await losses(shared, 6);
      const lm = await losses(byMessage, 6);
      for (const t of [shared, byMessage]) for (const p of t.parameters()) p.data.set(p.data.map((x, i) => 0.9 * x + 0.01 * Math.sin(i)));
      ls.push(...(await losses(shared, 4)));
      lm.push(...(await losses(byMessage, 4)));
      expect(byMessage.levelHistory).toEqual(shared.levelHistory);
      expect(byMessage.levelHistory.length).toBe(1);
      expect(lm).toEqual(ls);
      expect(weights(byMessage)).toEqual(weights(shared));
      const figures = ({ seconds, ...rest }: { seconds: number }) => rest; // eslint-disable-line @typescript-eslint/no-unused-vars
      expect(figures(await byMessage.evaluateAsync())).toEqual(figures(await shared.evaluateAsync()));
      expect(await byMessage.testAsync(300, 'best')).toEqual(await shared.testAsync(300, 'best'));
      // the answers arrive as events: a synchronous update cannot wait for them
      expect(() => byMessage.trainStep()).toThrow(/without shared memory.*stepAsync/);
    } finally {
      shared.close();
      byMessage.close();
    }
  }, 60_000);

  it('transferred buffers: a worker that throws or dies stops the run with a WorkerError', async () => {
    const failing = await Trainer.create(config(2), { replica: new URL('./fixtures/failing-replica.ts', import.meta.url), sharedMemory: false });
    try {
      await expect(losses(failing, 10)).rejects.toThrow(/worker 1 failed: .*a loss that throws/);
    } finally {
      failing.close();
    }
    const t = await Trainer.create(config(2), { sharedMemory: false });
    try {
      await losses(t, 2);
      (t as unknown as { pool: { kill(w: number): void } }).pool.kill(1);
      await expect(losses(t, 5)).rejects.toThrow(/worker 1 was terminated/);
      expect(t.step).toBe(2);
    } finally {
      t.close();
    }
    // a death and a close() while the leader waits for the answer
    for (const sharedMemory of [false, true]) {
      const slow = { replica: new URL('./fixtures/slow-replica.ts', import.meta.url), sharedMemory };
      const dying = await Trainer.create(config(2), slow);
      const closing = await Trainer.create(config(2), slow);
      try {
        const pending = dying.stepAsync();
        await new Promise((resolve) => setTimeout(resolve, 50)); // the leader is waiting now: the replica stalls 400 ms
        (dying as unknown as { pool: { kill(w: number): void } }).pool.kill(1);
        await expect(pending).rejects.toThrow(/worker 1 was terminated/);
        const waiting = closing.evaluateAsync();
        await new Promise((resolve) => setTimeout(resolve, 50));
        const pool = (closing as unknown as { pool: { close(): void } }).pool;
        pool.close();
        await expect(waiting).rejects.toThrow(/closed while it waited/);
      } finally {
        dying.close();
        closing.close();
      }
    }
  }, 60_000);

  it('a parent started with V8 flags (which Node refuses a worker) still starts its workers', () => {
    const child = spawnSync(process.execPath, ['--max-old-space-size=3000', '--stack-size=2000', '--import', 'tsx', fileURLToPath(new URL('./fixtures/flags-parent.mts', import.meta.url))], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).not.toMatch(/ERR_WORKER_INVALID_EXEC_ARGV/);
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as { workers: number; loss: number };
    expect(out.workers).toBe(2);
    expect(Number.isFinite(out.loss)).toBe(true);
  }, 60_000);

  it('startWorker drops exactly the flags Node names as refused (a value may hold a comma), then gives up', () => {
    const refuse = (bad: string[]) => (flags: string[]) => {
      const invalid = flags.filter((f) => bad.includes(f));
      if (invalid.length > 0) throw Object.assign(new Error(`Initiated Worker with invalid execArgv flags: ${invalid.join(', ')}`), { code: 'ERR_WORKER_INVALID_EXEC_ARGV' });
      return flags as unknown as import('node:worker_threads').Worker;
    };
    const given = ['--conditions=dev', '--trace-opt-filter=a,b', '--max-old-space-size=3000'];
    expect(startWorker(refuse(['--trace-opt-filter=a,b', '--max-old-space-size=3000']), given)).toEqual(['--conditions=dev']);
    // a message that names nothing given: retried without flags
    expect(startWorker((flags) => (flags.length > 0 ? refuse(['x'])(['x']) : (flags as never)), given)).toEqual([]);
    // another error is not caught
    expect(() => startWorker(() => { throw new TypeError('nope'); }, given)).toThrow(TypeError);
  });

  it('a worker that is terminated stops the run with a WorkerError and a loadable checkpoint', async () => {
    const t = await Trainer.create(config(2));
    try {
      await losses(t, 3);
      (t as unknown as { pool: { kill(w: number): void } }).pool.kill(1);
      const started = performance.now();
      const error = await losses(t, 50).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(WorkerError);
      expect(String(error)).toMatch(/worker 1 was terminated/);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(t.step).toBeGreaterThanOrEqual(3);
      const resumed = await Trainer.resume(t.checkpoint(), { workers: 1 });
      expect(resumed.step).toBe(t.step);
      expect(weights(resumed)).toEqual(weights(t));
      await losses(resumed, 2);
    } finally {
      t.close();
    }
  }, 60_000);

  it('a worker whose step throws stops the run with its message', async () => {
    const t = await Trainer.create(config(2), { replica: new URL('./fixtures/failing-replica.ts', import.meta.url) });
    try {
      const at = t.step;
      await expect(losses(t, 10)).rejects.toThrow(/worker 1 failed: .*a loss that throws/);
      expect(t.step).toBe(at + 2); // the third update's gradients never arrived: it was not applied
      await expect(t.stepAsync()).rejects.toThrow(WorkerError); // and the pool stays failed
    } finally {
      t.close();
    }
  }, 60_000);

  it('checks the worker count', async () => {
    expect(() => validateConfig(config(3))).toThrow(TrainingConfigError);
    expect(() => validateConfig(config(3))).toThrow(/workers: 3 workers share the 2 micro-batches/);
    expect(() => validateConfig(config(0))).toThrow(/workers/);
    // the synchronous trainStep computes the same update as stepAsync
    const sync = await Trainer.create(config(2));
    const async_ = await Trainer.create(config(2));
    try {
      const a: number[] = [];
      for (let i = 0; i < 4; i++) a.push(sync.trainStep().loss);
      expect(await losses(async_, 4)).toEqual(a);
    } finally {
      sync.close();
      async_.close();
    }
    // 'auto': the cores, at most the micro-batches of an update, at most GRAPHEME_TRAIN_WORKERS
    const before = process.env.GRAPHEME_TRAIN_WORKERS;
    try {
      process.env.GRAPHEME_TRAIN_WORKERS = '8';
      const one = await Trainer.create(config('auto', { accumulationSteps: 1, batchSize: 32 }));
      expect(one.workers).toBe(1);
      one.close();
      const auto = await Trainer.create(config('auto'));
      expect(auto.workers).toBe(Math.min(availableParallelism(), 2));
      auto.close();
      process.env.GRAPHEME_TRAIN_WORKERS = '1';
      const capped = await Trainer.create(config('auto'));
      expect(capped.workers).toBe(1);
      capped.close();
    } finally {
      process.env.GRAPHEME_TRAIN_WORKERS = before;
    }
  }, 60_000);

  it('evaluation chunks are claimed from the shared counter, each exactly once whoever claims first; without shared memory worker w takes k ≡ w (mod N)', () => {
    const control = new Int32Array(new SharedArrayBuffer(4 * (C.nextChunk + 1)));
    const leader = chunkClaimer(control, 0, 2, 7);
    const replica = chunkClaimer(control, 1, 2, 7);
    // an uneven interleaving: the replica is slow at first, then fast
    const order = [leader, leader, leader, replica, replica, replica, replica, leader, replica];
    const taken = order.map((claim) => claim());
    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, -1, -1]);
    expect([0, 1].map((w) => { const claim = chunkClaimer(null, w, 2, 5); return [claim(), claim(), claim(), claim()]; })).toEqual([[0, 2, 4, -1], [1, 3, -1, -1]]);
  });

  it('a worker inherits the parent\'s flags but those only a main script takes', () => {
    expect(workerFlags(['--input-type=module', '-e', 'code', '--max-old-space-size=100'])).toEqual(['--max-old-space-size=100']);
    expect(workerFlags(['--eval=x', '--print', 'y', '--stack-size=900', '--import', 'tsx'])).toEqual(['--stack-size=900', '--import', 'tsx']);
  });
});

/** The integers from … to, both included. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
