/**
 * Linear sum assignment on the backend's `lsapSolve` kernel (Hungarian method by shortest
 * augmenting paths, O(n³)): the permutation minimising Σ cost[i][σ(i)].
 */
import type { Backend } from '../backend/index';
import { GraphemeError } from '../errors';
import { withScratch } from './backend';

export class AssignmentError extends GraphemeError {}

export interface Assignment {
  /** Σ cost[i][rowToCol[i]]; Infinity when every permutation hits a forbidden cell */
  cost: number;
  rowToCol: Int32Array;
}

/** `matrix` is size × size, row-major; +Infinity forbids a cell. */
export function solveAssignment(backend: Backend, size: number, matrix: Float64Array): Assignment {
  if (matrix.length !== size * size) throw new AssignmentError(`solveAssignment: a ${size}×${size} matrix needs ${size * size} entries, got ${matrix.length}`);
  for (let k = 0; k < matrix.length; k++) {
    const x = matrix[k];
    if (Number.isNaN(x) || x === -Infinity) throw new AssignmentError(`solveAssignment: matrix[${Math.floor(k / size)}][${k % size}] is ${x}`);
  }
  if (size === 0) return { cost: 0, rowToCol: new Int32Array(0) };
  return withScratch(backend, () => {
    const heap = backend.heap;
    const costPtr = heap.allocStep(size * size * 8);
    const rowPtr = heap.allocStep(size * 4);
    const scratch = heap.allocStep(48 * (size + 1));
    heap.f64.set(matrix, costPtr >>> 3);
    const cost = backend.kernels.lsapSolve(size, costPtr, rowPtr, scratch);
    return { cost, rowToCol: heap.i32.slice(rowPtr >>> 2, (rowPtr >>> 2) + size) };
  });
}
