// The convolution microkernel: a 4-pixel × 8-channel tile over NC4HW4 data.
//
// GEMM's 4×8 tile with A read the way NC4HW4 stores it: per k-quad (four input
// channels), four pixels' v128s side by side, 64 bytes. Each lane is broadcast straight
// from memory (load32_splat, a load-port broadcast, no shuffle), so A needs no transpose:
// a 1×1 convolution reads its input in place (k-quads a channel plane apart) and im2col
// packing is plain v128 copies (k-quads 64 bytes apart). B is GEMM's packed panel, k-major,
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
    let b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 16);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 32);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 48);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    b0 = v128.load(pb, 32); b1 = v128.load(pb, 48);
    x = v128.load32_splat(pa, 4);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 20);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 36);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 52);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    b0 = v128.load(pb, 64); b1 = v128.load(pb, 80);
    x = v128.load32_splat(pa, 8);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 24);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 40);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 56);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);

    b0 = v128.load(pb, 96); b1 = v128.load(pb, 112);
    x = v128.load32_splat(pa, 12);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa, 28);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa, 44);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa, 60);
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
