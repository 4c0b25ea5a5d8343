// Depthwise convolution: its weight packing, blocking, and the job's argument words.
// Kernel: assembly/conv/depthwise.ts.
import { GROUPS_PER_THREAD, enoughGroups } from "../../run.ts";
import { LAYOUT_NC4HW4, LAYOUT_NCHW, LAYOUT_NHWC, PLANAR_SCRATCH_BLOCK_BYTES, PLANAR_SCRATCH_BYTES, type DepthwiseArgs, type KernelConfig } from "../schema.gen.ts";
import { quads, type Layout, type Shape4 } from "../tensor/types.ts";
import { withGeometry, type ConvShape } from "./geometry.ts";
import { hasRowBlock, hasWindow } from "./windows.gen.ts";

/** A depthwise group's padded input rows stay under this many bytes (L2-resident). */
const DEPTHWISE_SCRATCH = 96 * 1024;
/** An NHWC input's rows that a row block reads, for all its quads, stay under this (L2). */
const NHWC_ROWS_BYTES = 192 * 1024;
/** A quad's row block bound for NCHW output stays under this in scratch (L1). */
const NCHW_BLOCK_BYTES = 32 * 1024;

/** Depthwise weights [oc4][kh·kw][4]: a tap's four output channels in one v128. */
export function packDepthwise(weight: Float32Array, [oc, , kh, kw]: Shape4, into: Float32Array): void {
  const taps = kh * kw;
  into.fill(0, 0, quads(oc) * taps * 4);
  for (let o = 0; o < oc; o++) {
    const at = (o >> 2) * taps * 4 + (o & 3);
    for (let t = 0; t < taps; t++) into[at + t * 4] = weight[o * taps + t];
  }
}

export interface DepthwiseJob {
  rows: number; paddedW: number; scratchStride: number; groups: number; quadsPerGroup: number;
  inLayout: number; outLayout: number; outRowAt: number; rowBlock: number; planar: boolean;
}

const LAYOUT_CODES: Record<Layout, number> = { NC4HW4: LAYOUT_NC4HW4, NCHW: LAYOUT_NCHW, NHWC: LAYOUT_NHWC };

// Row blocks: every thread gets a few groups, and a group's padded input rows stay small.
// The padded copy (paddedW > 0) only where reading in place would leave fewer than half
// of a row's outputs to the blocks (large kernels on small images), or channels must be
// gathered (a multiplier), or the input is NCHW, or NHWC with no window kernel or a partial
// quad (the copy gathers each pixel's quad where it lies, instead of a conversion pass over
// the whole tensor). Elsewhere it is a pass over the input that buys nothing: it was
// slower except on inputs far out of cache (docs/decisions/depthwise.md). The window
// kernels read NHWC in place and write NHWC in place when the quads are whole; other
// NHWC outputs are written a row at a time from a row in scratch, NCHW ones a quad's row
// block at a time. NCHW to NCHW 3×3/2 goes plane by plane where the engine's kernels
// have the planar kernel (`kernels`: the engine's variants).
export function planDepthwise(p: ConvShape, threads: number, inLayout: Layout = "NC4HW4", outLayout: Layout = "NC4HW4", kernels?: Readonly<KernelConfig>): DepthwiseJob {
  if (kernels?.depthwisePlanar && planar(p, inLayout, outLayout)) return planPlanar(p, threads);
  const lastTap = (p.kw - 1) * p.dw;
  const start = Math.ceil(p.pad[1] / p.sw);
  const end = Math.min(p.ow, Math.floor((p.w - 1 + p.pad[1] - lastTap) / p.sw) + 1);
  // NHWC is read in place by the window kernels when its quads are whole.
  const nhwcInPlace = hasWindow(p.kw, p.sw, p.dw) && p.c % 4 === 0;
  // A row four to eight wide may be one block of its own, its padding skipped (each edge
  // padded by (kw - 1) / 2 or not at all), in place or over the copy's zeros; then all
  // of it is blocks. The kernel takes the row's edges from `rowBlock` (0: no such block).
  const half = (p.kw - 1) >> 1, lastCol = (p.ow - 1) * p.sw - p.pad[1] + lastTap;
  const leftPad = half > 0 && p.pad[1] === half, rightPad = half > 0 && lastCol === p.w - 1 + half;
  const edges = (leftPad ? 1 : 0) | (rightPad ? 2 : 0);
  const rowBlock = hasWindow(p.kw, p.sw, p.dw) && (leftPad || p.pad[1] === 0) && (rightPad || lastCol <= p.w - 1)
    && hasRowBlock(p.kw, p.sw, p.ow, edges) ? edges : 0;
  const copy = p.oc !== p.c || (2 * (end - start) < p.ow && !rowBlock) || inLayout === "NCHW" || (inLayout === "NHWC" && !nhwcInPlace);
  const paddedW = copy ? Math.max(p.pad[1] + p.w, (p.ow - 1) * p.sw + lastTap + 1) : 0;
  const inRows = (rows: number) => Math.min(p.h, (rows - 1) * p.sh + (p.kh - 1) * p.dh + 1);
  // A group is quads' row blocks, or with NHWC on either side a row block of every quad.
  const perQuad = inLayout !== "NHWC" && outLayout !== "NHWC";
  const planes = perQuad ? p.n * quads(p.oc) : p.n;
  let rows = p.oh;
  if (!enoughGroups(threads, planes)) rows = Math.ceil(p.oh / Math.ceil((GROUPS_PER_THREAD * threads) / planes));
  while (copy && rows > 1 && inRows(rows) * paddedW * 16 > DEPTHWISE_SCRATCH) rows = Math.ceil(rows / 2);
  // NHWC input: the quads of a row block run one after another, reading the same input rows.
  while (inLayout === "NHWC" && rows > 1 && inRows(rows) * p.w * p.c * 4 > NHWC_ROWS_BYTES) rows = Math.ceil(rows / 2);
  while (outLayout === "NCHW" && rows > 1 && rows * p.ow * 16 > NCHW_BLOCK_BYTES) rows = Math.ceil(rows / 2);
  const rowsBytes = copy ? Math.ceil((inRows(rows) * paddedW * 16) / 64) * 64 + 64 : 0;
  // Scratch for output not written in place: a quad's row block for NCHW; a row for NHWC
  // the window kernels cannot write in place (the kernel's own test, `direct` in
  // assembly/conv/depthwise.ts).
  const outInPlace = outLayout === "NC4HW4" || (outLayout === "NHWC" && hasWindow(p.kw, p.sw, p.dw) && p.oc % 4 === 0);
  const outRowBytes = outInPlace ? 0 : Math.ceil(((outLayout === "NCHW" ? rows : 1) * p.ow * 16) / 64) * 64 + 64;
  // No NHWC side: a group takes as many quads as leave every thread enough groups (all of them
  // on one thread), so the column plan is made once for them all.
  const rowBlocks = Math.ceil(p.oh / rows);
  const groupsOf = (per: number) => p.n * Math.ceil(quads(p.oc) / per) * rowBlocks;
  let quadsPerGroup = quads(p.oc);
  while (perQuad && quadsPerGroup > 1 && !enoughGroups(threads, groupsOf(quadsPerGroup))) quadsPerGroup = Math.ceil(quadsPerGroup / 2);
  const groups = perQuad ? groupsOf(quadsPerGroup) : planes * rowBlocks;
  return {
    rows, paddedW, scratchStride: rowsBytes + outRowBytes, groups, quadsPerGroup,
    inLayout: LAYOUT_CODES[inLayout], outLayout: LAYOUT_CODES[outLayout], outRowAt: rowsBytes, rowBlock, planar: false,
  };
}

/**
 * NCHW to NCHW, 3×3 at stride 2 with at most one padding column on the left and row on
 * top, no multiplier, rows of four outputs or more: each channel plane where it lies, four
 * outputs of a row in a v128 (assembly/conv/depthwise-planar.ts). Through quads, the
 * gather into them and the transposes back cost as much as the arithmetic.
 */
function planar(p: ConvShape, inLayout: Layout, outLayout: Layout): boolean {
  return inLayout === "NCHW" && outLayout === "NCHW" && p.oc === p.c && p.kh === 3 && p.kw === 3 && p.sh === 2 && p.sw === 2
    && p.dh === 1 && p.dw === 1 && p.pad[0] <= 1 && p.pad[1] <= 1 && p.ow >= 4;
}

/** A planar job: a group is runs of quads' planes, as many as leave every thread enough groups. */
function planPlanar(p: ConvShape, threads: number): DepthwiseJob {
  const groupsOf = (per: number) => p.n * Math.ceil(quads(p.oc) / per);
  let quadsPerGroup = quads(p.oc);
  while (quadsPerGroup > 1 && !enoughGroups(threads, groupsOf(quadsPerGroup))) quadsPerGroup = Math.ceil(quadsPerGroup / 2);
  const scratchStride = Math.ceil((PLANAR_SCRATCH_BYTES + PLANAR_SCRATCH_BLOCK_BYTES * Math.ceil(p.ow / 4)) / 64) * 64;
  return {
    rows: p.oh, paddedW: 0, scratchStride, groups: groupsOf(quadsPerGroup), quadsPerGroup,
    inLayout: LAYOUT_NCHW, outLayout: LAYOUT_NCHW, outRowAt: 0, rowBlock: 0, planar: true,
  };
}

export function depthwiseArgs(p: ConvShape, j: DepthwiseJob, at: { input: number; weights: number; bias: number; out: number; scratch: number }): DepthwiseArgs {
  return withGeometry(p, {
    mult: p.oc / p.c, input: at.input, weights: at.weights, bias: at.bias, act: p.act, out: at.out,
    scratch: at.scratch, scratchStride: j.scratchStride, rows: j.rows, paddedW: j.paddedW, c: p.c,
    inLayout: j.inLayout, outLayout: j.outLayout, outRowAt: j.outRowAt, quadsPerGroup: j.quadsPerGroup, rowBlock: j.rowBlock,
    planar: j.planar,
  });
}
