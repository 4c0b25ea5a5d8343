// The GEMM convolutions (1×1, im2col, and Winograd's weight packing): kernel groups,
// k's layout, packed sizes, blocking, and the job's argument words.
// Kernel: assembly/conv/conv-gemm.ts.
import type { Engine } from "../../run.ts";
import { fitBlock } from "../../run.ts";
import { KC, MC, NC } from "../gemm/gemm.ts";
import { MR, NR, type ConvArgs } from "../schema.gen.ts";
import { quads, type Shape4 } from "../tensor/types.ts";
import { withGeometry, type ConvShape } from "./geometry.ts";

// GEMM's tile and blocks (src/ops/gemm/gemm.ts says why), in k-quads where convolution counts them.
const KCQ = KC / 4;

/** Kernel groups of a GEMM convolution: the convolution's groups when their channels fill whole quads, else 1. */
export function kernelGroups(c: number, oc: number, groups: number): number {
  return groups > 1 && (c / groups) % 4 === 0 && (oc / groups) % 4 === 0 ? groups : 1;
}

/**
 * Whether k runs over (ky, kx, channel) with no padding lanes (assembly/conv/im2col.ts):
 * for kernels wider than 1×1 (a 1×1 layer transposes the input's quads as they lie) in one kernel group
 * with fewer than 16 channels not in whole quads, where the padding lanes would waste up to
 * 3/8 of the arithmetic (3 channels: 25%) (docs/decisions/conv-compact-k.md).
 */
function compactK(c: number, kg: number, kh: number, kw: number): boolean {
  return kg === 1 && kh * kw > 1 && c % 4 !== 0 && c < 16;
}

/** k-quads of a GEMM convolution's k (per kernel group). */
function gemmKQuads(c: number, kg: number, kh: number, kw: number): number {
  return compactK(c, kg, kh, kw) ? Math.ceil((kh * kw * c) / 4) : kh * kw * quads(c / kg);
}

/**
 * k-quads per KC block: k cut into blocks as equal as they can be, each about KCQ. A k a
 * little over one block (3×3 over 32 channels: 72 quads) stays one block, so a tile is
 * finished in one pass (and can be stored as NCHW) instead of a second pass for the rest.
 */
const kBlockQuads = (kq: number) => Math.ceil(kq / Math.max(1, Math.round(kq / KCQ)));

/** NR-wide weight panels over all kernel groups: phase 0's work-groups. */
const weightPanels = (oc: number, kg: number) => kg * Math.ceil(oc / kg / NR);

/** Floats of packed GEMM weights (assembly/conv/weights.ts's layout). */
export function gemmPackedLength(c: number, [oc, , kh, kw]: Shape4, groups: number): number {
  const kg = kernelGroups(c, oc, groups);
  return gemmKQuads(c, kg, kh, kw) * 4 * weightPanels(oc, kg) * NR;
}

// The GEMM kernels' job, as the plans give it.
interface GemmConvJob {
  p: ConvShape;
  /** Kernel groups, when not the convolution's own (Winograd's 16 or 36 matrices). */
  kg?: number;
  input: number; weight: number; packed: number; out: number; bias: number;
  scratch: number; scratchStride: number; mc: number; kcq: number; nc: number;
  mBlocks: number; nBlocks: number; packPhase: boolean; direct: boolean;
  /** The output goes out as NHWC rather than NC4HW4. */
  outNHWC?: boolean;
  /** The input is NHWC, read where it lies (readsNHWC). */
  inNHWC?: boolean;
  /** The input is NCHW, read where it lies (readsNCHW). */
  inNCHW?: boolean;
  /** The output goes out as NCHW (one k block only). */
  outNCHW?: boolean;
}

export function gemmConvArgs(j: GemmConvJob): ConvArgs {
  const { p } = j;
  const kg = j.kg ?? kernelGroups(p.c, p.oc, p.groups);
  return withGeometry(p, {
    cg: p.c / p.groups, ocg: p.oc / p.groups, kGroups: kg, cgK: p.c / kg, ocgK: p.oc / kg,
    input: j.input, weight: j.weight, packed: j.packed, out: j.out, bias: j.bias, act: p.act, scratch: j.scratch, scratchStride: j.scratchStride,
    mc: j.mc, kcq: j.kcq, nc: j.nc, mBlocks: j.mBlocks, nBlocks: j.nBlocks, packPhase: j.packPhase, direct: j.direct,
    compact: compactK(p.c, kg, p.kh, p.kw), outNHWC: j.outNHWC ?? false, oc: p.oc, inNHWC: j.inNHWC ?? false,
    inNCHW: j.inNCHW ?? false, outNCHW: j.outNCHW ?? false,
  });
}

/**
 * Whether an im2col layer reads NHWC input where it lies, saving the layout pass: with
 * compact k, a pixel's channels are already its k values end to end; with every kernel
 * group's channels in whole quads, a pixel's quads are 16 bytes apart instead of a plane,
 * and the packing's 4×4 transposes take them as they lie.
 */
export function readsNHWC(p: ConvShape & { algorithm: string; layout: string }): boolean {
  const kg = kernelGroups(p.c, p.oc, p.groups);
  return p.algorithm === "im2col" && p.layout === "NHWC" && (compactK(p.c, kg, p.kh, p.kw) || (p.c / kg) % 4 === 0);
}

/**
 * Whether a GEMM layer reads NCHW input where it lies, saving the layout pass: a 1×1
 * layer, and im2col without compact k, whose panel rows are one channel's four pixels,
 * loaded from its plane where they lie side by side (assembly/conv/im2col.ts).
 */
export function readsNCHW(p: ConvShape & { algorithm: string; layout: string }): boolean {
  // (The kernels' plane offsets are 32-bit: a plane of 2²⁸ pixels or more takes the
  // conversion pass, which says it cannot fit.)
  const kg = kernelGroups(p.c, p.oc, p.groups);
  return p.layout === "NCHW" && p.h * p.w < 2 ** 28 && (p.algorithm === "1x1" || (p.algorithm === "im2col" && !compactK(p.c, kg, p.kh, p.kw)));
}

/** Phase 0 alone: OIHW weights at weightAt into packed panels at packedAt. */
export function packGemmWeights(
  engine: Engine, c: number, shape: Shape4, groups: number, weightAt: number, packedAt: number,
  layout: { kg?: number; kcq?: number } = {},
): Promise<void> {
  const [oc, , kh, kw] = shape;
  const kg = layout.kg ?? kernelGroups(c, oc, groups);
  const kcq = layout.kcq ?? kBlockQuads(gemmKQuads(c, kg, kh, kw));
  const p = { n: 0, c, h: 0, w: 0, oc, kh, kw, groups, sh: 1, sw: 1, dh: 1, dw: 1, pad: [0, 0, 0, 0], oh: 0, ow: 0, act: 0 };
  const args = gemmConvArgs({
    p, kg, input: 0, weight: weightAt, packed: packedAt, out: 0, bias: 0, scratch: 0, scratchStride: 0,
    mc: 0, kcq, nc: 0, mBlocks: 0, nBlocks: 0, packPhase: true, direct: false,
  });
  const panels = weightPanels(oc, kg);
  return engine.run("conv", args, [panels, 0], { solo: panels * kh * kw * c * NR < 1 << 16 });
}

export interface GemmConvPlan {
  mc: number; kcq: number; nc: number; mBlocks: number; nBlocks: number;
  scratchStride: number; groups: number; packGroups: number;
  /** KC blocks of k: with one, a tile is finished in one pass and can be stored as NCHW. */
  kBlocks: number;
}

// Blocks MC×NC, MC narrowed (in whole tiles) until every thread has a few groups.
export function planGemmConv(p: ConvShape, threads: number): GemmConvPlan {
  const kg = kernelGroups(p.c, p.oc, p.groups);
  const m = p.oh * p.ow;
  const nK = quads(p.oc / kg) * 4;
  const kq = gemmKQuads(p.c, kg, p.kh, p.kw);
  const nc = Math.min(NC, Math.ceil(nK / NR) * NR);
  const nBlocks = Math.ceil(nK / nc);
  const count = (mc: number) => p.n * kg * nBlocks * Math.ceil(m / mc);
  const mc = fitBlock(threads, Math.min(MC, Math.ceil(m / MR) * MR), 4 * MR, MR, count);
  const kcq = kBlockQuads(kq);
  // 64 zero bytes, a 128-byte tile, a 128-byte stage (NCHW output), the packed A block,
  // and for compact k four pixels' k values end to end and each tile's window address
  // (4 bytes per tile of MR pixels) (assembly/conv/conv-gemm.ts).
  const block = mc * kcq * 64 / MR;
  const compact = compactK(p.c, kg, p.kh, p.kw);
  const compactBytes = compact ? 4 * Math.ceil(((p.kh * p.kw * p.c + 16) * 4) / 64) * 64 + (mc / MR) * 4 : 0;
  return {
    mc, kcq, nc, mBlocks: Math.ceil(m / mc), nBlocks, scratchStride: 320 + block + compactBytes, groups: count(mc), kBlocks: Math.ceil(kq / kcq),
    packGroups: weightPanels(p.oc, kg),
  };
}
