// Dense and grouped convolution over NC4HW4 as GEMM (MNN's tiled im2col, BLIS's loops):
// per batch and kernel group, out[pixel][oc] = A[pixel][k] · B[k][oc], with A the im2col
// matrix and B the packed weights. Two phases of one job:
//   0 pack:    each group packs one NR-wide weight panel of one kernel group, every KC
//              block (skipped when the weights came packed, cl.packConv);
//   1 compute: each group is one (batch, kernel group, NC block, MC block of pixels).
//              For each KC block it packs its pixels' im2col rows into the thread's
//              scratch (for a 1×1 stride-1 unpadded layer, A is the NC4HW4 tensor itself
//              and packing is a transpose, no im2col), and runs GEMM's 4×8 microkernel
//              over every 4-pixel × 8-channel tile, storing NC4HW4 (a tile row is a pixel,
//              its two quads a channel plane apart) with bias and activation fused.
// A kernel group is a convolution group whose channels fill whole quads; other grouped
// layers run as one kernel group with block-diagonal weights (weights.ts).
import { argI32 as arg, argPtr } from "../runtime/job";
import { A_C4, A_DH, A_DW, A_H, A_KH, A_KW, A_OC4, A_OH, A_OW, A_PL, A_PT, A_SH, A_SW, A_W } from "./geometry";
import { NR, packedPanel } from "../gemm/pack";
import { packIm2col, packIm2colCompact, packPointwise } from "./im2col";
import { packConvPanel } from "./weights";
import { microkernel } from "../gemm/micro";

// The job's own words, after the geometry (./geometry.ts).
const A_CG = 15; // input channels per convolution group
const A_OCG = 16; // output channels per convolution group
const A_KGROUPS = 17; // kernel groups
const A_CGK = 18; // input channels per kernel group
const A_OCGK = 19; // output channels per kernel group
const A_IN = 20;
const A_WEIGHT = 21; // OIHW, read by phase 0
const A_PACKED = 22;
const A_OUT = 23;
const A_BIAS = 24; // oc4·4 floats, 0: none
const A_ACT = 25;
const A_SCRATCH = 26; // per thread: 64 zero bytes, a 128-byte tile, the A block, then (compact) four pixels' k
const A_SCRATCH_STRIDE = 27;
const A_MC = 28; // pixels per block, a multiple of 4
const A_KCQ = 29; // k-quads per block
const A_NC = 30; // output channels per block, a multiple of NR
const A_M_BLOCKS = 31;
const A_N_BLOCKS = 32;
const A_PACK_PHASE = 33; // 1: phase 0 packs the weights
const A_DIRECT = 34; // 1: A is the input itself, transposed (1×1, stride 1, no padding)
const A_COMPACT = 35; // 1: k runs over (ky, kx, channel) with no padding lanes (few channels)
const A_OUT_NHWC = 36; // 1: the output is NHWC (a pixel's oc floats together), not NC4HW4
const A_OC = 37; // output channels

export function convGemmGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const kh = arg(ctrl, A_KH), kw = arg(ctrl, A_KW);
  const cgK = arg(ctrl, A_CGK), ocgK = arg(ctrl, A_OCGK);
  const cq4 = (cgK + 3) >> 2;
  const kcq = arg(ctrl, A_KCQ);
  const compact = arg(ctrl, A_COMPACT) != 0;
  const tapK = compact ? cgK : cq4 * 4; // k per tap
  const kq = (kh * kw * tapK + 3) >> 2; // k-quads of the whole GEMM
  const panels = (ocgK + NR - 1) / NR;
  // One packed matrix per kernel group: kq·4 rows of panels·NR floats.
  const packedSize = (<usize>kq * <usize>panels * NR) << 4;
  const packed = argPtr(ctrl, A_PACKED);
  if (phase == 0 && arg(ctrl, A_PACK_PHASE) != 0) {
    const g = group / panels;
    packConvPanel(argPtr(ctrl, A_WEIGHT), kh, kw, arg(ctrl, A_CG), arg(ctrl, A_OCG),
      g, cgK, ocgK, tapK, kcq * 4, group - g * panels, packed + <usize>g * packedSize);
    return;
  }
  const h = arg(ctrl, A_H), w = arg(ctrl, A_W);
  const oh = arg(ctrl, A_OH), ow = arg(ctrl, A_OW);
  const m = oh * ow;
  const mBlocks = arg(ctrl, A_M_BLOCKS), nBlocks = arg(ctrl, A_N_BLOCKS);
  const kGroups = arg(ctrl, A_KGROUPS);
  // Neighbouring groups share an NC block of weights, so it stays in cache.
  const mb = group % mBlocks;
  let rest = group / mBlocks;
  const nb = rest % nBlocks;
  rest /= nBlocks;
  const g = rest % kGroups;
  const b = rest / kGroups;
  const mcBlock = arg(ctrl, A_MC), ncBlock = arg(ctrl, A_NC);
  const i0 = mb * mcBlock;
  const j0 = nb * ncBlock;
  const mc = min(mcBlock, m - i0);
  const nK = (ocgK + 3) & ~3; // whole output quads
  const nc = min(ncBlock, nK - j0);

  const inPlane = (<usize>h * <usize>w) << 4;
  const src = argPtr(ctrl, A_IN) + <usize>(b * arg(ctrl, A_C4) + g * cq4) * inPlane;
  // Where output (pixel, channel) goes: NC4HW4 (a pixel's quad 16 bytes on, the next quad
  // a plane on) or NHWC (a pixel oc floats on, the next quad 16 bytes on; no padding
  // channels, so a tile stores only the channels there are).
  const nhwc = arg(ctrl, A_OUT_NHWC) != 0;
  const oc = arg(ctrl, A_OC);
  const pixelBytes: usize = nhwc ? <usize>oc << 2 : 16;
  const quadBytes: usize = nhwc ? 16 : <usize>m << 4;
  const out = argPtr(ctrl, A_OUT) + <usize>b * (nhwc ? <usize>m * pixelBytes : <usize>arg(ctrl, A_OC4) * quadBytes);
  const bias = argPtr(ctrl, A_BIAS);
  const act = arg(ctrl, A_ACT);
  const direct = arg(ctrl, A_DIRECT) != 0;
  const zero = argPtr(ctrl, A_SCRATCH) + <usize>tid * argPtr(ctrl, A_SCRATCH_STRIDE);
  const tile = zero + 64;
  const block = tile + 128;
  const stream = block + ((<usize>mcBlock * <usize>kcq) << 4);
  const streamBytes = <usize>((kh * kw * cgK + 16) * 4 + 63) & ~63;
  v128.store(zero, v128.splat<i32>(0));
  const sh = arg(ctrl, A_SH), sw = arg(ctrl, A_SW), pt = arg(ctrl, A_PT), pl = arg(ctrl, A_PL);
  const dh = arg(ctrl, A_DH), dw = arg(ctrl, A_DW);
  const weights = packed + <usize>g * packedSize;

  for (let q0 = 0; q0 < kq; q0 += kcq) {
    const qc = min(kcq, kq - q0);
    for (let ir = 0; ir < mc; ir += 4) {
      const panel = block + (<usize>ir * <usize>qc << 4);
      const mr = min(4, mc - ir);
      if (direct) packPointwise(src, inPlane, i0 + ir, q0, qc, panel);
      else if (compact) packIm2colCompact(src, h, w, ow, kh, kw, sh, sw, pt, pl, dh, dw, cgK, i0 + ir, mr, q0, qc, panel, stream, streamBytes);
      else packIm2col(src, h, w, ow, kw, sh, sw, pt, pl, dh, dw, cq4, i0 + ir, mr, q0, qc, panel, zero);
    }
    const first = q0 == 0;
    const last = q0 + qc >= kq;
    for (let jr = 0; jr < nc; jr += NR) {
      const j = g * ocgK + j0 + jr; // output channel of the tile's first column
      const bp = packedPanel(weights, ocgK, q0 * 4, qc * 4, (j0 + jr) / NR);
      const nr = nhwc ? min(min(NR, nc - jr), oc - j) : min(NR, nc - jr);
      const biasAt: usize = bias ? bias + (<usize>j << 2) : 0;
      const cq = out + <usize>(j >> 2) * quadBytes;
      for (let ir = 0; ir < mc; ir += 4) {
        const a = block + (<usize>ir * <usize>qc << 4);
        microkernel(qc * 4, a, bp, cq + <usize>(i0 + ir) * pixelBytes, pixelBytes, quadBytes, min(4, mc - ir), nr, 1, 0, first, last, biasAt, act, tile);
      }
    }
  }
}
