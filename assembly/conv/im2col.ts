// im2col packing: the A operand of a convolution's GEMM, one MC×KC block at a time, never
// the whole matrix. Row i of A is output pixel i; its k-quads run over (ky, kx, input
// channel quad), so k-quad q of pixel i is the v128 of input channels 4·cq..4·cq+3 at the
// input pixel under tap (ky, kx). A panel holds four pixels in GEMM's layout
// (gemm/pack.ts): per k, the four pixels' values in one v128. From NC4HW4 (or NHWC in
// whole quads) each k-quad is a 4×4 transpose of the four pixels' v128s, taps in the
// padding reading a zero v128, so packing is branch-free loads, shuffles and stores; from
// NCHW (packIm2colPlanar) a k row is loaded from its channel's plane; with compact k
// (packIm2colCompact) k runs over channels with no padding lanes.
import { storeTransposed, transpose4x4 } from "../simd/transpose";

// Far outside any image, so a tile's missing pixels always read the zero v128.
const NOWHERE: i32 = -0x40000000;

// One pixel's source for tap (iy, ix), pixels ps bytes apart from src: its first value, or
// `zero` (the zero v128's address, or a sentinel) in the padding.
@inline function tapSource(src: usize, ps: usize, h: i32, w: i32, iy: i32, ix: i32, zero: usize): usize {
  if (<u32>iy >= <u32>h || <u32>ix >= <u32>w) return zero;
  return src + (<usize>iy * <usize>w + <usize>ix) * ps;
}

// Pack pixels [p, p+mr) (mr ≤ 4; the rest zero) for k-quads [kq0, kq0+kqc) into dst.
// src: channel quad 0 of this batch and group; cq4 input quads per tap; pixels ps bytes
// apart and a pixel's quads qs bytes apart (NC4HW4: 16 and a plane; NHWC with whole
// quads, read where it lies: 4·c and 16).
export function packIm2col(
  src: usize, ps: usize, qs: usize, h: i32, w: i32, ow: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  cq4: i32, p: i32, mr: i32, kq0: i32, kqc: i32, dst: usize, zero: usize,
): void {
  // Each pixel's window origin in input coordinates.
  let y0 = NOWHERE, x0 = NOWHERE, y1 = NOWHERE, x1 = NOWHERE;
  let y2 = NOWHERE, x2 = NOWHERE, y3 = NOWHERE, x3 = NOWHERE;
  let oy = p / ow, ox = p - oy * ow;
  y0 = oy * sh - pt; x0 = ox * sw - pl;
  if (mr > 1) { if (++ox == ow) { ox = 0; oy++; } y1 = oy * sh - pt; x1 = ox * sw - pl; }
  if (mr > 2) { if (++ox == ow) { ox = 0; oy++; } y2 = oy * sh - pt; x2 = ox * sw - pl; }
  if (mr > 3) { if (++ox == ow) { ox = 0; oy++; } y3 = oy * sh - pt; x3 = ox * sw - pl; }

  let tap = kq0 / cq4;
  let cq = kq0 - tap * cq4;
  let out = dst;
  let left = kqc;
  while (left > 0) {
    const ky = tap / kw;
    const dy = ky * dh, dx = (tap - ky * kw) * dw;
    let s0 = tapSource(src, ps, h, w, y0 + dy, x0 + dx, zero);
    let s1 = tapSource(src, ps, h, w, y1 + dy, x1 + dx, zero);
    let s2 = tapSource(src, ps, h, w, y2 + dy, x2 + dx, zero);
    let s3 = tapSource(src, ps, h, w, y3 + dy, x3 + dx, zero);
    // A pixel in the padding stays on the zero v128 for every channel quad.
    const t0: usize = s0 == zero ? 0 : qs, t1: usize = s1 == zero ? 0 : qs;
    const t2: usize = s2 == zero ? 0 : qs, t3: usize = s3 == zero ? 0 : qs;
    s0 += <usize>cq * t0; s1 += <usize>cq * t1; s2 += <usize>cq * t2; s3 += <usize>cq * t3;
    const count = min(left, cq4 - cq);
    for (let i = 0; i < count; i++) {
      storeTransposed(v128.load(s0), v128.load(s1), v128.load(s2), v128.load(s3), out);
      s0 += t0; s1 += t1; s2 += t2; s3 += t3;
      out += 64;
    }
    left -= count;
    tap++;
    cq = 0;
  }
}

// The same from NCHW where it lies: a k row of the panel is one channel at one tap for the
// four pixels, so where the four lie in one row of the image, side by side (stride 1) it
// is one load of the channel's plane, every other (stride 2) two loads and a shuffle; no
// transposes. Elsewhere (the padding, a tile across two rows, other strides) lane by lane.
// src: channel 0 of this batch and group, planes `plane` bytes apart; channels from c on
// (a partial last quad) are zeros.
export function packIm2colPlanar(
  src: usize, plane: usize, h: i32, w: i32, ow: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  c: i32, cq4: i32, p: i32, mr: i32, kq0: i32, kqc: i32, dst: usize,
): void {
  const zero = f32x4.splat(0);
  let oy = p / ow, ox = p - oy * ow;
  // Each pixel's window origin; a missing pixel (past mr) is far outside the image.
  const y0 = oy * sh - pt, x0 = ox * sw - pl;
  let y1 = NOWHERE, x1 = NOWHERE, y2 = NOWHERE, x2 = NOWHERE, y3 = NOWHERE, x3 = NOWHERE;
  if (mr > 1) { if (++ox == ow) { ox = 0; oy++; } y1 = oy * sh - pt; x1 = ox * sw - pl; }
  if (mr > 2) { if (++ox == ow) { ox = 0; oy++; } y2 = oy * sh - pt; x2 = ox * sw - pl; }
  if (mr > 3) { if (++ox == ow) { ox = 0; oy++; } y3 = oy * sh - pt; x3 = ox * sw - pl; }
  // One image row, evenly spaced: the loads' case, given the tap's row and columns are inside.
  const inRow = mr == 4 && y3 == y0 && (sw == 1 || sw == 2);
  let tap = kq0 / cq4;
  let cq = kq0 - tap * cq4;
  let out = dst;
  for (let left = kqc; left > 0; tap++, cq = 0) {
    const ky = tap / kw;
    const dy = ky * dh, dx = (tap - ky * kw) * dw;
    const count = min(left, cq4 - cq);
    const iy = y0 + dy, ix = x0 + dx;
    const c1 = min(c, (cq + count) << 2);
    let ch = cq << 2;
    let at = src + <usize>ch * plane;
    if (inRow && <u32>iy < <u32>h && ix >= 0 && x3 + dx < w) {
      at += (<usize>iy * <usize>w + <usize>ix) << 2;
      if (sw == 1) {
        for (; ch < c1; ch++, at += plane, out += 16) v128.store(out, v128.load(at));
      } else {
        // (The second load may read one float past the row: the next row's, or the arena's overhang.)
        for (; ch < c1; ch++, at += plane, out += 16) v128.store(out, i32x4.shuffle(v128.load(at), v128.load(at, 16), 0, 2, 4, 6));
      }
    } else {
      // Each pixel's offset in a plane, or OUTSIDE in the padding.
      const a0 = tapSource(0, 4, h, w, y0 + dy, x0 + dx, OUTSIDE), a1 = tapSource(0, 4, h, w, y1 + dy, x1 + dx, OUTSIDE);
      const a2 = tapSource(0, 4, h, w, y2 + dy, x2 + dx, OUTSIDE), a3 = tapSource(0, 4, h, w, y3 + dy, x3 + dx, OUTSIDE);
      for (; ch < c1; ch++, at += plane, out += 16) {
        let v = zero;
        if (a0 != OUTSIDE) v = f32x4.replace_lane(v, 0, load<f32>(at + a0));
        if (a1 != OUTSIDE) v = f32x4.replace_lane(v, 1, load<f32>(at + a1));
        if (a2 != OUTSIDE) v = f32x4.replace_lane(v, 2, load<f32>(at + a2));
        if (a3 != OUTSIDE) v = f32x4.replace_lane(v, 3, load<f32>(at + a3));
        v128.store(out, v);
      }
    }
    for (; ch < (cq + count) << 2; ch++, out += 16) v128.store(out, zero);
    left -= count;
  }
}

// No offset: a tap in the padding (planes stay under 2²⁸ pixels, src/ops/conv/conv-gemm.ts).
const OUTSIDE: usize = <usize>-1;

// A 1×1 stride-1 unpadded layer's A is the input itself: pixels [p, p+4) of k-quad q are
// 64 contiguous bytes of channel plane q, transposed into the panel. (Past the last pixel
// it reads the next plane or the arena's overhang; those rows are never stored.)
export function packPointwise(src: usize, plane: usize, p: i32, kq0: i32, kqc: i32, dst: usize): void {
  let at = src + <usize>kq0 * plane + (<usize>p << 4);
  let out = dst;
  for (let q = 0; q < kqc; q++) {
    transpose4x4(at, 16, out);
    at += plane;
    out += 64;
  }
}

// The same from NCHW where it lies: k is a channel, so a k row of the panel is four
// neighbouring pixels of its plane, one load. Channels past c (a partial last quad) and
// pixels past m (a partial last tile) are packed as zeros.
export function packPointwisePlanar(src: usize, plane: usize, p: i32, m: i32, c: i32, kq0: i32, kqc: i32, dst: usize): void {
  const k1 = min(c, (kq0 + kqc) * 4);
  let out = dst;
  let at = src + <usize>(kq0 * 4) * plane + (<usize>p << 2);
  let k = kq0 * 4;
  if (p + 4 <= m) {
    for (; k < k1; k++, at += plane, out += 16) v128.store(out, v128.load(at));
  } else {
    for (; k < k1; k++, at += plane, out += 16) {
      v128.store(out, f32x4.splat(0));
      for (let i = 0; i < m - p; i++) store<f32>(out + (<usize>i << 2), load<f32>(at + (<usize>i << 2)));
    }
  }
  for (; k < (kq0 + kqc) * 4; k++, out += 16) v128.store(out, f32x4.splat(0));
}

// Compact packing, for layers with few input channels (an RGB image's 3): k runs over
// (ky, kx, channel) with no padding lanes, so 3 channels take 3 k, not a quad's 4, and
// the arithmetic shrinks by as much. Each pixel's k values are first laid end to end in
// its stream (every tap's v128s stored C floats after the last tap's, overwriting its
// padding lanes), then the four streams are cut into quads and transposed into the panel.
// Only the taps k-quads [kq0, kq0+kqc) touch are laid out. src: channel quad 0 of this
// batch; pixels ps bytes apart and channel quads qs (NC4HW4: 16 and a plane; NHWC: 4·c and
// 16, where a pixel's last quad reads into the next pixel: lanes past c are overwritten
// by the next tap, as NC4HW4's zero lanes are); stream: four streams, streamBytes apart,
// indexed by k from 0.
export function packIm2colCompact(
  src: usize, ps: usize, qs: usize, h: i32, w: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  c: i32, p: i32, mr: i32, kq0: i32, kqc: i32, dst: usize, stream: usize, streamBytes: usize,
): void {
  const cq4 = (c + 3) >> 2;
  const zero = f32x4.splat(0);
  const taps = kh * kw;
  const tap0 = (kq0 << 2) / c;
  const tap1 = min(taps, (((kq0 + kqc) << 2) + c - 1) / c);
  const step = <usize>c << 2;
  const tapBytes = <usize>dw * ps;
  for (let i = 0; i < 4; i++) {
    const pixel = p + i;
    const oy = pixel / ow;
    const y0 = i < mr ? oy * sh - pt : NOWHERE;
    const x0 = (pixel - oy * ow) * sw - pl;
    let at = stream + <usize>i * streamBytes + <usize>tap0 * step;
    const ky0 = tap0 / kw;
    let kx = tap0 - ky0 * kw;
    if (cq4 == 1 && y0 >= 0 && x0 >= 0 && y0 + (kh - 1) * dh < h && x0 + (kw - 1) * dw < w) {
      // The whole window inside the image, up to four channels (RGB): a copy per tap,
      // tap row by tap row.
      let row = src + (<usize>(y0 + ky0 * dh) * <usize>w + <usize>x0) * ps;
      const rowStep = <usize>dh * <usize>w * ps;
      for (let t = tap0; t < tap1; t += kw) {
        const end = min(kw, tap1 - t + kx); // this tap row's last tap, + 1
        let px = row + <usize>kx * tapBytes;
        t -= kx;
        for (; kx < end; kx++) {
          v128.store(at, v128.load(px));
          at += step;
          px += tapBytes;
        }
        kx = 0;
        row += rowStep;
      }
    } else {
      let ky = ky0;
      for (let t = tap0; t < tap1; t++) {
        const iy = y0 + ky * dh, ix = x0 + kx * dw;
        if (<u32>iy < <u32>h && <u32>ix < <u32>w) {
          const px = src + (<usize>iy * <usize>w + <usize>ix) * ps;
          for (let q = 0; q < cq4; q++) v128.store(at + (<usize>q << 4), v128.load(px + <usize>q * qs));
        } else {
          for (let q = 0; q < cq4; q++) v128.store(at + (<usize>q << 4), zero);
        }
        at += step;
        if (++kx == kw) { kx = 0; ky++; }
      }
    }
    if (tap1 == taps) v128.store(at, zero); // k past the last tap
  }
  let from = stream + (<usize>kq0 << 4);
  let out = dst;
  for (let q = 0; q < kqc; q++) {
    transpose4x4(from, streamBytes, out);
    from += 16;
    out += 64;
  }
}
