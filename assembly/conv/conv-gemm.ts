// Dense and grouped convolution over NC4HW4 as GEMM (MNN's tiled im2col, BLIS's loops):
// per batch and kernel group, out[pixel][oc] = A[pixel][k] · B[k][oc], with A the im2col
// matrix and B the packed weights. Two phases of one job:
//   0 pack:    each group packs one NR-wide weight panel of one kernel group, every KC
//              block (skipped when the weights came packed, cl.packConv);
//   1 compute: each group is one (batch, kernel group, NC block, MC block of pixels).
//              For each KC block it packs its pixels' im2col rows into the thread's
//              scratch (for a 1×1 stride-1 unpadded layer, A is the NC4HW4 tensor itself
//              and packing is a transpose, no im2col; from NCHW, a load per channel;
//              from NHWC with compact k, tiles whose windows lie inside the image are
//              not packed: the microkernel reads their window rows where they lie),
//              and runs GEMM's 4×8 microkernel over every 4-pixel × 8-channel tile,
//              storing NC4HW4 (a tile row is a pixel, its two quads a channel plane
//              apart), NHWC, or (one k block) NCHW through a staged tile, with bias and
//              activation fused.
// A kernel group is a convolution group whose channels fill whole quads; other grouped
// layers run as one kernel group with block-diagonal weights (weights.ts).
import { Config, ConvArgs, NR } from "../runtime/schema.gen";
import { packedPanel } from "../gemm/pack";
import { packIm2col, packIm2colCompact, packIm2colPlanar, packPointwise, packPointwisePlanar } from "./im2col";
import { transpose4x4Out } from "../simd/transpose";
import { packConvPanel } from "./weights";
import { microkernel, microkernelRows } from "../gemm/micro";

// The job's own words, after the geometry (./geometry.ts).

export function convGemmGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const kh = ConvArgs.kh(ctrl), kw = ConvArgs.kw(ctrl);
  const cgK = ConvArgs.cgK(ctrl), ocgK = ConvArgs.ocgK(ctrl);
  const cq4 = (cgK + 3) >> 2;
  const kcq = ConvArgs.kcq(ctrl);
  const compact = ConvArgs.compact(ctrl);
  const splats = Config.gemmPackedSplats(ctrl);
  const tapK = compact ? cgK : cq4 * 4; // k per tap
  const kq = (kh * kw * tapK + 3) >> 2; // k-quads of the whole GEMM
  const panels = (ocgK + NR - 1) / NR;
  // One packed matrix per kernel group: kq·4 rows of panels·NR floats.
  const packedSize = (<usize>kq * <usize>panels * NR) << 4;
  const packed = ConvArgs.packed(ctrl);
  if (phase == 0 && ConvArgs.packPhase(ctrl)) {
    const g = group / panels;
    packConvPanel(ConvArgs.weight(ctrl), kh, kw, ConvArgs.cg(ctrl), ConvArgs.ocg(ctrl),
      g, cgK, ocgK, tapK, kcq * 4, group - g * panels, packed + <usize>g * packedSize);
    return;
  }
  const h = ConvArgs.h(ctrl), w = ConvArgs.w(ctrl);
  const oh = ConvArgs.oh(ctrl), ow = ConvArgs.ow(ctrl);
  const m = oh * ow;
  const mBlocks = ConvArgs.mBlocks(ctrl), nBlocks = ConvArgs.nBlocks(ctrl);
  const kGroups = ConvArgs.kGroups(ctrl);
  // Neighbouring groups share an NC block of weights, so it stays in cache.
  const mb = group % mBlocks;
  let rest = group / mBlocks;
  const nb = rest % nBlocks;
  rest /= nBlocks;
  const g = rest % kGroups;
  const b = rest / kGroups;
  const mcBlock = ConvArgs.mc(ctrl), ncBlock = ConvArgs.nc(ctrl);
  const i0 = mb * mcBlock;
  const j0 = nb * ncBlock;
  const mc = min(mcBlock, m - i0);
  const nK = (ocgK + 3) & ~3; // whole output quads
  const nc = min(ncBlock, nK - j0);

  const inPlane = (<usize>h * <usize>w) << 4;
  // NHWC input (compact k, or every kernel group's channels whole quads): a pixel's
  // channels 4·c bytes apart, its quads 16 bytes apart; NC4HW4: pixels 16 bytes apart,
  // quads a plane apart. NCHW input (1×1, or im2col without compact k): channels a plane of
  // h·w floats apart.
  const inNHWC = ConvArgs.inNHWC(ctrl), inNCHW = ConvArgs.inNCHW(ctrl);
  const pixelIn: usize = inNHWC ? <usize>(cgK * kGroups) << 2 : 16;
  const quadIn: usize = inNHWC ? 16 : inPlane;
  const planeIn = inPlane >> 2;
  const src = ConvArgs.input(ctrl) + (inNHWC ? <usize>b * <usize>h * <usize>w * pixelIn + (<usize>(g * cgK) << 2)
    : inNCHW ? <usize>(b * cgK * kGroups + g * cgK) * planeIn
    : <usize>(b * ConvArgs.c4(ctrl) + g * cq4) * inPlane);
  // Where output (pixel, channel) goes: NC4HW4 (a pixel's quad 16 bytes on, the next quad
  // a plane on) or NHWC (a pixel oc floats on, the next quad 16 bytes on; no padding
  // channels, so a tile stores only the channels there are).
  // NCHW: a channel's plane of m floats, written from a staged tile (stageOut).
  const nhwc = ConvArgs.outNHWC(ctrl), nchw = ConvArgs.outNCHW(ctrl);
  const oc = ConvArgs.oc(ctrl);
  const pixelBytes: usize = nhwc ? <usize>oc << 2 : 16;
  const quadBytes: usize = nhwc ? 16 : <usize>m << 4;
  const out = ConvArgs.out(ctrl) + <usize>b * (nhwc ? <usize>m * pixelBytes : nchw ? <usize>oc * (<usize>m << 2) : <usize>ConvArgs.oc4(ctrl) * quadBytes);
  const bias = ConvArgs.bias(ctrl);
  const act = ConvArgs.act(ctrl);
  const direct = ConvArgs.direct(ctrl);
  const zero = ConvArgs.scratch(ctrl) + <usize>tid * ConvArgs.scratchStride(ctrl);
  const tile = zero + 64;
  const stage = tile + 128;
  const block = stage + 128;
  const stream = block + ((<usize>mcBlock * <usize>kcq) << 4);
  const streamBytes = <usize>((kh * kw * cgK + 16) * 4 + 63) & ~63;
  const windows = stream + 4 * streamBytes; // compact k: each tile's window address (0: packed), 4 bytes a tile
  v128.store(zero, v128.splat<i32>(0));
  const sh = ConvArgs.sh(ctrl), sw = ConvArgs.sw(ctrl), pt = ConvArgs.pt(ctrl), pl = ConvArgs.pl(ctrl);
  const dh = ConvArgs.dh(ctrl), dw = ConvArgs.dw(ctrl);
  const weights = packed + <usize>g * packedSize;
  // NHWC with compact k in one k block: a tile's window rows are runs of kw·c values, so a
  // tile whose windows lie inside the image skips im2col and the microkernel reads them
  // where they lie (on every engine: unlike GEMM's A, im2col's packing costs more than
  // the splat loads; docs/decisions/conv-compact-k.md). The packing loop records each
  // tile's window address once, for every panel's pass.
  const inPlace = compact && inNHWC && dw == 1 && kq <= kcq;
  const runBytes = <usize>dh * <usize>w * pixelIn, tileStep = <usize>sw * pixelIn;

  for (let q0 = 0; q0 < kq; q0 += kcq) {
    const qc = min(kcq, kq - q0);
    for (let ir = 0; ir < mc; ir += 4) {
      const panel = block + (<usize>ir * <usize>qc << 4);
      const mr = min(4, mc - ir);
      if (inPlace) {
        const at = windowsInside(src, pixelIn, h, w, ow, kh, kw, sh, sw, pt, pl, dh, i0 + ir, mr);
        store<u32>(windows + <usize>ir, <u32>at);
        if (at) continue;
      }
      if (direct && inNCHW) packPointwisePlanar(src, planeIn, i0 + ir, m, cgK, q0, qc, panel);
      else if (direct) packPointwise(src, inPlane, i0 + ir, q0, qc, panel);
      else if (compact) packIm2colCompact(src, pixelIn, quadIn, h, w, ow, kh, kw, sh, sw, pt, pl, dh, dw, cgK, i0 + ir, mr, q0, qc, panel, stream, streamBytes);
      else if (inNCHW) packIm2colPlanar(src, planeIn, h, w, ow, kw, sh, sw, pt, pl, dh, dw, cgK, cq4, i0 + ir, mr, q0, qc, panel);
      else packIm2col(src, pixelIn, quadIn, h, w, ow, kw, sh, sw, pt, pl, dh, dw, cq4, i0 + ir, mr, q0, qc, panel, zero);
    }
    const first = q0 == 0;
    const last = q0 + qc >= kq;
    for (let jr = 0; jr < nc; jr += NR) {
      const j = g * ocgK + j0 + jr; // output channel of the tile's first column
      const bp = packedPanel(weights, ocgK, q0 * 4, qc * 4, (j0 + jr) / NR);
      const nr = nhwc || nchw ? min(min(NR, nc - jr), oc - j) : min(NR, nc - jr);
      const biasAt: usize = bias ? bias + (<usize>j << 2) : 0;
      const cq = out + <usize>(j >> 2) * quadBytes;
      for (let ir = 0; ir < mc; ir += 4) {
        const a = block + (<usize>ir * <usize>qc << 4);
        const mr = min(4, mc - ir);
        const c: usize = nchw ? stage : cq + <usize>(i0 + ir) * pixelBytes;
        const rowBytes: usize = nchw ? 16 : pixelBytes, tileQuad: usize = nchw ? 64 : quadBytes;
        const at: usize = inPlace ? load<u32>(windows + <usize>ir) : 0;
        if (at) microkernelRows(kh, kw * cgK, at, runBytes, tileStep, bp, c, rowBytes, tileQuad, mr, nr, 1, 0, first, last, biasAt, act, tile);
        else microkernel(qc * 4, a, bp, c, rowBytes, tileQuad, mr, nr, 1, 0, first, last, biasAt, act, tile, splats);
        if (nchw) stageOut(stage, out + (<usize>j * <usize>m + <usize>(i0 + ir)) * 4, <usize>m << 2, mr, nr);
      }
    }
  }
}

// Where the first window row of the tile at pixel p starts, when its four pixels' windows
// lie inside the image (the last one's inside also keeps the four on one output row); else
// 0 (the input is never at 0).
@inline function windowsInside(
  src: usize, ps: usize, h: i32, w: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, p: i32, mr: i32,
): usize {
  if (mr < 4) return 0;
  const oy = p / ow, ox = p - oy * ow;
  const y0 = oy * sh - pt, x0 = ox * sw - pl;
  if (y0 < 0 || y0 + (kh - 1) * dh >= h || x0 < 0 || x0 + 3 * sw + kw > w) return 0;
  return src + (<usize>y0 * <usize>w + <usize>x0) * ps;
}

// A finished tile from the stage (row i, a pixel, at 16·i; its second quad of channels 64
// bytes on) to NCHW at dst (channel t's plane `plane` bytes on): a 4×4 transpose per
// quad, so a channel's four pixels go in one store; a partial tile value by value.
function stageOut(stage: usize, dst: usize, plane: usize, mr: i32, nr: i32): void {
  if (mr == 4 && (nr == 4 || nr == 8)) {
    transpose4x4Out(stage, dst, plane);
    if (nr == 8) transpose4x4Out(stage + 64, dst + 4 * plane, plane);
    return;
  }
  for (let j = 0; j < nr; j++) {
    for (let i = 0; i < mr; i++) store<f32>(dst + <usize>j * plane + (<usize>i << 2), load<f32>(stage + (<usize>(j >> 2) << 6) + (<usize>i << 4) + (<usize>(j & 3) << 2)));
  }
}
