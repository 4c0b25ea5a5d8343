// Winograd F(2×2, 3×3) and F(4×4, 3×3) for conv2d: which layers take it, which F, the
// weight transform, the blocking, and the job's argument words.
// Kernels: assembly/conv/winograd.ts, winograd-f43.ts.
import { bind, fitBlock, input, rowBands, threadsFor, type Engine } from "../../run.ts";
import type { WinogradArgs } from "../schema.gen.ts";
import { quads } from "../tensor/types.ts";
import { withGeometry, type ConvShape } from "./geometry.ts";

/** A layer Winograd computes: 3×3, stride 1, dilation 1, one group. */
export function winogradFits(p: Pick<ConvShape, "kh" | "kw" | "sh" | "sw" | "dh" | "dw" | "groups">): boolean {
  return p.kh === 3 && p.kw === 3 && p.sh === 1 && p.sw === 1 && p.dh === 1 && p.dw === 1 && p.groups === 1;
}

/**
 * Where the planner picks Winograd over im2col, and which: F(4×4) from 4 channels in and
 * out, ahead of F(2×2) and im2col on every such layer measured; with fewer (an RGB input)
 * im2col wins (docs/decisions/winograd.md).
 */
export function winogradPays(c: number, oc: number): boolean {
  return c >= 4 && oc >= 4;
}

/**
 * Outputs per tile side: 4 (F(4×4, 3×3)), or 2 for layers of fewer channels, forced to
 * Winograd, where F(2×2)'s smaller error is worth more. Chosen from the weights' shape
 * alone, since packConv packs for one before any input size is known.
 */
export function winogradTile(c: number, oc: number): number {
  return winogradPays(c, oc) ? 4 : 2;
}

/** Products per channel pair: (tile + 2)². */
const products = (tile: number) => (tile + 2) ** 2;

/** Floats of the transformed weights before packing: [ξ][oc][c]. */
export const winogradRawLength = (oc: number, c: number) => products(winogradTile(c, oc)) * oc * c;

/** Floats of the packed matrices U_ξ (GEMM B panels, k = input channels, n = oc). */
export const winogradPackedLength = (c: number, oc: number) => products(winogradTile(c, oc)) * quads(c) * 4 * Math.ceil(oc / 8) * 8;

/** Filters (oc·c pairs) below which the caller transforms them alone (a dispatch costs more). */
const TRANSFORM_SOLO_BELOW = 1 << 12;

/**
 * U = G·g·Gᵀ for every (oc, c) of the OIHW 3×3 weights at `weightAt`, in f64 and rounded
 * once, into [ξ][oc][c] at `outAt` (winogradRawLength floats), so that each ξ is an oc×c
 * "1×1 weight" the GEMM packer takes as is; bands of output channels across the threads
 * (assembly/conv/winograd-weights.ts).
 */
export function transformWeights(engine: Engine, weightAt: number, oc: number, c: number, outAt: number): Promise<void> {
  const threads = threadsFor(engine, oc * c, TRANSFORM_SOLO_BELOW);
  const bands = rowBands(threads, oc);
  const tile = winogradTile(c, oc);
  const G = tile === 4 ? G4 : G2;
  return bind(engine.arena, { g: input(engine.arena, G, G.length, "winograd G") }, (at) =>
    engine.run("winogradWeights", { weight: weightAt, oc, c, tile, g: at.g, out: outAt, ocPerGroup: bands.rows }, [bands.groups], { solo: threads === 1 }));
}

// G, row-major, 4×3 for F(2×2) and 6×3 for F(4×4): U = G·g·Gᵀ.
const G2 = Float64Array.of(1, 0, 0, 1 / 2, 1 / 2, 1 / 2, 1 / 2, -1 / 2, 1 / 2, 0, 0, 1);
const G4 = Float64Array.of(1 / 4, 0, 0, -1 / 6, -1 / 6, -1 / 6, -1 / 6, 1 / 6, -1 / 6, 1 / 24, 1 / 12, 1 / 6, 1 / 24, -1 / 12, 1 / 6, 0, 0, 1);

export interface WinogradJob {
  tile: number;
  tiles: number;
  scratchStride: number;
  groups: number;
}

/** Scratch a group's transformed tiles may take: V and M of T tiles stay in L2
 * (docs/decisions/winograd.md). */
const SCRATCH = 256 * 1024;

// Tiles per group: as many as fit the scratch, fewer so every thread has a few groups.
export function planWinograd(p: ConvShape, threads: number): WinogradJob {
  const tile = winogradTile(p.c, p.oc);
  const xis = products(tile);
  const perTile = xis * 16 * (quads(p.c) + quads(p.oc));
  const tilesAll = Math.ceil(p.oh / tile) * Math.ceil(p.ow / tile);
  const count = (tiles: number) => p.n * Math.ceil(tilesAll / tiles);
  const tiles = fitBlock(threads, Math.max(4, Math.min(64, Math.floor(SCRATCH / perTile / 4) * 4, Math.ceil(tilesAll / 4) * 4)), 4, 4, count);
  // After V and M, a stage of ξ × 4 tiles (also the output transform's 448 bytes).
  return { tile, tiles, scratchStride: Math.ceil((perTile * tiles) / 64) * 64 + xis * 64, groups: count(tiles) };
}

export function winogradArgs(p: ConvShape, j: WinogradJob, at: { input: number; weights: number; out: number; bias: number; scratch: number }): WinogradArgs {
  return withGeometry(p, {
    input: at.input, packed: at.weights, out: at.out, bias: at.bias, act: p.act,
    scratch: at.scratch, scratchStride: j.scratchStride, tiles: j.tiles, oc: p.oc, tile: j.tile,
  });
}
