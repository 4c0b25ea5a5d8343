// The blocked driver (BLIS's loops around the microkernel), as two phases of one job:
//   0 pack:    each group packs one NR-column panel of op(B) for every KC block, into a
//              buffer all threads share (skipped when B was packed ahead, cl.packB);
//   1 compute: each group is one MC×NC block of C. For each KC block it packs its rows
//              of op(A) into the thread's scratch, then runs the microkernel over every
//              MR×NR tile, NR panels outside, MR panels inside, so one B micro-panel
//              (KC·NR·4 = 8 KiB) stays in L1 while the A block (MC·KC·4) sits in L2.
// Block sizes are chosen by src/ops/gemm.ts, which documents them.
import { argF32, argI32 as arg, argPtr } from "../runtime/job";
import { MR, NR, packA, packBPanel, packedPanel } from "./pack";
import { microkernel, microkernel1, microkernel1Few } from "./micro";

const A_M = 0;
const A_N = 1;
const A_K = 2;
const A_A = 3;
const A_LDA = 4;
const A_TRANS_A = 5;
const A_B = 6;
const A_LDB = 7;
const A_TRANS_B = 8;
const A_C = 9;
const A_LDC = 10;
const A_ALPHA = 11; // f32 bits
const A_BETA = 12; // f32 bits
const A_BIAS = 13; // 0: none
const A_ACT = 14;
const A_PACKED_B = 15;
const A_SCRATCH = 16; // per thread: the A block, then a 128-byte tile
const A_SCRATCH_STRIDE = 17;
const A_MC = 18;
const A_KC = 19;
const A_NC = 20;
const A_M_BLOCKS = 21;
const A_PACK_PHASE = 22; // 1: phase 0 packs B; 0: B came packed
const A_FEW = 23; // 1: the one-row kernel with four accumulators (V8 before 12; see micro.ts)

// Pack every KC block of one NR panel of op(B): phase 0 (cl.packB runs phase 0 alone).
function packBAll(b: usize, ldb: i32, transB: bool, n: i32, k: i32, kcBlock: i32, panel: i32, packed: usize): void {
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    packBPanel(b, ldb, transB, n, panel * NR, p0, kc, packedPanel(packed, n, p0, kc, panel));
  }
}

export function gemmGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const n = arg(ctrl, A_N);
  const k = arg(ctrl, A_K);
  const kcBlock = arg(ctrl, A_KC);
  const packed = argPtr(ctrl, A_PACKED_B);
  if (phase == 0 && arg(ctrl, A_PACK_PHASE) != 0) {
    packBAll(argPtr(ctrl, A_B), arg(ctrl, A_LDB), arg(ctrl, A_TRANS_B) != 0, n, k, kcBlock, group, packed);
    return;
  }
  const m = arg(ctrl, A_M);
  const mBlocks = arg(ctrl, A_M_BLOCKS);
  const mcBlock = arg(ctrl, A_MC);
  const ncBlock = arg(ctrl, A_NC);
  // Neighbouring groups share a column block, so its packed B stays in cache.
  const i0 = (group % mBlocks) * mcBlock;
  const j0 = (group / mBlocks) * ncBlock;
  const mc = min(mcBlock, m - i0);
  const nc = min(ncBlock, n - j0);
  const a = argPtr(ctrl, A_A);
  const lda = arg(ctrl, A_LDA);
  const transA = arg(ctrl, A_TRANS_A) != 0;
  const c = argPtr(ctrl, A_C);
  const ldc = arg(ctrl, A_LDC);
  const alpha = argF32(ctrl, A_ALPHA);
  const beta = argF32(ctrl, A_BETA);
  const bias = argPtr(ctrl, A_BIAS);
  const act = arg(ctrl, A_ACT);
  const few = arg(ctrl, A_FEW) != 0;
  const scratch = argPtr(ctrl, A_SCRATCH) + <usize>tid * argPtr(ctrl, A_SCRATCH_STRIDE);
  const mcPad = (mcBlock + MR - 1) / MR * MR;
  const tile = scratch + (<usize>mcPad * <usize>kcBlock << 2);
  for (let p0 = 0; p0 < k; p0 += kcBlock) {
    const kc = min(kcBlock, k - p0);
    packA(a, lda, transA, i0, mc, p0, kc, scratch);
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
        if (mr == 1) {
          if (few) microkernel1Few(kc, ap, bp, cp, nr, alpha, beta, first, last, biasAt, act, tile);
          else microkernel1(kc, ap, bp, cp, nr, alpha, beta, first, last, biasAt, act, tile);
        }
        else microkernel(kc, ap, bp, cp, <usize>ldc << 2, 16, mr, nr, alpha, beta, first, last, biasAt, act, tile);
      }
    }
  }
}
