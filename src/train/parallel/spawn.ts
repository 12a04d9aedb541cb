/**
 * How a runtime starts worker replicas. Each package entry registers its own (Node:
 * worker_threads, ../../entry/node.ts; browsers: module Web Workers, ../../entry/browser.ts);
 * workerd registers none (no threads: one worker). A source checkout (tests, tsx) falls back
 * to worker_threads over the TypeScript sources (./spawn-tree.ts).
 */
import type { ReplicaInit, ReplicaMessage } from './replica';

/** A started replica: its first message comes through `onMessage`; a death through `onExit`. */
export interface ReplicaHandle {
  /** listeners add up (the pool's start hears 'ready', its transport hears answers) */
  onMessage(listener: (message: ReplicaMessage) => void): void;
  /**
   * a message to the replica after its ReplicaInit, moving `transfer`; needed only by
   * transferred buffers (./messages.ts: a pool without shared memory refuses a handle without it)
   */
  post?(message: unknown, transfer: ArrayBuffer[]): void;
  /** the worker threw outside its command loop, or exited (also after terminate()) */
  onExit(listener: (reason: string) => void): void;
  /** let the process exit while the worker lives (Node; a no-op elsewhere) */
  unref(): void;
  /** undo unref(): the process waits for this worker (a command awaited by message; Node) */
  ref(): void;
  terminate(): void;
}

export interface ReplicaSpawner {
  spawn(init: ReplicaInit): ReplicaHandle;
  /** hardware threads of this machine */
  cores: number;
  /** whether the threads can share a SharedArrayBuffer (else the pool transfers buffers: ./messages.ts); absent: where the runtime has SharedArrayBuffer */
  sharedMemory?: boolean;
}

/** A worker's end, reported once (the first reason wins) to the listener, also one set after it. */
export function exitOnce(): { exit: (reason: string) => void; onExit: (listener: (reason: string) => void) => void } {
  let listener: ((reason: string) => void) | null = null;
  let reason: string | null = null;
  return {
    exit: (why) => {
      if (reason !== null) return;
      reason = why;
      listener?.(why);
    },
    onExit: (next) => {
      listener = next;
      if (reason !== null) next(reason);
    },
  };
}

let registered: ReplicaSpawner | null | undefined;

/** Registers the runtime's spawner (null: this runtime has no threads). */
export function setReplicaSpawner(spawner: ReplicaSpawner | null): void {
  registered = spawner;
}

/** The registered spawner, else the source checkout's (Node), else null. */
export async function replicaSpawner(): Promise<ReplicaSpawner | null> {
  if (registered !== undefined) return registered;
  try {
    const { sourceTreeSpawner } = await import('./spawn-tree');
    return sourceTreeSpawner();
  } catch {
    return null;
  }
}
