/**
 * The worker of the parallel bench's CEILING control (./parallel.ts): one independent
 * 1-worker Trainer of the workload's config in a worker thread. It warms up, answers 'ready',
 * then per 'run' message trains for `ms` and answers its samples/s. Two of these at once,
 * against one alone, say what two threads of this process get on this machine at that
 * moment, with nothing shared between them: the most any data-parallel design could reach.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Trainer, type TrainingConfigInput } from '../src/train/index';

const { config, warmUpMs } = workerData as { config: TrainingConfigInput; warmUpMs: number };
const trainer = await Trainer.create(config);
const t0 = performance.now();
while (performance.now() - t0 < warmUpMs) trainer.trainStep();
parentPort!.postMessage('ready');
// answers each { run } with its samples/s; the bench terminates the thread when done
parentPort!.on('message', (m: { run: number }) => {
  const start = performance.now();
  let updates = 0;
  while (performance.now() - start < m.run) {
    trainer.trainStep();
    updates++;
  }
  parentPort!.postMessage((updates * 64) / ((performance.now() - start) / 1000));
});
