// 2-D max and average pooling on NC4HW4: four channels of a pixel in one v128, so every
// tap is one load and one max or add for four channels. A work-group is `rows` output
// rows of one channel quad of one image. Taps outside the input are skipped (max) or
// count as zeros (average, with countPadding dividing by the whole window).
//
// A work-group is `rows` output rows of `planes` channel quads (several for small images,
// so that claiming a group costs less than its work). A row's outputs whose windows lie
// inside the input go four at a time, four accumulators in registers; the few at the
// edges, whose windows cross the padding, go one by one with bounds. Global pooling (one
// window over the whole image) sums or maxes each plane as one run of pixels, four
// accumulators in turn. Max is `pmax` (x86's maxps): a NaN input may not reach the output.
import { POOL_AVG, Pool2dArgs } from "../runtime/schema.gen";

// First tap index k ≥ 0 with start + k·step ≥ 0, and one past the last with it < size
// (no division when the window lies inside: divisions cost more than a small plane's taps).
@inline function firstTap(start: i32, step: i32): i32 {
  return start >= 0 ? 0 : (-start + step - 1) / step;
}
@inline function endTap(start: i32, step: i32, taps: i32, size: i32): i32 {
  if (start + (taps - 1) * step < size) return taps;
  return start >= size ? 0 : min(taps, (size - start + step - 1) / step);
}

// The mode is a type argument, Average or Maximum, not a flag: each is compiled as its own
// copy of the kernel with the mode's branches resolved by the compiler, so no tap tests
// which one it is, whatever the optimizer chooses to inline or fold.
type Average = f32;
type Maximum = i32;

@inline function combine<Mode>(acc: v128, x: v128): v128 {
  return isFloat<Mode>() ? f32x4.add(acc, x) : f32x4.pmax(acc, x);
}

export function poolGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  if (Pool2dArgs.mode(ctrl) == POOL_AVG) poolRows<Average>(ctrl, group);
  else poolRows<Maximum>(ctrl, group);
}

function poolRows<Mode>(ctrl: usize, group: i32): void {
  const avg = isFloat<Mode>();
  const oh = Pool2dArgs.oh(ctrl);
  const rows = Pool2dArgs.rows(ctrl);
  const planes = Pool2dArgs.planes(ctrl);
  const blocks = (oh + rows - 1) / rows;
  const oy0 = (group % blocks) * rows;
  const oy1 = min(oh, oy0 + rows);
  const plane0 = (group / blocks) * planes; // batch · quads + quad
  const plane1 = min(Pool2dArgs.n(ctrl) * Pool2dArgs.c4(ctrl), plane0 + planes);
  const w = Pool2dArgs.w(ctrl), ow = Pool2dArgs.ow(ctrl), kw = Pool2dArgs.kw(ctrl);
  const sw = Pool2dArgs.sw(ctrl), dw = Pool2dArgs.dw(ctrl), pl = Pool2dArgs.pl(ctrl);
  // Global pooling (the window is the whole image): each plane is one run of pixels.
  const h = Pool2dArgs.h(ctrl);
  if (oh == 1 && ow == 1 && Pool2dArgs.kh(ctrl) == h && kw == w && Pool2dArgs.pt(ctrl) == 0 && pl == 0 && Pool2dArgs.dh(ctrl) == 1 && dw == 1) {
    const pixels = h * w;
    const src = Pool2dArgs.input(ctrl), dst = Pool2dArgs.out(ctrl);
    for (let plane = plane0; plane < plane1; plane++) {
      const acc = reducePixels<Mode>(src + ((<usize>plane * <usize>pixels) << 4), pixels);
      v128.store(dst + (<usize>plane << 4), avg ? f32x4.div(acc, f32x4.splat(<f32>pixels)) : acc);
    }
    return;
  }
  // Outputs [inA, inB) of every row have their whole window inside the row.
  const inA = min(ow, (pl + sw - 1) / sw);
  const span = w - 1 + pl - (kw - 1) * dw; // the last window start inside the row, plus pl
  const inB = span < 0 ? inA : max(inA, min(ow, span / sw + 1));
  for (let plane = plane0; plane < plane1; plane++) poolPlane<Mode>(ctrl, plane, oy0, oy1, inA, inB);
}

// `pixels` consecutive quads combined, four accumulators in turn so the adds or maxes
// do not wait on each other.
@inline function reducePixels<Mode>(src: usize, pixels: i32): v128 {
  const init = isFloat<Mode>() ? f32x4.splat(0) : f32x4.splat(-Infinity);
  let a0 = init, a1 = init, a2 = init, a3 = init;
  const end = src + (<usize>pixels << 4);
  let p = src;
  for (; p + 64 <= end; p += 64) {
    a0 = combine<Mode>(a0, v128.load(p));
    a1 = combine<Mode>(a1, v128.load(p, 16));
    a2 = combine<Mode>(a2, v128.load(p, 32));
    a3 = combine<Mode>(a3, v128.load(p, 48));
  }
  for (; p < end; p += 16) a0 = combine<Mode>(a0, v128.load(p));
  return combine<Mode>(combine<Mode>(a0, a1), combine<Mode>(a2, a3));
}

@inline function poolPlane<Mode>(ctrl: usize, plane: i32, oy0: i32, oy1: i32, inA: i32, inB: i32): void {
  const avg = isFloat<Mode>();
  const h = Pool2dArgs.h(ctrl), w = Pool2dArgs.w(ctrl);
  const oh = Pool2dArgs.oh(ctrl), ow = Pool2dArgs.ow(ctrl);
  const kh = Pool2dArgs.kh(ctrl), kw = Pool2dArgs.kw(ctrl);
  const sh = Pool2dArgs.sh(ctrl), sw = Pool2dArgs.sw(ctrl);
  const dh = Pool2dArgs.dh(ctrl), dw = Pool2dArgs.dw(ctrl);
  const pt = Pool2dArgs.pt(ctrl), pl = Pool2dArgs.pl(ctrl);
  const src = Pool2dArgs.input(ctrl) + ((<usize>plane * <usize>h * <usize>w) << 4);
  const dst = Pool2dArgs.out(ctrl) + ((<usize>plane * <usize>oh * <usize>ow) << 4);
  const countPadding = Pool2dArgs.countPadding(ctrl);
  const rowBytes = <usize>w << 4;
  const tapBytes = <usize>dw << 4;
  const step = <usize>sw << 4; // from one output's window to the next's
  const init = avg ? f32x4.splat(0) : f32x4.splat(-Infinity);
  for (let oy = oy0; oy < oy1; oy++) {
    const y0 = oy * sh - pt;
    const kyLo = firstTap(y0, dh), kyHi = endTap(y0, dh, kh, h);
    const out = dst + ((<usize>oy * <usize>ow) << 4);
    const rowsIn = kyHi - kyLo;
    const first = src + <usize>(y0 + kyLo * dh) * rowBytes; // the window's first row in the input
    const rowStep = <usize>dh * rowBytes;
    // Interior outputs divide by the whole window (countPadding) or by the rows inside times kw.
    const inner = f32x4.splat(<f32>(countPadding ? kh * kw : rowsIn * kw));
    let ox = inA;
    for (; ox + 4 <= inB; ox += 4) {
      let a0 = init, a1 = init, a2 = init, a3 = init;
      let r = first + ((<usize>(ox * sw - pl)) << 4);
      for (let ky = 0; ky < rowsIn; ky++, r += rowStep) {
        let p = r;
        let kx = 0;
        // Three taps a turn (3×3 windows in one), then the rest.
        for (; kx + 3 <= kw; kx += 3, p += 3 * tapBytes) {
          a0 = combine<Mode>(combine<Mode>(combine<Mode>(a0, v128.load(p)), v128.load(p + tapBytes)), v128.load(p + 2 * tapBytes));
          a1 = combine<Mode>(combine<Mode>(combine<Mode>(a1, v128.load(p + step)), v128.load(p + step + tapBytes)), v128.load(p + step + 2 * tapBytes));
          a2 = combine<Mode>(combine<Mode>(combine<Mode>(a2, v128.load(p + 2 * step)), v128.load(p + 2 * step + tapBytes)), v128.load(p + 2 * step + 2 * tapBytes));
          a3 = combine<Mode>(combine<Mode>(combine<Mode>(a3, v128.load(p + 3 * step)), v128.load(p + 3 * step + tapBytes)), v128.load(p + 3 * step + 2 * tapBytes));
        }
        for (; kx < kw; kx++, p += tapBytes) {
          a0 = combine<Mode>(a0, v128.load(p));
          a1 = combine<Mode>(a1, v128.load(p + step));
          a2 = combine<Mode>(a2, v128.load(p + 2 * step));
          a3 = combine<Mode>(a3, v128.load(p + 3 * step));
        }
      }
      const o = out + (<usize>ox << 4);
      v128.store(o, avg ? f32x4.div(a0, inner) : a0);
      v128.store(o, avg ? f32x4.div(a1, inner) : a1, 16);
      v128.store(o, avg ? f32x4.div(a2, inner) : a2, 32);
      v128.store(o, avg ? f32x4.div(a3, inner) : a3, 48);
    }
    for (; ox < inB; ox++) {
      let a0 = init, a1 = init, a2 = init, a3 = init;
      let r = first + ((<usize>(ox * sw - pl)) << 4);
      for (let ky = 0; ky < rowsIn; ky++, r += rowStep) {
        let p = r;
        let kx = 0;
        for (; kx + 4 <= kw; kx += 4, p += 4 * tapBytes) {
          a0 = combine<Mode>(a0, v128.load(p));
          a1 = combine<Mode>(a1, v128.load(p + tapBytes));
          a2 = combine<Mode>(a2, v128.load(p + 2 * tapBytes));
          a3 = combine<Mode>(a3, v128.load(p + 3 * tapBytes));
        }
        for (; kx < kw; kx++, p += tapBytes) a0 = combine<Mode>(a0, v128.load(p));
      }
      const acc = combine<Mode>(combine<Mode>(a0, a1), combine<Mode>(a2, a3));
      v128.store(out + (<usize>ox << 4), avg ? f32x4.div(acc, inner) : acc);
    }
    // The edges: windows that cross the left or right padding.
    for (let x = 0; x < ow; x++) {
      if (x == inA) x = max(inA, inB);
      if (x >= ow) break;
      const x0 = x * sw - pl;
      const kxLo = firstTap(x0, dw), kxHi = endTap(x0, dw, kw, w);
      let acc = init;
      for (let ky = kyLo; ky < kyHi; ky++) {
        let p = src + <usize>(y0 + ky * dh) * rowBytes + ((<usize>(x0 + kxLo * dw)) << 4);
        for (let kx = kxLo; kx < kxHi; kx++, p += tapBytes) acc = combine<Mode>(acc, v128.load(p));
      }
      if (avg) acc = f32x4.div(acc, f32x4.splat(<f32>(countPadding ? kh * kw : rowsIn * (kxHi - kxLo))));
      v128.store(out + (<usize>x << 4), acc);
    }
  }
}
