// integral(): validate, plan strips and scratch, copy in, dispatch, copy out.
// The kernels are in assembly/image/; their argument slots are listed there.
import { checkBool, checkInt, checkLength, checkOptions, describe } from "../errors.js";
import { OP_INTEGRAL } from "../job.js";
import type { Engine } from "./engine.js";

export interface IntegralOptions {
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** Interleaved channels per pixel, 1 to 4 (RGBA from ImageData is 4). Default 1. */
  channels?: number;
  /** Also compute the integral of squares (a Float64Array). Default false. */
  squared?: boolean;
  /** Elements from one row's start to the next's, for a region of a larger image. Default width × channels. */
  stride?: number;
}

export interface IntegralResult {
  /** (height+1) × (width+1) × channels sums: Int32Array for 8-bit input while 255·W·H < 2³¹, else Float64Array. */
  sum: Int32Array | Float64Array;
  /** The same for squares, when `squared` was asked for. */
  sqsum?: Float64Array;
}

export type IntegralSource = Uint8Array | Uint8ClampedArray | Float32Array;

const KNOWN = ["width", "height", "channels", "squared", "stride"] as const;
const KIND_U8_I32 = 0, KIND_U8_F64 = 1, KIND_F32_F64 = 2;
/** f32 strips are fixed (bit-identical results for every thread count need one split). */
const F32_STRIP = 64;
/** Below this many input elements a second thread costs more than it saves. */
const SPLIT_MIN_ELEMENTS = 1 << 16;

export interface IntegralPlan {
  src: IntegralSource;
  width: number;
  height: number;
  cn: number;
  stride: number;
  squared: boolean;
  kind: number;
}

export function planIntegral(src: unknown, options: unknown): IntegralPlan {
  if (!(src instanceof Uint8Array || src instanceof Uint8ClampedArray || src instanceof Float32Array)) {
    throw new TypeError(`simdcl: integral src must be a Uint8Array, Uint8ClampedArray or Float32Array, got ${describe(src)}`);
  }
  const o = checkOptions("integral options", options, KNOWN);
  const width = checkInt("integral width", o.width, 0, 2 ** 24);
  const height = checkInt("integral height", o.height, 0, 2 ** 24);
  const cn = o.channels === undefined ? 1 : checkInt("integral channels", o.channels, 1, 4);
  const squared = o.squared === undefined ? false : checkBool("integral squared", o.squared);
  const rowElems = width * cn;
  const stride = o.stride === undefined ? rowElems : checkInt("integral stride", o.stride, rowElems);
  const isFloat = src instanceof Float32Array;
  if (squared && !isFloat && width > 65536) {
    throw new RangeError(`simdcl: integral width must be at most 65536 with squared 8-bit input (row sums of squares are u32), got ${width}`);
  }
  if (height > 0 && width > 0) checkLength("integral src", src, (height - 1) * stride + rowElems);
  const kind = isFloat ? KIND_F32_F64 : 255 * width * height < 2 ** 31 ? KIND_U8_I32 : KIND_U8_F64;
  return { src, width, height, cn, stride, squared, kind };
}

const rowPitch = (n: number) => Math.floor((n * 8 + 31) / 16) * 16; // mirrors assembly/image/integral.ts

export async function runIntegral(engine: Engine, p: IntegralPlan): Promise<IntegralResult> {
  const { width, height, cn, squared, kind } = p;
  const outLen = (height + 1) * (width + 1) * cn;
  const SumArray = kind === KIND_U8_I32 ? Int32Array : Float64Array;
  if (width === 0 || height === 0) {
    return squared ? { sum: new SumArray(outLen), sqsum: new Float64Array(outLen) } : { sum: new SumArray(outLen) };
  }
  const n = width * cn;
  const split = engine.threads > 1 && height > 1 && n * height >= SPLIT_MIN_ELEMENTS;
  const strip = kind === KIND_F32_F64 ? F32_STRIP : split ? Math.min(256, Math.max(16, Math.ceil(height / (engine.threads * 4)))) : height;
  const strips = Math.ceil(height / strip);
  const chunk = Math.max(64, Math.ceil(n / (engine.threads * 4) / 4) * 4);
  const threads = split ? engine.threads : 1;
  const srcEsz = kind === KIND_F32_F64 ? 4 : 1;
  const srcLen = (height - 1) * p.stride + n;
  const sumEsz = SumArray.BYTES_PER_ELEMENT;
  const carryBytes = split ? strips * rowPitch(n) : 0;
  // Scratch rows per thread: row prefix sums (and squares); float input adds local and carry rows.
  const scratchRows = kind === KIND_F32_F64 ? 6 : 2;
  const sizes = [srcLen * srcEsz, outLen * sumEsz, squared ? outLen * 8 : 0, threads * scratchRows * rowPitch(n), carryBytes, squared ? carryBytes : 0];

  return engine.arena.scoped(sizes, async ([srcAt, sumAt, sqAt, scratchAt, carryAt, carry2At]) => {
    const a = engine.arena;
    if (kind === KIND_F32_F64) a.f32.set(p.src.subarray(0, srcLen) as Float32Array, srcAt / 4);
    else a.u8.set(p.src.subarray(0, srcLen) as Uint8Array, srcAt);
    const args = [kind, squared ? 1 : 0, width, height, cn, srcAt, p.stride, sumAt, sqAt, scratchAt, scratchRows * rowPitch(n), strip, strips, carryAt, carry2At, chunk, split ? 1 : 0];
    await engine.run(OP_INTEGRAL, args, split ? [strips, Math.ceil(n / chunk), strips] : [1]);
    const sum = kind === KIND_U8_I32 ? a.i32.slice(sumAt / 4, sumAt / 4 + outLen) : a.f64.slice(sumAt / 8, sumAt / 8 + outLen);
    if (!squared) return { sum };
    return { sum, sqsum: a.f64.slice(sqAt / 8, sqAt / 8 + outLen) };
  });
}
