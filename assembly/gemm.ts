// Kernels of area 'gemm'. Twins: src/backend/js/gemm.ts (same names, heap first).
//
// gemm: C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias[j] on every row when bias != 0),
// row-major BLAS semantics. op(A) is m×k (A is stored k×m when transA != 0), op(B) is k×n
// (B is stored n×k when transB != 0); lda/ldb/ldc are row strides in elements. C must not
// overlap A, B or bias.
//
// Structure (Goto/BLIS, one level): for each KC×NC block of op(B), the block is packed into
// static scratch as zero-padded NR-column micro-panels; then every MR-row strip of op(A) is
// multiplied with each micro-panel by an MR×NR register-blocked micro-kernel. A is read in
// place through (row step, k step) strides, so both transposes of A cost nothing and A needs
// no scratch; only B, which the micro-kernel reads as whole f32x4 vectors, is packed.
//
// Why these shapes (V8 on x86-64 has 15 allocatable xmm registers; no FMA without relaxed SIMD,
// so every f32x4 step is one mul and one add and the core's 2 mul + 2 add pipes bound us at
// 16 flop/cycle): 5×8 keeps 10 accumulators + 2 B vectors + the broadcast + a product in
// registers (14). Measured on the 2-core AMD EPYC (Zen 5, 3.4 GHz, about 55 GFLOP/s bound),
// 256³, one process: 4×8 packed-A 41, 5×8 packed-A 45, 5×8 A-in-place 49 (best 52) GFLOP/s;
// 6×8 and 4×12 spill (23–25); unrolling k by 2 or 4 makes V8 hoist every load of the unrolled
// steps and spill accumulators (30, 20). KC ∈ {64,128,256} × NC ∈ {32..256} all landed within
// noise of each other (46–50); KC=256, NC=32 keeps the B block in L1 and the static scratch at
// 32 KiB (the module's static data must fit asconfig's initial memory page).
//
// Invariants:
//   - a packed B micro-panel is kc steps of NR floats: op(B)[p0 + p][j0 + c] at [p·NR + c],
//     columns past n are zeros;
//   - the micro-kernel's k loop has no branches: edge rows re-read the strip's last real row
//     and edge columns multiply the zero padding; both land in accumulators that are dropped;
//   - C is read only when the k block being added is not the first, or beta != 0
//     (so beta == 0 ignores whatever C held, NaN included); bias is added once, with the first
//     k block.

// @ts-ignore: decorator
@inline const MR: i32 = 5;
// @ts-ignore: decorator
@inline const NR: i32 = 8;
// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const NC: i32 = 32;

const packedB: usize = memory.data(KC * NC * 4, 16);
// the accumulators of an edge tile, spilled so the scalar write-back can index them
const edgeTile: usize = memory.data(MR * NR * 4, 16);

export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, bias: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    scaleAddBias(m, n, beta, c, ldc, bias);
    return;
  }
  // op(A)[i][p] is at a + i·aRowStep + p·aKStep, whichever way A is stored
  const aRowStep: usize = transA != 0 ? 4 : <usize>lda * 4;
  const aKStep: usize = transA != 0 ? <usize>lda * 4 : 4;
  const cRowStep: usize = <usize>ldc * 4;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, jc, kc, nc);
      // the first k block applies beta and bias; later blocks accumulate into C
      const first = pc == 0;
      const cScale: f32 = first ? beta : 1;
      const blockBias: usize = first && bias != 0 ? bias + (<usize>jc << 2) : 0;
      for (let ir = 0; ir < m; ir += MR) {
        const rows = min(MR, m - ir);
        const pa = a + <usize>ir * aRowStep + <usize>pc * aKStep;
        const cRow = c + <usize>ir * cRowStep + (<usize>jc << 2);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const pb = packedB + <usize>(jr * kc) * 4;
          const tileBias: usize = blockBias != 0 ? blockBias + (<usize>jr << 2) : 0;
          microKernel(kc, pa, aRowStep, aKStep, rows, pb, cols, cRow + (<usize>jr << 2), ldc, alpha, cScale, tileBias);
        }
      }
    }
  }
}

// k == 0: op(A)·op(B) is the zero matrix, C = beta·C (+ bias).
function scaleAddBias(m: i32, n: i32, beta: f32, c: usize, ldc: i32, bias: usize): void {
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * <usize>ldc * 4;
    for (let j = 0; j < n; j++) {
      const at = row + (<usize>j << 2);
      let v: f32 = beta == 0 ? 0 : beta * load<f32>(at);
      if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      store<f32>(at, v);
    }
  }
}

// C tile (rows×cols, at most MR×NR) = alpha · op(A)tile · Bpanel + cScale · C (+ bias), where
// cScale == 0 means C is not read and bias (the tile's first column) may be 0.
// A is read in place: row r of the tile at pa + r·rowStep, advancing kStep per k.
function microKernel(
  kc: i32, pa: usize, rowStep: usize, kStep: usize, rows: i32, pb: usize, cols: i32,
  c: usize, ldc: i32, alpha: f32, cScale: f32, bias: usize,
): void {
  // rows past the edge re-read the last real row: their sums are computed and dropped,
  // which keeps the k loop branch-free without reading outside A
  const last = <usize>(rows - 1);
  let pa1 = pa + min<usize>(1, last) * rowStep;
  let pa2 = pa + min<usize>(2, last) * rowStep;
  let pa3 = pa + min<usize>(3, last) * rowStep;
  let pa4 = pa + min<usize>(4, last) * rowStep;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const end = pb + <usize>kc * (NR * 4);
  // one k step: row r of the tile += a[r][p] · (B row p), written out per row on purpose —
  // the 10 accumulators must be distinct locals for V8 to keep them in xmm registers
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(pa1);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(pa2);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(pa3);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    av = v128.load32_splat(pa4);
    c40 = f32x4.add(c40, f32x4.mul(av, b0));
    c41 = f32x4.add(c41, f32x4.mul(av, b1));
    pa += kStep;
    pa1 += kStep;
    pa2 += kStep;
    pa3 += kStep;
    pa4 += kStep;
    pb += NR * 4;
  }
  if (rows == MR && cols == NR) {
    const va = f32x4.splat(alpha);
    let bias0 = f32x4.splat(0), bias1 = f32x4.splat(0);
    if (bias != 0) {
      bias0 = v128.load(bias);
      bias1 = v128.load(bias, 16);
    }
    const rowStepC = <usize>ldc * 4;
    writeRow(c, c00, c01, va, cScale, bias0, bias1);
    writeRow(c + rowStepC, c10, c11, va, cScale, bias0, bias1);
    writeRow(c + rowStepC * 2, c20, c21, va, cScale, bias0, bias1);
    writeRow(c + rowStepC * 3, c30, c31, va, cScale, bias0, bias1);
    writeRow(c + rowStepC * 4, c40, c41, va, cScale, bias0, bias1);
    return;
  }
  v128.store(edgeTile, c00);
  v128.store(edgeTile, c01, 16);
  v128.store(edgeTile, c10, 32);
  v128.store(edgeTile, c11, 48);
  v128.store(edgeTile, c20, 64);
  v128.store(edgeTile, c21, 80);
  v128.store(edgeTile, c30, 96);
  v128.store(edgeTile, c31, 112);
  v128.store(edgeTile, c40, 128);
  v128.store(edgeTile, c41, 144);
  writeEdgeTile(c, ldc, rows, cols, alpha, cScale, bias);
}

// @ts-ignore: decorator
@inline function writeRow(c: usize, acc0: v128, acc1: v128, va: v128, cScale: f32, bias0: v128, bias1: v128): void {
  let v0 = f32x4.add(f32x4.mul(va, acc0), bias0);
  let v1 = f32x4.add(f32x4.mul(va, acc1), bias1);
  if (cScale != 0) {
    const vs = f32x4.splat(cScale);
    v0 = f32x4.add(v0, f32x4.mul(vs, v128.load(c)));
    v1 = f32x4.add(v1, f32x4.mul(vs, v128.load(c, 16)));
  }
  v128.store(c, v0);
  v128.store(c, v1, 16);
}

function writeEdgeTile(c: usize, ldc: i32, rows: i32, cols: i32, alpha: f32, cScale: f32, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * <usize>ldc * 4;
    for (let j = 0; j < cols; j++) {
      const at = row + (<usize>j << 2);
      let v = alpha * load<f32>(edgeTile + <usize>(r * NR + j) * 4);
      if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      if (cScale != 0) v += cScale * load<f32>(at);
      store<f32>(at, v);
    }
  }
}

// Packs op(B)[p0 .. p0+kc) × [j0 .. j0+nc) into ceil(nc/NR) micro-panels at packedB.
function packB(transB: i32, b: usize, ldb: i32, p0: i32, j0: i32, kc: i32, nc: i32): void {
  const stride = <usize>ldb * 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const dst = packedB + <usize>(jr * kc) * 4;
    if (transB == 0) {
      // B is stored k×n: the NR columns of one row are contiguous
      let src = b + (<usize>p0 * <usize>ldb + <usize>(j0 + jr)) * 4;
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          const d = dst + <usize>p * (NR * 4);
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += stride;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>(p * NR + j) * 4, j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
          }
          src += stride;
        }
      }
    } else {
      // B is stored n×k: each column of op(B) is contiguous; 4×4 blocks are transposed
      const src = b + (<usize>(j0 + jr) * <usize>ldb + <usize>p0) * 4;
      if (cols == NR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const at = src + (<usize>p << 2);
          const d = dst + <usize>p * (NR * 4);
          transpose4Store(
            v128.load(at), v128.load(at + stride), v128.load(at + stride * 2), v128.load(at + stride * 3),
            d, NR * 4,
          );
          const at4 = at + stride * 4;
          transpose4Store(
            v128.load(at4), v128.load(at4 + stride), v128.load(at4 + stride * 2), v128.load(at4 + stride * 3),
            d + 16, NR * 4,
          );
        }
        for (; p < kc; p++) {
          const at = src + (<usize>p << 2);
          for (let j = 0; j < NR; j++) store<f32>(dst + <usize>(p * NR + j) * 4, load<f32>(at + <usize>j * stride));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const at = src + (<usize>p << 2);
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>(p * NR + j) * 4, j < cols ? load<f32>(at + <usize>j * stride) : 0);
          }
        }
      }
    }
  }
}

// Rows r0..r3 (4 floats each) are stored as columns: column q goes to dst + q·dstStride.
// @ts-ignore: decorator
@inline function transpose4Store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, dstStride: usize): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStride, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + dstStride * 2, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + dstStride * 3, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
}
