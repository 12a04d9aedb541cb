/** The built package's stand-in for ./spawn-tree.ts: its entries register their spawners. */
import type { ReplicaSpawner } from './spawn';

export function sourceTreeSpawner(): ReplicaSpawner | null {
  return null;
}
