// The blocked driver (BLIS's loops around the microkernel), as two phases of one job:
//   0 pack:    each group packs one NR-column panel of op(B) for every KC block, into a
//              buffer all threads share (skipped when B was packed ahead, cl.packB);
//   1 compute: each group is one MC×NC block of C. For each KC block it packs its rows
//              of op(A) into the thread's scratch, then runs the microkernel over every
//              MR×NR tile, NR panels outside, MR panels inside, so one B micro-panel
//              (KC·NR·4 = 8 KiB) stays in L1 while the A block (MC·KC·4) sits in L2.
// Block sizes are chosen by src/ops/gemm/gemm.ts (docs/decisions/gemm-blocking.md).
import { Config, GemmArgs, MR, NR } from "../runtime/schema.gen";
import { packA, packBPanel, packedPanel } from "./pack";
import { microkernel, microkernel1, microkernel1Few, microkernelRows } from "./micro";


// Pack every KC block of one NR panel of op(B): phase 0 (cl.packB runs phase 0 alone).
function packBAll(b: usize, ldb: i32, transB: bool, n: i32, k: i32, kcBlock: i32, panel: i32, packed: usize): void {
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    packBPanel(b, ldb, transB, n, panel * NR, p0, kc, packedPanel(packed, n, p0, kc, panel));
  }
}

export function gemmGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const n = GemmArgs.n(ctrl);
  const k = GemmArgs.k(ctrl);
  const kcBlock = GemmArgs.kc(ctrl);
  const packed = GemmArgs.packedB(ctrl);
  if (phase == 0 && GemmArgs.packPhase(ctrl)) {
    packBAll(GemmArgs.b(ctrl), GemmArgs.ldb(ctrl), GemmArgs.transB(ctrl), n, k, kcBlock, group, packed);
    return;
  }
  const m = GemmArgs.m(ctrl);
  const mBlocks = GemmArgs.mBlocks(ctrl);
  const mcBlock = GemmArgs.mc(ctrl);
  const ncBlock = GemmArgs.nc(ctrl);
  // Neighbouring groups share a column block, so its packed B stays in cache.
  const i0 = (group % mBlocks) * mcBlock;
  const j0 = (group / mBlocks) * ncBlock;
  const mc = min(mcBlock, m - i0);
  const nc = min(ncBlock, n - j0);
  const a = GemmArgs.a(ctrl);
  const lda = GemmArgs.lda(ctrl);
  const transA = GemmArgs.transA(ctrl);
  const c = GemmArgs.c(ctrl);
  const ldc = GemmArgs.ldc(ctrl);
  const alpha = GemmArgs.alpha(ctrl);
  const beta = GemmArgs.beta(ctrl);
  const bias = GemmArgs.bias(ctrl);
  const act = GemmArgs.act(ctrl);
  const few = Config.gemvFewAccumulators(ctrl);
  const scratch = GemmArgs.scratch(ctrl) + <usize>tid * GemmArgs.scratchStride(ctrl);
  const mcPad = (mcBlock + MR - 1) / MR * MR;
  const tile = scratch + (<usize>mcPad * <usize>kcBlock << 2);
  // Row-major A is read where it lies, unless it is a single row (the one-row kernel
  // reads a packed panel) or the engine packs it faster (Config.gemmRowsInPlace).
  const inPlace = !transA && m > 1 && Config.gemmRowsInPlace(ctrl);
  const splats = Config.gemmPackedSplats(ctrl);
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    if (!inPlace) packA(a, lda, transA, i0, mc, p0, kc, scratch);
    const first = p0 == 0;
    const last = p0 + kc >= k;
    for (let jr = 0; jr < nc; jr += NR) {
      const j = j0 + jr;
      const bp = packedPanel(packed, n, p0, kc, j / NR);
      const nr = min(NR, nc - jr);
      const biasAt: usize = bias ? bias + (<usize>j << 2) : 0;
      for (let ir = 0; ir < mc; ir += MR) {
        const cp = c + ((<usize>(i0 + ir) * <usize>ldc + <usize>j) << 2);
        const ap = scratch + (<usize>ir * <usize>kc << 2);
        const mr = min(MR, mc - ir);
        if (inPlace) {
          const rows = a + ((<usize>(i0 + ir) * <usize>lda + <usize>p0) << 2);
          microkernelRows(1, kc, rows, 0, <usize>lda << 2, bp, cp, <usize>ldc << 2, 16, mr, nr, alpha, beta, first, last, biasAt, act, tile);
        } else if (mr == 1) {
          if (few) microkernel1Few(kc, ap, bp, cp, nr, alpha, beta, first, last, biasAt, act, tile);
          else microkernel1(kc, ap, bp, cp, nr, alpha, beta, first, last, biasAt, act, tile);
        } else microkernel(kc, ap, bp, cp, <usize>ldc << 2, 16, mr, nr, alpha, beta, first, last, biasAt, act, tile, splats);
      }
    }
  }
}
