// cvtColor between interleaved 8-bit layouts: channel swaps, drops and copies by byte
// shuffles, gray by widening multiply-adds. A work-group is `rows` rows.
//
// Gray is OpenCV 4's fixed-point BT.601 (color_rgb.simd.hpp, RGB2Gray<uchar>, gray_shift
// 15): (R·9798 + G·19235 + B·3735 + 2¹⁴) >> 15, exact in i32. (OpenCV 2 and 3 used
// 4899, 9617, 1868 >> 14, which differs from 4.x by one where the value is near a half.)
// Four pixels of RGBx widen to two i16x8 of [R G B x R G B x]; i32x4.dot_i16x8_s with [wR wG wB 0 …] gives per pixel
// R·wR + G·wG and B·wB in adjacent lanes, which one pair of i32 shuffles adds.
//
// The stores of 4→3 and 3→3 write sixteen bytes of which twelve (fifteen) are meant: the
// next store overwrites the rest, and the loops stop where a store would pass the row's
// end; the remaining pixels go one at a time.
import { COLOR_ADD4, COLOR_DROP4, COLOR_EXPAND, COLOR_GRAY, COLOR_SWAP3, CvtColorArgs } from "../runtime/schema.gen";

const W_RGB = i16x8(9798, 19235, 3735, 0, 9798, 19235, 3735, 0);
const W_BGR = i16x8(3735, 19235, 9798, 0, 3735, 19235, 9798, 0);

// Gray of four RGBx pixels in i32 lanes, rounded and shifted.
@inline function gray4(v: v128, w: v128): v128 {
  const d0 = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), w);
  const d1 = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), w);
  const s = i32x4.add(i32x4.shuffle(d0, d1, 0, 2, 4, 6), i32x4.shuffle(d0, d1, 1, 3, 5, 7));
  return i32x4.shr_u(i32x4.add(s, i32x4.splat(1 << 14)), 15);
}

// Four RGB pixels (twelve bytes at p) as RGBx, x zero.
@inline function rgbx(p: usize): v128 {
  return i8x16.shuffle(v128.load(p), i32x4.splat(0), 0, 1, 2, 16, 3, 4, 5, 16, 6, 7, 8, 16, 9, 10, 11, 16);
}

@inline function grayScalar(r: u32, g: u32, b: u32): u8 {
  return <u8>((r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15);
}

function grayRow(src: usize, dst: usize, width: i32, cn: i32, swap: bool): void {
  const w = swap ? W_BGR : W_RGB;
  let x = 0;
  if (cn == 4) {
    for (; x + 16 <= width; x += 16) {
      const p = src + (<usize>x << 2);
      const a = i16x8.narrow_i32x4_s(gray4(v128.load(p), w), gray4(v128.load(p, 16), w));
      const b = i16x8.narrow_i32x4_s(gray4(v128.load(p, 32), w), gray4(v128.load(p, 48), w));
      v128.store(dst + <usize>x, i8x16.narrow_i16x8_u(a, b));
    }
  } else {
    for (; x + 18 <= width; x += 16) {
      const p = src + <usize>x * 3;
      const a = i16x8.narrow_i32x4_s(gray4(rgbx(p), w), gray4(rgbx(p + 12), w));
      const b = i16x8.narrow_i32x4_s(gray4(rgbx(p + 24), w), gray4(rgbx(p + 36), w));
      v128.store(dst + <usize>x, i8x16.narrow_i16x8_u(a, b));
    }
  }
  const r = swap ? 2 : 0, bl = swap ? 0 : 2;
  for (; x < width; x++) {
    const p = src + <usize>x * cn;
    store<u8>(dst + <usize>x, grayScalar(load<u8>(p + r), load<u8>(p + 1), load<u8>(p + bl)));
  }
}

// 4 → 4 with R and B exchanged.
function swap4Row(src: usize, dst: usize, width: i32): void {
  let x = 0;
  for (; x + 4 <= width; x += 4) {
    const o = <usize>x << 2;
    v128.store(dst + o, i8x16.shuffle(v128.load(src + o), v128.load(src + o), 2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15));
  }
  for (; x < width; x++) {
    const o = <usize>x << 2;
    const v = load<u32>(src + o);
    store<u32>(dst + o, (v & 0xff00ff00) | ((v >> 16) & 0xff) | ((v & 0xff) << 16));
  }
}

// 4 → 3, alpha dropped, R and B exchanged with `swap`.
function drop4Row(src: usize, dst: usize, width: i32, swap: bool): void {
  let x = 0;
  if (swap) {
    for (; x + 6 <= width; x += 4) {
      const v = v128.load(src + (<usize>x << 2));
      v128.store(dst + <usize>x * 3, i8x16.shuffle(v, v, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 15, 15, 15, 15));
    }
  } else {
    for (; x + 6 <= width; x += 4) {
      const v = v128.load(src + (<usize>x << 2));
      v128.store(dst + <usize>x * 3, i8x16.shuffle(v, v, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 15, 15, 15));
    }
  }
  const r = swap ? 2 : 0, b = swap ? 0 : 2;
  for (; x < width; x++) {
    const p = src + (<usize>x << 2), q = dst + <usize>x * 3;
    store<u8>(q, load<u8>(p + r));
    store<u8>(q + 1, load<u8>(p + 1));
    store<u8>(q + 2, load<u8>(p + b));
  }
}

// 3 → 4, alpha 255, R and B exchanged with `swap`.
function add4Row(src: usize, dst: usize, width: i32, swap: bool): void {
  const ones = i32x4.splat(-1);
  let x = 0;
  if (swap) {
    for (; x + 6 <= width; x += 4) {
      const v = v128.load(src + <usize>x * 3);
      v128.store(dst + (<usize>x << 2), i8x16.shuffle(v, ones, 2, 1, 0, 16, 5, 4, 3, 16, 8, 7, 6, 16, 11, 10, 9, 16));
    }
  } else {
    for (; x + 6 <= width; x += 4) {
      const v = v128.load(src + <usize>x * 3);
      v128.store(dst + (<usize>x << 2), i8x16.shuffle(v, ones, 0, 1, 2, 16, 3, 4, 5, 16, 6, 7, 8, 16, 9, 10, 11, 16));
    }
  }
  const r = swap ? 2 : 0, b = swap ? 0 : 2;
  for (; x < width; x++) {
    const p = src + <usize>x * 3, q = dst + (<usize>x << 2);
    store<u8>(q, load<u8>(p + r));
    store<u8>(q + 1, load<u8>(p + 1));
    store<u8>(q + 2, load<u8>(p + b));
    store<u8>(q + 3, 255);
  }
}

// 3 → 3 with R and B exchanged: five pixels per shuffle.
function swap3Row(src: usize, dst: usize, width: i32): void {
  let x = 0;
  for (; x + 6 <= width; x += 5) {
    const o = <usize>x * 3;
    const v = v128.load(src + o);
    v128.store(dst + o, i8x16.shuffle(v, v, 2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 15));
  }
  for (; x < width; x++) {
    const p = src + <usize>x * 3, q = dst + <usize>x * 3;
    const r = load<u8>(p), b = load<u8>(p + 2);
    store<u8>(q, b);
    store<u8>(q + 1, load<u8>(p + 1));
    store<u8>(q + 2, r);
  }
}

// Gray → RGB (dcn 3) or RGBA (dcn 4, alpha 255): sixteen pixels to three or four vectors.
function expandRow(src: usize, dst: usize, width: i32, dcn: i32): void {
  const ones = i32x4.splat(-1);
  let x = 0;
  if (dcn == 4) {
    for (; x + 16 <= width; x += 16) {
      const v = v128.load(src + <usize>x), q = dst + (<usize>x << 2);
      v128.store(q, i8x16.shuffle(v, ones, 0, 0, 0, 16, 1, 1, 1, 16, 2, 2, 2, 16, 3, 3, 3, 16));
      v128.store(q, i8x16.shuffle(v, ones, 4, 4, 4, 16, 5, 5, 5, 16, 6, 6, 6, 16, 7, 7, 7, 16), 16);
      v128.store(q, i8x16.shuffle(v, ones, 8, 8, 8, 16, 9, 9, 9, 16, 10, 10, 10, 16, 11, 11, 11, 16), 32);
      v128.store(q, i8x16.shuffle(v, ones, 12, 12, 12, 16, 13, 13, 13, 16, 14, 14, 14, 16, 15, 15, 15, 16), 48);
    }
  } else {
    for (; x + 16 <= width; x += 16) {
      const v = v128.load(src + <usize>x), q = dst + <usize>x * 3;
      v128.store(q, i8x16.shuffle(v, v, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5));
      v128.store(q, i8x16.shuffle(v, v, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10), 16);
      v128.store(q, i8x16.shuffle(v, v, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15), 32);
    }
  }
  for (; x < width; x++) {
    const g = load<u8>(src + <usize>x), q = dst + <usize>x * dcn;
    store<u8>(q, g);
    store<u8>(q + 1, g);
    store<u8>(q + 2, g);
    if (dcn == 4) store<u8>(q + 3, 255);
  }
}

export function colorGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const mode = CvtColorArgs.mode(ctrl), swap = CvtColorArgs.swap(ctrl), cn = CvtColorArgs.cn(ctrl);
  const width = CvtColorArgs.width(ctrl), rows = CvtColorArgs.rows(ctrl);
  const srcStride = CvtColorArgs.srcStride(ctrl), dstStride = CvtColorArgs.dstStride(ctrl);
  const y0 = group * rows, y1 = min(CvtColorArgs.height(ctrl), y0 + rows);
  for (let y = y0; y < y1; y++) {
    const src = CvtColorArgs.src(ctrl) + <usize>y * srcStride;
    const dst = CvtColorArgs.dst(ctrl) + <usize>y * dstStride;
    if (mode == COLOR_GRAY) grayRow(src, dst, width, cn, swap);
    else if (mode == COLOR_DROP4) drop4Row(src, dst, width, swap);
    else if (mode == COLOR_ADD4) add4Row(src, dst, width, swap);
    else if (mode == COLOR_SWAP3) swap3Row(src, dst, width);
    else if (mode == COLOR_EXPAND) expandRow(src, dst, width, CvtColorArgs.dcn(ctrl));
    else swap4Row(src, dst, width);
  }
}
