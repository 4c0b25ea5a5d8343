// 2-D max and average pooling on NC4HW4: four channels of a pixel in one v128, so every
// tap is one load and one max or add for four channels. A work-group is `rows` output
// rows of one channel quad of one image. Taps outside the input are skipped (max) or
// count as zeros (average, with countPadding dividing by the whole window).
import { POOL_AVG, Pool2dArgs } from "../runtime/schema.gen";

// First tap index k in [0, taps) with start + k·step ≥ 0, and one past the last with it < size.
@inline function firstTap(start: i32, step: i32): i32 {
  return start >= 0 ? 0 : (-start + step - 1) / step;
}
@inline function endTap(start: i32, step: i32, taps: i32, size: i32): i32 {
  return start >= size ? 0 : min(taps, (size - start + step - 1) / step);
}

export function poolGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const h = Pool2dArgs.h(ctrl), w = Pool2dArgs.w(ctrl);
  const oh = Pool2dArgs.oh(ctrl), ow = Pool2dArgs.ow(ctrl);
  const kh = Pool2dArgs.kh(ctrl), kw = Pool2dArgs.kw(ctrl);
  const sh = Pool2dArgs.sh(ctrl), sw = Pool2dArgs.sw(ctrl);
  const dh = Pool2dArgs.dh(ctrl), dw = Pool2dArgs.dw(ctrl);
  const pt = Pool2dArgs.pt(ctrl), pl = Pool2dArgs.pl(ctrl);
  const rows = Pool2dArgs.rows(ctrl);
  const blocks = (oh + rows - 1) / rows;
  const plane = group / blocks; // batch · quads + quad
  const oy0 = (group % blocks) * rows;
  const oy1 = min(oh, oy0 + rows);
  const src = Pool2dArgs.input(ctrl) + ((<usize>plane * <usize>h * <usize>w) << 4);
  const dst = Pool2dArgs.out(ctrl) + ((<usize>plane * <usize>oh * <usize>ow) << 4);
  const avg = Pool2dArgs.mode(ctrl) == POOL_AVG;
  const countPadding = Pool2dArgs.countPadding(ctrl);
  const rowBytes = <usize>w << 4;
  const tapBytes = <usize>dw << 4;
  for (let oy = oy0; oy < oy1; oy++) {
    const y0 = oy * sh - pt;
    const kyLo = firstTap(y0, dh), kyHi = endTap(y0, dh, kh, h);
    const out = dst + ((<usize>oy * <usize>ow) << 4);
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * sw - pl;
      const kxLo = firstTap(x0, dw), kxHi = endTap(x0, dw, kw, w);
      let acc = avg ? f32x4.splat(0) : f32x4.splat(-Infinity);
      for (let ky = kyLo; ky < kyHi; ky++) {
        let p = src + <usize>(y0 + ky * dh) * rowBytes + ((<usize>(x0 + kxLo * dw)) << 4);
        const end = p + <usize>(kxHi - kxLo) * tapBytes;
        if (avg) for (; p < end; p += tapBytes) acc = f32x4.add(acc, v128.load(p));
        else for (; p < end; p += tapBytes) acc = f32x4.max(acc, v128.load(p));
      }
      if (avg) {
        const count = countPadding ? kh * kw : (kyHi - kyLo) * (kxHi - kxLo);
        acc = f32x4.div(acc, f32x4.splat(<f32>count));
      }
      v128.store(out + (<usize>ox << 4), acc);
    }
  }
}
