// Convolution weights (OIHW: [oc][c / groups][kh][kw], f32) packed as the B operand of
// the convolution's GEMM: k runs over (ky, kx, input channel quad, lane) as im2col.ts
// packs A, the columns are output channels, in GEMM's NR-wide k-major panels
// (gemm/pack.ts packedPanel), KC blocks one after another; one packed matrix per kernel
// group. Entries for padded channels, and across groups when the kernel runs a grouped
// convolution as one block-diagonal GEMM, are zero.
import { NR } from "../runtime/schema.gen";
import { packedPanel } from "../gemm/pack";
import { storeTransposedRows } from "../simd/transpose";

// One NR-wide panel of kernel group g, every KC block. The kernel group spans input
// channels [g·cgK, +cgK) and output channels [g·ocgK, +ocgK); the convolution's own groups
// (cg, ocg channels each) decide which entries are real. tapK is k's stride between taps:
// cq4·4 when each tap's channels fill whole quads, cgK when they follow one another
// (compact, for few channels: see im2col.ts). k past the last tap is zero.
export function packConvPanel(
  weight: usize, kh: i32, kw: i32, cg: i32, ocg: i32,
  g: i32, cgK: i32, ocgK: i32, tapK: i32, kcBlock: i32, panel: i32, packed: usize,
): void {
  const taps = kh * kw;
  const k = (taps * tapK + 3) & ~3;
  // The panel's first output channel and its convolution group; the loops below step
  // both along without dividing (a division per element cost more than the packing).
  const oc0 = g * ocgK + panel * NR;
  const group0 = oc0 / ocg;
  const rem0 = oc0 - group0 * ocg;
  // A panel of real weights in whole quads (the kernel group is one convolution group, its
  // channels fill whole quads, and the panel is full: every ungrouped layer from 4 channels,
  // Winograd's products) goes four k at a time, a 4×4 transpose per four output channels.
  const whole = cg == cgK && ocg == ocgK && (cg & 3) == 0 && panel * NR + NR <= ocgK;
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    let out = packedPanel(packed, ocgK, p0, kc, panel);
    let tap = p0 / tapK;
    let ci = p0 - tap * tapK; // channel within the kernel group
    if (whole) {
      packWholeQuads(weight + ((<usize>oc0 * <usize>cg * <usize>taps) << 2), <usize>cg * <usize>taps << 2, taps, tapK, tap, ci, kc, out);
      continue;
    }
    for (let kk = p0; kk < p0 + kc; kk++) {
      const c = g * cgK + ci;
      const cGroup = c / cg;
      const real = tap < taps && ci < cgK;
      // Weight (oc, c − cGroup·cg, tap) of OIHW: rows of cg·taps floats per output channel.
      const at = weight + ((<usize>(c - cGroup * cg) * <usize>taps + <usize>tap) << 2);
      let ocGroup = group0, ocRem = rem0;
      for (let j = 0; j < NR; j++) {
        const oc = oc0 + j;
        let v: f32 = 0;
        if (real && panel * NR + j < ocgK && cGroup == ocGroup) v = load<f32>(at + ((<usize>oc * <usize>cg * <usize>taps) << 2));
        store<f32>(out, v);
        out += 4;
        if (++ocRem == ocg) { ocRem = 0; ocGroup++; }
      }
      if (++ci == tapK) { ci = 0; tap++; }
    }
  }
}

// packConvPanel's whole-quad panels: kc k (a multiple of 4, from channel ci of `tap`) of
// the NR output channels whose OIHW rows start at `rows`, `rowBytes` apart.
function packWholeQuads(rows: usize, rowBytes: usize, taps: i32, tapK: i32, tap: i32, ci: i32, kc: i32, out: usize): void {
  const step = <usize>taps << 2; // bytes between a filter's consecutive channels
  // (Whole quads leave no k past the last tap: k = taps · tapK.)
  for (let kk = 0; kk < kc; kk += 4) {
    const at = rows + ((<usize>ci * <usize>taps + <usize>tap) << 2);
    // Output channels 0–3, then 4–7: four k rows of the panel, each quad a 4×4 transpose.
    storeTransposedRows(channels4(at, step), channels4(at + rowBytes, step), channels4(at + 2 * rowBytes, step), channels4(at + 3 * rowBytes, step), out, NR << 2);
    const at4 = at + 4 * rowBytes;
    storeTransposedRows(channels4(at4, step), channels4(at4 + rowBytes, step), channels4(at4 + 2 * rowBytes, step), channels4(at4 + 3 * rowBytes, step), out + 16, NR << 2);
    out += NR << 4;
    ci += 4;
    if (ci == tapK) { ci = 0; tap++; }
  }
}

// Four consecutive channels of one filter at one tap: `step` bytes apart.
@inline function channels4(at: usize, step: usize): v128 {
  if (step == 4) return v128.load(at);
  let v = v128.load32_zero(at);
  v = v128.load32_lane(at + step, v, 1);
  v = v128.load32_lane(at + 2 * step, v, 2);
  return v128.load32_lane(at + 3 * step, v, 3);
}
