// A worker replica in Node (worker_threads): src/train/parallel/replica.ts over workerData.
// The built package's dist/replica-node.js; the source checkout runs this file through tsx.
import { parentPort, workerData } from 'node:worker_threads';
import { loadLevelFiles } from '../data/jsonl-node';
import { builtInModel, builtInSource } from '../train/builtin';
import { serveReplica, type ReplicaInit, type ReplicaParts } from '../train/parallel/replica';

const init = workerData as ReplicaInit;
void serveReplica(
  init,
  async (config, backend, levelFiles): Promise<ReplicaParts<unknown>> => {
    // a custom model and source: the module the Trainer was given (options.replica)
    if (init.module) return (await import(init.module)).replicaParts(config, backend) as ReplicaParts<unknown>;
    return { model: builtInModel(backend, config), data: builtInSource(config, levelFiles === null ? undefined : await loadLevelFiles(levelFiles)) } as unknown as ReplicaParts<unknown>;
  },
  (message, transfer) => parentPort!.postMessage(message, transfer),
  (listener) => parentPort!.on('message', listener),
);
