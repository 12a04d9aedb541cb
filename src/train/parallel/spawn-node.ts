/** Worker replicas as Node worker_threads (also Deno and Bun, which provide node:worker_threads). */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReplicaInit, ReplicaMessage } from './replica';
import { exitOnce, type ReplicaHandle, type ReplicaSpawner } from './spawn';

/**
 * The parent's flags a worker may inherit: without those that only a main script takes
 * (`node --input-type=module -e CODE`: --input-type, and -e/-p/--eval/--print with their code).
 */
export function workerFlags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (/^(-e|-p|--eval|--print)$/.test(a)) i++; // and its code
    else if (!/^(--input-type|--eval|--print)=/.test(a) && !/^-pe?$/.test(a)) out.push(a);
  }
  return out;
}

/**
 * `make(execArgv)`, once more without the flags Node refuses a worker (ERR_WORKER_INVALID_EXEC_ARGV
 * names them): V8 and process-wide flags such as --max-old-space-size or --stack-size, which
 * already apply to the whole process.
 */
export function startWorker(make: (execArgv: string[]) => Worker, execArgv: string[]): Worker {
  let flags = execArgv;
  for (let attempt = 0; ; attempt++) {
    try {
      return make(flags);
    } catch (err) {
      if ((err as { code?: string })?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || attempt === 2) throw err;
      // "Initiated Worker with invalid execArgv flags: --a=1, --b" (joined by ', '; a flag's value may hold a comma)
      const message = String((err as Error).message);
      const refused = new Set(message.slice(message.indexOf(': ') + 2).split(', '));
      const kept = flags.filter((f) => !refused.has(f));
      flags = kept.length < flags.length ? kept : [];
    }
  }
}

/**
 * Spawns `entry` (a module that calls serveReplica with its workerData), or the CommonJS
 * `bootstrap` code that loads it (e.g. through a TypeScript loader).
 */
export function nodeSpawner(entry: URL, bootstrap?: string): ReplicaSpawner {
  return {
    // Deno's and older runtimes' node:os may lack availableParallelism
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    sharedMemory: typeof SharedArrayBuffer === 'function',
    spawn(init: ReplicaInit): ReplicaHandle {
      const worker = startWorker((execArgv) => (bootstrap === undefined ? new Worker(entry, { workerData: init, execArgv }) : new Worker(bootstrap, { eval: true, workerData: init, execArgv })), workerFlags(process.execArgv));
      const { exit, onExit } = exitOnce();
      worker.on('error', (err) => exit(`threw: ${err?.message ?? String(err)}`));
      worker.on('exit', (code) => exit(`exited (code ${code})`));
      return {
        onMessage: (listener) => worker.on('message', (m: ReplicaMessage) => listener(m)),
        post: (message, transfer) => worker.postMessage(message, transfer),
        onExit,
        unref: () => worker.unref(),
        ref: () => worker.ref(),
        terminate: () => {
          void worker.terminate();
          // heard at once: a thread blocked in Atomics.wait may take a while to exit
          exit('was terminated');
        },
      };
    },
  };
}
