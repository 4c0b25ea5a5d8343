// The microkernel (BLIS's contract): C[MR×NR] := alpha·A·B + beta·C over packed
// micro-panels of depth kc, with the epilogue (bias, activation) fused in the store.
//
// 4×8 as XNNPACK uses on x86: eight f32x4 accumulators, per k one v128 load of A's four
// values, broadcast per row with a shuffle (clean on V8 and JavaScriptCore alike), and
// two v128 loads of B. With 15 vector registers V8 keeps all of it in registers only
// at this size and without unrolling (../shared/TOOLCHAIN.md). The relaxed-SIMD build
// uses relaxed_madd (FMA); the plain build multiplies and adds.
// On V8 before 12 (`splats`, Config.gemmPackedSplats) A is broadcast by four load32_splat
// instead: a fifth faster there, a fifth slower on the newest V8 and a tenth on
// JavaScriptCore (docs/decisions/gemm-microkernel.md).
import { MR, NR } from "../runtime/schema.gen";
import { activateScalar, madd, storeQuad, storeRow } from "../simd/epilogue";

// How a tile's result combines with what C holds. `first`: this is the first k block,
// so C is scaled by beta (not read at all when beta is 0, as BLAS does); otherwise
// the k blocks before have left partial sums in C. `last`: add bias, activate.
// C's tile row i starts at c + i·rowBytes; its columns come in quads quadBytes apart:
// 16 in a row-major matrix (rowBytes = ldc·4), a channel plane apart in an NC4HW4 tensor
// (rowBytes = 16: a row is a pixel).
export function microkernel(
  kc: i32, a: usize, b: usize, c: usize, rowBytes: usize, quadBytes: usize, mr: i32, nr: i32,
  alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32, tile: usize, splats: bool,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const aEnd = a + (<usize>kc << 4);
  let pa = a;
  let pb = b;
  if (kc > 0 && splats) {
    // V8 before 12 runs the k loop a seventh faster inside another loop, here of one turn
    // (why is not known; docs/decisions/engine-variants.md). The k loops of runs below
    // (microkernelRows) have theirs.
    for (let once = 0; once < 1; once++) do {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      const a0 = v128.load32_splat(pa);
      c00 = madd(a0, b0, c00);
      c01 = madd(a0, b1, c01);
      const a1 = v128.load32_splat(pa, 4);
      c10 = madd(a1, b0, c10);
      c11 = madd(a1, b1, c11);
      const a2 = v128.load32_splat(pa, 8);
      c20 = madd(a2, b0, c20);
      c21 = madd(a2, b1, c21);
      const a3 = v128.load32_splat(pa, 12);
      c30 = madd(a3, b0, c30);
      c31 = madd(a3, b1, c31);
      pa += MR << 2;
      pb += NR << 2;
    } while (pa < aEnd);
  } else if (kc > 0) {
    do {
      const va = v128.load(pa);
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      const a0 = i32x4.shuffle(va, va, 0, 0, 0, 0);
      c00 = madd(a0, b0, c00);
      c01 = madd(a0, b1, c01);
      const a1 = i32x4.shuffle(va, va, 1, 1, 1, 1);
      c10 = madd(a1, b0, c10);
      c11 = madd(a1, b1, c11);
      const a2 = i32x4.shuffle(va, va, 2, 2, 2, 2);
      c20 = madd(a2, b0, c20);
      c21 = madd(a2, b1, c21);
      const a3 = i32x4.shuffle(va, va, 3, 3, 3, 3);
      c30 = madd(a3, b0, c30);
      c31 = madd(a3, b1, c31);
      pa += MR << 2;
      pb += NR << 2;
    } while (pa < aEnd);
  }
  finishTile(c, rowBytes, quadBytes, mr, nr, c00, c01, c10, c11, c20, c21, c30, c31, alpha, beta, first, last, bias, act, tile);
}

// A tile whose A is read where it lies: its rows `aRowBytes` apart, each row `runs` runs of
// `run` k values, `runBytes` apart (a row-major matrix: one run of kc; a convolution's
// pixels in NHWC with compact k: a run per window row, XNNPACK's indirect GEMM without the
// pointers), so A needs no packing. B's k goes on across runs. Per k, one load32_splat
// from each row and B's two loads; rows past `mr` read row 0 again, computed and never stored.
export function microkernelRows(
  runs: i32, run: i32, a: usize, runBytes: usize, aRowBytes: usize, b: usize, c: usize, rowBytes: usize, quadBytes: usize, mr: i32, nr: i32,
  alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32, tile: usize,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const d1: usize = mr > 1 ? aRowBytes : 0;
  const d2: usize = mr > 2 ? 2 * aRowBytes : 0;
  const d3: usize = mr > 3 ? 3 * aRowBytes : 0;
  const end = <usize>run << 2;
  let pb = b;
  let r0 = a;
  for (let r = 0; r < runs; r++, r0 += runBytes) {
    const r1 = r0 + d1, r2 = r0 + d2, r3 = r0 + d3;
    let k: usize = 0;
    if (run > 0) {
      do {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const a0 = v128.load32_splat(r0 + k);
        c00 = madd(a0, b0, c00);
        c01 = madd(a0, b1, c01);
        const a1 = v128.load32_splat(r1 + k);
        c10 = madd(a1, b0, c10);
        c11 = madd(a1, b1, c11);
        const a2 = v128.load32_splat(r2 + k);
        c20 = madd(a2, b0, c20);
        c21 = madd(a2, b1, c21);
        const a3 = v128.load32_splat(r3 + k);
        c30 = madd(a3, b0, c30);
        c31 = madd(a3, b1, c31);
        k += 4;
        pb += NR << 2;
      } while (k < end);
    }
  }
  finishTile(c, rowBytes, quadBytes, mr, nr, c00, c01, c10, c11, c20, c21, c30, c31, alpha, beta, first, last, bias, act, tile);
}

// The tile's epilogue: the rows and columns there are, from the eight accumulators.
@inline function finishTile(
  c: usize, rowBytes: usize, quadBytes: usize, mr: i32, nr: i32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
  alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32, tile: usize,
): void {
  if (nr == NR) {
    // Whole columns: store the rows there are, straight from registers.
    storeRow(c, quadBytes, c00, c01, alpha, beta, first, last, bias, act);
    if (mr > 1) storeRow(c + rowBytes, quadBytes, c10, c11, alpha, beta, first, last, bias, act);
    if (mr > 2) storeRow(c + 2 * rowBytes, quadBytes, c20, c21, alpha, beta, first, last, bias, act);
    if (mr > 3) storeRow(c + 3 * rowBytes, quadBytes, c30, c31, alpha, beta, first, last, bias, act);
    return;
  }
  if (nr == 4) {
    // One quad (n % 8 = 4: a matrix's or a convolution's last four columns).
    storeQuad(c, c00, alpha, beta, first, last, bias, act);
    if (mr > 1) storeQuad(c + rowBytes, c10, alpha, beta, first, last, bias, act);
    if (mr > 2) storeQuad(c + 2 * rowBytes, c20, alpha, beta, first, last, bias, act);
    if (mr > 3) storeQuad(c + 3 * rowBytes, c30, alpha, beta, first, last, bias, act);
    return;
  }
  // Other widths: park the accumulators in this thread's tile scratch, store what fits.
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  storeTile(c, rowBytes, quadBytes, tile, mr, nr, alpha, beta, first, last, bias, act);
}

// The epilogue element by element, from accumulators parked in the tile scratch
// (rows NR floats apart): for tiles cut short by the matrix's right edge.
function storeTile(c: usize, rowBytes: usize, quadBytes: usize, tile: usize, mr: i32, nr: i32, alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32): void {
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const at = c + <usize>i * rowBytes + <usize>(j >> 2) * quadBytes + (<usize>(j & 3) << 2);
      let v = alpha * load<f32>(tile + ((<usize>(i * NR + j)) << 2));
      if (!first) v += load<f32>(at);
      else if (beta != 0) v += beta * load<f32>(at);
      if (last) {
        if (bias) v += load<f32>(bias + (<usize>j << 2));
        v = activateScalar(v, act);
      }
      store<f32>(at, v);
    }
  }
}

// One row of C (m = 1, a matrix-vector product, or a last single row): the 4×8 tile
// would waste three quarters of its work. Each k of an unroll by four goes to its own
// pair of accumulators, so the chains of dependent multiply-adds overlap; they are
// summed at the end (the order differs from the 4×8 tile's, within the same error bound).
// Two copies: V8 before 12 (src/platform.ts, defaultKernels) puts the twelve loads of a
// turn ahead of the arithmetic and spills eight accumulators, so there `few` keeps four
// (even and odd k). Elsewhere eight run faster (docs/decisions/engine-variants.md).
export function microkernel1(
  kc: i32, a: usize, b: usize, c: usize, nr: i32,
  alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32, tile: usize,
): void {
  rowKernel(kc, a, b, c, nr, alpha, beta, first, last, bias, act, tile, false);
}

export function microkernel1Few(
  kc: i32, a: usize, b: usize, c: usize, nr: i32,
  alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32, tile: usize,
): void {
  rowKernel(kc, a, b, c, nr, alpha, beta, first, last, bias, act, tile, true);
}

@inline function rowKernel(
  kc: i32, a: usize, b: usize, c: usize, nr: i32,
  alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32, tile: usize, few: bool,
): void {
  let x0 = f32x4.splat(0), x1 = x0, y0 = x0, y1 = x0, z0 = x0, z1 = x0, w0 = x0, w1 = x0;
  let pa = a;
  let pb = b;
  const a4End = a + (<usize>(kc & ~3) << 4);
  while (pa < a4End) {
    // A's panel holds MR values per k; only the first is this row's.
    const s0 = v128.load32_splat(pa);
    const s1 = v128.load32_splat(pa, 16);
    x0 = madd(s0, v128.load(pb), x0);
    x1 = madd(s0, v128.load(pb, 16), x1);
    y0 = madd(s1, v128.load(pb, 32), y0);
    y1 = madd(s1, v128.load(pb, 48), y1);
    const s2 = v128.load32_splat(pa, 32);
    const s3 = v128.load32_splat(pa, 48);
    if (few) {
      x0 = madd(s2, v128.load(pb, 64), x0);
      x1 = madd(s2, v128.load(pb, 80), x1);
      y0 = madd(s3, v128.load(pb, 96), y0);
      y1 = madd(s3, v128.load(pb, 112), y1);
    } else {
      z0 = madd(s2, v128.load(pb, 64), z0);
      z1 = madd(s2, v128.load(pb, 80), z1);
      w0 = madd(s3, v128.load(pb, 96), w0);
      w1 = madd(s3, v128.load(pb, 112), w1);
    }
    pa += 4 * MR * 4;
    pb += 4 * NR * 4;
  }
  const aEnd = a + (<usize>kc << 4);
  while (pa < aEnd) {
    const s0 = v128.load32_splat(pa);
    x0 = madd(s0, v128.load(pb), x0);
    x1 = madd(s0, v128.load(pb, 16), x1);
    pa += MR * 4;
    pb += NR * 4;
  }
  const r0 = few ? f32x4.add(x0, y0) : f32x4.add(f32x4.add(x0, y0), f32x4.add(z0, w0));
  const r1 = few ? f32x4.add(x1, y1) : f32x4.add(f32x4.add(x1, y1), f32x4.add(z1, w1));
  if (nr == NR) {
    storeRow(c, 16, r0, r1, alpha, beta, first, last, bias, act);
    return;
  }
  v128.store(tile, r0);
  v128.store(tile, r1, 16);
  storeTile(c, 0, 16, tile, 1, nr, alpha, beta, first, last, bias, act);
}
