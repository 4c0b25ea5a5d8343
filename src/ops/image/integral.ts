// integral(): validate, plan strips and scratch, copy in, dispatch, copy out.
// The kernels are in assembly/image/; their argument slots are listed there.
import { checkBool, checkDeviceBuffer, checkInt, checkLength, checkOptions, deviceBuffers, describe, recheckLength } from "../../errors.ts";
import type { WaitForWord } from "../../pool.ts";
import { DeviceBuffer } from "../../buffer.ts";
import { alignUp } from "../../memory.ts";
import { HOST, bind, input, none, runAloneUnshared, scratch, type Engine, type OpHost } from "../../run.ts";
import { KIND_F32_F64, KIND_U8_F64, KIND_U8_I32, MAX_STRIP_ROWS, SPLIT_BANDS, SPLIT_NONE, SPLIT_STRIPS, type IntegralArgs } from "../schema.gen.ts";

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

/**
 * Where to write the tables instead of new arrays: device buffers (no copy at all) or
 * plain typed arrays reused from call to call (one copy, no allocation).
 */
export interface IntegralOut {
  /** Int32Array for 8-bit input while 255·W·H < 2³¹, else Float64Array; (H+1)·(W+1)·channels elements. */
  sum: DeviceBuffer<Int32Array> | DeviceBuffer<Float64Array> | Int32Array | Float64Array;
  /** Float64Array, required with `squared`. */
  sqsum?: DeviceBuffer<Float64Array> | Float64Array;
}

export interface IntegralResult {
  /** (height+1) × (width+1) × channels sums: Int32Array for 8-bit input while 255·W·H < 2³¹, else Float64Array. */
  sum: Int32Array | Float64Array;
  /** The same for squares, when `squared` was asked for. */
  sqsum?: Float64Array;
}

export type IntegralSource =
  | Uint8Array | Uint8ClampedArray | Float32Array
  | DeviceBuffer<Uint8Array> | DeviceBuffer<Uint8ClampedArray> | DeviceBuffer<Float32Array>;

const KNOWN = ["width", "height", "channels", "squared", "stride", "out"] as const;
/** f32 strips are fixed (bit-identical results for every thread count need one split). */
const F32_STRIP = 64;
/**
 * Below this many input elements the caller runs alone: a second thread gains nothing
 * there, as measured (docs/decisions/solo-thresholds.md).
 */
const SPLIT_MIN_ELEMENTS = 1 << 16;

interface IntegralPlan {
  src: Uint8Array | Uint8ClampedArray | Float32Array | DeviceBuffer;
  /** The validated out buffers, fixed when the call is made. */
  out: IntegralOut | null;
  /** The caller's own out object, which the call resolves to. */
  outGiven: IntegralOut | null;
  /** Device buffers the call reads or writes, held until it is done. */
  buffers: DeviceBuffer[];
  width: number;
  height: number;
  cn: number;
  stride: number;
  squared: boolean;
  kind: number;
}

/**
 * Summed-area table of an image, OpenCV's layout: (height+1) × (width+1) × channels.
 * With `out` (device buffers or plain arrays), writes the tables there and resolves to it.
 */
export function integral<O extends IntegralOut>(this: OpHost, src: IntegralSource, options: IntegralOptions & { out: O }): Promise<O>;
export function integral(this: OpHost, src: IntegralSource, options: IntegralOptions & { squared: true }): Promise<Required<IntegralResult>>;
export function integral(this: OpHost, src: IntegralSource, options: IntegralOptions): Promise<IntegralResult>;
export function integral(this: OpHost, src: IntegralSource, options: IntegralOptions & { out?: IntegralOut }): Promise<IntegralResult | IntegralOut> {
  const { engine, call } = this[HOST];
  return call(() => planIntegral(engine, src, options), (plan) => runIntegral(engine, plan));
}

function planIntegral(engine: Engine, src: unknown, options: unknown): IntegralPlan {
  // instanceof, not constructor identity: Node's Buffer is a Uint8Array too.
  const srcType = src instanceof DeviceBuffer ? src.type
    : src instanceof Uint8Array ? Uint8Array
    : src instanceof Uint8ClampedArray ? Uint8ClampedArray
    : src instanceof Float32Array ? Float32Array : null;
  if (!(srcType === Uint8Array || srcType === Uint8ClampedArray || srcType === Float32Array)) {
    throw new TypeError(`simdcl: integral src must be a Uint8Array, Uint8ClampedArray or Float32Array (or a device buffer of one), got ${describe(src)}`);
  }
  if (src instanceof DeviceBuffer) checkDeviceBuffer(engine.arena, "integral src", src);
  const o = checkOptions("integral options", options, KNOWN);
  const width = checkInt("integral width", o.width, 0, 2 ** 24);
  const height = checkInt("integral height", o.height, 0, 2 ** 24);
  const cn = o.channels === undefined ? 1 : checkInt("integral channels", o.channels, 1, 4);
  const squared = checkBool("integral squared", o.squared, false);
  const rowElems = width * cn;
  const stride = o.stride === undefined ? rowElems : checkInt("integral stride", o.stride, rowElems);
  const isFloat = srcType === Float32Array;
  if (squared && !isFloat && width > 65536) {
    throw new RangeError(`simdcl: integral width must be at most 65536 with squared 8-bit input (row sums of squares are u32), got ${width}`);
  }
  if (height > 0 && width > 0) checkLength("integral src", src as DeviceBuffer, (height - 1) * stride + rowElems);
  const kind = isFloat ? KIND_F32_F64 : 255 * width * height < 2 ** 31 ? KIND_U8_I32 : KIND_U8_F64;
  const outLen = (height + 1) * (width + 1) * cn;
  let out: IntegralOut | null = null;
  if (o.out !== undefined) {
    const given = checkOptions("integral out", o.out, ["sum", "sqsum"]);
    const sumType = kind === KIND_U8_I32 ? Int32Array : Float64Array;
    const sum = checkOutBuffer(engine, "integral out.sum", given.sum, sumType, outLen);
    const sqsum = squared ? checkOutBuffer(engine, "integral out.sqsum", given.sqsum, Float64Array, outLen) : undefined;
    if (!squared && given.sqsum !== undefined) throw new TypeError("simdcl: integral out.sqsum is only written with squared: true");
    if (sqsum === sum) throw new RangeError("simdcl: integral out.sum and out.sqsum must be different buffers");
    out = { sum, sqsum } as IntegralOut;
  }
  const buffers = deviceBuffers(src, out?.sum, out?.sqsum);
  const outGiven = o.out === undefined ? null : (o.out as IntegralOut);
  return { src: src as IntegralPlan["src"], out, outGiven, buffers, width, height, cn, stride, squared, kind };
}

function checkOutBuffer(engine: Engine, name: string, b: unknown, type: typeof Int32Array | typeof Float64Array, length: number): DeviceBuffer | Int32Array | Float64Array {
  const device = b instanceof DeviceBuffer && b.type === type;
  if (!device && !(b instanceof type)) {
    throw new TypeError(`simdcl: ${name} must be a ${type.name} or a device buffer of one (cl.buffer(${type.name}, ${length})) for this call, got ${describe(b)}`);
  }
  if (device) checkDeviceBuffer(engine.arena, name, b as DeviceBuffer);
  checkLength(name, b as Int32Array, length);
  return b as DeviceBuffer | Int32Array | Float64Array;
}

const rowPitch = (n: number) => Math.floor((n * 8 + 31) / 16) * 16; // mirrors assembly/image/integral.ts
/**
 * 8-bit input into plain arrays: when the tables are larger than WINDOWED_MIN_BYTES, they
 * pass through a window in the arena, a band of rows at a time, each band copied out
 * while still in cache. With Workers, one of them writes the bands into two slots in
 * turn while the caller copies; alone, the caller does both. Smaller tables gain nothing
 * from a window, hence WINDOWED_MIN_BYTES. Band sizes:
 * - shared memory: a window of WINDOW_SHARED bytes, which stays in L2;
 * - unshared memory (no SharedArrayBuffer): V8 copies out with the C library's memmove,
 *   and glibc's takes a slow `rep movsb` below 512 KiB (slower still when source and
 *   destination sit 16 bytes apart modulo 4096), so each band's sum copy is at least
 *   COPY_MIN_UNSHARED bytes.
 * (docs/decisions/integral-copy-out.md)
 */
const WINDOW_SHARED = 256 << 10;
const COPY_MIN_UNSHARED = 576 << 10;
const WINDOWED_MIN_BYTES = 6 << 20;

async function runIntegral(engine: Engine, p: IntegralPlan): Promise<IntegralResult | IntegralOut> {
  const { width, height, cn, squared, kind } = p;
  const outLen = (height + 1) * (width + 1) * cn;
  // Arrays may have been detached or shrunk since the call was made.
  if (width > 0 && height > 0) recheckLength("integral src", p.src as Uint8Array, (height - 1) * p.stride + width * cn);
  recheckLength("integral out.sum", p.out?.sum as Int32Array, outLen);
  recheckLength("integral out.sqsum", p.out?.sqsum as Float64Array, outLen);
  const SumArray = kind === KIND_U8_I32 ? Int32Array : Float64Array;
  if (width === 0 || height === 0) {
    if (p.out) {
      for (const b of [p.out.sum, p.out.sqsum]) (b instanceof DeviceBuffer ? b.array : b)?.fill(0, 0, outLen);
      return p.outGiven!;
    }
    return squared ? { sum: new SumArray(outLen), sqsum: new Float64Array(outLen) } : { sum: new SumArray(outLen) };
  }
  // (From arrays, two adds per value: bound by the copies.)
  const moved = runAloneUnshared(engine, true, p.buffers, (own) => runIntegral(own, p));
  if (moved) return moved;
  const n = width * cn;
  const pitch = (width + 1) * cn; // elements of one table row
  const srcEsz = kind === KIND_F32_F64 ? 4 : 1;
  const srcLen = (height - 1) * p.stride + n;
  const sumEsz = SumArray.BYTES_PER_ELEMENT;
  const deviceSum = p.out?.sum instanceof DeviceBuffer ? p.out.sum : null;
  const deviceSq = p.out?.sqsum instanceof DeviceBuffer ? p.out.sqsum : null;

  // How the tables reach plain arrays (see WINDOW_SHARED): through a window of bands,
  // written by one Worker while the caller copies ("banded") or by the caller alone
  // ("windowed"); or whole, in strips the caller copies as the Workers finish them.
  const rowBytes = pitch * (sumEsz + (squared ? 8 : 0));
  const viaWindow = !deviceSum && !deviceSq && kind !== KIND_F32_F64 && rowBytes * (height + 1) > WINDOWED_MIN_BYTES;
  const banded = viaWindow && engine.threads > 1;
  const windowed = viaWindow && !banded;
  // A multiple of 4 rows: each band then starts 16-byte aligned in the table, as its rows
  // do in the window. Copies between shared memory and an array whose offsets differ
  // modulo 8 go a byte at a time on V8 11 (docs/decisions/integral-copy-out.md).
  const rows = engine.arena.shared ? Math.floor(WINDOW_SHARED / rowBytes) - 1 : Math.ceil(COPY_MIN_UNSHARED / (pitch * sumEsz));
  const band = viaWindow ? Math.min(height, Math.max(4, Math.ceil(rows / 4) * 4)) : 0;
  const bands = viaWindow ? Math.ceil(height / band) : 0;
  // Window slots: band + 1 rows (row 0: the row above), two for "banded", 64-byte aligned.
  const slot = alignUp((band + 1) * pitch * sumEsz, 64);
  const slot2 = squared ? alignUp((band + 1) * pitch * 8, 64) : 0;

  const split = !viaWindow && engine.threads > 1 && height > 1 && n * height >= SPLIT_MIN_ELEMENTS;
  const strip = kind === KIND_F32_F64 ? F32_STRIP : split ? Math.min(MAX_STRIP_ROWS, Math.max(16, Math.ceil(height / (engine.threads * 4)))) : height;
  const strips = Math.ceil(height / strip);
  const chunk = Math.max(64, Math.ceil(n / (engine.threads * 4) / 4) * 4);
  const threads = split ? engine.threads : 1;
  const carryBytes = split ? strips * rowPitch(n) : 0;
  const overlapCopy = split && !(deviceSum && (!squared || deviceSq));
  // Scratch rows per thread: row prefix sums (and squares); float input adds local and carry rows.
  const scratchRows = kind === KIND_F32_F64 ? 6 : 2;
  const slots = banded ? 2 : 1;
  const regions = {
    src: input(engine.arena, p.src as Uint8Array | Float32Array | DeviceBuffer, srcLen, "integral src"),
    sum: deviceSum ? { bytes: 0, device: deviceSum } : scratch(viaWindow ? slots * slot : outLen * sumEsz),
    sqsum: !squared ? none : deviceSq ? { bytes: 0, device: deviceSq } : scratch(viaWindow ? slots * slot2 : outLen * 8),
    scratch: scratch(threads * scratchRows * rowPitch(n)),
    carry: scratch(carryBytes),
    carry2: scratch(squared ? carryBytes : 0),
    flags: scratch(banded ? bands * 8 : overlapCopy ? strips * 4 : 0),
  };

  return bind(engine.arena, regions, async (at) => {
    const a = engine.arena;
    const { sum: sumAt, sqsum: sqAt, flags: flagsAt } = at;
    // Views taken after allocation: the memory does not grow during the job.
    const viewLen = viaWindow ? (slots * slot) / sumEsz : outLen;
    const sumView = kind === KIND_U8_I32 ? a.i32.subarray(sumAt / 4, sumAt / 4 + viewLen) : a.f64.subarray(sumAt / 8, sumAt / 8 + viewLen);
    const sqView = a.f64.subarray(sqAt / 8, sqAt / 8 + (viaWindow ? (slots * slot2) / 8 : outLen));
    const flags = a.i32;
    const flag0 = flagsAt / 4;
    // Where the tables end up: the caller's arrays, new arrays, or the device buffers.
    const sum = deviceSum ? null : ((p.out?.sum as Int32Array | Float64Array | undefined) ?? new SumArray(outLen));
    const sqsum = !squared || deviceSq ? null : ((p.out?.sqsum as Float64Array | undefined) ?? new Float64Array(outLen));
    // Band b's rows sit in rows 1…h of its slot; copy them (and row 0, the zero row, for b = 0).
    const copyBand = (b: number, slotIndex: number) => {
      const r0 = b * band;
      const h = Math.min(band, height - r0);
      const from = b === 0 ? 0 : 1;
      const s1 = (slotIndex * slot) / sumEsz, s2 = (slotIndex * slot2) / 8;
      sum!.set(sumView.subarray(s1 + from * pitch, s1 + (h + 1) * pitch), (r0 + from) * pitch);
      sqsum?.set(sqView.subarray(s2 + from * pitch, s2 + (h + 1) * pitch), (r0 + from) * pitch);
    };
    // done is 0 (no flags) unless a band or strip scheme asked for them.
    const args: IntegralArgs = {
      kind, squared, width, height, cn, src: at.src, srcStride: p.stride, sum: sumAt, sqsum: sqAt,
      scratch: at.scratch, scratchStride: scratchRows * rowPitch(n), strip, strips, carry: at.carry, carry2: at.carry2,
      chunk, split: split ? SPLIT_STRIPS : SPLIT_NONE, done: flagsAt, topGiven: false, slot, slot2,
    };
    if (banded) {
      flags.fill(0, flag0, flag0 + 2 * bands);
      args.split = SPLIT_BANDS;
      args.strip = band;
      args.strips = bands;
      const copyBands = async (wait: WaitForWord) => {
        for (let b = 0; b < bands; b++) {
          await wait(flags, flag0 + b);
          copyBand(b, b & 1);
          Atomics.store(flags, flag0 + bands + b, 1); // the Worker may refill this slot
        }
      };
      await engine.run("integral", args, [1], { overlap: copyBands });
    } else if (windowed) {
      // The caller alone, band by band in one slot: row 0 holds the zero row for the
      // first band, the band above's last row (moved there) for the others.
      for (let b = 0; b < bands; b++) {
        const r0 = b * band;
        const h = Math.min(band, height - r0);
        args.height = args.strip = h;
        args.src = at.src + r0 * p.stride * srcEsz;
        args.topGiven = b > 0;
        await engine.run("integral", args, [1], { solo: true });
        copyBand(b, 0);
        sumView.copyWithin(0, h * pitch, (h + 1) * pitch);
        if (squared) sqView.copyWithin(0, h * pitch, (h + 1) * pitch);
      }
    } else if (overlapCopy) {
      flags.fill(0, flag0, flag0 + strips);
      const copyStrips = async (wait: WaitForWord) => {
        for (let s = 0; s < strips; s++) {
          await wait(flags, flag0 + s);
          // Strip s writes output rows s·strip+1 … its last (strip 0 also the zero row).
          const from = s === 0 ? 0 : (s * strip + 1) * pitch;
          const to = (Math.min(height, (s + 1) * strip) + 1) * pitch;
          sum?.set(sumView.subarray(from, to), from);
          sqsum?.set(sqView.subarray(from, to), from);
        }
      };
      await engine.run("integral", args, [strips, Math.ceil(n / chunk), strips], { overlap: copyStrips });
    } else {
      // Unsplit, the caller runs alone: the scratch above is sized for one thread (tid 0),
      // and a Worker claiming the one group would write past it.
      await engine.run("integral", args, split ? [strips, Math.ceil(n / chunk), strips] : [1], { solo: !split });
      sum?.set(sumView);
      sqsum?.set(sqView);
    }
    if (p.outGiven) return p.outGiven;
    return squared ? { sum: sum!, sqsum: sqsum! } : { sum: sum! };
  });
}
