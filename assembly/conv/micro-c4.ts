// The convolution microkernel: a 4-pixel × 8-channel tile over NC4HW4 data.
//
// GEMM's 4×8 tile with A read the way NC4HW4 stores it: per k-quad (four input
// channels), four pixels' v128s side by side, 64 bytes. Each lane is broadcast with a
// shuffle of its pixel's v128, so A needs no transpose: a 1×1 convolution reads its input
// in place (k-quads a channel plane apart) and im2col packing is plain v128 copies
// (k-quads 64 bytes apart). The pixel's v128 is loaded again for each lane: four of them
// held across the lanes would need 15 registers with the accumulators and spill, and
// v128.load32_splat, which looks made for this, measured a third slower on V8
// (30 against 45 GFLOP/s on one core, the same tile from L1/L2). B is GEMM's packed panel, k-major,
// eight output channels wide. The result goes out as NC4HW4 too: a tile row is one
// pixel, its two quads a channel plane apart.
import { madd, storeQuad, storeRow } from "../gemm/micro";

// kq k-quads; A at a, aStep bytes between k-quads; B panel at b (kq·4 rows of 8 floats).
// C: pixel i of the tile at c + 16·i, its second quad at + quadBytes. mr pixels and nr
// channels (8, or 4 at a group's last half-panel) are stored.
export function microkernelC4(
  kq: i32, a: usize, aStep: usize, b: usize, c: usize, quadBytes: usize, mr: i32, nr: i32,
  first: bool, last: bool, bias: usize, act: i32,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let pa = a;
  let pb = b;
  for (let q = 0; q < kq; q++) {
    let b0 = v128.load(pb); let b1 = v128.load(pb, 16);
    let v = v128.load(pa); let x = i32x4.shuffle(v, v, 0, 0, 0, 0);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    v = v128.load(pa, 16); x = i32x4.shuffle(v, v, 0, 0, 0, 0);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    v = v128.load(pa, 32); x = i32x4.shuffle(v, v, 0, 0, 0, 0);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    v = v128.load(pa, 48); x = i32x4.shuffle(v, v, 0, 0, 0, 0);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    b0 = v128.load(pb, 32); b1 = v128.load(pb, 48);
    v = v128.load(pa); x = i32x4.shuffle(v, v, 1, 1, 1, 1);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    v = v128.load(pa, 16); x = i32x4.shuffle(v, v, 1, 1, 1, 1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    v = v128.load(pa, 32); x = i32x4.shuffle(v, v, 1, 1, 1, 1);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    v = v128.load(pa, 48); x = i32x4.shuffle(v, v, 1, 1, 1, 1);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    b0 = v128.load(pb, 64); b1 = v128.load(pb, 80);
    v = v128.load(pa); x = i32x4.shuffle(v, v, 2, 2, 2, 2);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    v = v128.load(pa, 16); x = i32x4.shuffle(v, v, 2, 2, 2, 2);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    v = v128.load(pa, 32); x = i32x4.shuffle(v, v, 2, 2, 2, 2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    v = v128.load(pa, 48); x = i32x4.shuffle(v, v, 2, 2, 2, 2);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    b0 = v128.load(pb, 96); b1 = v128.load(pb, 112);
    v = v128.load(pa); x = i32x4.shuffle(v, v, 3, 3, 3, 3);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    v = v128.load(pa, 16); x = i32x4.shuffle(v, v, 3, 3, 3, 3);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    v = v128.load(pa, 32); x = i32x4.shuffle(v, v, 3, 3, 3, 3);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    v = v128.load(pa, 48); x = i32x4.shuffle(v, v, 3, 3, 3, 3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    pa += aStep;
    pb += 128;
  }
  if (nr == 8) {
    storeRow(c, quadBytes, c00, c01, 1, 0, first, last, bias, act);
    if (mr > 1) storeRow(c + 16, quadBytes, c10, c11, 1, 0, first, last, bias, act);
    if (mr > 2) storeRow(c + 32, quadBytes, c20, c21, 1, 0, first, last, bias, act);
    if (mr > 3) storeRow(c + 48, quadBytes, c30, c31, 1, 0, first, last, bias, act);
    return;
  }
  storeQuad(c, c00, 1, 0, first, last, bias, act);
  if (mr > 1) storeQuad(c + 16, c10, 1, 0, first, last, bias, act);
  if (mr > 2) storeQuad(c + 32, c20, 1, 0, first, last, bias, act);
  if (mr > 3) storeQuad(c + 48, c30, 1, 0, first, last, bias, act);
}
