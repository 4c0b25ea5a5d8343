// The 8-bit box filter in constant time per pixel, with OpenCV's rounding (cv.blur), and
// adaptiveThreshold's mean fused with its comparison.
//
// A work-group is a band of output rows. It keeps one row of column sums (i32): the sums
// over the kh source rows of the window, started at the band's first row and then moved
// one row down at a time (add the row entering, subtract the row leaving: sixteen bytes
// widen, subtract in i16, widen and add in i32). Each output row then
//   1. extends the column sums by the border's columns (ax + 1 pixels before the image,
//      the first of them zeros, kw − 1 − ax after), in the same buffer E;
//   2. takes the prefix P of E along the row per channel (a lane prefix by shift-and-add
//      and the previous vector's last pixel as the carry);
//   3. writes pixel x as P[x + kw] − P[x] (E's pixel indices): the window's sum, in two
//      loads and a subtraction whatever the window's size, then scales it as OpenCV does:
//      K = kw·kh ≤ 256: ((s + delta) · mul) >> 23 (its 16-bit ColumnSum's fixed point),
//      cast to 8 bits as OpenCV does (K = 2 wraps two 255s to 0);
//      K > 256: round-half-even(s · (1/K)) in f64 (its 32-bit ColumnSum, scalar in OpenCV.js);
//      normalize false: min(s, 255).
// K ≤ 256 runs all of it in u16 lanes, eight to a vector (band<u16>, the *16 helpers); larger
// windows in i32 lanes. Integer sums are exact, so every band split gives the same bytes.
import {
  BOX_F64, BOX_FIXED, BOX_SUM, FiltersBoxArgs as A, THRESH_BINARY_INV, THRESH_NONE,
} from "../runtime/schema.gen";
import { fillMargins, rowAddress } from "./filters-border";

export function filtersBoxGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const rows = A.rows(ctrl);
  const y0 = group * rows, y1 = min(A.height(ctrl), y0 + rows);
  if (A.narrow(ctrl)) band<u16>(ctrl, tid, y0, y1);
  else band<i32>(ctrl, tid, y0, y1);
}

/** Output rows [y0, y1) with sums in lanes of T: i32, or u16 for K ≤ 256. */
@inline function band<T>(ctrl: usize, tid: i32, y0: i32, y1: i32): void {
  const narrow = sizeof<T>() == 2;
  const width = A.width(ctrl), height = A.height(ctrl), cn = A.cn(ctrl);
  const kw = A.kw(ctrl), kh = A.kh(ctrl), ax = A.ax(ctrl), ay = A.ay(ctrl);
  const border = A.border(ctrl), constRow = A.constRow(ctrl);
  const src = A.src(ctrl), srcStride = A.srcStride(ctrl);
  const n = width * cn; // elements per row
  const lanes = narrow ? 8 : 4;
  const ext = ((width + kw) * cn + lanes - 1) & ~(lanes - 1); // E's elements, a whole number of vectors
  const E = A.scratch(ctrl) + <usize>tid * A.scratchStride(ctrl);
  const P = E + <usize>ext * sizeof<T>();
  const sums = E + <usize>((ax + 1) * cn) * sizeof<T>(); // the image's columns within E

  // The band's first window.
  memory.fill(sums, 0, <usize>n * sizeof<T>());
  for (let j = 0; j < kh; j++) {
    const row = rowAddress(y0 - ay + j, height, border, src, srcStride, constRow);
    if (narrow) addRows16(sums, row, 0, n, true);
    else addRows(sums, row, 0, n, true);
  }
  const mode = A.scale(ctrl), thresh = A.thresh(ctrl) != THRESH_NONE;
  for (let y = y0; y < y1; y++) {
    if (y > y0) {
      const enter = rowAddress(y + kh - 1 - ay, height, border, src, srcStride, constRow);
      const leave = rowAddress(y - 1 - ay, height, border, src, srcStride, constRow);
      if (narrow) addRows16(sums, enter, leave, n, false);
      else addRows(sums, enter, leave, n, false);
    }
    // E's border columns: pixel 0 (x = −ax − 1) zeros, then x = −ax … −1 and width …
    // width + kw − ax − 2 as the border maps them (a constant column sums to value · kh).
    for (let c = 0; c < cn; c++) store<T>(E + <usize>c * sizeof<T>(), 0);
    fillMargins<T>(sums, width, cn, ax, kw - 1 - ax, border, <T>(A.value(ctrl) * kh));
    if (narrow) {
      if (cn == 1) prefixRow16(E, P, ext, 1);
      else if (cn == 2) prefixRow16(E, P, ext, 2);
      else if (cn == 3) prefixRow16(E, P, ext, 3);
      else prefixRow16(E, P, ext, 4);
    } else {
      if (cn == 1) prefixRow(E, P, ext, 1);
      else if (cn == 2) prefixRow(E, P, ext, 2);
      else if (cn == 3) prefixRow(E, P, ext, 3);
      else prefixRow(E, P, ext, 4);
    }
    const dst = A.dst(ctrl) + <usize>y * A.dstStride(ctrl);
    const own = src + <usize>y * srcStride;
    const span = kw * cn;
    if (narrow) {
      // BOX_FIXED, or BOX_SUM: normalize false, or K = 1 (adaptiveThreshold's on a one-pixel image).
      if (mode == BOX_FIXED) {
        if (thresh) outputRow16(ctrl, P, dst, own, n, span, BOX_FIXED, true);
        else outputRow16(ctrl, P, dst, own, n, span, BOX_FIXED, false);
      } else {
        if (thresh) outputRow16(ctrl, P, dst, own, n, span, BOX_SUM, true);
        else outputRow16(ctrl, P, dst, own, n, span, BOX_SUM, false);
      }
    } else {
      // K > 256: the f64 rounding, or the sum; adaptiveThreshold's is a mean.
      if (thresh) outputRow(ctrl, P, dst, own, n, span, BOX_F64, true);
      else if (mode == BOX_F64) outputRow(ctrl, P, dst, own, n, span, BOX_F64, false);
      else outputRow(ctrl, P, dst, own, n, span, BOX_SUM, false);
    }
  }
}

/**
 * sums[i] += enter[i] − leave[i] for n bytes (the window moves one row down), or with
 * `fresh`, sums[i] += enter[i] (a row of the band's first window).
 */
@inline function addRows(sums: usize, enter: usize, leave: usize, n: i32, fresh: bool): void {
  let i = 0;
  const zero = i16x8.splat(0);
  for (; i + 16 <= n; i += 16) {
    const a = v128.load(enter + i), b = fresh ? zero : v128.load(leave + i);
    const lo = i16x8.sub(i16x8.extend_low_i8x16_u(a), fresh ? zero : i16x8.extend_low_i8x16_u(b));
    const hi = i16x8.sub(i16x8.extend_high_i8x16_u(a), fresh ? zero : i16x8.extend_high_i8x16_u(b));
    const s = sums + (<usize>i << 2);
    v128.store(s, i32x4.add(v128.load(s), i32x4.extend_low_i16x8_s(lo)));
    v128.store(s, i32x4.add(v128.load(s, 16), i32x4.extend_high_i16x8_s(lo)), 16);
    v128.store(s, i32x4.add(v128.load(s, 32), i32x4.extend_low_i16x8_s(hi)), 32);
    v128.store(s, i32x4.add(v128.load(s, 48), i32x4.extend_high_i16x8_s(hi)), 48);
  }
  for (; i < n; i++) {
    const s = sums + (<usize>i << 2);
    store<i32>(s, load<i32>(s) + <i32>load<u8>(enter + i) - (fresh ? 0 : <i32>load<u8>(leave + i)));
  }
}

/** P = the prefix of E along the row, per channel (count elements, a multiple of 4). */
@inline function prefixRow(E: usize, P: usize, count: i32, cn: i32): void {
  const z = i32x4.splat(0);
  let prev = z;
  for (let i = 0; i < count; i += 4) {
    let q = v128.load(E + (<usize>i << 2));
    if (cn == 1) {
      q = i32x4.add(q, i32x4.shuffle(z, q, 3, 4, 5, 6));
      q = i32x4.add(q, i32x4.shuffle(z, q, 2, 3, 4, 5));
      q = i32x4.add(q, i32x4.shuffle(prev, prev, 3, 3, 3, 3));
    } else if (cn == 2) {
      q = i32x4.add(q, i32x4.shuffle(z, q, 2, 3, 4, 5));
      q = i32x4.add(q, i32x4.shuffle(prev, prev, 2, 3, 2, 3));
    } else if (cn == 3) {
      // The element three back: in this vector (lane 3 from lane 0), or the previous one's.
      q = i32x4.add(q, i32x4.shuffle(z, q, 1, 2, 3, 4));
      q = i32x4.add(q, i32x4.shuffle(prev, prev, 1, 2, 3, 1));
    } else {
      q = i32x4.add(q, prev);
    }
    v128.store(P + (<usize>i << 2), q);
    prev = q;
  }
}

/** Four window sums (K > 256) as pixels, OpenCV's way for `mode`. */
@inline function scale4(s: v128, mode: i32, inv: v128): v128 {
  if (mode == BOX_F64) {
    const lo = f64x2.nearest(f64x2.mul(f64x2.convert_low_i32x4_s(s), inv));
    const hi = f64x2.nearest(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(s, s, 2, 3, 2, 3)), inv));
    return i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5);
  }
  return i32x4.min_s(s, i32x4.splat(255));
}

@inline function scale1(s: i32, mode: i32, delta: i32, mul: i32, inv: f64): i32 {
  // OpenCV casts the fixed point's result to uchar: K = 2 makes 256 of two 255s, stored as 0.
  if (mode == BOX_FIXED) return <i32>(((<u32>(s + delta) * <u32>mul) >> 23) & 255);
  if (mode == BOX_F64) return <i32>nearest<f64>(<f64>s * inv);
  return min(s, 255);
}

/**
 * One output row from P: the window sums, scaled; with `thresh`, adaptiveThreshold's
 * maxValue where src − mean > −threshDelta (binaryInv: where not), else 0.
 */
@inline function outputRow(ctrl: usize, P: usize, dst: usize, own: usize, n: i32, span: i32, mode: i32, thresh: bool): void {
  const kk = A.kw(ctrl) * A.kh(ctrl);
  const inv = 1.0 / <f64>kk, invV = f64x2.splat(inv);
  const limit = -A.threshDelta(ctrl), maxValue = A.maxValue(ctrl);
  const flip = A.thresh(ctrl) == THRESH_BINARY_INV;
  const limitV = i32x4.splat(limit), maxV = i32x4.splat(maxValue), flipV = i32x4.splat(flip ? -1 : 0);
  const far = P + (<usize>span << 2);
  let e = 0;
  for (; e + 16 <= n; e += 16) {
    const o = <usize>e << 2;
    let m0 = scale4(i32x4.sub(v128.load(far + o), v128.load(P + o)), mode, invV);
    let m1 = scale4(i32x4.sub(v128.load(far + o, 16), v128.load(P + o, 16)), mode, invV);
    let m2 = scale4(i32x4.sub(v128.load(far + o, 32), v128.load(P + o, 32)), mode, invV);
    let m3 = scale4(i32x4.sub(v128.load(far + o, 48), v128.load(P + o, 48)), mode, invV);
    if (thresh) {
      const v = v128.load(own + e);
      const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
      m0 = v128.and(v128.xor(i32x4.gt_s(i32x4.sub(i32x4.extend_low_i16x8_u(lo), m0), limitV), flipV), maxV);
      m1 = v128.and(v128.xor(i32x4.gt_s(i32x4.sub(i32x4.extend_high_i16x8_u(lo), m1), limitV), flipV), maxV);
      m2 = v128.and(v128.xor(i32x4.gt_s(i32x4.sub(i32x4.extend_low_i16x8_u(hi), m2), limitV), flipV), maxV);
      m3 = v128.and(v128.xor(i32x4.gt_s(i32x4.sub(i32x4.extend_high_i16x8_u(hi), m3), limitV), flipV), maxV);
    }
    v128.store(dst + e, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3)));
  }
  for (; e < n; e++) {
    const o = <usize>e << 2;
    let m = scale1(load<i32>(far + o) - load<i32>(P + o), mode, 0, 0, inv);
    if (thresh) m = (<i32>load<u8>(own + e) - m > limit) != flip ? maxValue : 0;
    store<u8>(dst + e, <u8>m);
  }
}

// --- K ≤ 256: the same in u16 lanes, eight to a vector. Column sums (≤ 255·kh) and window
// sums (≤ 255·K ≤ 65280) fit, and the prefix wraps modulo 2¹⁶, which its differences undo.

/** addRows in u16 lanes. */
@inline function addRows16(sums: usize, enter: usize, leave: usize, n: i32, fresh: bool): void {
  let i = 0;
  const zero = i16x8.splat(0);
  for (; i + 16 <= n; i += 16) {
    const a = v128.load(enter + i), b = fresh ? zero : v128.load(leave + i);
    const s = sums + (<usize>i << 1);
    v128.store(s, i16x8.add(v128.load(s), i16x8.sub(i16x8.extend_low_i8x16_u(a), fresh ? zero : i16x8.extend_low_i8x16_u(b))));
    v128.store(s, i16x8.add(v128.load(s, 16), i16x8.sub(i16x8.extend_high_i8x16_u(a), fresh ? zero : i16x8.extend_high_i8x16_u(b))), 16);
  }
  for (; i < n; i++) {
    const s = sums + (<usize>i << 1);
    store<u16>(s, <u16>(<i32>load<u16>(s) + <i32>load<u8>(enter + i) - (fresh ? 0 : <i32>load<u8>(leave + i))));
  }
}

/** prefixRow in u16 lanes (count a multiple of 8). */
@inline function prefixRow16(E: usize, P: usize, count: i32, cn: i32): void {
  const z = i16x8.splat(0);
  let prev = z;
  for (let i = 0; i < count; i += 8) {
    let q = v128.load(E + (<usize>i << 1));
    if (cn == 1) {
      q = i16x8.add(q, i16x8.shuffle(z, q, 7, 8, 9, 10, 11, 12, 13, 14));
      q = i16x8.add(q, i16x8.shuffle(z, q, 6, 7, 8, 9, 10, 11, 12, 13));
      q = i16x8.add(q, i16x8.shuffle(z, q, 4, 5, 6, 7, 8, 9, 10, 11));
      q = i16x8.add(q, i16x8.shuffle(prev, prev, 7, 7, 7, 7, 7, 7, 7, 7));
    } else if (cn == 2) {
      q = i16x8.add(q, i16x8.shuffle(z, q, 6, 7, 8, 9, 10, 11, 12, 13));
      q = i16x8.add(q, i16x8.shuffle(z, q, 4, 5, 6, 7, 8, 9, 10, 11));
      q = i16x8.add(q, i16x8.shuffle(prev, prev, 6, 7, 6, 7, 6, 7, 6, 7));
    } else if (cn == 3) {
      q = i16x8.add(q, i16x8.shuffle(z, q, 5, 6, 7, 8, 9, 10, 11, 12));
      q = i16x8.add(q, i16x8.shuffle(z, q, 2, 3, 4, 5, 6, 7, 8, 9));
      q = i16x8.add(q, i16x8.shuffle(prev, prev, 5, 6, 7, 5, 6, 7, 5, 6));
    } else {
      q = i16x8.add(q, i16x8.shuffle(z, q, 4, 5, 6, 7, 8, 9, 10, 11));
      q = i16x8.add(q, i16x8.shuffle(prev, prev, 4, 5, 6, 7, 4, 5, 6, 7));
    }
    v128.store(P + (<usize>i << 1), q);
    prev = q;
  }
}

/** outputRow in u16 lanes: BOX_FIXED (with or without the threshold) or BOX_SUM. */
@inline function outputRow16(ctrl: usize, P: usize, dst: usize, own: usize, n: i32, span: i32, mode: i32, thresh: bool): void {
  const delta = A.delta(ctrl), mul = A.mul(ctrl);
  const deltaV = i16x8.splat(<i16>delta), mulV = i32x4.splat(mul), top = i16x8.splat(255);
  const limit = -A.threshDelta(ctrl), maxValue = A.maxValue(ctrl);
  const flip = A.thresh(ctrl) == THRESH_BINARY_INV;
  const limitV = i16x8.splat(<i16>limit), maxV = i16x8.splat(<i16>maxValue), flipV = i16x8.splat(flip ? -1 : 0);
  const far = P + (<usize>span << 1);
  let e = 0;
  for (; e + 16 <= n; e += 16) {
    const o = <usize>e << 1;
    let s0 = i16x8.sub(v128.load(far + o), v128.load(P + o)), s1 = i16x8.sub(v128.load(far + o, 16), v128.load(P + o, 16));
    if (mode == BOX_FIXED) {
      s0 = i16x8.add(s0, deltaV);
      s1 = i16x8.add(s1, deltaV);
      s0 = i16x8.narrow_i32x4_s(
        i32x4.shr_u(i32x4.mul(i32x4.extend_low_i16x8_u(s0), mulV), 23), i32x4.shr_u(i32x4.mul(i32x4.extend_high_i16x8_u(s0), mulV), 23));
      s1 = i16x8.narrow_i32x4_s(
        i32x4.shr_u(i32x4.mul(i32x4.extend_low_i16x8_u(s1), mulV), 23), i32x4.shr_u(i32x4.mul(i32x4.extend_high_i16x8_u(s1), mulV), 23));
      s0 = v128.and(s0, top); // OpenCV's uchar cast (K = 2 reaches 256)
      s1 = v128.and(s1, top);
    } else {
      s0 = i16x8.min_u(s0, top);
      s1 = i16x8.min_u(s1, top);
    }
    if (thresh) {
      const v = v128.load(own + e);
      s0 = v128.and(v128.xor(i16x8.gt_s(i16x8.sub(i16x8.extend_low_i8x16_u(v), s0), limitV), flipV), maxV);
      s1 = v128.and(v128.xor(i16x8.gt_s(i16x8.sub(i16x8.extend_high_i8x16_u(v), s1), limitV), flipV), maxV);
    }
    v128.store(dst + e, i8x16.narrow_i16x8_u(s0, s1));
  }
  for (; e < n; e++) {
    const o = <usize>e << 1;
    const s = <i32>(<u16>(load<u16>(far + o) - load<u16>(P + o)));
    let m = scale1(s, mode, delta, mul, 0);
    if (thresh) m = (<i32>load<u8>(own + e) - m > limit) != flip ? maxValue : 0;
    store<u8>(dst + e, <u8>m);
  }
}
