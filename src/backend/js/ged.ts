// Twins of assembly/ged.ts: same names and signatures, with the heap as first parameter.
// They are the readable reference: plain loops over typed-array views, the same formulas.
import type { Heap } from '../heap';

/** One tree of a pair, in the orientation the DP runs on (local postorder indices). */
interface OrientedTree {
  labels: Int32Array;
  types: Int32Array;
  values: Float64Array;
  lld: Int32Array;
  keyroots: number[];
}

const FIRST_CHILD = 1;
const LAST_CHILD = 2;

/**
 * A packed tree as given (`mirror` false) or mirrored: node i with preorder p and subtree
 * size s goes to n − 1 − p, its leftmost leaf to n − p − s. Keyroots (ascending): the nodes
 * that are not first children — in the mirror, those that were not last children.
 */
function orientedTree(I: Int32Array, F: Float64Array, lab: number, typ: number, val: number, lld: number, shp: number, off: number, n: number, mirror: boolean): OrientedTree {
  const t: OrientedTree = { labels: new Int32Array(n), types: new Int32Array(n), values: new Float64Array(n), lld: new Int32Array(n), keyroots: [] };
  const notKey = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const shape = I[shp + off + i];
    const p = shape >> 2;
    const m = mirror ? n - 1 - p : i;
    t.labels[m] = I[lab + off + i];
    t.types[m] = I[typ + off + i];
    t.values[m] = F[val + off + i];
    t.lld[m] = mirror ? n - p - (i - I[lld + off + i] + 1) : I[lld + off + i];
    notKey[m] = shape & (mirror ? LAST_CHILD : FIRST_CHILD);
  }
  for (let i = 0; i < n; i++) if (!notKey[i]) t.keyroots.push(i);
  return t;
}

/** Σ keyroot subtree sizes along leftmost and rightmost paths (Zhang–Shasha cells multiply). */
function pathWork(I: Int32Array, lld: number, shp: number, off: number, n: number): [number, number] {
  let left = 0;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const size = i - I[lld + off + i] + 1;
    if (!(I[shp + off + i] & FIRST_CHILD)) left += size;
    if (!(I[shp + off + i] & LAST_CHILD)) right += size;
  }
  return [left, right];
}

/**
 * Tree edit distance of `pairCount` packed pairs (Zhang & Shasha 1989); see assembly/ged.ts
 * for the layout. Each pair runs along leftmost paths, or on both trees mirrored (rightmost
 * paths) when that fills fewer cells, unless its flags say "as given"; td then holds the
 * last pair's tree distances in that orientation. Always on f64 cells: where the wasm
 * kernel switches to scaled i32 or byte cells the costs are dyadic and every sum is exact
 * in f64 too, so both give the same numbers. For keyroots i of A and j of B (ascending),
 * the forest distance
 *   fd[a][b] = min( fd[a−1][b] + delete,  fd[a][b−1] + insert,
 *                   fd[a−1][b−1] + substitute(x, y)              when x and y are on the leftmost paths of i and j
 *                   fd[lld(x)−lld(i)][lld(y)−lld(j)] + td[x][y]   otherwise )
 * where x = lld(i) + a − 1, y = lld(j) + b − 1; the first case also sets td[x][y].
 */
export function tedBatch(
  h: Heap, pairCount: number, pairs: number, labels: number, types: number, values: number, llds: number, shapes: number,
  insertCost: number, deleteCost: number, typeCost: number, valueCost: number, tolerance: number,
  td: number, fd: number, out: number,
): void {
  const I = h.i32;
  const F = h.f64;
  const lab = labels >>> 2, typ = types >>> 2, val = values >>> 3, lld = llds >>> 2, shp = shapes >>> 2;
  const T = td >>> 3, D = fd >>> 3;
  const labelOnly = typeCost === valueCost && !(tolerance >= 0);
  for (let p = 0; p < pairCount; p++) {
    const rec = (pairs >>> 2) + 8 * p;
    const [offA, nA, offB, nB, flags] = I.subarray(rec, rec + 5);
    let result: number;
    if (nA === 0) result = nB * insertCost;
    else if (nB === 0) result = nA * deleteCost;
    else {
      let mirror = false;
      if (!(flags & 1)) {
        const [leftA, rightA] = pathWork(I, lld, shp, offA, nA);
        const [leftB, rightB] = pathWork(I, lld, shp, offB, nB);
        mirror = leftA * leftB > rightA * rightB;
      }
      // types and values are packed only when substitute reads them
      const A = orientedTree(I, F, lab, typ, val, lld, shp, offA, nA, mirror);
      const B = orientedTree(I, F, lab, typ, val, lld, shp, offB, nB, mirror);
      const substitute = (x: number, y: number): number => {
        if (A.labels[x] === B.labels[y]) return 0;
        if (labelOnly) return typeCost;
        const tx = A.types[x];
        if (tx !== B.types[y]) return typeCost;
        if ((tx === 0 || tx === 1) && Math.abs(A.values[x] - B.values[y]) <= tolerance) return 0;
        return valueCost;
      };
      for (const i of A.keyroots) {
        for (const j of B.keyroots) {
          const li = A.lld[i];
          const lj = B.lld[j];
          const width = j - lj + 2;
          const at = (a: number, b: number) => D + a * width + b;
          // borders accumulate (b·insert as a running sum) exactly as the wasm kernel does
          F[at(0, 0)] = 0;
          for (let b = 1; b < width; b++) F[at(0, b)] = F[at(0, b - 1)] + insertCost;
          for (let a = 1; a < i - li + 2; a++) {
            const x = li + a - 1;
            const lx = A.lld[x];
            F[at(a, 0)] = F[at(a - 1, 0)] + deleteCost;
            for (let b = 1; b < width; b++) {
              const y = lj + b - 1;
              const ly = B.lld[y];
              const del = F[at(a - 1, b)] + deleteCost;
              const ins = F[at(a, b - 1)] + insertCost;
              if (lx === li && ly === lj) {
                const cell = Math.min(del, ins, F[at(a - 1, b - 1)] + substitute(x, y));
                F[at(a, b)] = cell;
                F[T + x * nB + y] = cell;
              } else {
                F[at(a, b)] = Math.min(del, ins, F[at(lx - li, ly - lj)] + F[T + x * nB + y]);
              }
            }
          }
        }
      }
      result = F[T + (nA - 1) * nB + (nB - 1)];
    }
    F[(out >>> 3) + p] = result;
  }
}

/**
 * Linear sum assignment: the permutation σ minimising Σ_i cost[i][σ(i)] (n × n f64,
 * +Infinity forbids a cell), written to rowToCol; returns the minimum, Infinity when no
 * finite assignment exists. Hungarian method by shortest augmenting paths with potentials
 * u (rows), v (columns), 1-based, column 0 virtual; see assembly/ged.ts. Scratch ≥ 48·(n+1) bytes
 * (this twin uses the first 36·(n+1)).
 */
export function lsapSolve(h: Heap, n: number, cost: number, rowToCol: number, scratch: number): number {
  if (n <= 0) return 0;
  const F = h.f64;
  const I = h.i32;
  const C = cost >>> 3;
  const len = n + 1;
  const u = new Float64Array(h.f64.buffer, scratch, len);
  const v = new Float64Array(h.f64.buffer, scratch + 8 * len, len);
  const minv = new Float64Array(h.f64.buffer, scratch + 16 * len, len);
  const p = new Int32Array(h.f64.buffer, scratch + 24 * len, len);
  const way = new Int32Array(h.f64.buffer, scratch + 28 * len, len);
  const used = new Int32Array(h.f64.buffer, scratch + 32 * len, len);
  u.fill(0);
  v.fill(0);
  p.fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = -1;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = F[C + (i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      if (j1 < 0) return Infinity;
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  let total = 0;
  for (let j = 1; j <= n; j++) {
    const r = p[j] - 1;
    I[(rowToCol >>> 2) + r] = j - 1;
    total += F[C + r * n + (j - 1)];
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The differentiable GED loss: formulas and layout in assembly/ged.ts, meaning in src/ged/loss.ts.
// Plain float64 reference (the wasm kernel sums the edge block in f32 lanes).

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** softmax of f32 row [at, at + n) as float64 */
function softmax(f: Float32Array, at: number, n: number): number[] {
  let m = -Infinity;
  for (let c = 0; c < n; c++) m = Math.max(m, f[at + c]);
  const ex: number[] = [];
  let total = 0;
  for (let c = 0; c < n; c++) {
    ex.push(Math.exp(f[at + c] - m));
    total += ex[c];
  }
  return ex.map((x) => x / total);
}

interface LossGraph {
  slotStart: number;
  P: number;
  targetStart: number;
  T: number;
  edgeStart: number;
  tEdgeStart: number;
  tEdgeCount: number;
}

function lossGraph(I: Int32Array, graphs: number, g: number): LossGraph {
  const r = (graphs >>> 2) + 8 * g;
  return { slotStart: I[r], P: I[r + 1], targetStart: I[r + 2], T: I[r + 3], edgeStart: I[r + 4], tEdgeStart: I[r + 5], tEdgeCount: I[r + 6] };
}

function lossCosts(F: Float32Array, costs: number) {
  const c = costs >>> 2;
  return { cIns: F[c], cDel: F[c + 1], cType: F[c + 2], cValue: F[c + 3], cEins: F[c + 4], cEdel: F[c + 5], alpha: F[c + 6], beta: F[c + 7], tau: F[c + 8] };
}

/**
 * S(p, t) = cType·(1 − π[type_t]) + π[type_t]·V, V = cValue·(1 − λ[label_t]) or
 * cValue·log2(1 + r²), r = (value_p − value_t)/τ; also dV/dvalue for numbers.
 */
function nodeTerms(
  h: Heap, slot: number, target: number, typeLogits: number, K: number, labelLogits: number, L: number, values: number,
  targetTypes: number, targetLabels: number, targetValues: number, cValue: number, tau: number,
) {
  const F = h.f32, I = h.i32;
  const type = I[(targetTypes >>> 2) + target];
  const label = I[(targetLabels >>> 2) + target];
  const pi = softmax(F, (typeLogits >>> 2) + slot * K, K);
  if (label >= 0) {
    const lambda = softmax(F, (labelLogits >>> 2) + slot * L, L);
    return { type, label, pi, lambda, v: cValue * (1 - lambda[label]), dv: 0 };
  }
  const r = (F[(values >>> 2) + slot] - F[(targetValues >>> 2) + target]) / tau;
  return { type, label, pi, lambda: [], v: cValue * Math.log2(1 + r * r), dv: (cValue * 2 * r) / ((1 + r * r) * Math.LN2 * tau) };
}

export function gedLossForward(
  h: Heap, graphCount: number, graphs: number, typeLogits: number, K: number, labelLogits: number, L: number, values: number,
  existLogits: number, edgeLogits: number, targetTypes: number, targetLabels: number, targetValues: number,
  targetEdges: number, map: number, inverse: number, costs: number, _scratch: number, out: number,
): void {
  const F = h.f32, I = h.i32;
  const c = lossCosts(F, costs);
  for (let g = 0; g < graphCount; g++) {
    const G = lossGraph(I, graphs, g);
    const e = Array.from({ length: G.P }, (_, p) => (existLogits === 0 ? 1 : sigmoid(F[(existLogits >>> 2) + G.slotStart + p])));
    let nodes = 0;
    for (let p = 0; p < G.P; p++) {
      const t = I[(map >>> 2) + G.slotStart + p];
      if (t < 0) nodes += e[p] * c.cDel;
      else {
        const n = nodeTerms(h, G.slotStart + p, G.targetStart + t, typeLogits, K, labelLogits, L, values, targetTypes, targetLabels, targetValues, c.cValue, c.tau);
        const pType = n.pi[n.type];
        nodes += e[p] * (c.cType * (1 - pType) + pType * n.v) + (1 - e[p]) * c.cIns;
      }
    }
    for (let t = 0; t < G.T; t++) if (I[(inverse >>> 2) + G.targetStart + t] < 0) nodes += c.cIns;
    let edges = 0;
    if (edgeLogits !== 0) {
      const a = (p: number, q: number) => sigmoid(F[(edgeLogits >>> 2) + G.edgeStart + p * G.P + q]);
      for (let p = 0; p < G.P; p++) for (let q = 0; q < G.P; q++) if (p !== q) edges += c.cEdel * e[p] * e[q] * a(p, q);
      for (let k = 0; k < G.tEdgeCount; k++) {
        const pr = (targetEdges >>> 2) + 2 * (G.tEdgeStart + k);
        const p1 = I[(inverse >>> 2) + G.targetStart + I[pr]];
        const p2 = I[(inverse >>> 2) + G.targetStart + I[pr + 1]];
        if (p1 >= 0 && p2 >= 0) {
          const s = e[p1] * e[p2] * a(p1, p2);
          edges += c.cEins * (1 - s) - c.cEdel * s;
        } else edges += c.cEins;
      }
    }
    F[(out >>> 2) + g] = c.alpha * nodes + c.beta * edges;
  }
}

/** Gradients of the loss above times dOut[g], ACCUMULATED into every non-zero gradient pointer. */
export function gedLossBackward(
  h: Heap, graphCount: number, graphs: number, typeLogits: number, K: number, labelLogits: number, L: number, values: number,
  existLogits: number, edgeLogits: number, targetTypes: number, targetLabels: number, targetValues: number,
  targetEdges: number, map: number, inverse: number, costs: number, _scratch: number, dOut: number,
  dTypeLogits: number, dLabelLogits: number, dValues: number, dExistLogits: number, dEdgeLogits: number,
): void {
  const F = h.f32, I = h.i32;
  const c = lossCosts(F, costs);
  const add = (ptr: number, index: number, value: number) => {
    F[(ptr >>> 2) + index] += value;
  };
  for (let g = 0; g < graphCount; g++) {
    const G = lossGraph(I, graphs, g);
    const u = F[(dOut >>> 2) + g];
    const e = Array.from({ length: G.P }, (_, p) => (existLogits === 0 ? 1 : sigmoid(F[(existLogits >>> 2) + G.slotStart + p])));
    const dE = new Array<number>(G.P).fill(0); // d loss / d e_p
    for (let p = 0; p < G.P; p++) {
      const slot = G.slotStart + p;
      const t = I[(map >>> 2) + slot];
      if (t < 0) {
        dE[p] = c.alpha * c.cDel;
        continue;
      }
      const n = nodeTerms(h, slot, G.targetStart + t, typeLogits, K, labelLogits, L, values, targetTypes, targetLabels, targetValues, c.cValue, c.tau);
      const pType = n.pi[n.type];
      dE[p] = c.alpha * (c.cType * (1 - pType) + pType * n.v - c.cIns);
      // ∂pType/∂z_k = pType·(δ_{k,type} − π_k); ∂S/∂pType = V − cType
      if (dTypeLogits !== 0) {
        for (let k = 0; k < K; k++) add(dTypeLogits, slot * K + k, u * c.alpha * e[p] * (n.v - c.cType) * pType * ((k === n.type ? 1 : 0) - n.pi[k]));
      }
      if (n.label >= 0) {
        const lt = n.lambda[n.label];
        if (dLabelLogits !== 0) {
          for (let l = 0; l < L; l++) add(dLabelLogits, slot * L + l, -u * c.alpha * e[p] * pType * c.cValue * lt * ((l === n.label ? 1 : 0) - n.lambda[l]));
        }
      } else if (dValues !== 0) {
        add(dValues, slot, u * c.alpha * e[p] * pType * n.dv);
      }
    }
    if (edgeLogits !== 0) {
      const a = (p: number, q: number) => sigmoid(F[(edgeLogits >>> 2) + G.edgeStart + p * G.P + q]);
      // ∂loss/∂s_pq: β·cEdel for every p ≠ q, −β·(cEins + cEdel) more where a target edge is mapped
      const gs = new Map<number, number>();
      for (let k = 0; k < G.tEdgeCount; k++) {
        const pr = (targetEdges >>> 2) + 2 * (G.tEdgeStart + k);
        const p1 = I[(inverse >>> 2) + G.targetStart + I[pr]];
        const p2 = I[(inverse >>> 2) + G.targetStart + I[pr + 1]];
        if (p1 >= 0 && p2 >= 0) gs.set(p1 * G.P + p2, (gs.get(p1 * G.P + p2) ?? 0) - c.beta * (c.cEins + c.cEdel));
      }
      for (let p = 0; p < G.P; p++) {
        for (let q = 0; q < G.P; q++) {
          if (p === q) continue;
          const gpq = c.beta * c.cEdel + (gs.get(p * G.P + q) ?? 0);
          const apq = a(p, q);
          // s = e_p·e_q·a: ∂s/∂y = e_p·e_q·a(1 − a), ∂s/∂e_p = e_q·a, ∂s/∂e_q = e_p·a
          if (dEdgeLogits !== 0) add(dEdgeLogits, G.edgeStart + p * G.P + q, u * gpq * e[p] * e[q] * apq * (1 - apq));
          dE[p] += gpq * e[q] * apq;
          dE[q] += gpq * e[p] * apq;
        }
      }
    }
    if (dExistLogits !== 0 && existLogits !== 0) {
      for (let p = 0; p < G.P; p++) add(dExistLogits, G.slotStart + p, u * dE[p] * e[p] * (1 - e[p]));
    }
  }
}
