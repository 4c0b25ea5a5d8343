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
//      K = kw·kh ≤ 256: ((s + delta) · mul) >> 23 (its 16-bit ColumnSum's fixed point);
//      K > 256: round-half-even(s · (1/K)) in f64 (its 32-bit ColumnSum, scalar in OpenCV.js);
//      normalize false: min(s, 255).
// Integer sums are exact, so every band split gives the same bytes.
import {
  BOX_F64, BOX_FIXED, BOX_SUM, FiltersBoxArgs as A, THRESH_BINARY_INV, THRESH_NONE,
} from "../runtime/schema.gen";
import { borderIndex, rowAddress } from "./filters-border";

export function filtersBoxGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const width = A.width(ctrl), height = A.height(ctrl), cn = A.cn(ctrl);
  const kw = A.kw(ctrl), kh = A.kh(ctrl), ax = A.ax(ctrl), ay = A.ay(ctrl);
  const border = A.border(ctrl), constRow = A.constRow(ctrl);
  const src = A.src(ctrl), srcStride = A.srcStride(ctrl);
  const rows = A.rows(ctrl);
  const y0 = group * rows, y1 = min(height, y0 + rows);
  const n = width * cn; // elements per row
  const ext = ((width + kw) * cn + 3) & ~3; // E's elements, a whole number of vectors
  const E = A.scratch(ctrl) + <usize>tid * A.scratchStride(ctrl);
  const P = E + (<usize>ext << 2);
  const sums = E + (<usize>((ax + 1) * cn) << 2); // the image's columns within E

  // The band's first window.
  memory.fill(sums, 0, <usize>n << 2);
  for (let j = 0; j < kh; j++) addRow(sums, rowAddress(y0 - ay + j, height, border, src, srcStride, constRow), n);

  const mode = A.scale(ctrl), thresh = A.thresh(ctrl);
  for (let y = y0; y < y1; y++) {
    if (y > y0) {
      const enter = rowAddress(y + kh - 1 - ay, height, border, src, srcStride, constRow);
      const leave = rowAddress(y - 1 - ay, height, border, src, srcStride, constRow);
      moveRow(sums, enter, leave, n);
    }
    margins(E, width, cn, ax, kw, border, A.value(ctrl) * kh);
    if (cn == 1) prefixRow(E, P, ext, 1);
    else if (cn == 2) prefixRow(E, P, ext, 2);
    else if (cn == 3) prefixRow(E, P, ext, 3);
    else prefixRow(E, P, ext, 4);
    const dst = A.dst(ctrl) + <usize>y * A.dstStride(ctrl);
    const own = src + <usize>y * srcStride;
    if (thresh == THRESH_NONE) {
      if (mode == BOX_FIXED) outputRow(ctrl, P, dst, own, n, kw * cn, BOX_FIXED, false);
      else if (mode == BOX_F64) outputRow(ctrl, P, dst, own, n, kw * cn, BOX_F64, false);
      else outputRow(ctrl, P, dst, own, n, kw * cn, BOX_SUM, false);
    } else {
      if (mode == BOX_FIXED) outputRow(ctrl, P, dst, own, n, kw * cn, BOX_FIXED, true);
      else outputRow(ctrl, P, dst, own, n, kw * cn, BOX_F64, true);
    }
  }
}

/** sums[i] += row[i] for n bytes. */
function addRow(sums: usize, row: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(row + i);
    const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
    const s = sums + (<usize>i << 2);
    v128.store(s, i32x4.add(v128.load(s), i32x4.extend_low_i16x8_u(lo)));
    v128.store(s, i32x4.add(v128.load(s, 16), i32x4.extend_high_i16x8_u(lo)), 16);
    v128.store(s, i32x4.add(v128.load(s, 32), i32x4.extend_low_i16x8_u(hi)), 32);
    v128.store(s, i32x4.add(v128.load(s, 48), i32x4.extend_high_i16x8_u(hi)), 48);
  }
  for (; i < n; i++) {
    const s = sums + (<usize>i << 2);
    store<i32>(s, load<i32>(s) + <i32>load<u8>(row + i));
  }
}

/** sums[i] += enter[i] − leave[i] for n bytes: the window moves one row down. */
function moveRow(sums: usize, enter: usize, leave: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const a = v128.load(enter + i), b = v128.load(leave + i);
    const lo = i16x8.sub(i16x8.extend_low_i8x16_u(a), i16x8.extend_low_i8x16_u(b));
    const hi = i16x8.sub(i16x8.extend_high_i8x16_u(a), i16x8.extend_high_i8x16_u(b));
    const s = sums + (<usize>i << 2);
    v128.store(s, i32x4.add(v128.load(s), i32x4.extend_low_i16x8_s(lo)));
    v128.store(s, i32x4.add(v128.load(s, 16), i32x4.extend_high_i16x8_s(lo)), 16);
    v128.store(s, i32x4.add(v128.load(s, 32), i32x4.extend_low_i16x8_s(hi)), 32);
    v128.store(s, i32x4.add(v128.load(s, 48), i32x4.extend_high_i16x8_s(hi)), 48);
  }
  for (; i < n; i++) {
    const s = sums + (<usize>i << 2);
    store<i32>(s, load<i32>(s) + <i32>load<u8>(enter + i) - <i32>load<u8>(leave + i));
  }
}

/**
 * E's border columns: pixel 0 (x = −ax − 1) zeros, then x = −ax … −1 and width …
 * width + kw − ax − 2 as the border maps them (a constant column sums to value · kh).
 */
function margins(E: usize, width: i32, cn: i32, ax: i32, kw: i32, border: i32, constSum: i32): void {
  const sums = E + (<usize>((ax + 1) * cn) << 2);
  for (let c = 0; c < cn; c++) store<i32>(E + (<usize>c << 2), 0);
  for (let x = -ax; x < width + kw - 1 - ax; x++) {
    if (x == 0) x = width;
    if (x >= width + kw - 1 - ax) break;
    const from = borderIndex(x, width, border);
    const to = sums + (<usize>(x * cn) << 2);
    for (let c = 0; c < cn; c++) store<i32>(to + (<usize>c << 2), from < 0 ? constSum : load<i32>(sums + (<usize>(from * cn + c) << 2)));
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

/** Four window sums as pixels, OpenCV's way for `mode`. */
@inline function scale4(s: v128, mode: i32, delta: v128, mul: v128, inv: v128): v128 {
  if (mode == BOX_FIXED) return i32x4.shr_u(i32x4.mul(i32x4.add(s, delta), mul), 23);
  if (mode == BOX_F64) {
    const lo = f64x2.nearest(f64x2.mul(f64x2.convert_low_i32x4_s(s), inv));
    const hi = f64x2.nearest(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(s, s, 2, 3, 2, 3)), inv));
    return i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5);
  }
  return i32x4.min_s(s, i32x4.splat(255));
}

@inline function scale1(s: i32, mode: i32, delta: i32, mul: i32, inv: f64): i32 {
  if (mode == BOX_FIXED) return <i32>((<u32>(s + delta) * <u32>mul) >> 23);
  if (mode == BOX_F64) return <i32>nearest<f64>(<f64>s * inv);
  return min(s, 255);
}

/**
 * One output row from P: the window sums, scaled; with `thresh`, adaptiveThreshold's
 * maxValue where src − mean > −threshDelta (binaryInv: where not), else 0.
 */
@inline function outputRow(ctrl: usize, P: usize, dst: usize, own: usize, n: i32, span: i32, mode: i32, thresh: bool): void {
  const kk = A.kw(ctrl) * A.kh(ctrl);
  const delta = A.delta(ctrl), mul = A.mul(ctrl), inv = 1.0 / <f64>kk;
  const deltaV = i32x4.splat(delta), mulV = i32x4.splat(mul), invV = f64x2.splat(inv);
  const limit = -A.threshDelta(ctrl), maxValue = A.maxValue(ctrl);
  const flip = A.thresh(ctrl) == THRESH_BINARY_INV;
  const limitV = i32x4.splat(limit), maxV = i32x4.splat(maxValue), flipV = i32x4.splat(flip ? -1 : 0);
  const far = P + (<usize>span << 2);
  let e = 0;
  for (; e + 16 <= n; e += 16) {
    const o = <usize>e << 2;
    let m0 = scale4(i32x4.sub(v128.load(far + o), v128.load(P + o)), mode, deltaV, mulV, invV);
    let m1 = scale4(i32x4.sub(v128.load(far + o, 16), v128.load(P + o, 16)), mode, deltaV, mulV, invV);
    let m2 = scale4(i32x4.sub(v128.load(far + o, 32), v128.load(P + o, 32)), mode, deltaV, mulV, invV);
    let m3 = scale4(i32x4.sub(v128.load(far + o, 48), v128.load(P + o, 48)), mode, deltaV, mulV, invV);
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
    let m = scale1(load<i32>(far + o) - load<i32>(P + o), mode, delta, mul, inv);
    if (thresh) m = (<i32>load<u8>(own + e) - m > limit) != flip ? maxValue : 0;
    store<u8>(dst + e, <u8>m);
  }
}
