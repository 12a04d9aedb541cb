// Kernels of area 'ged'. Twins: src/backend/js/ged.ts (same names, heap first).
//
// tedBatch: exact tree edit distance (Zhang & Shasha 1989) of many pairs of ordered
// labelled trees in one call.
//
// Packed input (built by src/ged/ted.ts):
//   pairs     i32 × 8 per pair: nodeOffA, nA, nodeOffB, nB, flags, 0, 0, 0
//             flags bit 0: run the pair as given (no mirroring: the caller backtracks td)
//   labels    i32 per node (label ids; equal ids = equal labels), types i32 per node,
//   values    f64 per node (types and values are read only when substitute needs them:
//             typeCost != valueCost or a tolerance), llds i32 per node (leftmost leaf,
//             local postorder index), shapes i32 per node: preorder index · 4 + 1 if the
//             node is a first child + 2 if it is a last child (0 for the root).
//   Node k of a tree at nodeOff is global node nodeOff + k, in postorder.
// Each pair first gets its orientation (orientPair): Zhang–Shasha along leftmost paths, or
// along rightmost paths (the left algorithm on both trees mirrored) when that fills fewer
// cells — Σ keyroot subtree sizes multiply, and the mirror's keyroots are the nodes that
// are not last children; keyroots (the root and every node that is not a first child) and
// mirrors are built here, in scratch, from lld and shapes.
// Costs (alpha already applied): insert, delete, and substitute(x, y) =
//   0 if labels equal; typeCost if types differ; 0 if numeric (type 0/1) and |vx − vy| <= tolerance; valueCost otherwise.
// Scratch: td ≥ 8·max(nA·nB) bytes (tree distances, row-major nA × nB in the pair's
// orientation; on return it holds the LAST pair's table as f64, so a caller that ran it
// as given can backtrack a mapping), fd ≥ max(fdBytes(nA, nB)) bytes, see fdScratchBytes.
// out: f64 per pair.
//
// The forest table of keyroot pair (i, j) is indexed fd[a][b], a = x − lld(i) + 1 for the
// forest of A's postorder nodes lld(i)..x (a = 0: empty), likewise b; its row stride is
// the width (j − lld(j) + 2) of that keyroot pair, so the live part of the table stays compact.
//   fd[a][b] = min( fd[a−1][b] + delete,  fd[a][b−1] + insert,
//                   fd[a−1][b−1] + substitute(x, y)               x, y both on the leftmost paths (sets td[x][y])
//                   fd[lld(x)−lld(i)][lld(y)−lld(j)] + td[x][y]    otherwise )
// Invariant when cell (a, b) is filled: every td[x'][y'] with x' off i's leftmost path or
// y' off j's leftmost path is final (keyroots ascend, and each pair's tree distance is
// produced by the keyroot pair whose two leftmost paths hold it).
//
// Cells: when every cost is a multiple of 2^−k (k <= 20) and the largest possible distance
// stays below 2^30, the DP runs on i32 cells scaled by 2^k — exact, and the row's serial
// dependency (each cell feeds the next one's insertion term) is a 1-cycle add instead of a
// 4-cycle f64 add; the result is divided back exactly. Otherwise it runs on f64 cells.
// Not vectorised: that serial chain runs along every row. The inner loops are branch-free
// (compare-and-select) so the irregular on-path/off-path pattern costs no mispredictions.
// On integer cells two shortcuts apply (exact there, and f64 results stay bit-identical to
// the twin's plain DP because the f64 path keeps the twin's order of sums):
//   - trees up to 64 nodes: tree distances against LEAF keyroots come from a closed form
//     (leafTreeDistances), one pass per leaf instead of a forest line per keyroot pair;
//   - each keyroot pair's table runs with the smaller subtree as rows (the recurrence is
//     symmetric in the two trees): fewer, longer rows. Measured on 1 000 pairs of 10–20-node
//     expression trees: leaf keyroots are ~60% of keyroot pairs; rows per pair 114 -> 66.
// Scratch fd on integer cells: a table uses 4·rows·width bytes, so its upper half holds
// the list of B's non-leaf keyroots.

import { expF32x4, loadPartial, storePartial } from "./vector-math";

// @ts-ignore: decorator
@inline const MAX_SCALE_STEPS: i32 = 20;
// @ts-ignore: decorator
@inline const I32_LIMIT: f64 = 1073741824; // 2^30

// 2^k for the least k <= 20 making every cost an integer, or 0 when there is none.
function integerScale(a: f64, b: f64, c: f64, d: f64): f64 {
  let scale: f64 = 1;
  for (let k = 0; k <= MAX_SCALE_STEPS; k++) {
    if (floor(a * scale) == a * scale && floor(b * scale) == b * scale && floor(c * scale) == c * scale && floor(d * scale) == d * scale) return scale;
    scale *= 2;
  }
  return 0;
}

export function tedBatch(
  pairCount: i32, pairs: usize, labels: usize, types: usize, values: usize, llds: usize, shapes: usize,
  insertCost: f64, deleteCost: f64, typeCost: f64, valueCost: f64, tolerance: f64,
  td: usize, fd: usize, out: usize,
): void {
  const scale = integerScale(insertCost, deleteCost, typeCost, valueCost);
  // substitute reduces to "labels differ ? typeCost : 0" when types cost like values and no tolerance applies
  const labelOnly = typeCost == valueCost && !(tolerance >= 0);
  const maxCost = max(max(insertCost, deleteCost), max(typeCost, valueCost)) * scale;
  const ins = <i32>(insertCost * scale), del = <i32>(deleteCost * scale);
  const typ = <i32>(typeCost * scale), val = <i32>(valueCost * scale);
  if (scale != 0 && maxCost <= <f64>U8_LIMIT) {
    // row 0 of every u8 table: b·insert, saturated
    for (let b = 0; b < 64; b++) {
      store<u8>(rampRow + <usize>b, <u8>min(b * ins, 255));
      store<u8>(rampRow + 64 + <usize>b, <u8>min(b * del, 255)); // row 0 of transposed tables
    }
  }
  let lastCells = 0; // the last pair's td cells: 0 f64 (in place), 4 i32 (in place), 1 u8 (in fd)
  for (let p = 0; p < pairCount; p++) {
    const given = pairs + (<usize>p << 5);
    const nA = load<i32>(given, 4);
    const nB = load<i32>(given, 12);
    let result: f64;
    lastCells = 0;
    if (nA == 0) result = <f64>nB * insertCost;
    else if (nB == 0) result = <f64>nA * deleteCost;
    else {
      const dp = orientPair(given, labels, types, values, llds, shapes, !labelOnly, fd);
      const rec = orientRec;
      const L = pairLabels, T = pairTypes, V = pairValues, D = pairLlds, K = pairKeyroots;
      if (scale != 0 && nA < U8_MAX_NODES && nB < U8_MAX_NODES && <f64>(nA + nB) * maxCost <= <f64>U8_LIMIT) {
        const d = labelOnly
          ? pairDistanceU8<LabelOnly>(rec, L, T, V, D, K, ins, del, typ, val, tolerance, dp)
          : pairDistanceU8<FullCost>(rec, L, T, V, D, K, ins, del, typ, val, tolerance, dp);
        result = <f64>d / scale;
        lastCells = 1;
      } else if (scale != 0 && <f64>(nA + nB) * maxCost < I32_LIMIT) {
        const d = labelOnly
          ? pairDistance<i32, LabelOnly>(rec, L, T, V, D, K, ins, del, typ, val, tolerance, td, dp)
          : pairDistance<i32, FullCost>(rec, L, T, V, D, K, ins, del, typ, val, tolerance, td, dp);
        result = <f64>d / scale;
        lastCells = 4;
      } else {
        result = labelOnly
          ? pairDistance<f64, LabelOnly>(rec, L, T, V, D, K, insertCost, deleteCost, typeCost, valueCost, tolerance, td, dp)
          : pairDistance<f64, FullCost>(rec, L, T, V, D, K, insertCost, deleteCost, typeCost, valueCost, tolerance, td, dp);
      }
      if (p == pairCount - 1 && lastCells == 4) {
        // the last pair's td as f64 for the caller, converted in place from the end
        // (f64 k covers i32 2k and 2k+1, both >= k, already read when going down)
        for (let k = <isize>nA * <isize>nB - 1; k >= 0; k--) {
          store<f64>(td + (<usize>k << 3), <f64>load<i32>(td + (<usize>k << 2)) / scale);
        }
      } else if (p == pairCount - 1 && lastCells == 1) {
        const td8 = dp + U8_TD_OFFSET;
        for (let k = <usize>0; k < <usize>(nA * nB); k++) store<f64>(td + (k << 3), <f64>load<u8>(td8 + k) / scale);
      }
    }
    store<f64>(out + (<usize>p << 3), result);
  }
}

// ---------------------------------------------------------------------------------------
// Orientation. orientPair writes the pair in the layout the DP reads — orientRec: i32 × 8
// nodeOffA, nA, keyrootOffA, nKeyrootsA, nodeOffB, nB, keyrootOffB, nKeyrootsB — with the
// arrays at pairLabels … pairKeyroots: the caller's arrays, or mirrored copies in scratch.
// Scratch at the start of fd (orientBytes(nA + nB)); the DP's scratch follows (returned).
// ---------------------------------------------------------------------------------------

const orientRec: usize = memory.data(32, 16);
let pairLabels: usize = 0;
let pairTypes: usize = 0;
let pairValues: usize = 0;
let pairLlds: usize = 0;
let pairKeyroots: usize = 0;

// @ts-ignore: decorator
@inline const FIRST_CHILD: i32 = 1;
// @ts-ignore: decorator
@inline const LAST_CHILD: i32 = 2;
// @ts-ignore: decorator
@inline const AS_GIVEN: i32 = 1;

// Bytes of orientation scratch for a pair of n nodes in all: keyroots, mirrored values,
// labels, types, lld (the labels with 64 bytes to spare: the byte path reads 16 at a time).
// @ts-ignore: decorator
@inline function orientBytes(n: i32): usize {
  return (<usize>n * 25 + 256 + 15) & ~(<usize>15);
}

// Σ of the subtree sizes of a tree's keyroots along leftmost (nodes not first children)
// and rightmost paths (nodes not last children): the Zhang–Shasha cells of a pair are the
// products of these sums. Returned as leftWork · 2^32 + rightWork.
// @ts-ignore: decorator
@inline function pathWork(n: i32, lld: usize, shape: usize): u64 {
  let left: u64 = 0, right: u64 = 0;
  for (let i = 0; i < n; i++) {
    const size = <u64>(i - load<i32>(lld + (<usize>i << 2)) + 1);
    const s = load<i32>(shape + (<usize>i << 2));
    left += select<u64>(0, size, (s & FIRST_CHILD) != 0);
    right += select<u64>(0, size, (s & LAST_CHILD) != 0);
  }
  return (left << 32) | right;
}

// Keyroots of a tree (lld at `lld`, shapes at `shape`, `notKey` the flag that disqualifies:
// FIRST_CHILD along leftmost paths) written ascending at `out`; returns their count.
// @ts-ignore: decorator
@inline function keyrootsOf(n: i32, shape: usize, notKey: i32, out: usize): i32 {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const s = load<i32>(shape + (<usize>i << 2)); // read before the store: `out` may be `shape`
    store<i32>(out + (<usize>k << 2), i);
    k += <i32>((s & notKey) == 0);
  }
  return k;
}

// Writes the mirror of tree (n nodes at global offset off) at local offset `at` of the
// scratch arrays: node i (preorder p, size s) goes to m = n − 1 − p, its lld to n − p − s;
// its mirror shape is FIRST_CHILD when it was a last child (so keyrootsOf with
// FIRST_CHILD gives the mirror's keyroots). Shapes go to `shapeOut` (local).
// @ts-ignore: decorator
@inline function mirrorInto(
  n: i32, off: i32, at: i32, labels: usize, types: usize, values: usize, llds: usize, shapes: usize, withValues: bool,
  shapeOut: usize,
): void {
  for (let i = 0; i < n; i++) {
    const g = <usize>(off + i);
    const s = load<i32>(shapes + (g << 2));
    const p = s >> 2;
    const m = <usize>(at + n - 1 - p);
    store<i32>(pairLabels + (m << 2), load<i32>(labels + (g << 2)));
    store<i32>(pairLlds + (m << 2), n - p - (i - load<i32>(llds + (g << 2)) + 1));
    store<i32>(shapeOut + ((m - <usize>at) << 2), select<i32>(FIRST_CHILD, 0, (s & LAST_CHILD) != 0));
    if (withValues) {
      store<i32>(pairTypes + (m << 2), load<i32>(types + (g << 2)));
      store<f64>(pairValues + (m << 3), load<f64>(values + (g << 3)));
    }
  }
}

function orientPair(
  given: usize, labels: usize, types: usize, values: usize, llds: usize, shapes: usize, withValues: bool, fd: usize,
): usize {
  const offA = load<i32>(given);
  const nA = load<i32>(given, 4);
  const offB = load<i32>(given, 8);
  const nB = load<i32>(given, 12);
  const flags = load<i32>(given, 16);
  const n = nA + nB;
  // scratch: values (f64) first for alignment, then keyroots, labels (+64 spare), types, lld
  const sValues = fd;
  const sKeyroots = sValues + (<usize>n << 3);
  const sLabels = sKeyroots + (<usize>n << 2);
  const sTypes = sLabels + (<usize>n << 2) + 64;
  const sLlds = sTypes + (<usize>n << 2);
  let mirror = false;
  if ((flags & AS_GIVEN) == 0) {
    const wa = pathWork(nA, llds + (<usize>offA << 2), shapes + (<usize>offA << 2));
    const wb = pathWork(nB, llds + (<usize>offB << 2), shapes + (<usize>offB << 2));
    mirror = <f64>(wa >> 32) * <f64>(wb >> 32) > <f64>(wa & 0xffffffff) * <f64>(wb & 0xffffffff);
  }
  let kA: i32, kB: i32;
  if (mirror) {
    pairLabels = sLabels;
    pairTypes = sTypes;
    pairValues = sValues;
    pairLlds = sLlds;
    // mirror shapes go to the keyroot area first, then are read back into keyroots in place
    // (keyrootsOf writes index k <= i while reading i)
    mirrorInto(nA, offA, 0, labels, types, values, llds, shapes, withValues, sKeyroots);
    mirrorInto(nB, offB, nA, labels, types, values, llds, shapes, withValues, sKeyroots + (<usize>nA << 2));
    kA = keyrootsOf(nA, sKeyroots, FIRST_CHILD, sKeyroots);
    // B's keyroots follow A's: read B's shapes from their own place before they are overwritten
    kB = keyrootsOf(nB, sKeyroots + (<usize>nA << 2), FIRST_CHILD, sKeyroots + (<usize>kA << 2));
    store<i32>(orientRec, 0);
    store<i32>(orientRec, nA, 16);
  } else {
    pairLabels = labels;
    pairTypes = types;
    pairValues = values;
    pairLlds = llds;
    kA = keyrootsOf(nA, shapes + (<usize>offA << 2), FIRST_CHILD, sKeyroots);
    kB = keyrootsOf(nB, shapes + (<usize>offB << 2), FIRST_CHILD, sKeyroots + (<usize>kA << 2));
    store<i32>(orientRec, offA);
    store<i32>(orientRec, offB, 16);
  }
  pairKeyroots = sKeyroots;
  store<i32>(orientRec, nA, 4);
  store<i32>(orientRec, 0, 8);
  store<i32>(orientRec, kA, 12);
  store<i32>(orientRec, nB, 20);
  store<i32>(orientRec, kA, 24);
  store<i32>(orientRec, kB, 28);
  return align16(fd + orientBytes(n));
}

// ---------------------------------------------------------------------------------------
// u8 SIMD path: pairs of up to 62 nodes whose largest possible distance, (nA + nB)·max cost
// (costs scaled to integers), stays <= 254. Every cell then fits a byte: a table row is 1–4
// i8x16 vectors and a whole row is computed at once (saturating adds: 255 is "infinity",
// and no real cell reaches it, so saturation never changes a minimum that matters).
// A row a of keyroot pair (i, j), x = lld(i) + a − 1, lane b ↔ y = lld(j) + b − 1:
//   D[b] = fd[lld(x)−lld(i)][lld(y)−lld(j)] + td[x][y]   a swizzle of an earlier row (the
//          column index lld(y) − lld(j) is fixed for the keyroot pair) plus a td row load
//   D[b] = fd[a−1][b−1] + substitute(x, y)              where x and y are on the paths
//   c[b] = min(fd[a−1][b] + delete, D[b]), lane 0 = fd[a−1][0] + delete
//   fd[a][b] = min_{k <= b} c[k] + (b − k)·insert        the serial insert chain as a
//          log-step scan (shift by 1, 2, 4, 8 lanes, add that many inserts, min).
// Lanes past the table's width hold garbage that never flows back (the scan and the
// swizzle only move values to higher lanes, and lanes below the width read lanes below it).
// Rows come from A's subtree, so td[x][·] rows are contiguous: td8 is nA × nB bytes,
// row-major. With label-only costs a transposed copy tdT8 (nB × nA) is kept as well, and a
// keyroot pair whose A subtree is the taller runs transposed (B's subtree as rows, insert
// and delete exchanged, on tdT8): fewer rows, and rows are the serial chains. Every td value
// is written once (by the pair whose two leftmost paths hold it), as a vector into the
// table the pair runs on, and lane by lane into the other (crossWrite). Leaf keyroots take
// closed forms (leafRowLabelOnly, or leafTreeDistances with full costs).
// Scratch in fd (host: fd >= 8·(nA+1)·(nB+1) + 64·(nA+1) + 512 bytes):
//   td8 at fd + 16 (a pad before: rows are read from lane 0 = column lld(j) − 1) and tdT8,
//   nA·nB + 64 bytes each, lld of A and B as bytes (16-byte pads before), the closed forms'
//   weights per node, B's non-leaf keyroots (i32), rows (64 bytes each).
// ---------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline const U8_LIMIT: i32 = 254;
// @ts-ignore: decorator
@inline const U8_MAX_NODES: i32 = 63; // tables up to 64 lanes wide: 4 vectors
// @ts-ignore: decorator
@inline const U8_TD_OFFSET: usize = 16;

const rampRow: usize = memory.data(128, 16); // b·insert, then b·delete, saturated, b = 0..63
const idxVecs: usize = memory.data(256, 16); // per keyroot pair: column index vectors, chunk c minus 16·s at (4c + s)·16
const onVecs: usize = memory.data(64, 16); // per keyroot pair and chunk: lanes where y is on j's leftmost path
const subBuf: usize = memory.data(16, 16); // one chunk of substitution costs (full costs)
const leafBuf: usize = memory.data(80, 16); // one leaf's column of td before it is scattered

// @ts-ignore: decorator
@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

function pairDistanceU8<M>(
  rec: usize, labels: usize, types: usize, values: usize, llds: usize, keyroots: usize,
  ins: i32, del: i32, typ: i32, val: i32, tolerance: f64, fd: usize,
): i32 {
  const offA = load<i32>(rec);
  const nA = load<i32>(rec, 4);
  const krA = keyroots + (<usize>load<i32>(rec, 8) << 2);
  const nKrA = load<i32>(rec, 12);
  const offB = load<i32>(rec, 16);
  const nB = load<i32>(rec, 20);
  const krB = keyroots + (<usize>load<i32>(rec, 24) << 2);
  const nKrB = load<i32>(rec, 28);
  const lldA = llds + (<usize>offA << 2);
  const lldB = llds + (<usize>offB << 2);
  const td8 = fd + U8_TD_OFFSET;
  // label-only costs also keep td transposed (tdT8, nB × nA), so a keyroot pair with the
  // taller subtree in A can run with B's subtree as rows: fewer rows (the serial chains)
  const labelOnly = sizeof<M>() == 1;
  const tdT8 = align16(td8 + <usize>(nA * nB) + 48) + 16;
  const lld8A = align16(tdT8 + <usize>(nA * nB) + 48) + 16;
  const lld8B = align16(lld8A + <usize>nA + 16) + 16;
  const weightA = align16(lld8B + <usize>nB + 16);
  const weightB = align16(weightA + <usize>nA + 16);
  const inner = align16(weightB + <usize>nB + 16);
  const rows = align16(inner + (<usize>nB << 2));
  // per node as bytes: lld, and (|T_w| − 1)·(the cost of removing w's tree but w)
  for (let x = 0; x < nA; x++) {
    const l = load<i32>(lldA + (<usize>x << 2));
    store<u8>(lld8A + <usize>x, <u8>l);
    store<u8>(weightA + <usize>x, <u8>((x - l) * del));
  }
  for (let y = 0; y < nB; y++) {
    const l = load<i32>(lldB + (<usize>y << 2));
    store<u8>(lld8B + <usize>y, <u8>l);
    store<u8>(weightB + <usize>y, <u8>((y - l) * ins));
  }
  // leaf keyroots: closed forms, as rows (of td for A's leaves, of tdT8 for B's), each
  // table's rows ascending — a row's last vector spills into the next rows, written later —
  // then copied into the other table's columns
  const vAlt = i8x16.splat(<i8>min(ins + del, 255));
  const vTypLeaf = i8x16.splat(<i8>typ);
  let innerCount = 0;
  for (let kb = 0; kb < nKrB; kb++) {
    const j = load<i32>(krB + (<usize>kb << 2));
    if (load<i32>(lldB + (<usize>j << 2)) != j) {
      store<i32>(inner + (<usize>innerCount << 2), j);
      innerCount++;
    } else if (labelOnly) {
      leafRowLabelOnly(nA, labels + (<usize>offA << 2), load<i32>(labels + (<usize>(offB + j) << 2)), lld8A, weightA, vAlt, vTypLeaf,
        tdT8 + <usize>(j * nA));
    }
  }
  for (let ka = 0; ka < nKrA; ka++) {
    const i = load<i32>(krA + (<usize>ka << 2));
    if (load<i32>(lldA + (<usize>i << 2)) != i) continue;
    if (labelOnly) {
      leafRowLabelOnly(nB, labels + (<usize>offB << 2), load<i32>(labels + (<usize>(offA + i) << 2)), lld8B, weightB, vAlt, vTypLeaf,
        td8 + <usize>(i * nB));
      for (let y = 0; y < nB; y++) store<u8>(tdT8 + <usize>(y * nA + i), load<u8>(td8 + <usize>(i * nB + y)));
    } else {
      leafTreeDistances<i32, M, u8>(nB, lldB, offB, offA + i, ins, del, labels, types, values, typ, val, tolerance,
        td8 + <usize>(i * nB), 1);
    }
  }
  for (let kb = 0; kb < nKrB; kb++) {
    const j = load<i32>(krB + (<usize>kb << 2));
    if (load<i32>(lldB + (<usize>j << 2)) != j) continue;
    if (labelOnly) {
      for (let x = 0; x < nA; x++) store<u8>(td8 + <usize>(x * nB + j), load<u8>(tdT8 + <usize>(j * nA + x)));
    } else {
      leafTreeDistances<i32, M, u8>(nA, lldA, offA, offB + j, del, ins, labels, types, values, typ, val, tolerance,
        td8 + <usize>j, <usize>nB);
    }
  }
  const vDel = i8x16.splat(<i8>min(del, 255));
  const vTyp = i8x16.splat(<i8>typ);
  const vIns1 = i8x16.splat(<i8>min(ins, 255)), vIns2 = i8x16.splat(<i8>min(2 * ins, 255));
  const vIns4 = i8x16.splat(<i8>min(4 * ins, 255)), vIns8 = i8x16.splat(<i8>min(8 * ins, 255));
  const vDel2 = i8x16.splat(<i8>min(2 * del, 255)), vDel4 = i8x16.splat(<i8>min(4 * del, 255));
  const vDel8 = i8x16.splat(<i8>min(8 * del, 255));
  const other = labelOnly ? tdT8 : 0;
  for (let ka = 0; ka < nKrA; ka++) {
    const i = load<i32>(krA + (<usize>ka << 2));
    const li = load<i32>(lldA + (<usize>i << 2));
    if (li == i) continue;
    for (let kb = 0; kb < innerCount; kb++) {
      const j = load<i32>(inner + (<usize>kb << 2));
      const lj = load<i32>(lldB + (<usize>j << 2));
      if (labelOnly && i - li > j - lj) {
        // transposed: B's subtree as rows (each consumes an insert), A's as columns (deletes)
        const width = i - li + 2;
        if (width <= 16) {
          simdPairOneChunk<M>(j, lj, i, li, offB, offA, nA, lldB, lld8A, labels, types, values, typ, val, tolerance,
            tdT8, rows, vIns1, vDel, vDel2, vDel4, vDel8, vTyp, rampRow + 64, td8, nB);
        } else if (width <= 32) {
          simdPairTwoChunks<M>(j, lj, i, li, offB, offA, nA, lldB, lld8A, labels, types, values, typ, val, tolerance,
            tdT8, rows, vIns1, vDel, vDel2, vDel4, vDel8, vTyp, rampRow + 64, td8, nB);
        } else {
          simdPairChunks<M>(j, lj, i, li, offB, offA, nA, lldB, lld8A, labels, types, values, typ, val, tolerance,
            tdT8, rows, vIns1, vDel, vDel2, vDel4, vDel8, vTyp, rampRow + 64, td8, nB);
        }
      } else if (j - lj + 2 <= 16) {
        simdPairOneChunk<M>(i, li, j, lj, offA, offB, nB, lldA, lld8B, labels, types, values, typ, val, tolerance,
          td8, rows, vDel, vIns1, vIns2, vIns4, vIns8, vTyp, rampRow, other, nA);
      } else if (j - lj + 2 <= 32) {
        simdPairTwoChunks<M>(i, li, j, lj, offA, offB, nB, lldA, lld8B, labels, types, values, typ, val, tolerance,
          td8, rows, vDel, vIns1, vIns2, vIns4, vIns8, vTyp, rampRow, other, nA);
      } else {
        simdPairChunks<M>(i, li, j, lj, offA, offB, nB, lldA, lld8B, labels, types, values, typ, val, tolerance,
          td8, rows, vDel, vIns1, vIns2, vIns4, vIns8, vTyp, rampRow, other, nA);
      }
    }
  }
  return <i32>load<u8>(td8 + <usize>((nA - 1) * nB + nB - 1));
}

// Copies the on-path lanes (bits of `lanes`) of a finished row at `row` into the other
// orientation's table: lane b is column y = y0 + b, stored at at + y·stride.
// @ts-ignore: decorator
@inline function crossWrite(lanes: i32, row: usize, at: usize, y0: i32, stride: i32): void {
  while (lanes != 0) {
    const b = ctz(lanes);
    store<u8>(at + <usize>((y0 + b) * stride), load<u8>(row + <usize>b));
    lanes &= lanes - 1;
  }
}

// @ts-ignore: decorator
@inline function lane0Mask(): v128 {
  return i8x16(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

// @ts-ignore: decorator
@inline function laneIndex(): v128 {
  return i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

// Label-only costs, byte cells: td of one node `leaf` of a tree against every subtree T_w of
// the other (n <= 62 nodes, labels at walkLabels, lld bytes at lld8, weights
// (|T_w| − 1)·walkCost at weight8), 16 subtrees at a time, n bytes at `out` (the last
// vector spills up to 15 bytes past). As leafTreeDistances:
//   td = (|T_w| − 1)·walkCost + min(walkCost + leafCost, 0 if some label in T_w is the leaf's, else typeCost).
// "Some v in [lld(w), w] matches" is "the last match at or before w is at or after lld(w)":
// a prefix max of (match ? v + 1 : 0) along the lanes, carried across vectors.
// @ts-ignore: decorator
@inline function leafRowLabelOnly(
  n: i32, walkLabels: usize, leafLabel: i32, lld8: usize, weight8: usize, vAlt: v128, vTyp: v128, out: usize,
): void {
  const ZERO = i8x16.splat(0);
  const label = i32x4.splat(leafLabel);
  let carry = ZERO;
  for (let c = 0; c < n; c += 16) {
    const p = walkLabels + (<usize>c << 2);
    const eq = i8x16.narrow_i16x8_s(
      i16x8.narrow_i32x4_s(i32x4.eq(label, v128.load(p)), i32x4.eq(label, v128.load(p, 16))),
      i16x8.narrow_i32x4_s(i32x4.eq(label, v128.load(p, 32)), i32x4.eq(label, v128.load(p, 48))),
    );
    let last = i8x16.max_u(v128.and(eq, i8x16.add(laneIndex(), i8x16.splat(<i8>(c + 1)))), carry);
    last = i8x16.max_u(last, i8x16.shuffle(ZERO, last, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30));
    last = i8x16.max_u(last, i8x16.shuffle(ZERO, last, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
    last = i8x16.max_u(last, i8x16.shuffle(ZERO, last, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    last = i8x16.max_u(last, i8x16.shuffle(ZERO, last, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23));
    carry = i8x16.shuffle(last, last, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15);
    const inTree = i8x16.gt_u(last, v128.load(lld8 + <usize>c));
    const mapped = i8x16.min_u(v128.andnot(vTyp, inTree), vAlt);
    v128.store(out + <usize>c, i8x16.add_sat_u(v128.load(weight8 + <usize>c), mapped));
  }
}

// substitute(x, y) for the 16 lanes of chunk c: y = lj − 1 + 16c + lane (lanes past the
// table and lane 0 of chunk 0 are never used). Label-only costs: four i32x4 compares
// narrowed to bytes; full costs: the scalar substitute per lane.
// @ts-ignore: decorator
@inline function substituteRow<M>(
  gx: i32, gy0: i32, lanes: i32, labels: usize, types: usize, values: usize, typ: i32, val: i32, tolerance: f64, vTyp: v128,
): v128 {
  if (sizeof<M>() == 1) {
    const lx = i32x4.splat(load<i32>(labels + (<usize>gx << 2)));
    const p = labels + (<usize>gy0 << 2);
    const eq = i8x16.narrow_i16x8_s(
      i16x8.narrow_i32x4_s(i32x4.eq(lx, v128.load(p)), i32x4.eq(lx, v128.load(p, 16))),
      i16x8.narrow_i32x4_s(i32x4.eq(lx, v128.load(p, 32)), i32x4.eq(lx, v128.load(p, 48))),
    );
    return v128.andnot(vTyp, eq);
  }
  for (let l = 0; l < lanes; l++) {
    store<u8>(subBuf + <usize>l, <u8>substitute<i32, M>(labels, types, values, gx, gy0 + l, typ, val, tolerance));
  }
  return v128.load(subBuf);
}

// fd[a][·] = min over k <= lane of c[k] + (lane − k)·insert: shifts by 1, 2, 4 and 8 lanes
// (255 shifted in), `steps` of them (enough when the table is at most 2^steps lanes wide).
// @ts-ignore: decorator
@inline function insertScan(c: v128, steps: i32, vIns1: v128, vIns2: v128, vIns4: v128, vIns8: v128): v128 {
  // each shift is a concatenation (INF, c) read from an offset: one palignr, not two pshufb
  const INF = i8x16.splat(-1);
  c = i8x16.min_u(c, i8x16.add_sat_u(i8x16.shuffle(INF, c, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30), vIns1));
  if (steps > 1) c = i8x16.min_u(c, i8x16.add_sat_u(i8x16.shuffle(INF, c, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29), vIns2));
  if (steps > 2) c = i8x16.min_u(c, i8x16.add_sat_u(i8x16.shuffle(INF, c, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27), vIns4));
  if (steps > 3) c = i8x16.min_u(c, i8x16.add_sat_u(i8x16.shuffle(INF, c, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23), vIns8));
  return c;
}

// A keyroot pair whose table is at most 16 lanes wide (|T_j| <= 15): every vector in registers.
// @ts-ignore: decorator
@inline function simdPairOneChunk<M>(
  i: i32, li: i32, j: i32, lj: i32, offA: i32, offB: i32, nB: i32, lldA: usize, lld8B: usize,
  labels: usize, types: usize, values: usize, typ: i32, val: i32, tolerance: f64,
  td8: usize, rows: usize, vDel: v128, vIns1: v128, vIns2: v128, vIns4: v128, vIns8: v128, vTyp: v128,
  ramp: usize, other: usize, otherStride: i32,
): void {
  const INF = i8x16.splat(-1);
  const LANE0 = lane0Mask();
  const IOTA = laneIndex();
  const width = j - lj + 2;
  const steps = width <= 2 ? 1 : width <= 4 ? 2 : width <= 8 ? 3 : 4;
  const colIdx = i8x16.sub(v128.load(lld8B + <usize>lj - 1), i8x16.splat(<i8>lj));
  const valid = i8x16.lt_u(IOTA, i8x16.splat(<i8>width));
  // kept in memory: V8 otherwise recomputes it inside the loop, in both on-path branches
  v128.store(onVecs, v128.andnot(v128.and(i8x16.eq(colIdx, i8x16.splat(0)), valid), LANE0));
  let up = v128.load(ramp);
  v128.store(rows, up);
  let tdp = td8 + <usize>(li * nB + lj) - 1;
  const gy0 = offB + lj - 1;
  let rowAt = rows;
  for (let x = li; x <= i; x++) {
    const lx = load<i32>(lldA + (<usize>x << 2));
    const tdRow = v128.load(tdp);
    let d = i8x16.add_sat_u(i8x16.swizzle(v128.load(rows + (<usize>(lx - li) << 4)), colIdx), tdRow);
    const onPath = lx == li;
    if (onPath) {
      const diag = i8x16.shuffle(INF, up, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
      const sub = substituteRow<M>(offA + x, gy0, width, labels, types, values, typ, val, tolerance, vTyp);
      d = v128.bitselect(i8x16.add_sat_u(diag, sub), d, v128.load(onVecs));
    }
    let c = i8x16.min_u(i8x16.add_sat_u(up, vDel), v128.or(d, LANE0));
    c = insertScan(c, steps, vIns1, vIns2, vIns4, vIns8);
    rowAt += 16;
    v128.store(rowAt, c);
    if (onPath) {
      v128.store(tdp, v128.bitselect(c, tdRow, v128.load(onVecs)));
      if (other != 0) crossWrite(i8x16.bitmask(v128.load(onVecs)), rowAt, other + <usize>x, lj - 1, otherStride);
    }
    up = c;
    tdp += <usize>nB;
  }
}

// A keyroot pair whose table is 17–32 lanes wide (the root pairs of 16–31-node trees): two
// vectors a row, in registers; rows 32 bytes apart. As simdPairChunks with chunks = 2.
// @ts-ignore: decorator
@inline function simdPairTwoChunks<M>(
  i: i32, li: i32, j: i32, lj: i32, offA: i32, offB: i32, nB: i32, lldA: usize, lld8B: usize,
  labels: usize, types: usize, values: usize, typ: i32, val: i32, tolerance: f64,
  td8: usize, rows: usize, vDel: v128, vIns1: v128, vIns2: v128, vIns4: v128, vIns8: v128, vTyp: v128,
  ramp: usize, other: usize, otherStride: i32,
): void {
  const INF = i8x16.splat(-1);
  const LANE0 = lane0Mask();
  const width = j - lj + 2;
  const colIdx0 = i8x16.sub(v128.load(lld8B + <usize>lj - 1), i8x16.splat(<i8>lj));
  const colIdx1 = i8x16.sub(v128.load(lld8B + <usize>lj + 15), i8x16.splat(<i8>lj));
  const colIdx1Low = i8x16.sub(colIdx1, i8x16.splat(16)); // chunk 1's columns that sit in chunk 1
  v128.store(onVecs, v128.andnot(i8x16.eq(colIdx0, i8x16.splat(0)), LANE0));
  v128.store(onVecs, v128.and(i8x16.eq(colIdx1, i8x16.splat(0)), i8x16.lt_s(laneIndex(), i8x16.splat(<i8>(width - 16)))), 16);
  let up0 = v128.load(ramp);
  let up1 = v128.load(ramp, 16);
  v128.store(rows, up0);
  v128.store(rows, up1, 16);
  let tdp = td8 + <usize>(li * nB + lj) - 1;
  const gy0 = offB + lj - 1;
  let rowAt = rows;
  for (let x = li; x <= i; x++) {
    const lx = load<i32>(lldA + (<usize>x << 2));
    const rowK = rows + (<usize>(lx - li) << 5);
    const k0 = v128.load(rowK);
    const td0 = v128.load(tdp);
    const td1 = v128.load(tdp, 16);
    let d0 = i8x16.add_sat_u(i8x16.swizzle(k0, colIdx0), td0);
    let d1 = i8x16.add_sat_u(v128.or(i8x16.swizzle(k0, colIdx1), i8x16.swizzle(v128.load(rowK, 16), colIdx1Low)), td1);
    const onPath = lx == li;
    if (onPath) {
      const diag0 = i8x16.shuffle(INF, up0, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
      const diag1 = i8x16.shuffle(up0, up1, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
      const sub0 = substituteRow<M>(offA + x, gy0, 16, labels, types, values, typ, val, tolerance, vTyp);
      const sub1 = substituteRow<M>(offA + x, gy0 + 16, width - 16, labels, types, values, typ, val, tolerance, vTyp);
      d0 = v128.bitselect(i8x16.add_sat_u(diag0, sub0), d0, v128.load(onVecs));
      d1 = v128.bitselect(i8x16.add_sat_u(diag1, sub1), d1, v128.load(onVecs, 16));
    }
    let c0 = i8x16.min_u(i8x16.add_sat_u(up0, vDel), v128.or(d0, LANE0));
    c0 = insertScan(c0, 4, vIns1, vIns2, vIns4, vIns8);
    let c1 = i8x16.min_u(i8x16.add_sat_u(up1, vDel), d1);
    const carry = i8x16.shuffle(c0, INF, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
    c1 = insertScan(i8x16.min_u(c1, i8x16.add_sat_u(carry, vIns1)), 4, vIns1, vIns2, vIns4, vIns8);
    rowAt += 32;
    v128.store(rowAt, c0);
    v128.store(rowAt, c1, 16);
    if (onPath) {
      v128.store(tdp, v128.bitselect(c0, td0, v128.load(onVecs)));
      v128.store(tdp, v128.bitselect(c1, td1, v128.load(onVecs, 16)), 16);
      if (other != 0) {
        crossWrite(i8x16.bitmask(v128.load(onVecs)), rowAt, other + <usize>x, lj - 1, otherStride);
        crossWrite(i8x16.bitmask(v128.load(onVecs, 16)), rowAt + 16, other + <usize>x, lj + 15, otherStride);
      }
    }
    up0 = c0;
    up1 = c1;
    tdp += <usize>nB;
  }
}

// A keyroot pair whose table is 17–64 lanes wide: rows of up to 4 vectors, 64 bytes apart.
// The gather of chunk c reads chunks s <= c of an earlier row (swizzle indices past 15 give
// 0, so the chunks are ORed with indices shifted by 16·s); the scan carries lane 15 of a
// chunk into lane 0 of the next.
// @ts-ignore: decorator
@inline function simdPairChunks<M>(
  i: i32, li: i32, j: i32, lj: i32, offA: i32, offB: i32, nB: i32, lldA: usize, lld8B: usize,
  labels: usize, types: usize, values: usize, typ: i32, val: i32, tolerance: f64,
  td8: usize, rows: usize, vDel: v128, vIns1: v128, vIns2: v128, vIns4: v128, vIns8: v128, vTyp: v128,
  ramp: usize, other: usize, otherStride: i32,
): void {
  const INF = i8x16.splat(-1);
  const LANE0 = lane0Mask();
  const IOTA = laneIndex();
  const width = j - lj + 2;
  const chunks = (width + 15) >> 4;
  for (let c = 0; c < chunks; c++) {
    const colIdx = i8x16.sub(v128.load(lld8B + <usize>(lj - 1 + 16 * c)), i8x16.splat(<i8>lj));
    for (let s = 0; s <= c; s++) v128.store(idxVecs + (<usize>(4 * c + s) << 4), i8x16.sub(colIdx, i8x16.splat(<i8>(16 * s))));
    let on = v128.and(i8x16.eq(colIdx, i8x16.splat(0)), i8x16.lt_s(IOTA, i8x16.splat(<i8>(width - 16 * c))));
    if (c == 0) on = v128.andnot(on, LANE0);
    v128.store(onVecs + (<usize>c << 4), on);
    v128.store(rows + (<usize>c << 4), v128.load(ramp + (<usize>c << 4)));
  }
  let tdp = td8 + <usize>(li * nB + lj) - 1;
  const gy0 = offB + lj - 1;
  let rowAt = rows;
  for (let x = li; x <= i; x++) {
    const lx = load<i32>(lldA + (<usize>x << 2));
    const onPath = lx == li;
    const rowK = rows + (<usize>(lx - li) << 6);
    let prevUp = INF;
    let prevRow = INF;
    for (let c = 0; c < chunks; c++) {
      const cOff = <usize>c << 4;
      const up = v128.load(rowAt + cOff);
      const tdRow = v128.load(tdp + cOff);
      let g = i8x16.swizzle(v128.load(rowK), v128.load(idxVecs + (<usize>(4 * c) << 4)));
      for (let s = 1; s <= c; s++) {
        g = v128.or(g, i8x16.swizzle(v128.load(rowK + (<usize>s << 4)), v128.load(idxVecs + (<usize>(4 * c + s) << 4))));
      }
      let d = i8x16.add_sat_u(g, tdRow);
      const on = v128.load(onVecs + cOff);
      if (onPath) {
        const diag = i8x16.shuffle(prevUp, up, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
        const sub = substituteRow<M>(offA + x, gy0 + 16 * c, min(16, width - 16 * c), labels, types, values, typ, val, tolerance, vTyp);
        d = v128.bitselect(i8x16.add_sat_u(diag, sub), d, on);
      }
      if (c == 0) d = v128.or(d, LANE0);
      let cell = i8x16.min_u(i8x16.add_sat_u(up, vDel), d);
      const carry = i8x16.shuffle(prevRow, INF, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
      cell = i8x16.min_u(cell, i8x16.add_sat_u(carry, vIns1));
      cell = insertScan(cell, 4, vIns1, vIns2, vIns4, vIns8);
      v128.store(rowAt + 64 + cOff, cell);
      if (onPath) {
        v128.store(tdp + cOff, v128.bitselect(cell, tdRow, on));
        if (other != 0) crossWrite(i8x16.bitmask(on), rowAt + 64 + cOff, other + <usize>x, lj - 1 + 16 * c, otherStride);
      }
      prevUp = up;
      prevRow = cell;
    }
    rowAt += 64;
    tdp += <usize>nB;
  }
}

// One pair's distance on cells of type T (i32 scaled, or f64), cost mode M.
function pairDistance<T, M>(
  rec: usize, labels: usize, types: usize, values: usize, llds: usize, keyroots: usize,
  insertCost: T, deleteCost: T, typeCost: T, valueCost: T, tolerance: f64, td: usize, fd: usize,
): T {
  const offA = load<i32>(rec);
  const krA = keyroots + (<usize>load<i32>(rec, 8) << 2);
  const nKrA = load<i32>(rec, 12);
  const offB = load<i32>(rec, 16);
  const nB = load<i32>(rec, 20);
  const krB = keyroots + (<usize>load<i32>(rec, 24) << 2);
  const nKrB = load<i32>(rec, 28);
  const nA = load<i32>(rec, 4);
  const lldA = llds + (<usize>offA << 2);
  const lldB = llds + (<usize>offB << 2);
  // about half the keyroots of expression trees are leaves (right operands). On integer
  // cells of trees up to 64 nodes, the tree distances against a leaf keyroot come first,
  // from a closed form, one pass per leaf over the other tree (leafTreeDistances); the
  // keyroot pairs below then skip leaves. Otherwise a leaf's forest table is one line (leafLine).
  const closedLeaves = isInteger<T>() && nA <= 64 && nB <= 64;
  // B's other keyroots, listed so the loops below do not test for leaves: in the upper half
  // of fd, which integer cells leave free (fd holds 8·(nA + 1)·(nB + 1) bytes, a table 4·rows·width)
  let innerKeyroots = krB;
  let innerCount = nKrB;
  if (closedLeaves) {
    innerKeyroots = fd + ((<usize>(nA + 1) * <usize>(nB + 1)) << 2);
    innerCount = 0;
    for (let ka = 0; ka < nKrA; ka++) {
      const i = load<i32>(krA + (<usize>ka << 2));
      if (load<i32>(lldA + (<usize>i << 2)) != i) continue;
      leafTreeDistances<T, M, T>(nB, lldB, offB, offA + i, insertCost, deleteCost, labels, types, values, typeCost, valueCost, tolerance,
        td + ((<usize>i * <usize>nB) << alignof<T>()), 1);
    }
    for (let kb = 0; kb < nKrB; kb++) {
      const j = load<i32>(krB + (<usize>kb << 2));
      if (load<i32>(lldB + (<usize>j << 2)) != j) {
        store<i32>(innerKeyroots + (<usize>innerCount << 2), j);
        innerCount++;
        continue;
      }
      leafTreeDistances<T, M, T>(nA, lldA, offA, offB + j, deleteCost, insertCost, labels, types, values, typeCost, valueCost, tolerance,
        td + (<usize>j << alignof<T>()), <usize>nB);
    }
  }
  for (let ka = 0; ka < nKrA; ka++) {
    const i = load<i32>(krA + (<usize>ka << 2));
    const iLeaf = load<i32>(lldA + (<usize>i << 2)) == i;
    if (closedLeaves && iLeaf) continue;
    for (let kb = 0; kb < innerCount; kb++) {
      const j = load<i32>(innerKeyroots + (<usize>kb << 2));
      if (!closedLeaves && load<i32>(lldB + (<usize>j << 2)) == j) {
        // column: walk A's subtree of i against leaf j; td[x][j]
        const li = load<i32>(lldA + (<usize>i << 2));
        leafLine<T, M>(li, i, lldA, offA, offB + j, deleteCost, insertCost, labels, types, values, typeCost, valueCost, tolerance,
          td + (<usize>j << alignof<T>()), <usize>nB);
      } else if (!closedLeaves && iLeaf) {
        // row: walk B's subtree of j against leaf i; td[i][y]
        const lj = load<i32>(lldB + (<usize>j << 2));
        leafLine<T, M>(lj, j, lldB, offB, offA + i, insertCost, deleteCost, labels, types, values, typeCost, valueCost, tolerance,
          td + ((<usize>i * <usize>nB) << alignof<T>()), 1);
      } else {
        const sizeI = i - load<i32>(lldA + (<usize>i << 2));
        const sizeJ = j - load<i32>(lldB + (<usize>j << 2));
        // swapped only on integer cells, where the order of the sums cannot change a result
        if (!isInteger<T>() || sizeI <= sizeJ) {
          keyrootPair<T, M, T>(
            i, j, offA, offB, <usize>nB, 1, lldA, lldB, labels, types, values,
            insertCost, deleteCost, typeCost, valueCost, tolerance, td, fd,
          );
        } else {
          keyrootPair<T, M, T>(
            j, i, offB, offA, 1, <usize>nB, lldB, lldA, labels, types, values,
            deleteCost, insertCost, typeCost, valueCost, tolerance, td, fd,
          );
        }
      }
    }
  }
  return load<T>(td + ((<usize>(nA - 1) * <usize>nB + <usize>(nB - 1)) << alignof<T>()));
}

// Compile-time cost modes (M): LabelOnly when substitute(x, y) is just "labels differ ?
// typeCost : 0" (typeCost = valueCost, no tolerance: the default unit costs), FullCost otherwise.
type LabelOnly = u8;
type FullCost = u16;

// substitute(x, y) of the header, without branches (& and | on conditions, not && and ||).
// @ts-ignore: decorator
@inline function substitute<T, M>(
  labels: usize, types: usize, values: usize, gx: i32, gy: i32, typeCost: T, valueCost: T, tolerance: f64,
): T {
  if (sizeof<M>() == 1) {
    return select<T>(<T>0, typeCost, load<i32>(labels + (<usize>gx << 2)) == load<i32>(labels + (<usize>gy << 2)));
  }
  const typeX = load<i32>(types + (<usize>gx << 2));
  const sameType = <i32>(typeX == load<i32>(types + (<usize>gy << 2)));
  const numeric = <i32>(<u32>typeX <= 1);
  const close = numeric & <i32>(abs<f64>(load<f64>(values + (<usize>gx << 3)) - load<f64>(values + (<usize>gy << 3))) <= tolerance);
  const free = (sameType & close) | <i32>(load<i32>(labels + (<usize>gx << 2)) == load<i32>(labels + (<usize>gy << 2)));
  return select<T>(<T>0, select<T>(valueCost, typeCost, sameType != 0), free != 0);
}

// @ts-ignore: decorator
@inline function min3<T>(a: T, b: T, chained: T): T {
  const ab = select<T>(a, b, a < b);
  return select<T>(ab, chained, ab < chained);
}

// A keyroot pair where one keyroot is a leaf: the forest table is one line (the column
// fd[·][1] when j is the leaf, the row fd[1][·] when i is), run on a running value without
// the table. The line walks the other keyroot's subtree w = lw..kw (postorder, lld at
// walkLld); `walkCost` consumes a walked node (delete for A, insert for B), `leafCost`
// consumes the leaf. Cell w: min(previous + walkCost, diagonal, border + leafCost) with
// border = (w − lw + 1)·walkCost, diagonal = the substitution leaf ↔ w when w is on the
// path (then the cell is td of the pair), else (lld(w) − lw)·walkCost + td of the pair.
// td of (leaf, w) is at tdStart + w·tdStep cells.
// @ts-ignore: decorator
@inline function leafLine<T, M>(
  lw: i32, kw: i32, walkLld: usize, walkOff: i32, leafGlobal: i32, walkCost: T, leafCost: T,
  labels: usize, types: usize, values: usize, typeCost: T, valueCost: T, tolerance: f64,
  tdStart: usize, tdStep: usize,
): void {
  const SH = alignof<T>();
  let cell: T = leafCost; // the empty walked forest against the leaf
  let border: T = <T>0;
  for (let w = lw; w <= kw; w++) {
    const lx = load<i32>(walkLld + (<usize>w << 2));
    const tdAt = tdStart + ((<usize>w * tdStep) << SH);
    const onPath = lx == lw;
    const diagonal = select<T>(
      border + substitute<T, M>(labels, types, values, walkOff + w, leafGlobal, typeCost, valueCost, tolerance),
      <T>(lx - lw) * walkCost + load<T>(tdAt),
      onPath,
    );
    border += walkCost;
    cell = min3<T>(border + leafCost, diagonal, cell + walkCost);
    if (onPath) store<T>(tdAt, cell);
  }
}

// Tree distances of every subtree T_w of one tree (n nodes, lld at walkLld, w = 0..n−1)
// against a single node `leaf` of the other, stored at tdStart + w·tdStep cells. A mapping
// between T_w and one node holds at most one pair, and any one pair is a valid mapping, so
//   td(T_w, leaf) = min( |T_w|·walkCost + leafCost,  (|T_w| − 1)·walkCost + min_{v ∈ T_w} substitute(v, leaf) ).
// substitute takes one of 0, valueCost, typeCost; bit v of `free` / `cheap` says
// substitute(v, leaf) = 0 / = min(typeCost, valueCost). T_w is the postorder range [lld(w), w]
// and bits above w are not set yet when w is reached, so "some v in T_w" is (mask >> lld(w)) ≠ 0.
// Exact on integer cells only (the products are exact there); needs n ≤ 64.
// @ts-ignore: decorator
@inline function leafTreeDistances<T, M, TD>(
  n: i32, walkLld: usize, walkOff: i32, leafGlobal: i32, walkCost: T, leafCost: T,
  labels: usize, types: usize, values: usize, typeCost: T, valueCost: T, tolerance: f64,
  tdStart: usize, tdStep: usize,
): void {
  const SH = alignof<TD>(); // td cells may be narrower than T (u8 on the SIMD path)
  const step = tdStep << SH;
  let tdAt = tdStart;
  let free: u64 = 0;
  if (sizeof<M>() == 1) {
    // label-only costs: substitute is 0 on equal labels, typeCost otherwise (the leaf's label
    // is read once: the td stores below keep the compiler from hoisting the load)
    const leafLabel = load<i32>(labels + (<usize>leafGlobal << 2));
    const walkLabels = labels + (<usize>walkOff << 2);
    for (let w = 0; w < n; w++) {
      free |= <u64>(load<i32>(walkLabels + (<usize>w << 2)) == leafLabel) << <u64>w;
      const lw = <u64>load<i32>(walkLld + (<usize>w << 2));
      const rest = <T>(w - <i32>lw) * walkCost; // the other |T_w| − 1 nodes, deleted (or inserted)
      const mapped = rest + select<T>(<T>0, typeCost, (free >> lw) != 0);
      const unmapped = rest + walkCost + leafCost;
      store<TD>(tdAt, <TD>select<T>(mapped, unmapped, mapped < unmapped));
      tdAt += step;
    }
    return;
  }
  const low = select<T>(typeCost, valueCost, typeCost < valueCost);
  const high = select<T>(valueCost, typeCost, typeCost < valueCost);
  let cheap: u64 = 0;
  for (let w = 0; w < n; w++) {
    const sub = substitute<T, M>(labels, types, values, walkOff + w, leafGlobal, typeCost, valueCost, tolerance);
    free |= <u64>(sub == <T>0) << <u64>w;
    cheap |= <u64>(sub == low) << <u64>w;
    const lw = <u64>load<i32>(walkLld + (<usize>w << 2));
    const best = select<T>(<T>0, select<T>(low, high, (cheap >> lw) != 0), (free >> lw) != 0);
    const rest = <T>(w - <i32>lw) * walkCost; // the other |T_w| − 1 nodes, deleted (or inserted)
    const mapped = rest + best;
    const unmapped = rest + walkCost + leafCost;
    store<TD>(tdAt, <TD>select<T>(mapped, unmapped, mapped < unmapped));
    tdAt += step;
  }
}

// The forest distances of keyroot pair (i, j); writes td[x][y] for x on i's leftmost path
// and y on j's leftmost path. The table is symmetric in its two trees, so the caller may
// pass them swapped (B as "A", insert and delete swapped) to get fewer, longer rows: rows are
// what costs beyond the cells. td[x][y] is at td + (x·tdOuter + y·tdInner) cells: (nB, 1)
// in the natural orientation, (1, nB) swapped.
// @ts-ignore: decorator
@inline function keyrootPair<T, M, TD>(
  i: i32, j: i32, offA: i32, offB: i32, tdOuter: usize, tdInner: usize, lldA: usize, lldB: usize,
  labels: usize, types: usize, values: usize,
  insertCost: T, deleteCost: T, typeCost: T, valueCost: T, tolerance: f64,
  td: usize, fd: usize,
): void {
  const SH = alignof<T>(); // log2 of the cell size
  const li = load<i32>(lldA + (<usize>i << 2));
  const lj = load<i32>(lldB + (<usize>j << 2));
  const rows = i - li + 2;
  const width = j - lj + 2;
  const stride = <usize>width << SH;
  const tdStep = tdInner << alignof<TD>();
  // row 0: the empty A forest against B's forests lj..y (insertions only)
  let acc: T = <T>0;
  store<T>(fd, acc);
  for (let b = 1; b < width; b++) {
    acc += insertCost;
    store<T>(fd + (<usize>b << SH), acc);
  }
  const lldBj = lldB + (<usize>lj << 2) - 4; // lld of B's node lj + b − 1 is at lldBj + 4b
  // columns of the tree term: fd row r at column lld(y) − lj is at rowPtr + (lld(y) << SH) − colBias
  const colBias = <usize>lj << SH;
  let left: T = <T>0;
  for (let a = 1; a < rows; a++) {
    const x = li + a - 1;
    const lx = load<i32>(lldA + (<usize>x << 2));
    const row = fd + <usize>a * stride;
    const prev = row - stride;
    // td[x][lj + b − 1] is at tdRow + b·tdStep (tdRow itself may sit one cell before td: b >= 1)
    const tdRow = td + ((<usize>x * tdOuter + <usize>lj * tdInner) << alignof<TD>()) - tdStep;
    left += deleteCost; // fd[a][0] = a · delete
    store<T>(row, left);
    let cell = left;
    let tdAt = tdRow;
    if (lx == li) {
      // x is on i's leftmost path: where y is on j's too, forest A[li..x] vs B[lj..y] is a
      // tree pair, so the diagonal term is a substitution and the cell is td[x][y]
      const gx = offA + x;
      // label-only costs: x's label read once (the stores keep the compiler from hoisting it)
      const labelX = sizeof<M>() == 1 ? load<i32>(labels + (<usize>gx << 2)) : 0;
      const labelsBj = labels + (<usize>(offB + lj) << 2) - 4; // label of B's node lj + b − 1 at labelsBj + 4b
      let up = load<T>(prev); // fd[a − 1][b − 1], carried along the row
      // two cells per iteration, as in the off-path rows below (2.44 -> 2.39 ms kernel)
      let b = 1;
      for (; b + 1 < width; b += 2) {
        const ly0 = load<i32>(lldBj + (<usize>b << 2));
        const ly1 = load<i32>(lldBj + (<usize>b << 2), 4);
        const on0 = ly0 == lj;
        const on1 = ly1 == lj;
        const td0At = tdAt + tdStep;
        tdAt = td0At + tdStep;
        const td0 = <T>load<TD>(td0At);
        const td1 = <T>load<TD>(tdAt);
        const sub0 = sizeof<M>() == 1
          ? select<T>(<T>0, typeCost, labelX == load<i32>(labelsBj + (<usize>b << 2)))
          : substitute<T, M>(labels, types, values, gx, offB + lj + b - 1, typeCost, valueCost, tolerance);
        const sub1 = sizeof<M>() == 1
          ? select<T>(<T>0, typeCost, labelX == load<i32>(labelsBj + (<usize>b << 2), 4))
          : substitute<T, M>(labels, types, values, gx, offB + lj + b, typeCost, valueCost, tolerance);
        const zero0 = isInteger<T>() ? <T>(ly0 - lj) * insertCost : load<T>(fd + (<usize>ly0 << SH) - colBias);
        const zero1 = isInteger<T>() ? <T>(ly1 - lj) * insertCost : load<T>(fd + (<usize>ly1 << SH) - colBias);
        const up0 = load<T>(prev + (<usize>b << SH));
        const up1 = load<T>(prev + (<usize>b << SH), 1 << SH);
        const t0 = min<T>(up0 + deleteCost, select<T>(up + sub0, zero0 + td0, on0));
        const t1 = min<T>(up1 + deleteCost, select<T>(up0 + sub1, zero1 + td1, on1));
        up = up1;
        const c0 = select<T>(t0, cell + insertCost, t0 < cell + insertCost);
        cell = select<T>(t1, c0 + insertCost, t1 < c0 + insertCost);
        store<T>(row + (<usize>b << SH), c0);
        store<T>(row + (<usize>b << SH), cell, 1 << SH);
        store<TD>(td0At, <TD>select<T>(c0, td0, on0));
        store<TD>(tdAt, <TD>select<T>(cell, td1, on1));
      }
      if (b < width) {
        const ly = load<i32>(lldBj + (<usize>b << 2));
        const onPath = ly == lj;
        tdAt += tdStep;
        const tdOld = <T>load<TD>(tdAt);
        const sub = sizeof<M>() == 1
          ? select<T>(<T>0, typeCost, labelX == load<i32>(labelsBj + (<usize>b << 2)))
          : substitute<T, M>(labels, types, values, gx, offB + lj + b - 1, typeCost, valueCost, tolerance);
        // row 0 holds (column)·insert: on integer cells fd[0][ly − lj] is computed, not loaded
        const rowZero = isInteger<T>() ? <T>(ly - lj) * insertCost : load<T>(fd + (<usize>ly << SH) - colBias);
        const diagonal = select<T>(up + sub, rowZero + tdOld, onPath);
        cell = min3<T>(load<T>(prev + (<usize>b << SH)) + deleteCost, diagonal, cell + insertCost);
        store<T>(row + (<usize>b << SH), cell);
        store<TD>(tdAt, <TD>select<T>(cell, tdOld, onPath));
      }
    } else {
      // x is off the path: its subtree is a finished tree; match it whole against y's subtree
      const base = fd + <usize>(lx - li) * stride - colBias; // the row of forest A[li..lld(x) − 1]
      // two cells per iteration: their delete and tree terms are independent, only the
      // insert chain is serial (with the carried up-left cell above: 2.47 -> 2.36 ms kernel)
      let b = 1;
      for (; b + 1 < width; b += 2) {
        const ly0 = load<i32>(lldBj + (<usize>b << 2));
        const ly1 = load<i32>(lldBj + (<usize>b << 2), 4);
        const td0 = <T>load<TD>(tdAt + tdStep);
        tdAt += tdStep << 1;
        const tree0 = load<T>(base + (<usize>ly0 << SH)) + td0;
        const tree1 = load<T>(base + (<usize>ly1 << SH)) + <T>load<TD>(tdAt);
        const up0 = min<T>(load<T>(prev + (<usize>b << SH)) + deleteCost, tree0);
        const up1 = min<T>(load<T>(prev + (<usize>b << SH), 1 << SH) + deleteCost, tree1);
        const c0 = min<T>(up0, cell + insertCost);
        cell = min<T>(up1, c0 + insertCost);
        store<T>(row + (<usize>b << SH), c0);
        store<T>(row + (<usize>b << SH), cell, 1 << SH);
      }
      if (b < width) {
        const ly = load<i32>(lldBj + (<usize>b << 2));
        tdAt += tdStep;
        const tree = load<T>(base + (<usize>ly << SH)) + <T>load<TD>(tdAt);
        cell = min3<T>(load<T>(prev + (<usize>b << SH)) + deleteCost, tree, cell + insertCost);
        store<T>(row + (<usize>b << SH), cell);
      }
    }
  }
}

// lsapSolve: the linear sum assignment problem. Finds the permutation σ minimising
// Σ_i cost[i][σ(i)] over an n × n f64 matrix (row-major; +Infinity forbids a cell) and writes
// σ into rowToCol (i32 × n); returns the minimum (Infinity when no finite assignment exists).
// Algorithm: Hungarian method as shortest augmenting paths with row/column potentials
// (Kuhn–Munkres in the Jonker–Volgenant formulation without their initialisation
// heuristics), O(n³). Rows join one at a time; for row i a Dijkstra-like sweep over columns
// grows the alternating tree, keeping minv[j] = the least reduced cost of reaching column j.
// Invariants: u[r] + v[c] <= cost[r][c] for every row r already placed and every column c,
// with equality on the matched cells, so the matching stays optimal for the rows placed.
// Arrays are 1-based; column 0 is the virtual start column (p[0] = the row being placed).
// Scratch (caller-allocated, ≥ 48·(n + 1) bytes): u, v, minv f64[n + 1]; used, way i64[n + 1]
// (lane-wide masks and column numbers, so the column sweep runs two columns per f64x2);
// p i32[n + 1]; tree i32[n + 1] (the columns in the alternating tree, in the order they joined).
// The sweep keeps the first least column per lane and merges the two lanes by value then
// column, so it picks the same column as a plain ascending scan; potentials change by the
// same subtractions, so the results are those of the scalar twin, bit for bit.
export function lsapSolve(n: i32, cost: usize, rowToCol: usize, scratch: usize): f64 {
  if (n <= 0) return 0;
  const len = <usize>(n + 1);
  const u = scratch;
  const v = u + (len << 3);
  const minv = v + (len << 3);
  const used = minv + (len << 3);
  const way = used + (len << 3);
  const p = way + (len << 3);
  const tree = p + (len << 2);
  memory.fill(u, 0, len << 4); // u and v
  memory.fill(p, 0, len << 2);
  const pairsEnd = <usize>(n & ~1); // columns 1..pairsEnd in f64x2 steps, then one more if n is odd
  for (let i = 1; i <= n; i++) {
    store<i32>(p, i);
    let j0: i32 = 0;
    for (let j: usize = 0; j < len; j++) {
      store<f64>(minv + (j << 3), Infinity);
      store<i64>(used + (j << 3), 0);
    }
    let treeSize = 0;
    do {
      store<i64>(used + (<usize>j0 << 3), -1);
      store<i32>(tree + (<usize>treeSize << 2), j0);
      treeSize++;
      const i0 = load<i32>(p + (<usize>j0 << 2));
      const ui0 = load<f64>(u + (<usize>i0 << 3));
      const row = cost + (<usize>(i0 - 1) * <usize>n << 3) - 8; // row[j] for j = 1..n
      const vui0 = f64x2.splat(ui0);
      const vj0 = i64x2.splat(j0);
      let bestValue = f64x2.splat(Infinity);
      let bestColumn = i64x2.splat(-1);
      let column = i64x2(1, 2);
      const two = i64x2.splat(2);
      for (let j: usize = 1; j <= pairsEnd; j += 2) {
        const at = j << 3;
        const isUsed = v128.load(used + at);
        const cur = f64x2.sub(f64x2.sub(v128.load(row + at), vui0), v128.load(v + at));
        const old = v128.load(minv + at);
        const better = v128.andnot(f64x2.lt(cur, old), isUsed);
        const m = v128.bitselect(cur, old, better);
        v128.store(minv + at, m);
        v128.store(way + at, v128.bitselect(vj0, v128.load(way + at), better));
        // a used column never wins: its candidate is +Infinity
        const candidate = v128.bitselect(f64x2.splat(Infinity), m, isUsed);
        const take = f64x2.lt(candidate, bestValue);
        bestValue = v128.bitselect(candidate, bestValue, take);
        bestColumn = v128.bitselect(column, bestColumn, take);
        column = i64x2.add(column, two);
      }
      let delta = f64x2.extract_lane(bestValue, 0);
      let j1 = <i32>i64x2.extract_lane(bestColumn, 0);
      const value1 = f64x2.extract_lane(bestValue, 1);
      const column1 = <i32>i64x2.extract_lane(bestColumn, 1);
      if (value1 < delta || (value1 == delta && column1 >= 0 && column1 < j1)) {
        delta = value1;
        j1 = column1;
      }
      if (pairsEnd < <usize>n) {
        // the last column of an odd n, scalar
        const j = <usize>n;
        if (load<i64>(used + (j << 3)) == 0) {
          const cur = load<f64>(row + (j << 3)) - ui0 - load<f64>(v + (j << 3));
          let m = load<f64>(minv + (j << 3));
          if (cur < m) {
            m = cur;
            store<f64>(minv + (j << 3), cur);
            store<i64>(way + (j << 3), j0);
          }
          if (m < delta) {
            delta = m;
            j1 = <i32>j;
          }
        }
      }
      if (j1 < 0 || delta == Infinity) return Infinity; // every column left is forbidden for this row
      // potentials: rows of the tree gain delta, its columns lose it, the rest of minv drops by it
      for (let k = 0; k < treeSize; k++) {
        const r = <usize>load<i32>(p + (<usize>load<i32>(tree + (<usize>k << 2)) << 2));
        store<f64>(u + (r << 3), load<f64>(u + (r << 3)) + delta);
      }
      store<f64>(v, load<f64>(v) - delta); // column 0 is always in the tree
      const vdelta = f64x2.splat(delta);
      for (let j: usize = 1; j <= pairsEnd; j += 2) {
        const at = j << 3;
        const isUsed = v128.load(used + at);
        const vv = v128.load(v + at);
        const mm = v128.load(minv + at);
        v128.store(v + at, v128.bitselect(f64x2.sub(vv, vdelta), vv, isUsed));
        v128.store(minv + at, v128.bitselect(mm, f64x2.sub(mm, vdelta), isUsed));
      }
      if (pairsEnd < <usize>n) {
        const at = <usize>n << 3;
        if (load<i64>(used + at) != 0) store<f64>(v + at, load<f64>(v + at) - delta);
        else store<f64>(minv + at, load<f64>(minv + at) - delta);
      }
      j0 = j1;
    } while (load<i32>(p + (<usize>j0 << 2)) != 0);
    // augment along the alternating path back to the virtual column 0
    do {
      const j1 = <i32>load<i64>(way + (<usize>j0 << 3));
      store<i32>(p + (<usize>j0 << 2), load<i32>(p + (<usize>j1 << 2)));
      j0 = j1;
    } while (j0 != 0);
  }
  let total: f64 = 0;
  for (let j = 1; j <= n; j++) {
    const r = load<i32>(p + (<usize>j << 2)) - 1;
    store<i32>(rowToCol + (<usize>r << 2), j - 1);
    total += load<f64>(cost + ((<usize>r * <usize>n + <usize>(j - 1)) << 3));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The differentiable GED loss (src/ged/loss.ts states what it bounds). For a batch of graphs,
// each a set of predicted node slots against a target graph under a FIXED node mapping:
//   e_p = σ(exist_p)               node p exists        (1 when existLogits == 0)
//   π_p = softmax(typeLogits_p)    its type             (K classes)
//   λ_p = softmax(labelLogits_p)   its label            (L classes)
//   a_pq = σ(edgeLogits_g[p][q])   edge p → q exists, given both ends do
// and the expected cost of the edit script the mapping induces,
//   loss_g = α·[ Σ_{p ↦ t} ( e_p·S(p, t) + (1 − e_p)·cIns ) + Σ_{p unmapped} e_p·cDel + Σ_{t unmapped} cIns ]
//          + β·[ Σ_{p ≠ q} cEdel·s_pq + Σ_{target edges t1→t2} ( mapped: cEins·(1 − s) − cEdel·s ; else cEins ) ]
//   S(p, t) = cType·(1 − π_p[type_t]) + π_p[type_t]·V(p, t)
//   V(p, t) = cValue·(1 − λ_p[label_t])                    when label_t >= 0
//           = cValue·log2(1 + ((value_p − value_t)/τ)²)    when label_t < 0 (numbers, by value)
//   s_pq = e_p·e_q·a_pq, p1/p2 the slots mapped to t1/t2.
// (the edge part is skipped when edgeLogits == 0).
// Layout: graphs i32 × 8 per graph: slotStart, slotCount, targetStart, targetCount,
// edgeLogitStart (element index of the graph's slotCount² block), targetEdgeStart (pair
// index), targetEdgeCount, 0. Slot rows: typeLogits [slot][K], labelLogits [slot][L], values
// and existLogits [slot]. Targets: targetTypes, targetLabels i32, targetValues f32; target
// edges as (from, to) local i32 pairs. map[slot] = local target or −1; inverse[target] = local
// slot or −1. costs f32 × 9: nodeInsert, nodeDelete, nodeType, nodeValue, edgeInsert,
// edgeDelete, alpha, beta, tau. scratch: ≥ 2·(max slotCount + 4) f32.

// @ts-ignore: decorator
@inline function sigmoidF(x: f32): f32 {
  return <f32>1 / (<f32>1 + Mathf.exp(-x));
}

// @ts-ignore: decorator
@inline function sigmoidF32x4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expF32x4(f32x4.neg(x))));
}

// softmax(row)[k] for one k (max-shifted; sums in f64)
// @ts-ignore: decorator
@inline function softmaxAt(row: usize, n: i32, k: i32): f64 {
  let m: f32 = load<f32>(row);
  for (let c = 1; c < n; c++) m = max(m, load<f32>(row + (<usize>c << 2)));
  let total: f64 = 0;
  for (let c = 0; c < n; c++) total += Math.exp(<f64>(load<f32>(row + (<usize>c << 2)) - m));
  return Math.exp(<f64>(load<f32>(row + (<usize>k << 2)) - m)) / total;
}

// The per-node pieces of S(p, t) (see above): type probability, V, and V's derivative
// with respect to the value (numbers) — the caller knows which case applies from label_t.
// Written to the static `piece` slots to return three numbers without allocating.
const piece: usize = memory.data(24, 8);

// @ts-ignore: decorator
@inline function nodePieces(
  slot: i32, target: i32, typeLogits: usize, K: i32, labelLogits: usize, L: i32, values: usize,
  targetTypes: usize, targetLabels: usize, targetValues: usize, cValue: f64, tau: f64,
): void {
  const pType = softmaxAt(typeLogits + (<usize>(slot * K) << 2), K, load<i32>(targetTypes + (<usize>target << 2)));
  const label = load<i32>(targetLabels + (<usize>target << 2));
  let v: f64;
  let dv: f64 = 0;
  if (label >= 0) {
    v = cValue * (1 - softmaxAt(labelLogits + (<usize>(slot * L) << 2), L, label));
  } else {
    const r = (<f64>load<f32>(values + (<usize>slot << 2)) - <f64>load<f32>(targetValues + (<usize>target << 2))) / tau;
    v = cValue * Math.log2(1 + r * r);
    dv = cValue * 2 * r / ((1 + r * r) * Math.LN2 * tau);
  }
  store<f64>(piece, pType);
  store<f64>(piece, v, 8);
  store<f64>(piece, dv, 16);
}

// e_p for the graph's slots into scratch (1 when there are no exist logits).
// @ts-ignore: decorator
@inline function existence(existLogits: usize, slotStart: i32, P: i32, e: usize): void {
  for (let p = 0; p < P; p++) {
    store<f32>(e + (<usize>p << 2), existLogits == 0 ? <f32>1 : sigmoidF(load<f32>(existLogits + (<usize>(slotStart + p) << 2))));
  }
}

export function gedLossForward(
  graphCount: i32, graphs: usize, typeLogits: usize, K: i32, labelLogits: usize, L: i32, values: usize,
  existLogits: usize, edgeLogits: usize, targetTypes: usize, targetLabels: usize, targetValues: usize,
  targetEdges: usize, map: usize, inverse: usize, costs: usize, scratch: usize, out: usize,
): void {
  const cIns = <f64>load<f32>(costs), cDel = <f64>load<f32>(costs, 4), cType = <f64>load<f32>(costs, 8);
  const cValue = <f64>load<f32>(costs, 12), cEins = <f64>load<f32>(costs, 16), cEdel = <f64>load<f32>(costs, 20);
  const alpha = <f64>load<f32>(costs, 24), beta = <f64>load<f32>(costs, 28), tau = <f64>load<f32>(costs, 32);
  const e = scratch;
  for (let g = 0; g < graphCount; g++) {
    const rec = graphs + (<usize>g << 5);
    const slotStart = load<i32>(rec), P = load<i32>(rec, 4);
    const targetStart = load<i32>(rec, 8), T = load<i32>(rec, 12);
    const edgeStart = load<i32>(rec, 16), tEdgeStart = load<i32>(rec, 20), tEdgeCount = load<i32>(rec, 24);
    existence(existLogits, slotStart, P, e);
    let nodes: f64 = 0;
    for (let p = 0; p < P; p++) {
      const ep = <f64>load<f32>(e + (<usize>p << 2));
      const t = load<i32>(map + (<usize>(slotStart + p) << 2));
      if (t < 0) {
        nodes += ep * cDel;
      } else {
        nodePieces(slotStart + p, targetStart + t, typeLogits, K, labelLogits, L, values, targetTypes, targetLabels, targetValues, cValue, tau);
        const pType = load<f64>(piece), v = load<f64>(piece, 8);
        nodes += ep * (cType * (1 - pType) + pType * v) + (1 - ep) * cIns;
      }
    }
    for (let t = 0; t < T; t++) if (load<i32>(inverse + (<usize>(targetStart + t) << 2)) < 0) nodes += cIns;
    let edges: f64 = 0;
    if (edgeLogits != 0) {
      const block = edgeLogits + (<usize>edgeStart << 2);
      const rowBytes = <usize>P << 2;
      const vecBytes = rowBytes & ~(<usize>15);
      // Σ_{p ≠ q} e_p e_q a_pq, rows vectorised over q
      let all: f64 = 0;
      for (let p = 0; p < P; p++) {
        const row = block + <usize>p * rowBytes;
        let acc = f32x4.splat(0);
        let q: usize = 0;
        for (; q < vecBytes; q += 16) acc = f32x4.add(acc, f32x4.mul(v128.load(e + q), sigmoidF32x4(v128.load(row + q))));
        if (q < rowBytes) {
          const left = (rowBytes - q) >> 2;
          acc = f32x4.add(acc, f32x4.mul(loadPartial(e + q, left), sigmoidF32x4(loadPartial(row + q, left))));
        }
        const ep = <f64>load<f32>(e + (<usize>p << 2));
        const rowSum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
        const diagonal = <f64>load<f32>(e + (<usize>p << 2)) * <f64>sigmoidF(load<f32>(row + (<usize>p << 2)));
        all += ep * (rowSum - diagonal); // q = p is not an edge
      }
      edges = cEdel * all;
      for (let k = 0; k < tEdgeCount; k++) {
        const pair = targetEdges + (<usize>(tEdgeStart + k) << 3);
        const p1 = load<i32>(inverse + (<usize>(targetStart + load<i32>(pair)) << 2));
        const p2 = load<i32>(inverse + (<usize>(targetStart + load<i32>(pair, 4)) << 2));
        if (p1 >= 0 && p2 >= 0) {
          const s = <f64>load<f32>(e + (<usize>p1 << 2)) * <f64>load<f32>(e + (<usize>p2 << 2)) *
            <f64>sigmoidF(load<f32>(block + (<usize>(p1 * P + p2) << 2)));
          edges += cEins * (1 - s) - cEdel * s;
        } else {
          edges += cEins;
        }
      }
    }
    store<f32>(out + (<usize>g << 2), <f32>(alpha * nodes + beta * edges));
  }
}

// dst[k] += scale · ∂p_target/∂z_k = scale · p_target·(δ_{k,target} − p_k), p = softmax(row).
// @ts-ignore: decorator
@inline function addSoftmaxGradient(dst: usize, row: usize, n: i32, target: i32, scale: f64): void {
  let m: f32 = load<f32>(row);
  for (let c = 1; c < n; c++) m = max(m, load<f32>(row + (<usize>c << 2)));
  let total: f64 = 0;
  for (let c = 0; c < n; c++) total += Math.exp(<f64>(load<f32>(row + (<usize>c << 2)) - m));
  const pt = Math.exp(<f64>(load<f32>(row + (<usize>target << 2)) - m)) / total;
  // d p_target / d z_k = p_target·(δ_{k,target} − p_k)
  for (let c = 0; c < n; c++) {
    const pk = Math.exp(<f64>(load<f32>(row + (<usize>c << 2)) - m)) / total;
    const d = pt * ((c == target ? 1.0 : 0.0) - pk);
    const at = dst + (<usize>c << 2);
    store<f32>(at, load<f32>(at) + <f32>(scale * d));
  }
}

export function gedLossBackward(
  graphCount: i32, graphs: usize, typeLogits: usize, K: i32, labelLogits: usize, L: i32, values: usize,
  existLogits: usize, edgeLogits: usize, targetTypes: usize, targetLabels: usize, targetValues: usize,
  targetEdges: usize, map: usize, inverse: usize, costs: usize, scratch: usize, dOut: usize,
  dTypeLogits: usize, dLabelLogits: usize, dValues: usize, dExistLogits: usize, dEdgeLogits: usize,
): void {
  const cIns = <f64>load<f32>(costs), cDel = <f64>load<f32>(costs, 4), cType = <f64>load<f32>(costs, 8);
  const cValue = <f64>load<f32>(costs, 12), cEins = <f64>load<f32>(costs, 16), cEdel = <f64>load<f32>(costs, 20);
  const alpha = <f64>load<f32>(costs, 24), beta = <f64>load<f32>(costs, 28), tau = <f64>load<f32>(costs, 32);
  for (let g = 0; g < graphCount; g++) {
    const rec = graphs + (<usize>g << 5);
    const slotStart = load<i32>(rec), P = load<i32>(rec, 4);
    const targetStart = load<i32>(rec, 8);
    const edgeStart = load<i32>(rec, 16), tEdgeStart = load<i32>(rec, 20), tEdgeCount = load<i32>(rec, 24);
    const u = <f64>load<f32>(dOut + (<usize>g << 2));
    const e = scratch;
    const dE = scratch + ((<usize>P + 4) << 2); // d loss / d e_p, summed over nodes and edges
    existence(existLogits, slotStart, P, e);
    for (let p = 0; p < P; p++) {
      const slot = slotStart + p;
      const ep = <f64>load<f32>(e + (<usize>p << 2));
      const t = load<i32>(map + (<usize>slot << 2));
      if (t < 0) {
        store<f32>(dE + (<usize>p << 2), <f32>(alpha * cDel));
        continue;
      }
      const target = targetStart + t;
      nodePieces(slot, target, typeLogits, K, labelLogits, L, values, targetTypes, targetLabels, targetValues, cValue, tau);
      const pType = load<f64>(piece), v = load<f64>(piece, 8), dv = load<f64>(piece, 16);
      store<f32>(dE + (<usize>p << 2), <f32>(alpha * (cType * (1 - pType) + pType * v - cIns)));
      // S = cType − pType·(cType − V): dS/dpType = V − cType, dS/dV = pType
      if (dTypeLogits != 0) {
        addSoftmaxGradient(dTypeLogits + (<usize>(slot * K) << 2), typeLogits + (<usize>(slot * K) << 2), K,
          load<i32>(targetTypes + (<usize>target << 2)), u * alpha * ep * (v - cType));
      }
      const label = load<i32>(targetLabels + (<usize>target << 2));
      if (label >= 0) {
        // V = cValue·(1 − λ_label): dV/dλ_label = −cValue
        if (dLabelLogits != 0) {
          addSoftmaxGradient(dLabelLogits + (<usize>(slot * L) << 2), labelLogits + (<usize>(slot * L) << 2), L,
            label, -u * alpha * ep * pType * cValue);
        }
      } else if (dValues != 0) {
        const at = dValues + (<usize>slot << 2);
        store<f32>(at, load<f32>(at) + <f32>(u * alpha * ep * pType * dv));
      }
    }
    if (edgeLogits != 0) {
      const block = edgeLogits + (<usize>edgeStart << 2);
      const dBlock = dEdgeLogits + (<usize>edgeStart << 2);
      const rowBytes = <usize>P << 2;
      const vecBytes = rowBytes & ~(<usize>15);
      // base term: every predicted edge p ≠ q is charged cEdel·s_pq:
      //   d/dy_pq = β·cEdel·e_p·e_q·a(1 − a),  d/de_p += β·cEdel·e_q·a_pq,  d/de_q += β·cEdel·e_p·a_pq
      // the d/de_q part is gathered by columns: colAcc[q] = Σ_p e_p·a_pq, kept in the dE slots as we go
      const base = beta * cEdel;
      const vBase = f32x4.splat(<f32>base);
      const vdyScale = f32x4.splat(<f32>(u * base));
      for (let p = 0; p < P; p++) {
        const row = block + <usize>p * rowBytes;
        const dRow = dBlock + <usize>p * rowBytes;
        const ep = load<f32>(e + (<usize>p << 2));
        const vep = f32x4.splat(ep);
        let rowAcc = f32x4.splat(0);
        let q: usize = 0;
        for (; q < rowBytes; q += 16) {
          const count = min<usize>(4, (rowBytes - q) >> 2);
          const full = count == 4;
          const y = full ? v128.load(row + q) : loadPartial(row + q, count);
          const eq = full ? v128.load(e + q) : loadPartial(e + q, count);
          const a = sigmoidF32x4(y);
          const ea = f32x4.mul(eq, a);
          rowAcc = f32x4.add(rowAcc, ea);
          // column part: dE[q] += base·e_p·a_pq
          const dEq = full ? v128.load(dE + q) : loadPartial(dE + q, count);
          const dEqNew = f32x4.add(dEq, f32x4.mul(vBase, f32x4.mul(vep, a)));
          if (dEdgeLogits != 0) {
            const dy = f32x4.mul(f32x4.mul(vdyScale, f32x4.mul(vep, ea)), f32x4.sub(f32x4.splat(1), a));
            const dOld = full ? v128.load(dRow + q) : loadPartial(dRow + q, count);
            if (full) v128.store(dRow + q, f32x4.add(dOld, dy));
            else storePartial(dRow + q, f32x4.add(dOld, dy), count);
          }
          if (full) v128.store(dE + q, dEqNew);
          else storePartial(dE + q, dEqNew, count);
        }
        // row part: dE[p] += base·Σ_q e_q·a_pq
        const rowSum = f32x4.extract_lane(rowAcc, 0) + f32x4.extract_lane(rowAcc, 1) + f32x4.extract_lane(rowAcc, 2) + f32x4.extract_lane(rowAcc, 3);
        const atP = dE + (<usize>p << 2);
        // the diagonal (q = p) was included in both the row and the column part and in dy: take it back
        const app = sigmoidF(load<f32>(row + (<usize>p << 2)));
        store<f32>(atP, load<f32>(atP) + <f32>base * (rowSum - <f32>2 * ep * app));
        if (dEdgeLogits != 0) {
          const at = dRow + (<usize>p << 2);
          store<f32>(at, load<f32>(at) - <f32>(u * base) * ep * ep * app * (<f32>1 - app));
        }
      }
      // target edges mapped onto (p1, p2): their s is charged −(cEins + cEdel)·s on top of the base
      const corr = -beta * (cEins + cEdel);
      for (let k = 0; k < tEdgeCount; k++) {
        const pair = targetEdges + (<usize>(tEdgeStart + k) << 3);
        const p1 = load<i32>(inverse + (<usize>(targetStart + load<i32>(pair)) << 2));
        const p2 = load<i32>(inverse + (<usize>(targetStart + load<i32>(pair, 4)) << 2));
        if (p1 < 0 || p2 < 0) continue;
        const e1 = <f64>load<f32>(e + (<usize>p1 << 2)), e2 = <f64>load<f32>(e + (<usize>p2 << 2));
        const at = <usize>(p1 * P + p2) << 2;
        const a = <f64>sigmoidF(load<f32>(block + at));
        if (dEdgeLogits != 0) store<f32>(dBlock + at, load<f32>(dBlock + at) + <f32>(u * corr * e1 * e2 * a * (1 - a)));
        const d1 = dE + (<usize>p1 << 2), d2 = dE + (<usize>p2 << 2);
        store<f32>(d1, load<f32>(d1) + <f32>(corr * e2 * a));
        store<f32>(d2, load<f32>(d2) + <f32>(corr * e1 * a));
      }
    }
    if (dExistLogits != 0 && existLogits != 0) {
      for (let p = 0; p < P; p++) {
        const ep = <f64>load<f32>(e + (<usize>p << 2));
        const at = dExistLogits + (<usize>(slotStart + p) << 2);
        store<f32>(at, load<f32>(at) + <f32>(u * <f64>load<f32>(dE + (<usize>p << 2)) * ep * (1 - ep)));
      }
    }
  }
}
