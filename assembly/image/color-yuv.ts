// YUV 4:2:0 (I420: three planes; NV12: Y, then interleaved UV) to RGB(A), OpenCV's
// fixed-point BT.601 video range (color_yuv.simd.hpp, COLOR_YUV2RGB_I420 / _NV12):
//   y' = max(Y − 16, 0)·1220542, u = U − 128, v = V − 128
//   R = sat((y' + 2¹⁹ + 1673527·v) >> 20)
//   G = sat((y' + 2¹⁹ − 852492·v − 409993·u) >> 20)
//   B = sat((y' + 2¹⁹ + 2116026·u) >> 20)
// exact in i32. Sixteen pixels at a time: max(Y − 16, 0) is a saturating u8 subtract,
// the eight chroma samples' terms are computed once in i32x4 and each lane doubled for
// the two pixels that share it; the narrowing i32 → i16 → u8 saturates as OpenCV's
// saturate_cast. Planes of odd size round up (chroma ⌈w/2⌉ × ⌈h/2⌉), as VideoFrame's.
import { ColorYuvArgs } from "../runtime/schema.gen";

const CY = 1220542, CUB = 2116026, CUG = -409993, CVG = -852492, CVR = 1673527;
const HALF = 1 << 19;

@inline function rgbScalar(yv: i32, u: i32, v: i32, q: usize, dcn: i32, swap: bool): void {
  const y = max(0, yv - 16) * CY;
  const uu = u - 128, vv = v - 128;
  const r = (y + HALF + CVR * vv) >> 20;
  const g = (y + HALF + CVG * vv + CUG * uu) >> 20;
  const b = (y + HALF + CUB * uu) >> 20;
  store<u8>(q + (swap ? 2 : 0), <u8>min(255, max(0, r)));
  store<u8>(q + 1, <u8>min(255, max(0, g)));
  store<u8>(q + (swap ? 0 : 2), <u8>min(255, max(0, b)));
  if (dcn == 4) store<u8>(q + 3, 255);
}

// One channel of sixteen pixels: (y' + term) >> 20 saturated to u8, y' in four i32x4, the
// chroma term of eight samples in two (each lane used by two pixels).
@inline function channel(y0: v128, y1: v128, y2: v128, y3: v128, t0: v128, t1: v128): v128 {
  const a = i16x8.narrow_i32x4_s(
    i32x4.shr_s(i32x4.add(y0, i32x4.shuffle(t0, t0, 0, 0, 1, 1)), 20),
    i32x4.shr_s(i32x4.add(y1, i32x4.shuffle(t0, t0, 2, 2, 3, 3)), 20));
  const b = i16x8.narrow_i32x4_s(
    i32x4.shr_s(i32x4.add(y2, i32x4.shuffle(t1, t1, 0, 0, 1, 1)), 20),
    i32x4.shr_s(i32x4.add(y3, i32x4.shuffle(t1, t1, 2, 2, 3, 3)), 20));
  return i8x16.narrow_i16x8_u(a, b);
}

@inline function widen(v: v128, high: bool): v128 {
  return high ? i32x4.extend_high_i16x8_u(v) : i32x4.extend_low_i16x8_u(v);
}

// Sixteen pixels of one row from the chroma terms of their eight samples (R, G, B: two
// i32x4 each, 2¹⁹ included), stored as RGB(A) or BGR(A).
@inline function pixels16(ys: usize, dst: usize, r0: v128, r1: v128, g0: v128, g1: v128, b0: v128, b1: v128, dcn: i32, swap: bool): void {
  const cy = i32x4.splat(CY);
  const yv = i8x16.sub_sat_u(v128.load(ys), i8x16.splat(16));
  const ylo = i16x8.extend_low_i8x16_u(yv), yhi = i16x8.extend_high_i8x16_u(yv);
  const q0 = i32x4.mul(widen(ylo, false), cy), q1 = i32x4.mul(widen(ylo, true), cy);
  const q2 = i32x4.mul(widen(yhi, false), cy), q3 = i32x4.mul(widen(yhi, true), cy);
  const r = channel(q0, q1, q2, q3, r0, r1);
  const g = channel(q0, q1, q2, q3, g0, g1);
  const b = channel(q0, q1, q2, q3, b0, b1);
  const c0 = swap ? b : r, c2 = swap ? r : b;
  if (dcn == 4) {
    const alpha = i32x4.splat(-1);
    const rgLo = i8x16.shuffle(c0, g, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const rgHi = i8x16.shuffle(c0, g, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const baLo = i8x16.shuffle(c2, alpha, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const baHi = i8x16.shuffle(c2, alpha, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    v128.store(dst, i16x8.shuffle(rgLo, baLo, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(dst, i16x8.shuffle(rgLo, baLo, 4, 12, 5, 13, 6, 14, 7, 15), 16);
    v128.store(dst, i16x8.shuffle(rgHi, baHi, 0, 8, 1, 9, 2, 10, 3, 11), 32);
    v128.store(dst, i16x8.shuffle(rgHi, baHi, 4, 12, 5, 13, 6, 14, 7, 15), 48);
  } else {
    // Channels 0 and 1 from (c0, g), then channel 2 from c2 (scripted indices: byte o is pixel o/3, channel o%3).
    const t0 = i8x16.shuffle(c0, g, 0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
    const t1 = i8x16.shuffle(c0, g, 21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
    const t2 = i8x16.shuffle(c0, g, 0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
    v128.store(dst, i8x16.shuffle(t0, c2, 0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15));
    v128.store(dst, i8x16.shuffle(t1, c2, 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15), 16);
    v128.store(dst, i8x16.shuffle(t2, c2, 26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31), 32);
  }
}

// Rows go in pairs where a group holds both rows of a chroma row: its terms are computed once.
export function yuvGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const width = ColorYuvArgs.width(ctrl), rows = ColorYuvArgs.rows(ctrl);
  const yStride = ColorYuvArgs.yStride(ctrl), uvStride = ColorYuvArgs.uvStride(ctrl);
  const step = <usize>ColorYuvArgs.uvStep(ctrl);
  const dstStride = ColorYuvArgs.dstStride(ctrl), dcn = ColorYuvArgs.dcn(ctrl), swap = ColorYuvArgs.swap(ctrl);
  const y0 = group * rows, y1 = min(ColorYuvArgs.height(ctrl), y0 + rows);
  const half = i32x4.splat(HALF), c128 = i32x4.splat(128);
  const cub = i32x4.splat(CUB), cug = i32x4.splat(CUG), cvg = i32x4.splat(CVG), cvr = i32x4.splat(CVR);
  for (let row = y0; row < y1; ) {
    const pair = (row & 1) == 0 && row + 1 < y1;
    const ys = ColorYuvArgs.y(ctrl) + <usize>row * yStride;
    const us = ColorYuvArgs.u(ctrl) + <usize>(row >> 1) * uvStride;
    const vs = ColorYuvArgs.v(ctrl) + <usize>(row >> 1) * uvStride;
    const dst = ColorYuvArgs.dst(ctrl) + <usize>row * dstStride;
    const dstBytes = <usize>dcn << 4; // output bytes of sixteen pixels
    let x = 0;
    for (; x + 16 <= width; x += 16) {
      let u: v128, v: v128;
      if (step == 1) {
        u = i16x8.extend_low_i8x16_u(v128.load64_zero(us + (<usize>x >> 1)));
        v = i16x8.extend_low_i8x16_u(v128.load64_zero(vs + (<usize>x >> 1)));
      } else {
        const uv = v128.load(us + <usize>x); // u v u v …: as i16 lanes, u is the low byte
        u = v128.and(uv, i16x8.splat(0xff));
        v = i16x8.shr_u(uv, 8);
      }
      const u0 = i32x4.sub(widen(u, false), c128), u1 = i32x4.sub(widen(u, true), c128);
      const v0 = i32x4.sub(widen(v, false), c128), v1 = i32x4.sub(widen(v, true), c128);
      const r0 = i32x4.add(half, i32x4.mul(cvr, v0)), r1 = i32x4.add(half, i32x4.mul(cvr, v1));
      const g0 = i32x4.add(half, i32x4.add(i32x4.mul(cvg, v0), i32x4.mul(cug, u0)));
      const g1 = i32x4.add(half, i32x4.add(i32x4.mul(cvg, v1), i32x4.mul(cug, u1)));
      const b0 = i32x4.add(half, i32x4.mul(cub, u0)), b1 = i32x4.add(half, i32x4.mul(cub, u1));
      const d = dst + (<usize>x >> 4) * dstBytes;
      pixels16(ys + <usize>x, d, r0, r1, g0, g1, b0, b1, dcn, swap);
      if (pair) pixels16(ys + yStride + <usize>x, d + dstStride, r0, r1, g0, g1, b0, b1, dcn, swap);
    }
    for (; x < width; x++) {
      const c = <usize>(x >> 1) * step;
      const u = load<u8>(us + c), v = load<u8>(vs + c);
      rgbScalar(load<u8>(ys + <usize>x), u, v, dst + <usize>x * dcn, dcn, swap);
      if (pair) rgbScalar(load<u8>(ys + yStride + <usize>x), u, v, dst + dstStride + <usize>x * dcn, dcn, swap);
    }
    row += pair ? 2 : 1;
  }
}
