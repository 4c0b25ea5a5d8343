// Convolution weights (OIHW: [oc][c / groups][kh][kw], f32) packed as the B operand of
// the convolution's GEMM: k runs over (ky, kx, input channel quad, lane) as im2col.ts
// packs A, the columns are output channels, in GEMM's NR-wide k-major panels
// (gemm/pack.ts packedPanel), KC blocks one after another; one packed matrix per kernel
// group. Entries for padded channels, and across groups when the kernel runs a grouped
// convolution as one block-diagonal GEMM, are zero.
import { NR, packedPanel } from "../gemm/pack";

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
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    let out = packedPanel(packed, ocgK, p0, kc, panel);
    for (let kk = p0; kk < p0 + kc; kk++) {
      const tap = kk / tapK;
      const ci = kk - tap * tapK; // channel within the kernel group
      const c = g * cgK + ci;
      for (let j = 0; j < NR; j++) {
        const ocl = panel * NR + j;
        const oc = g * ocgK + ocl;
        let v: f32 = 0;
        if (tap < taps && ci < cgK && ocl < ocgK && c / cg == oc / ocg) {
          v = load<f32>(weight + ((<usize>(oc * cg + c % cg) * <usize>taps + <usize>tap) << 2));
        }
        store<f32>(out, v);
        out += 4;
      }
    }
  }
}
