// NC4HW4 (MNN's layout): [N][⌈C/4⌉][H][W][4], the four channels of a pixel in one v128,
// channels past C zero. Conversions to and from NCHW and NHWC, f32.
//
// A work-group is one (batch, channel quad, chunk of pixels). NCHW's four channel planes
// meet NC4HW4 through a 4×4 transpose, four pixels at a time; NHWC's pixels hold their
// channels together already, so a whole quad is one v128 copy. The last quad of a C that
// is not a multiple of 4 goes element by element, writing zeros into the padding.
import { LayoutArgs, NC4_TO_NCHW, NCHW_TO_NC4, NHWC_TO_NC4 } from "../runtime/schema.gen";
import { planesToQuads, quadsToPlanes } from "../simd/transpose";



export function layoutGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const mode = LayoutArgs.mode(ctrl);
  const c = LayoutArgs.c(ctrl);
  const hw = LayoutArgs.hw(ctrl);
  const chunk = LayoutArgs.chunk(ctrl);
  const c4 = (c + 3) >> 2;
  const chunks = (hw + chunk - 1) / chunk;
  const b = group / (c4 * chunks);
  const q = (group / chunks) % c4;
  const p0 = (group % chunks) * chunk;
  const p1 = min(hw, p0 + chunk);
  const src = LayoutArgs.src(ctrl);
  const dst = LayoutArgs.dst(ctrl);
  const lanes = min(4, c - 4 * q); // real channels in this quad
  // The quad's plane in NC4HW4, and (for NCHW) its first channel's plane, or (for NHWC)
  // its first channel in pixel 0 of this batch.
  const nc4 = (<usize>(b * c4 + q) * <usize>hw) << 4;
  const plane = (<usize>(b * c + 4 * q) * <usize>hw) << 2;
  const planeStride = <usize>hw << 2;
  const pixel0 = ((<usize>b * <usize>hw * <usize>c) + <usize>(4 * q)) << 2;
  const pixelStride = <usize>c << 2;
  let p = p0;
  if (mode == NCHW_TO_NC4) {
    planesToQuads(src + plane + (<usize>p0 << 2), planeStride, dst + nc4 + (<usize>p0 << 4), p1 - p0, lanes);
  } else if (mode == NC4_TO_NCHW) {
    quadsToPlanes(src + nc4 + (<usize>p0 << 4), dst + plane + (<usize>p0 << 2), planeStride, p1 - p0, lanes);
  } else if (mode == NHWC_TO_NC4) {
    for (; p < p1; p++) {
      const from = src + pixel0 + <usize>p * pixelStride;
      const to = dst + nc4 + (<usize>p << 4);
      if (lanes == 4) v128.store(to, v128.load(from));
      else for (let i = 0; i < 4; i++) store<f32>(to + (<usize>i << 2), i < lanes ? load<f32>(from + (<usize>i << 2)) : 0);
    }
  } else {
    for (; p < p1; p++) {
      const from = src + nc4 + (<usize>p << 4);
      const to = dst + pixel0 + <usize>p * pixelStride;
      if (lanes == 4) v128.store(to, v128.load(from));
      else for (let i = 0; i < lanes; i++) store<f32>(to + (<usize>i << 2), load<f32>(from + (<usize>i << 2)));
    }
  }
}
