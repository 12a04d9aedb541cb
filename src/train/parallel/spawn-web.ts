/**
 * Worker replicas as module Web Workers (browsers, Deno). Shared memory needs a
 * cross-origin-isolated page (COOP/COEP headers); without it the pool transfers buffers by
 * message (./messages.ts).
 */
import type { ReplicaInit, ReplicaMessage } from './replica';
import { exitOnce, type ReplicaHandle, type ReplicaSpawner } from './spawn';

/** Spawns `entry` (a module that calls serveReplica with the first message it receives), or null where there are no workers. */
export function webSpawner(entry: URL): ReplicaSpawner | null {
  const scope = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown; navigator?: { hardwareConcurrency?: number } };
  if (typeof scope.Worker !== 'function') return null;
  return {
    cores: scope.navigator?.hardwareConcurrency ?? 1,
    sharedMemory: typeof SharedArrayBuffer === 'function' && scope.crossOriginIsolated !== false,
    spawn(init: ReplicaInit): ReplicaHandle {
      const worker = new Worker(entry, { type: 'module' });
      const { exit, onExit } = exitOnce();
      worker.addEventListener('error', (e) => exit(`threw: ${(e as ErrorEvent).message ?? 'an error'}`));
      worker.addEventListener('messageerror', () => exit('sent a message that could not be read'));
      worker.postMessage(init);
      return {
        onMessage: (listener) => worker.addEventListener('message', (e) => listener((e as MessageEvent<ReplicaMessage>).data)),
        post: (message, transfer) => worker.postMessage(message, transfer),
        onExit,
        unref: () => {},
        ref: () => {},
        terminate: () => {
          worker.terminate();
          exit('was terminated');
        },
      };
    },
  };
}
