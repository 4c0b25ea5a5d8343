// Winograd F(2×2, 3×3) for conv2d: which layers take it, the weight transform, the
// blocking, and the job's argument words. Kernel: assembly/conv/winograd.ts.
import type { ConvPlan } from "./conv2d.ts";
import { geometryArgs, quads } from "./geometry.ts";


/** A layer Winograd F(2×2, 3×3) computes: 3×3, stride 1, dilation 1, one group. */
export function winogradFits(p: Pick<ConvPlan, "kh" | "kw" | "sh" | "sw" | "dh" | "dw" | "groups">): boolean {
  return p.kh === 3 && p.kw === 3 && p.sh === 1 && p.sw === 1 && p.dh === 1 && p.dw === 1 && p.groups === 1;
}

/**
 * Where the planner picks Winograd over im2col. Measured (Node 20, one thread, NC4HW4,
 * same-run ratios to XNNPACK, Winograd / im2col): 3 → 64 channels at 224² 0.59 / 0.61,
 * 8 → 8 at 56² 1.02 / 0.60, 16 → 16 at 112² 0.75 / 0.79, 64 → 64 at 56² 1.36 / 0.90,
 * 128 → 128 at 28² 1.67 / 0.94, 256 → 256 at 14² 1.70 / 0.93, 512 → 512 at 7² 1.60 / 0.89.
 * So from 8 channels in and out; below that the two are level and im2col is exact-er.
 */
export function winogradPays(c: number, oc: number): boolean {
  return c >= 8 && oc >= 8;
}

/** Floats of the 16 packed matrices U_ξ (GEMM B panels, k = input channels, n = oc). */
export const winogradPackedLength = (c: number, oc: number) => 16 * quads(c) * 4 * Math.ceil(oc / 8) * 8;

/**
 * U = G·g·Gᵀ for every (oc, c) of OIHW 3×3 weights, in float64, rounded once:
 * [16][oc][c], so that each ξ is an oc×c "1×1 weight" the GEMM packer takes as is.
 * G rows: (1, 0, 0), (½, ½, ½), (½, −½, ½), (0, 0, 1).
 */
export function transformWeights(weight: Float32Array, oc: number, c: number): Float32Array {
  const u = new Float32Array(16 * oc * c);
  const t = new Float64Array(12); // G·g, 4×3
  for (let o = 0; o < oc; o++) {
    for (let ci = 0; ci < c; ci++) {
      const g = (o * c + ci) * 9;
      for (let j = 0; j < 3; j++) {
        const g0 = weight[g + j], g1 = weight[g + 3 + j], g2 = weight[g + 6 + j];
        t[j] = g0;
        t[3 + j] = (g0 + g1 + g2) / 2;
        t[6 + j] = (g0 - g1 + g2) / 2;
        t[9 + j] = g2;
      }
      for (let r = 0; r < 4; r++) {
        const t0 = t[3 * r], t1 = t[3 * r + 1], t2 = t[3 * r + 2];
        const row = [t0, (t0 + t1 + t2) / 2, (t0 - t1 + t2) / 2, t2];
        for (let k = 0; k < 4; k++) u[((r * 4 + k) * oc + o) * c + ci] = row[k];
      }
    }
  }
  return u;
}

export interface WinogradJob {
  tiles: number;
  scratchStride: number;
  groups: number;
}

/** Scratch a group's transformed tiles may take: V and M of T tiles stay in L2 (128 KiB
 * and 512 KiB measured the same within noise). */
const SCRATCH = 256 * 1024;

// Tiles (2×2 outputs) per group: as many as fit the scratch, fewer so every thread has a few groups.
export function planWinograd(p: ConvPlan, threads: number): WinogradJob {
  const perTile = 16 * 16 * (quads(p.c) + quads(p.oc));
  const tilesAll = Math.ceil(p.oh / 2) * Math.ceil(p.ow / 2);
  let tiles = Math.max(4, Math.min(64, Math.floor(SCRATCH / perTile / 4) * 4, Math.ceil(tilesAll / 4) * 4));
  const count = () => p.n * Math.ceil(tilesAll / tiles);
  while (threads > 1 && count() < 4 * threads && tiles > 4) tiles = Math.ceil(tiles / 2 / 4) * 4;
  return { tiles, scratchStride: Math.ceil((perTile * tiles) / 64) * 64 + 1024, groups: count() };
}

export function winogradArgs(p: ConvPlan, j: WinogradJob, at: { input: number; packed: number; out: number; bias: number; scratch: number }): number[] {
  return [...geometryArgs(p), at.input, at.packed, at.out, at.bias, p.act, at.scratch, j.scratchStride, j.tiles, p.oc];
}
