/**
 * The page's training worker (a module Web Worker): it owns the Trainer, so the page's main
 * thread only draws. Trainer.run() hands this worker's event loop back every ~16 ms, where the
 * page's commands (pause, predict, checkpoint, upload) are served between two updates. The
 * Trainer starts its worker replicas from replica.js beside this script (data-parallel
 * training, config.workers 'auto'): over SharedArrayBuffer on a cross-origin-isolated page
 * (serve.mjs sends COOP/COEP), by transferred buffers on a page without those headers.
 * Per-update figures go to the page in batches (at most every 100 ms).
 */
import { setWasmLoader } from '../../src/backend/wasm-source';
import { createBackend, wasmSimdSupported, type Backend } from '../../src/backend/index';
import { decodeCheckpoint, setReplicaSpawner, Trainer, type TrainerEvents } from '../../src/train/index';
import { webSpawner } from '../../src/train/parallel/spawn-web';
import type { Command, Report, Session, Status } from './protocol';

const scope = globalThis as unknown as { postMessage(m: Report, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<Command>) => void) | null };
const post = (report: Report, transfer: Transferable[] = []) => scope.postMessage(report, transfer);

let kernelModule: Promise<WebAssembly.Module> | null = null;

/** grapheme.wasm beside this script, compiled once for this worker's backends and its replicas. */
function wasmModule(): Promise<WebAssembly.Module> {
  kernelModule ??= (async () => {
    const url = new URL('grapheme.wasm', import.meta.url);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching ${url.href} answered ${response.status}`);
    return response.headers.get('content-type') === 'application/wasm' ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
  })();
  kernelModule.catch(() => (kernelModule = null));
  return kernelModule;
}
setWasmLoader(wasmModule);
setReplicaSpawner(webSpawner(new URL('./replica.js', import.meta.url)));

async function backendFor(name: unknown): Promise<Backend> {
  const kind = name === 'js' || (name === 'auto' && !wasmSimdSupported()) ? 'js' : 'wasm';
  return createBackend(kind, kind === 'wasm' ? { wasm: await wasmModule() } : {});
}

let trainer: Trainer | null = null;
let abort: AbortController | null = null;
let running: Promise<void> | null = null;
let status: Status = 'idle';
const pending = { steps: [] as number[], losses: [] as number[], lrs: [] as number[], rate: 0, level: 0 };
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function session(): Session | null {
  return trainer === null ? null : { backend: trainer.backend.name, workers: trainer.workers, step: trainer.step, steps: trainer.config.steps, levels: trainer.curriculum!.levels.map(String) };
}

function setStatus(next: Status, message = '', fresh = false): void {
  flush();
  status = next;
  post({ type: 'status', status, message, session: session(), fresh });
}

function flush(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  if (pending.steps.length === 0) return;
  post({ type: 'steps', steps: pending.steps, losses: pending.losses, lrs: pending.lrs, rate: pending.rate, level: pending.level });
  pending.steps = [];
  pending.losses = [];
  pending.lrs = [];
}

const events: TrainerEvents = {
  onStep: (m) => {
    pending.steps.push(m.step);
    pending.losses.push(m.loss);
    pending.lrs.push(m.lr);
    pending.rate = m.samplesPerSec;
    pending.level = m.level;
    flushTimer ??= setTimeout(flush, 100);
  },
  onEval: (e) => {
    flush();
    const perLevel: Record<string, number> = {};
    for (const [level, figures] of Object.entries(e.perLevel)) perLevel[level] = figures.accuracy;
    post({ type: 'eval', step: e.step, accuracy: e.accuracy, perLevel });
  },
  onLevel: (change) => {
    flush();
    post({ type: 'level', change });
  },
};

async function stopRun(): Promise<void> {
  abort?.abort();
  await running;
}

async function replace(next: Trainer): Promise<void> {
  trainer?.close();
  trainer = next;
}

/** Runs the trainer until its step budget, Pause, or an error. */
function startRun(): void {
  const t = trainer!;
  abort = new AbortController();
  setStatus('training');
  running = (async () => {
    try {
      const result = await t.run({ signal: abort!.signal });
      if (result.reason === 'aborted') setStatus('paused', `paused at step ${t.step}`);
      else setStatus('done', result.reason === 'early-stop' ? 'stopped early' : `finished ${t.step} updates`);
    } catch (err) {
      setStatus('error', (err as Error).message);
    } finally {
      running = null;
    }
  })();
}

async function newTrainer(config: Record<string, unknown>): Promise<Trainer> {
  return Trainer.create(config, { backend: await backendFor(config.backend), ...events });
}

async function handle(command: Command): Promise<void> {
  switch (command.type) {
    case 'train': {
      await stopRun();
      setStatus('starting');
      try {
        await replace(await newTrainer(command.config));
        setStatus('starting', '', true);
        startRun();
      } catch (err) {
        setStatus('error', (err as Error).message);
      }
      return;
    }
    case 'pause':
      abort?.abort();
      return;
    case 'resume':
      if (trainer !== null && status === 'paused') startRun();
      return;
    case 'predict': {
      try {
        if (trainer === null) {
          // an untrained model answers too: its answer shows what training changes
          await replace(await newTrainer(command.config));
          setStatus('idle', 'untrained model created', true);
        }
        const output = trainer!.model.predict(command.text, command.bindings);
        post({ type: 'prediction', input: command.text, output: output.toJSON(), outputText: output.toPolish(), step: trainer!.step });
      } catch (err) {
        post({ type: 'prediction-error', message: (err as Error).message });
      }
      return;
    }
    case 'checkpoint': {
      if (trainer === null) return setStatus(status, 'nothing to download: train first');
      // between two updates (this handler runs while run() yields): a consistent state
      const bytes = trainer.checkpoint();
      post({ type: 'checkpoint', step: trainer.step, bytes }, [bytes.buffer]);
      return;
    }
    case 'upload': {
      await stopRun();
      setStatus('starting', `loading ${command.name}`);
      try {
        // the checkpoint names its backend; the worker supplies the wasm module for it
        const config = JSON.parse(decodeCheckpoint(command.bytes).metadata.config ?? '{}');
        await replace(await Trainer.resume(command.bytes, { backend: await backendFor(config.backend), ...events }));
        setStatus('paused', `resumed ${command.name} at step ${trainer!.step}: press Resume to continue`, true);
      } catch (err) {
        setStatus('error', `${command.name}: ${(err as Error).message}`);
      }
      return;
    }
  }
}

// commands run in order: one that waits (a pause before an upload) holds the next
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};
