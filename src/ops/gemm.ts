// gemm(): C = alpha·op(A)·op(B) + beta·C + bias, then the activation; row-major f32.
// Validate, plan the blocks, copy in, dispatch, copy out. Kernels: assembly/gemm/.
import { checkBool, checkInt, checkLength, checkNumber, checkOptions, describe, recheckLength } from "../errors.ts";
import { OP_GEMM } from "../job.ts";
import type { Engine } from "./engine.ts";
import { DeviceBuffer, checkF32Operand, checkPacked, deviceBuffers, registerPacked, type F32Operand } from "../buffer.ts";
import { v8HoistsLoads } from "../platform.ts";

/**
 * op(B) packed once into the microkernel's panel layout (cl.packB), for inference that
 * multiplies by the same weights every time: gemm() takes it in place of b and skips
 * packing. Its memory stays in the context until dispose().
 */
export class PackedMatrix {
  /** @internal */
  constructor(
    /** @internal */ readonly panels: DeviceBuffer<Float32Array>,
    readonly k: number,
    readonly n: number,
  ) {
    registerPacked(this);
    Object.freeze(this); // k and n are what gemm checks the call against
  }

  get isDisposed(): boolean {
    return this.panels.isDisposed;
  }

  /** Free the packed panels (once no queued call uses them). */
  dispose(): void {
    this.panels.dispose();
  }
}

export interface PackBOptions {
  k: number;
  n: number;
  /** B is stored n×k. Default false. */
  transB?: boolean;
  /** Row stride of B in elements; default its row width. */
  ldb?: number;
}

export type Activation = "none" | "relu" | "relu6";

export interface GemmOptions {
  m: number;
  n: number;
  k: number;
  /** A is stored k×m (its transpose). Default false. */
  transA?: boolean;
  /** B is stored n×k. Default false. */
  transB?: boolean;
  /** Default 1. */
  alpha?: number;
  /** Default 0; then C is not read (NaN in it does not propagate), as BLAS does. */
  beta?: number;
  /** C, m×n (row stride ldc): read when beta ≠ 0, and written in place. */
  c?: Float32Array | DeviceBuffer<Float32Array>;
  /** n values added to every row after alpha and beta. */
  bias?: Float32Array;
  /** Applied last. Default "none". */
  activation?: Activation;
  /** Row strides in elements, for sub-matrices; default the row widths. */
  lda?: number;
  ldb?: number;
  ldc?: number;
}

const KNOWN = ["m", "n", "k", "transA", "transB", "alpha", "beta", "c", "bias", "activation", "lda", "ldb", "ldc"] as const;
const ACTIVATIONS: Activation[] = ["none", "relu", "relu6"];

/**
 * The fused epilogue's options, as gemm and conv2d take them: `bias`, count values added to
 * the output's columns (channels), and `activation`, sent to the kernels as its index.
 */
export function checkEpilogue(op: string, bias: unknown, activation: unknown, count: number, countName: string): { bias: Float32Array | null; act: number } {
  if (bias !== undefined) {
    if (!(bias instanceof Float32Array)) throw new TypeError(`simdcl: ${op} bias must be a Float32Array, got ${describe(bias)}`);
    if (bias.length !== count) throw new RangeError(`simdcl: ${op} bias must have ${countName} = ${count} elements, got ${bias.length}`);
  }
  const act = ACTIVATIONS.indexOf((activation ?? "none") as Activation);
  if (act < 0) throw new TypeError(`simdcl: ${op} activation must be "none", "relu" or "relu6", got ${describe(activation)}`);
  return { bias: (bias as Float32Array | undefined) ?? null, act };
}
const MAX_DIM = 2 ** 24;

// Tile and block sizes (assembly/gemm/micro.ts and gemm.ts say why the kernel has them):
export const MR = 4;
export const NR = 8;
/** One B micro-panel KC·NR·4 = 8 KiB stays in L1 (32 KiB) with the A micro-panel. */
export const KC = 256;
/** The A block MC·KC·4 = 128 KiB stays in L2 (512 KiB). */
export const MC = 128;
/** Widest column block; narrower when that leaves threads without work. */
export const NC = 1024;
/**
 * Below this m·n·k the caller runs alone: a dispatch costs more than it saves. Measured
 * (Node 20, 2 cores): two threads win from 48³ (12.2 µs against 13.2), break even at 40³.
 */
export const SOLO_BELOW = 48 * 48 * 48;
/** Elements of B below which cl.packB packs on the caller alone: an estimate (packing is a
 * copy, like the layout changes), not a measurement. */
const PACK_SOLO_BELOW = 1 << 16;


export interface GemmPlan {
  a: F32Operand;
  b: F32Operand | PackedMatrix;
  /** Device buffers the call reads, held until it is done. */
  buffers: DeviceBuffer[];
  c: F32Operand | null;
  bias: Float32Array | null;
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  alpha: number; beta: number;
  act: number;
  lda: number; ldb: number; ldc: number;
  /** Elements each operand spans with its row stride (C's: ldc, or n for a new array). */
  aLen: number; bLen: number; cLen: number;
}

/** Elements a rows×cols matrix spans with row stride ld. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}


export function planGemm(engine: Engine, a: unknown, b: unknown, options: unknown): GemmPlan {
  const o = checkOptions("gemm options", options, KNOWN);
  const m = checkInt("gemm m", o.m, 0, MAX_DIM);
  const n = checkInt("gemm n", o.n, 0, MAX_DIM);
  const k = checkInt("gemm k", o.k, 0, MAX_DIM);
  const transA = checkBool("gemm transA", o.transA, false);
  const transB = checkBool("gemm transB", o.transB, false);
  const alpha = checkNumber("gemm alpha", o.alpha, 1);
  const beta = checkNumber("gemm beta", o.beta, 0);
  const A = checkF32Operand(engine.arena, "gemm a", a);
  const packed = b instanceof PackedMatrix ? b : null;
  if (packed) {
    checkPacked(engine.arena, "gemm b", packed, "packed matrix");
    if (packed.k !== k || packed.n !== n) throw new RangeError(`simdcl: gemm b was packed for k=${packed.k}, n=${packed.n}, not k=${k}, n=${n}`);
    if (o.transB !== undefined || o.ldb !== undefined) throw new TypeError("simdcl: gemm transB and ldb were fixed when b was packed; leave them out");
  }
  const B = packed ?? checkF32Operand(engine.arena, "gemm b", b);
  // Stored shapes: A is m×k (k×m transposed), B is k×n (n×k transposed).
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = o.lda === undefined ? aCols : checkInt("gemm lda", o.lda, Math.max(1, aCols));
  const ldb = o.ldb === undefined ? bCols : checkInt("gemm ldb", o.ldb, Math.max(1, bCols));
  const ldc = o.ldc === undefined ? n : checkInt("gemm ldc", o.ldc, Math.max(1, n));
  const aLen = span(aRows, aCols, lda);
  const bLen = packed ? 0 : span(bRows, bCols, ldb);
  const cLen = span(m, n, ldc);
  checkLength("gemm a", A, aLen);
  checkLength("gemm b", B as F32Operand, bLen);
  const C = o.c === undefined ? null : checkF32Operand(engine.arena, "gemm c", o.c);
  if (C && (C === A || C === B)) throw new RangeError("simdcl: gemm c must not be the same buffer as a or b");
  if (C) checkLength("gemm c", C, cLen);
  else if (o.ldc !== undefined) throw new TypeError("simdcl: gemm ldc needs c (the result is a new m×n array otherwise)");
  if (beta !== 0 && !C) throw new TypeError(`simdcl: gemm beta is ${beta} but no c was given to scale`);
  const { bias, act } = checkEpilogue("gemm", o.bias, o.activation, n, "n");
  const plain = (v: unknown, elements: number) => (v instanceof DeviceBuffer ? 0 : elements * 4);
  engine.arena.checkFits(`gemm (m=${m}, n=${n}, k=${k}: its operands and result)`, plain(A, aLen) + plain(B, bLen) + (C ? plain(C, cLen) : m * n * 4) + (packed ? 0 : packedLength(k, n) * 4));
  const buffers = deviceBuffers(packed?.panels, A, B, C);
  return { a: A, b: B, buffers, c: C, bias, m, n, k, transA, transB, alpha, beta, act, lda, ldb, ldc, aLen, bLen, cLen };
}

export interface PackBPlan {
  b: Float32Array;
  k: number;
  n: number;
  transB: boolean;
  ldb: number;
  /** Elements B spans. */
  bLen: number;
}

export function planPackB(b: unknown, options: unknown): PackBPlan {
  const o = checkOptions("packB options", options, ["k", "n", "transB", "ldb"]);
  const k = checkInt("packB k", o.k, 0, MAX_DIM);
  const n = checkInt("packB n", o.n, 0, MAX_DIM);
  const transB = checkBool("packB transB", o.transB, false);
  if (!(b instanceof Float32Array)) throw new TypeError(`simdcl: packB b must be a Float32Array, got ${describe(b)}`);
  const [rows, cols] = transB ? [n, k] : [k, n];
  const ldb = o.ldb === undefined ? cols : checkInt("packB ldb", o.ldb, Math.max(1, cols));
  const bLen = span(rows, cols, ldb);
  checkLength("packB b", b, bLen);
  return { b, k, n, transB, ldb, bLen };
}

/** Packed size: k rows of every NR-wide panel (the layout assembly/gemm/gemm.ts reads). */
const packedLength = (k: number, n: number) => k * Math.ceil(n / NR) * NR;

export async function runPackB(engine: Engine, p: PackBPlan, allocate: (length: number) => DeviceBuffer<Float32Array>): Promise<PackedMatrix> {
  const { k, n } = p;
  recheckLength("packB b", p.b, p.bLen);
  const panels = allocate(packedLength(k, n));
  try {
    if (k > 0 && n > 0) {
      await engine.arena.scoped([p.bLen * 4], async ([bAt]) => {
        engine.arena.f32.set(p.b.subarray(0, p.bLen), bAt / 4);
        const args = gemmArgs({
          m: 0, n, k, a: 0, lda: 0, transA: false, b: bAt, ldb: p.ldb, transB: p.transB, c: 0, ldc: 0, alpha: 0, beta: 0,
          bias: 0, act: 0, packed: panels.offset, scratch: 0, scratchStride: 0, mc: 0, kc: Math.min(KC, k), nc: 0, mBlocks: 0, packPhase: true,
        });
        await engine.run(OP_GEMM, args, [Math.ceil(n / NR), 0], { solo: n * k < PACK_SOLO_BELOW });
      });
    }
  } catch (e) {
    panels.dispose();
    throw e;
  }
  return new PackedMatrix(panels, k, n);
}

// The job's argument words, in the slot order assembly/gemm/gemm.ts lists.
interface GemmArgs {
  m: number; n: number; k: number;
  a: number; lda: number; transA: boolean;
  b: number; ldb: number; transB: boolean;
  c: number; ldc: number; alpha: number; beta: number; bias: number; act: number;
  packed: number; scratch: number; scratchStride: number;
  mc: number; kc: number; nc: number; mBlocks: number; packPhase: boolean;
}

function gemmArgs(g: GemmArgs): number[] {
  return [
    g.m, g.n, g.k, g.a, g.lda, g.transA ? 1 : 0, g.b, g.ldb, g.transB ? 1 : 0, g.c, g.ldc,
    f32Bits(g.alpha), f32Bits(g.beta), g.bias, g.act, g.packed, g.scratch, g.scratchStride,
    g.mc, g.kc, g.nc, g.mBlocks, g.packPhase ? 1 : 0,
    v8HoistsLoads ? 1 : 0, // the one-row kernel's four-accumulator copy (assembly/gemm/micro.ts)
  ];
}

const bits = new Float32Array(1);
const bitsU32 = new Uint32Array(bits.buffer);
function f32Bits(x: number): number {
  bits[0] = x;
  return bitsU32[0];
}

function activate(v: number, act: number): number {
  if (act === 0 || Number.isNaN(v)) return v;
  v = Math.max(v, 0);
  return act === 2 ? Math.min(v, 6) : v;
}

export async function runGemm(engine: Engine, p: GemmPlan): Promise<F32Operand> {
  const { m, n, k } = p;
  // Arrays may have been detached or shrunk since the call was made.
  recheckLength("gemm a", p.a as Float32Array, p.aLen);
  recheckLength("gemm b", p.b as Float32Array, p.bLen);
  recheckLength("gemm c", p.c as Float32Array, p.cLen);
  recheckLength("gemm bias", p.bias, n);
  const result = p.c ?? new Float32Array(m * n);
  const { ldc, aLen, bLen, cLen } = p;
  if (m === 0 || n === 0) return result;
  if (k === 0) {
    const out = result instanceof DeviceBuffer ? result.array : result;
    // An empty sum: C = beta·C + bias, activated (f32 rounding as the kernel would).
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const at = i * ldc + j;
        const v = (p.beta === 0 ? 0 : Math.fround(p.beta * out[at])) + (p.bias ? p.bias[j] : 0);
        out[at] = activate(Math.fround(v), p.act);
      }
    }
    return result;
  }

  const solo = engine.threads === 1 || m * n * k < SOLO_BELOW;
  const threads = solo ? 1 : engine.threads;
  // Blocks: MC×NC, narrowed (in whole tiles) until every thread has a few groups.
  let mc = Math.min(MC, Math.ceil(m / MR) * MR);
  let nc = Math.min(NC, Math.ceil(n / NR) * NR);
  const groups = () => Math.ceil(m / mc) * Math.ceil(n / nc);
  // (One thread needs no split: each extra column block would only pack A again.)
  while (threads > 1 && groups() < 4 * threads && (nc > 4 * NR || mc > 4 * MR)) {
    if (nc > 4 * NR && nc >= mc) nc = Math.ceil(nc / 2 / NR) * NR;
    else mc = Math.ceil(mc / 2 / MR) * MR;
  }
  const kc = Math.min(KC, k);
  const packed = p.b instanceof PackedMatrix ? p.b : null;
  // Device operands are used where they lie; arrays are copied in (and C back out).
  const deviceA = p.a instanceof DeviceBuffer ? p.a : null;
  const deviceB = p.b instanceof DeviceBuffer ? p.b : null;
  const deviceC = result instanceof DeviceBuffer ? result : null;
  const panels = Math.ceil(n / NR);
  const scratchStride = (Math.ceil(mc / MR) * MR * kc + 32) * 4;
  const sizes = [
    deviceA ? 0 : aLen * 4,
    deviceB || packed ? 0 : bLen * 4,
    deviceC ? 0 : cLen * 4,
    p.bias ? n * 4 : 0,
    packed ? 0 : packedLength(k, n) * 4,
    threads * scratchStride,
  ];

  return engine.arena.scoped(sizes, async ([aTmp, bTmp, cTmp, biasAt, packTmp, scratchAt]) => {
    const f32 = engine.arena.f32;
    const aAt = deviceA ? deviceA.offset : aTmp;
    const bAt = deviceB ? deviceB.offset : bTmp;
    const cAt = deviceC ? deviceC.offset : cTmp;
    if (!deviceA) f32.set((p.a as Float32Array).subarray(0, aLen), aAt / 4);
    if (!deviceB && !packed) f32.set((p.b as Float32Array).subarray(0, bLen), bAt / 4);
    const packedAt = packed ? packed.panels.offset : packTmp;
    if (p.beta !== 0 && !deviceC) f32.set((result as Float32Array).subarray(0, cLen), cAt / 4);
    if (p.bias) f32.set(p.bias, biasAt / 4);
    const mBlocks = Math.ceil(m / mc);
    const args = gemmArgs({
      m, n, k, a: aAt, lda: p.lda, transA: p.transA, b: bAt, ldb: p.ldb, transB: p.transB, c: cAt, ldc,
      alpha: p.alpha, beta: p.beta, bias: p.bias ? biasAt : 0, act: p.act, packed: packedAt,
      scratch: scratchAt, scratchStride, mc, kc, nc, mBlocks, packPhase: !packed,
    });
    await engine.run(OP_GEMM, args, [packed ? 0 : panels, mBlocks * Math.ceil(n / nc)], { solo });
    if (deviceC) return result;
    const out = result as Float32Array;
    const computed = engine.arena.f32.subarray(cAt / 4, cAt / 4 + cLen);
    if (ldc === n) out.set(computed);
    else for (let i = 0; i < m; i++) out.set(computed.subarray(i * ldc, i * ldc + n), i * ldc);
    return out;
  });
}
