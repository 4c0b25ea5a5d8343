// Convolution weights (OIHW: [oc][c / groups][kh][kw], f32) packed as the B operand of
// the convolution's GEMM: k runs over (ky, kx, input channel quad, lane) as im2col.ts
// packs A, the columns are output channels, in GEMM's NR-wide k-major panels
// (gemm/pack.ts packedPanel), KC blocks one after another; one packed matrix per kernel
// group. Entries for padded channels, and across groups when the kernel runs a grouped
// convolution as one block-diagonal GEMM, are zero.
import { NR } from "../runtime/schema.gen";
import { packedPanel } from "../gemm/pack";

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
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    let out = packedPanel(packed, ocgK, p0, kc, panel);
    let tap = p0 / tapK;
    let ci = p0 - tap * tapK; // channel within the kernel group
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
