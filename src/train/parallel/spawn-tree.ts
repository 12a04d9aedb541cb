/**
 * The source checkout's replicas (tests, tsx): worker_threads running
 * src/entry/replica-node.ts through tsx's loader (tsImport). Not part of the built package (the build
 * replaces this module with ./spawn-none.ts; the package entries register their own).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeSpawner } from './spawn-node';
import type { ReplicaSpawner } from './spawn';

export function sourceTreeSpawner(): ReplicaSpawner | null {
  const api = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('../../entry/replica-node.ts', import.meta.url);
  // tsImport: the entry and what it imports through tsx, in this worker only
  const bootstrap = `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return nodeSpawner(entry, bootstrap);
}
