// gemm() and packB(): C = alpha·op(A)·op(B) + beta·C + bias, then the activation;
// row-major f32. Validate, plan the blocks, run. Kernels: assembly/gemm/.
import { checkBool, checkEpilogue, checkF32Operand, checkInt, checkLength, checkNumber, checkOptions, checkPacked, deviceBuffers, describe, registerPacked, type Activation } from "../../errors.ts";
import { DeviceBuffer, type F32Operand } from "../../buffer.ts";
import { MR, NR } from "../schema.gen.ts";
import { HOST, bind, enoughGroups, halve, input, newResult, none, output, runAloneUnshared, scratch, threadsFor, type Engine, type OpHost } from "../../run.ts";

export type { Activation };

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
const MAX_DIM = 2 ** 24;

// Block sizes (assembly/gemm/gemm.ts says why the kernel has them; MR×NR is the tile):
/** One B micro-panel KC·NR·4 = 8 KiB stays in L1 (32 KiB) with the A micro-panel. */
export const KC = 256;
/** The A block MC·KC·4 = 128 KiB stays in L2 (512 KiB). */
export const MC = 128;
/** Widest column block; narrower when that leaves threads without work. */
export const NC = 1024;
/**
 * Below this m·n·k the caller runs alone: a dispatch costs more than a second thread saves
 * there, as measured (docs/decisions/solo-thresholds.md).
 */
export const SOLO_BELOW = 48 * 48 * 48;
/** Elements of B below which cl.packB packs on the caller alone: an estimate (packing is a
 * copy, like the layout changes), not a measurement. */
const PACK_SOLO_BELOW = 1 << 16;


interface GemmPlan {
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

/**
 * C = alpha·op(A)·op(B) + beta·C + bias, then the activation; row-major f32. Resolves
 * to `c` (written in place) when given, else to a new m×n Float32Array.
 */
export function gemm<C extends F32Operand>(this: OpHost, a: F32Operand, b: F32Operand | PackedMatrix, options: GemmOptions & { c: C }): Promise<C>;
export function gemm(this: OpHost, a: F32Operand, b: F32Operand | PackedMatrix, options: GemmOptions): Promise<Float32Array>;
export function gemm(this: OpHost, a: F32Operand, b: F32Operand | PackedMatrix, options: GemmOptions): Promise<F32Operand> {
  const { engine, call } = this[HOST];
  return call(() => planGemm(engine, a, b, options), (plan) => runGemm(engine, plan));
}

/** Pack op(B) (k×n) once for many gemm() calls; the handle frees its memory with dispose(). */
export function packB(this: OpHost, b: Float32Array, options: PackBOptions): Promise<PackedMatrix> {
  const { engine, call } = this[HOST];
  return call(() => planPackB(b, options), (plan) => runPackB(engine, plan));
}

function planGemm(engine: Engine, a: unknown, b: unknown, options: unknown): GemmPlan {
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
  // Refused before any result array is allocated for it.
  const plain = (v: unknown, elements: number) => (v instanceof DeviceBuffer ? 0 : elements * 4);
  engine.arena.checkFits(() => `gemm (m=${m}, n=${n}, k=${k}: its operands and result)`, plain(A, aLen) + plain(B, bLen) + (C ? plain(C, cLen) : m * n * 4) + (packed ? 0 : packedLength(k, n) * 4));
  const buffers = deviceBuffers(packed?.panels, A, B, C);
  return { a: A, b: B, buffers, c: C, bias, m, n, k, transA, transB, alpha, beta, act, lda, ldb, ldc, aLen, bLen, cLen };
}

interface PackBPlan {
  b: Float32Array;
  k: number;
  n: number;
  transB: boolean;
  ldb: number;
  /** Elements B spans. */
  bLen: number;
}

function planPackB(b: unknown, options: unknown): PackBPlan {
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
export const packedLength = (k: number, n: number) => k * Math.ceil(n / NR) * NR;

/** The gemm job's words that a call does not set. */
const IDLE = {
  m: 0, n: 0, k: 0, a: 0, lda: 0, transA: false, b: 0, ldb: 0, transB: false, c: 0, ldc: 0, alpha: 1, beta: 0,
  bias: 0, act: 0, packedB: 0, scratch: 0, scratchStride: 0, mc: 0, kc: 0, nc: 0, mBlocks: 0, packPhase: false,
};

async function runPackB(engine: Engine, p: PackBPlan): Promise<PackedMatrix> {
  const { k, n } = p;
  const length = packedLength(k, n);
  const panels = new DeviceBuffer(engine.arena, Float32Array, length, engine.arena.alloc(length * 4));
  try {
    if (k > 0 && n > 0) await packBInto(engine, p.b, p.bLen, { k, n, ldb: p.ldb, transB: p.transB }, panels.offset);
  } catch (e) {
    panels.dispose();
    throw e;
  }
  return new PackedMatrix(panels, k, n);
}

/**
 * Pack op(B) (k×n, from a plain array of `length` elements, rows `ldb` apart) into the
 * microkernel's panels at byte offset `packedAt` (packedLength(k, n) floats): gemm's
 * phase 0 alone. conv2d packs its 1×1 weights for NHWC layers with it.
 */
export function packBInto(engine: Engine, b: Float32Array, length: number, g: { k: number; n: number; ldb: number; transB: boolean }, packedAt: number, name = "packB b"): Promise<void> {
  return bind(engine.arena, { b: input(engine.arena, b, length, name) }, (at) => {
    const args = Object.assign({}, IDLE, { n: g.n, k: g.k, b: at.b, ldb: g.ldb, transB: g.transB, packedB: packedAt, kc: Math.min(KC, g.k), packPhase: true });
    return engine.run("gemm", args, [Math.ceil(g.n / NR), 0], { solo: g.n * g.k < PACK_SOLO_BELOW });
  });
}

/** The blocks of an m×n×k product on `threads` threads, and each thread's scratch for its A block. */
export function gemmBlocks(threads: number, m: number, n: number, k: number) {
  // MC×NC, narrowed (in whole tiles, the wider first) until every thread has a few groups.
  // One thread needs no split: an extra column block would only pack A again.
  let mc = Math.min(MC, Math.ceil(m / MR) * MR);
  let nc = Math.min(NC, Math.ceil(n / NR) * NR);
  while (!enoughGroups(threads, Math.ceil(m / mc) * Math.ceil(n / nc)) && (nc > 4 * NR || mc > 4 * MR)) {
    if (nc > 4 * NR && nc >= mc) nc = halve(nc, NR);
    else mc = halve(mc, MR);
  }
  const kc = Math.min(KC, k);
  const mBlocks = Math.ceil(m / mc);
  return { mc, nc, kc, mBlocks, groups: mBlocks * Math.ceil(n / nc), scratchStride: (Math.ceil(mc / MR) * MR * kc + 32) * 4 };
}

/**
 * The compute phase alone, on operands in the context's memory and B packed ahead:
 * C (ldc) = op(A) (lda)·B + bias, activated. conv2d runs its NHWC 1×1 layers this way.
 */
export function gemmPacked(
  engine: Engine, threads: number, blocks: ReturnType<typeof gemmBlocks>,
  g: { m: number; n: number; k: number; a: number; lda: number; packedB: number; c: number; ldc: number; bias: number; act: number; scratch: number },
): Promise<void> {
  const args = Object.assign({}, IDLE, g, {
    alpha: 1, scratchStride: blocks.scratchStride, mc: blocks.mc, kc: blocks.kc, nc: blocks.nc, mBlocks: blocks.mBlocks,
  });
  return engine.run("gemm", args, [0, blocks.groups], { solo: threads === 1 });
}

function activate(v: number, act: number): number {
  if (act === 0 || Number.isNaN(v)) return v;
  v = Math.max(v, 0);
  return act === 2 ? Math.min(v, 6) : v;
}

/** An empty sum (k = 0): C = beta·C + bias, activated, in f32 as the kernel would round. */
function emptySum(p: GemmPlan, result: F32Operand): F32Operand {
  const out = result instanceof DeviceBuffer ? result.array : result;
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      const at = i * p.ldc + j;
      const v = (p.beta === 0 ? 0 : Math.fround(p.beta * out[at])) + (p.bias ? p.bias[j] : 0);
      out[at] = activate(Math.fround(v), p.act);
    }
  }
  return result;
}

async function runGemm(engine: Engine, p: GemmPlan): Promise<F32Operand> {
  const { m, n, k, ldc } = p;
  const threads = threadsFor(engine, m * n * k, SOLO_BELOW);
  const moved = m > 0 && n > 0 && k > 0 ? runAloneUnshared(engine, threads === 1, p.buffers, (own) => runGemm(own, p)) : null;
  if (moved) return moved;
  const result = p.c ?? newResult(m * n);
  if (m === 0 || n === 0) return result;
  if (k === 0) return emptySum(p, result);

  const { mc, nc, kc, mBlocks, groups, scratchStride } = gemmBlocks(threads, m, n, k);
  const packed = p.b instanceof PackedMatrix ? p.b : null;
  // C is read in when beta needs it, and when it has gaps (ldc > n) the kernel leaves alone.
  const readC = p.beta !== 0 || ldc !== n;
  const regions = {
    a: input(engine.arena, p.a, p.aLen, "gemm a"),
    b: packed ? none : input(engine.arena, p.b as F32Operand, p.bLen, "gemm b"),
    c: output(engine.arena, result, p.cLen, "gemm c", { read: readC }),
    bias: input(engine.arena, p.bias, n, "gemm bias"),
    packedB: packed ? { bytes: 0, device: packed.panels } : scratch(packedLength(k, n) * 4),
    scratch: scratch(threads * scratchStride),
  };
  await bind(engine.arena, regions, (at) => {
    const args = {
      m, n, k, a: at.a, lda: p.lda, transA: p.transA, b: at.b, ldb: p.ldb, transB: p.transB, c: at.c, ldc,
      alpha: p.alpha, beta: p.beta, bias: at.bias, act: p.act, packedB: at.packedB,
      scratch: at.scratch, scratchStride, mc, kc, nc, mBlocks, packPhase: !packed,
    };
    return engine.run("gemm", args, [packed ? 0 : Math.ceil(n / NR), groups], { solo: threads === 1 });
  });
  return result;
}
