// Separable resampling (cl.resize): each output row is a weighted sum of `ky` source
// rows, each of which is first resampled horizontally (a weighted sum of `kx` pixels per
// output value). A work-group is `rows` output rows; the horizontally resampled rows go
// into a ring of `ky` rows in the thread's scratch (slot = source row mod ky: a row's
// taps lie within ky consecutive source rows), so each is computed once per group.
//
// Lanes are output values (pixel × channel), four at a time: the plan writes, per four
// values, the byte offsets of their first taps and, per tap, their four weights; a tap
// steps cn elements. 8-bit taps go in pairs (one i16 dot product sums a pair exactly;
// RGBA takes two pixels per 64-bit load and shuffle). RGBA bilinear shrinking rows by 2
// or more skips the ring: each output pixel comes straight from its two rows (directLinear).
//
// Arithmetic (src/ops/image/resize-plan.ts): RESIZE_FIXED_LINEAR and RESIZE_FIXED are
// cv.resize's 8-bit integer formulas; RESIZE_FLOAT (f32 sources) sums f32 products.
// RESIZE_COLUMNS_FIRST (8-bit sources with many taps: INTER_AREA, antialiasing) turns
// the order around: each output row first sums its ky source rows with i16 weights into
// column sums (two rows and 16 columns a step, no gathers), then resamples that one row in f32.
import { RESIZE_COLUMNS_FIRST, RESIZE_FIXED, RESIZE_FIXED_LINEAR, RESIZE_NEAREST, ResizeArgs } from "../runtime/schema.gen";

/** Four 8-bit elements into the i32 lanes. */
@inline function gatherU8(p0: usize, p1: usize, p2: usize, p3: usize): v128 {
  let v = i32x4.splat(0);
  v = v128.load8_lane(p0, v, 0);
  v = v128.load8_lane(p1, v, 4);
  v = v128.load8_lane(p2, v, 8);
  v = v128.load8_lane(p3, v, 12);
  return v;
}

@inline function gatherF32(p0: usize, p1: usize, p2: usize, p3: usize): v128 {
  let v = v128.load32_zero(p0);
  v = v128.load32_lane(p1, v, 1);
  v = v128.load32_lane(p2, v, 2);
  v = v128.load32_lane(p3, v, 3);
  return v;
}

// Element kinds a horizontal pass reads.
const ELEM_U8 = 0;
const ELEM_F32 = 1;

/**
 * One row resampled horizontally into `out`, per four values: 8-bit elements into i32
 * sums of integer weights, f32 elements (an f32 source, or column sums) into f32 sums.
 */
@inline function horizontal(ctrl: usize, s: usize, out: usize, groups: i32, elem: i32): void {
  const cn = ResizeArgs.cn(ctrl);
  const kx = ResizeArgs.kx(ctrl);
  let xofs = ResizeArgs.xofs(ctrl);
  let w = ResizeArgs.xw(ctrl);
  const end = out + (<usize>groups << 4);
  if (elem == ELEM_U8 && ResizeArgs.pairs(ctrl)) {
    horizontalPairs(s, out, end, xofs, w, cn, kx);
    return;
  }
  if (cn == 4) {
    // One pixel per group: its four channels are adjacent.
    for (; out < end; out += 16, xofs += 16) {
      let p = s + <usize>load<i32>(xofs);
      if (elem == ELEM_F32) {
        // Even and odd taps in two sums: half the chain of dependent adds.
        let a0 = f32x4.splat(0), a1 = a0;
        let k = 0;
        for (; k + 1 < kx; k += 2, p += 32, w += 32) {
          a0 = f32x4.add(a0, f32x4.mul(v128.load(p), v128.load(w)));
          a1 = f32x4.add(a1, f32x4.mul(v128.load(p, 16), v128.load(w, 16)));
        }
        if (k < kx) {
          a0 = f32x4.add(a0, f32x4.mul(v128.load(p), v128.load(w)));
          w += 16;
        }
        v128.store(out, f32x4.add(a0, a1));
      } else {
        let acc = i32x4.splat(0);
        for (let k = 0; k < kx; k++, p += 4, w += 16) {
          acc = i32x4.add(acc, i32x4.mul(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))), v128.load(w)));
        }
        v128.store(out, acc);
      }
    }
    return;
  }
  const step = <usize>cn << (elem == ELEM_U8 ? 0 : 2);
  for (; out < end; out += 16, xofs += 16) {
    let p0 = s + <usize>load<i32>(xofs), p1 = s + <usize>load<i32>(xofs, 4);
    let p2 = s + <usize>load<i32>(xofs, 8), p3 = s + <usize>load<i32>(xofs, 12);
    let acc = i32x4.splat(0);
    for (let k = 0; k < kx; k++, w += 16) {
      if (elem == ELEM_F32) acc = f32x4.add(acc, f32x4.mul(gatherF32(p0, p1, p2, p3), v128.load(w)));
      else acc = i32x4.add(acc, i32x4.mul(gatherU8(p0, p1, p2, p3), v128.load(w)));
      p0 += step;
      p1 += step;
      p2 += step;
      p3 += step;
    }
    v128.store(out, acc);
  }
}

// Two RGBA pixel pairs (8 bytes at a and at b), each pixel's pair of bytes per channel
// side by side: a's four channels in the low half, b's in the high.
@inline function pixelPairs(a: usize, b: usize): v128 {
  const v = v128.load64_lane(b, v128.load64_zero(a), 1);
  return i8x16.shuffle(v, v, 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
}

/**
 * 8-bit taps two at a time: per value, its pair of bytes widened to i16 next to each
 * other, so one i16 dot product with (α_k, α_k+1) sums both (exact, as the i32 products
 * are). Four channels: a pixel's pair is 8 adjacent bytes, interleaved by one shuffle;
 * one channel: a 16-bit load per value.
 */
@inline function horizontalPairs(s: usize, out: usize, end: usize, xofs: usize, w: usize, cn: i32, kx: i32): void {
  if (cn == 4 && kx == 2) {
    // Two pixels a step: their pairs in one vector, one shuffle.
    for (; out + 16 < end; out += 32, xofs += 32, w += 32) {
      const t = pixelPairs(s + <usize>load<i32>(xofs), s + <usize>load<i32>(xofs, 16));
      v128.store(out, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(t), v128.load(w)));
      v128.store(out, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(t), v128.load(w, 16)), 16);
    }
  }
  if (cn == 4) {
    for (; out < end; out += 16, xofs += 16) {
      let p = s + <usize>load<i32>(xofs);
      const first = v128.load64_zero(p);
      let acc = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(i8x16.shuffle(first, first, 0, 4, 1, 5, 2, 6, 3, 7, 0, 0, 0, 0, 0, 0, 0, 0)), v128.load(w));
      w += 16;
      for (let k = 2; k < kx; k += 2, w += 16) {
        p += 8;
        const v = v128.load64_zero(p);
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(i8x16.shuffle(v, v, 0, 4, 1, 5, 2, 6, 3, 7, 0, 0, 0, 0, 0, 0, 0, 0)), v128.load(w)));
      }
      v128.store(out, acc);
    }
    return;
  }
  for (; out < end; out += 16, xofs += 16) {
    let p0 = s + <usize>load<i32>(xofs), p1 = s + <usize>load<i32>(xofs, 4);
    let p2 = s + <usize>load<i32>(xofs, 8), p3 = s + <usize>load<i32>(xofs, 12);
    let acc = i32x4.splat(0);
    for (let k = 0; k < kx; k += 2, w += 16) {
      let v = v128.load16_lane(p0, acc, 0);
      v = v128.load16_lane(p1, v, 1);
      v = v128.load16_lane(p2, v, 2);
      v = v128.load16_lane(p3, v, 3);
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), v128.load(w)));
      p0 += 2;
      p1 += 2;
      p2 += 2;
      p3 += 2;
    }
    v128.store(out, acc);
  }
}

/**
 * RESIZE_COLUMNS_FIRST: `n` 8-bit values of the ky rows at `addrs` summed with i16
 * weights into `sums` (i32 sums, stored as f32: exact below 2²⁴), two rows at a time: their bytes interleaved, widened to i16 and
 * multiplied by the pair's weights (`wv`: β_k, β_k+1 alternating) with one dot product
 * per four values. `weights` holds the i32 weights for the scalar tail.
 */
function sumColumns(addrs: usize, wv: usize, weights: usize, ky: i32, n: i32, sums: usize): void {
  const full = n & ~15;
  const pairs = (ky + 1) >> 1;
  for (let c = 0; c < full; c += 16) {
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let k = 0; k < pairs; k++) {
      const va = v128.load(<usize>load<u32>(addrs + (<usize>k << 3)) + <usize>c);
      const vb = v128.load(<usize>load<u32>(addrs + (<usize>k << 3), 4) + <usize>c);
      const b = v128.load(wv + (<usize>k << 4));
      const lo = i8x16.shuffle(va, vb, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const hi = i8x16.shuffle(va, vb, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(lo), b));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(lo), b));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(hi), b));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(hi), b));
    }
    const p = sums + (<usize>c << 2);
    v128.store(p, f32x4.convert_i32x4_s(a0));
    v128.store(p, f32x4.convert_i32x4_s(a1), 16);
    v128.store(p, f32x4.convert_i32x4_s(a2), 32);
    v128.store(p, f32x4.convert_i32x4_s(a3), 48);
  }
  for (let c = full; c < n; c++) {
    let a = 0;
    for (let k = 0; k < ky; k++) a += <i32>load<u8>(<usize>load<u32>(addrs + (<usize>k << 2)) + <usize>c) * load<i32>(weights + (<usize>k << 2));
    store<f32>(sums + (<usize>c << 2), <f32>a);
  }
}

/** Store the first `n` (1 to 4) i32 lanes of `v` as saturated bytes, or as f32 with `f32`. */
@inline function storeValues(p: usize, v: v128, n: i32, f32: bool): void {
  if (f32) {
    if (n == 4) v128.store(p, v);
    else {
      v128.store32_lane(p, v, 0);
      if (n > 1) v128.store32_lane(p, v, 1, 4);
      if (n > 2) v128.store32_lane(p, v, 2, 8);
    }
    return;
  }
  const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(v, v), i16x8.splat(0));
  if (n == 4) v128.store32_lane(p, b, 0);
  else {
    v128.store8_lane(p, b, 0);
    if (n > 1) v128.store8_lane(p, b, 1, 1);
    if (n > 2) v128.store8_lane(p, b, 2, 2);
  }
}

/** cv.resize's VResizeLinear<uchar> on one value group: ((β0·(h0>>4))>>16 + (β1·(h1>>4))>>16 + 2) >> 2. */
@inline function linearGroup(r0: usize, r1: usize, b0: v128, b1: v128): v128 {
  return linearValues(v128.load(r0), v128.load(r1), b0, b1);
}

/**
 * RESIZE_FIXED_LINEAR's vertical step, sixteen values at a time (one narrowing chain and
 * one store for four groups); returns the groups done, the rest go one at a time.
 */
function verticalLinear(r0: usize, r1: usize, b0: v128, b1: v128, out: usize, values: i32): i32 {
  let g = 0;
  for (; (g + 4) << 2 <= values; g += 4) {
    const at = <usize>g << 4;
    const v0 = linearGroup(r0 + at, r1 + at, b0, b1);
    const v1 = linearGroup(r0 + at + 16, r1 + at + 16, b0, b1);
    const v2 = linearGroup(r0 + at + 32, r1 + at + 32, b0, b1);
    const v3 = linearGroup(r0 + at + 48, r1 + at + 48, b0, b1);
    v128.store(out + (<usize>g << 2), i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(v0, v1), i16x8.narrow_i32x4_s(v2, v3)));
  }
  return g;
}

/**
 * RESIZE_FIXED_LINEAR for four channels when no source row serves two output rows (a
 * downscale by 2 or more): each output pixel straight from its two rows' pixel pairs,
 * the horizontal sums kept in registers instead of a ring, four pixels a store. The same
 * integer arithmetic as the ring's, so the same bytes.
 */
function directLinear(ctrl: usize, r0: usize, r1: usize, b0: v128, b1: v128, out: usize, pixels: i32): void {
  let xofs = ResizeArgs.xofs(ctrl), w = ResizeArgs.xw(ctrl);
  let x = 0;
  for (; x + 4 <= pixels; x += 4, xofs += 64, w += 64, out += 16) {
    const oa = <usize>load<i32>(xofs), ob = <usize>load<i32>(xofs, 16), oc = <usize>load<i32>(xofs, 32), od = <usize>load<i32>(xofs, 48);
    const p = linearPair(r0, r1, oa, ob, b0, b1, v128.load(w), v128.load(w, 16));
    const q = linearPair(r0, r1, oc, od, b0, b1, v128.load(w, 32), v128.load(w, 48));
    v128.store(out, i8x16.narrow_i16x8_u(p, q));
  }
  for (; x < pixels; x++, xofs += 16, w += 16, out += 4) {
    const o = <usize>load<i32>(xofs);
    const wa = v128.load(w);
    v128.store32_lane(out, i8x16.narrow_i16x8_u(linearPair(r0, r1, o, o, b0, b1, wa, wa), i16x8.splat(0)), 0);
  }
}

/** Two RGBA output pixels (their pairs at byte offsets oa and ob of rows r0 and r1, weights wa and wb) as eight i16 values. */
@inline function linearPair(r0: usize, r1: usize, oa: usize, ob: usize, b0: v128, b1: v128, wa: v128, wb: v128): v128 {
  const u = pixelPairs(r0 + oa, r0 + ob);
  const v = pixelPairs(r1 + oa, r1 + ob);
  const a = linearValues(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(u), wa), i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), wa), b0, b1);
  const b = linearValues(i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(u), wb), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), wb), b0, b1);
  return i16x8.narrow_i32x4_s(a, b);
}

/** cv.resize's VResizeLinear<uchar> on row sums h0, h1: ((β0·(h0>>4))>>16 + (β1·(h1>>4))>>16 + 2) >> 2. */
@inline function linearValues(h0: v128, h1: v128, b0: v128, b1: v128): v128 {
  const t0 = i32x4.shr_s(i32x4.mul(b0, i32x4.shr_s(h0, 4)), 16);
  const t1 = i32x4.shr_s(i32x4.mul(b1, i32x4.shr_s(h1, 4)), 16);
  return i32x4.shr_s(i32x4.add(i32x4.add(t0, t1), i32x4.splat(2)), 2);
}

/** RESIZE_NEAREST: output values copied from the row at `s` (each value's offset in xofs). */
function gatherRow(ctrl: usize, s: usize, out: usize, values: i32, esz: usize): void {
  const xofs = ResizeArgs.xofs(ctrl);
  const cn = ResizeArgs.cn(ctrl);
  if (cn == 4 && esz == 1) {
    for (let j = 0; j < values; j += 4) store<u32>(out + <usize>j, load<u32>(s + <usize>load<i32>(xofs + (<usize>j << 2))));
  } else if (esz == 1) {
    for (let j = 0; j < values; j++) store<u8>(out + <usize>j, load<u8>(s + <usize>load<i32>(xofs + (<usize>j << 2))));
  } else {
    for (let j = 0; j < values; j++) store<u32>(out + (<usize>j << 2), load<u32>(s + <usize>load<i32>(xofs + (<usize>j << 2))));
  }
}

/** f32 sums into output values: scaled by `post`, rounded to 8 bits (half up or to even) unless f32. */
@inline function finish(acc: v128, post: f32, roundUp: bool, dstF32: bool): v128 {
  if (post != 1) acc = f32x4.mul(acc, f32x4.splat(post));
  if (dstF32) return acc;
  return i32x4.trunc_sat_f32x4_s(roundUp ? f32x4.floor(f32x4.add(acc, f32x4.splat(0.5))) : f32x4.nearest(acc));
}

export function resizeGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const mode = ResizeArgs.mode(ctrl);
  const dstF32 = ResizeArgs.dstF32(ctrl);
  const srcElem = ResizeArgs.srcF32(ctrl) ? ELEM_F32 : ELEM_U8;
  const values = ResizeArgs.values(ctrl);
  const groups = (values + 3) >> 2;
  const rowBytes = <usize>groups << 4;
  const ky = ResizeArgs.ky(ctrl);
  const src = ResizeArgs.src(ctrl);
  const srcStride = ResizeArgs.srcStride(ctrl);
  const dstStride = ResizeArgs.dstStride(ctrl);
  const post = ResizeArgs.post(ctrl);
  const roundUp = ResizeArgs.roundUp(ctrl);
  const esz: usize = dstF32 ? 4 : 1;
  // Scratch: ky tags (the source row in each slot), ky row addresses for the current
  // output row's taps, ky weights splatted, then the ky ring rows, or (columns first)
  // the column sums and the output row's f32 values.
  const scratch = ResizeArgs.scratch(ctrl) + <usize>tid * ResizeArgs.scratchStride(ctrl);
  const tags = scratch;
  const addrs = tags + <usize>ky * 4;
  const wv = (addrs + <usize>(ky + 1) * 4 + 15) & ~<usize>15;
  const ring = wv + (<usize>ky << 4);
  const sums = ring;
  const sumBytes = (<usize>ResizeArgs.srcValues(ctrl) * 4 + 15) & ~<usize>15;
  const line = sums + sumBytes;
  for (let k = 0; k < ky; k++) store<i32>(tags + (<usize>k << 2), -1);
  const rows = ResizeArgs.rows(ctrl);
  const dh = ResizeArgs.dh(ctrl);
  const y0 = group * rows;
  const y1 = min(dh, y0 + rows);
  const direct = ResizeArgs.direct(ctrl);
  for (let dy = y0; dy < y1; dy++) {
    const taps = ResizeArgs.yrows(ctrl) + ((<usize>dy * <usize>ky) << 2);
    const weights = ResizeArgs.yw(ctrl) + ((<usize>dy * <usize>ky) << 2);
    const out = ResizeArgs.dst(ctrl) + <usize>dy * dstStride;
    if (mode == RESIZE_NEAREST) {
      gatherRow(ctrl, src + <usize>load<i32>(taps) * srcStride, out, values, esz);
      continue;
    }
    if (direct) {
      directLinear(ctrl, src + <usize>load<i32>(taps) * srcStride, src + <usize>load<i32>(taps, 4) * srcStride,
        v128.load32_splat(weights), v128.load32_splat(weights + 4), out, groups);
      continue;
    }
    if (mode == RESIZE_COLUMNS_FIRST) {
      // Row addresses (an odd last row paired with itself, weight 0) and pair weights.
      for (let k = 0; k < ky + (ky & 1); k++) {
        const t = min(k, ky - 1);
        store<u32>(addrs + (<usize>k << 2), <u32>(src + <usize>load<i32>(taps + (<usize>t << 2)) * srcStride));
        const w = k < ky ? <i16>load<i32>(weights + (<usize>k << 2)) : <i16>0;
        const lane = wv + (<usize>(k >> 1) << 4) + (<usize>(k & 1) << 1);
        for (let l = 0; l < 4; l++) store<i16>(lane + (<usize>l << 2), w);
      }
      sumColumns(addrs, wv, weights, ky, ResizeArgs.srcValues(ctrl), sums);
      horizontal(ctrl, sums, line, groups, ELEM_F32);
      for (let g = 0; g < groups; g++) {
        storeValues(out + <usize>(g << 2) * esz, finish(v128.load(line + (<usize>g << 4)), post, roundUp, dstF32), min(4, values - (g << 2)), dstF32);
      }
      continue;
    }
    for (let k = 0; k < ky; k++) {
      const r = load<i32>(taps + (<usize>k << 2));
      const slot = <usize>(r % ky);
      const row = ring + slot * rowBytes;
      if (load<i32>(tags + (slot << 2)) != r) {
        // 8-bit sources here are integer (f32 arithmetic on them sums columns first).
        if (srcElem == ELEM_F32) horizontal(ctrl, src + <usize>r * srcStride, row, groups, ELEM_F32);
        else horizontal(ctrl, src + <usize>r * srcStride, row, groups, ELEM_U8);
        store<i32>(tags + (slot << 2), r);
      }
      store<u32>(addrs + (<usize>k << 2), <u32>row);
      v128.store(wv + (<usize>k << 4), v128.load32_splat(weights + (<usize>k << 2)));
    }
    const r0 = <usize>load<u32>(addrs), b0 = v128.load(wv);
    let g = 0;
    if (mode == RESIZE_FIXED_LINEAR) g = verticalLinear(r0, <usize>load<u32>(addrs, 4), b0, v128.load(wv, 16), out, values);
    for (; g < groups; g++) {
      const at = <usize>g << 4;
      let v: v128;
      if (mode == RESIZE_FIXED_LINEAR) {
        v = linearGroup(r0 + at, <usize>load<u32>(addrs, 4) + at, b0, v128.load(wv, 16));
      } else if (mode == RESIZE_FIXED) {
        // FixedPtCast<int, uchar, 22>: (Σ h·β + 2²¹) >> 22.
        let acc = i32x4.mul(v128.load(r0 + at), b0);
        for (let k = 1; k < ky; k++) {
          acc = i32x4.add(acc, i32x4.mul(v128.load(<usize>load<u32>(addrs + (<usize>k << 2)) + at), v128.load(wv + (<usize>k << 4))));
        }
        v = i32x4.shr_s(i32x4.add(acc, i32x4.splat(1 << 21)), 22);
      } else {
        let acc = f32x4.mul(v128.load(r0 + at), b0);
        for (let k = 1; k < ky; k++) {
          acc = f32x4.add(acc, f32x4.mul(v128.load(<usize>load<u32>(addrs + (<usize>k << 2)) + at), v128.load(wv + (<usize>k << 4))));
        }
        v = finish(acc, post, roundUp, dstF32);
      }
      storeValues(out + <usize>(g << 2) * esz, v, min(4, values - (g << 2)), dstF32);
    }
  }
}
