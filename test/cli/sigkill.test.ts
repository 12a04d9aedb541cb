// A training process killed with SIGKILL (no handler runs, no flush) leaves a checkpoint
// that loads, and `--resume` continues it to the same losses as a run never interrupted.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointBytes } from '../../src/train/checkpoint-node';
import { decodeCheckpoint } from '../../src/train/checkpoint';
import { Trainer } from '../../src/train/trainer';
import type { TrainingConfigInput } from '../../src/train/config';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-sigkill-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// levels 1 → 2 on a budget of 300 updates; a checkpoint at every evaluation (every 25 updates)
const STEPS = 700;
const EVAL_EVERY = 25;
const CONFIG: TrainingConfigInput = { seed: 'sigkill', backend: 'wasm', levels: [1, 2], steps: STEPS, batchSize: 8, evalEvery: EVAL_EVERY, evalSize: 8, testSize: 8, curriculum: { levelSteps: { 1: 300 } }, model: { hidden: 8 } };

describe('SIGKILL mid-training', () => {
  it('leaves a loadable checkpoint; --resume finishes the run with the losses of an uninterrupted one, bit for bit', async () => {
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(CONFIG));
    const out = join(dir, 'run');
    const ckpt = join(out, 'checkpoint.safetensors');
    // `node --import tsx`, not the tsx CLI: that one runs the script in a child process the kill would miss
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--config', config, '--out', out], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // wait for the first checkpoint after an evaluation (a fresh run also writes one at update 0),
    // then a little more training, then kill without warning
    const stepOf = async () => (existsSync(ckpt) ? Number(decodeCheckpoint(await readCheckpointBytes(ckpt)).metadata.step) : -1);
    const deadline = Date.now() + 15_000;
    while ((await stepOf()) <= 0 && Date.now() < deadline) await sleep(10);
    expect(await stepOf(), 'no checkpoint after an evaluation within 15 s').toBeGreaterThan(0);
    await sleep(50);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const bytes = await readCheckpointBytes(ckpt);
    const killedAt = Number(decodeCheckpoint(bytes).metadata.step);
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(STEPS); // it really was mid-training
    expect(killedAt % EVAL_EVERY).toBe(0);
    const loaded = await Trainer.resume(bytes);
    expect(loaded.step).toBe(killedAt);

    const resumed = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--resume', ckpt, '--out', out, '--level-eval-size', '8'], { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout, resumed.stdout).toContain(`resuming at update ${killedAt}`);
    // a temporary file the kill may have left mid-write is cleared; nothing else is in the folder
    expect(readdirSync(out).sort()).toEqual(['best.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'report.html']);

    const log = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const steps = log.filter((l) => l.kind === 'step');
    expect(steps.map((l) => l.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(log.filter((l) => l.kind === 'level')).toEqual([{ kind: 'level', step: 300, from: 1, to: 2, reason: 'budget' }]);
    expect(log.at(-1).kind).toBe('final');

    const whole = await Trainer.create(CONFIG);
    await whole.run();
    expect(steps.map((l) => l.loss)).toEqual(whole.history.map((m) => m.loss));
    const final = await Trainer.resume(await readCheckpointBytes(ckpt));
    expect(final.step).toBe(STEPS);
    expect(final.model.stateDict()).toEqual(whole.model.stateDict());
  }, 60_000); // measured on 2 cores: 7-13 s at load average 6.5, 28 s at load 10
});
