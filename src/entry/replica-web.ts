// A worker replica in a module Web Worker: src/train/parallel/replica.ts over the first
// message (ReplicaInit), with the built-in model and curriculum. Built as dist/replica-web.js.
import { builtInModel, builtInSource } from '../train/builtin';
import { serveReplica, type ReplicaInit, type ReplicaParts } from '../train/parallel/replica';

const scope = globalThis as unknown as { postMessage(m: unknown, transfer?: Transferable[]): void; addEventListener(type: 'message', listener: (e: MessageEvent) => void, options?: { once: boolean }): void };
scope.addEventListener(
  'message',
  (event) => {
    void serveReplica(
      event.data as ReplicaInit,
      async (config, backend): Promise<ReplicaParts<unknown>> => ({ model: builtInModel(backend, config), data: builtInSource(config) }) as unknown as ReplicaParts<unknown>,
      (message, transfer) => scope.postMessage(message, transfer ?? []),
      (listener) => scope.addEventListener('message', (e) => listener(e.data)),
    );
  },
  { once: true },
);
