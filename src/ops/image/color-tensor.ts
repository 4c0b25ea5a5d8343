// toTensor(): an 8-bit image to the f32 tensor a model takes, normalised per channel:
// (x·scale − mean[c]) / std[c], in NCHW, NHWC or NC4HW4, RGB or BGR, alpha dropped unless
// kept. The kernel (assembly/image/color-tensor.ts) computes x·a[c] + b[c] with
// a = f32(scale/std), b = f32(−mean/std): within 2⁻²³·(|x·a| + |b|) of the exact value.
import { checkBool, checkLayout, checkNumber, checkOptions, checkF32Operand, checkLength, describe, deviceBuffers } from "../../errors.ts";
import type { DeviceBuffer, F32Operand } from "../../buffer.ts";
import { HOST, bind, output, runAloneUnshared, view, type Engine, type OpHost } from "../../run.ts";
import { tensorLength, type Layout, type Shape4, type Tensor } from "../tensor/types.ts";
import { checkImage, imageRows, type CheckedImage, type ImageShape, type U8Pixels, type ImageInput } from "./types.ts";
import { checkNotSource, imageCall, rowSplit } from "./color-common.ts";

export interface ToTensorOptions<T extends F32Operand = F32Operand> {
  /** Multiplies each byte first. Default 1/255. */
  scale?: number;
  /** Subtracted after scaling: one number, or one per tensor channel (in the tensor's channel order). Default 0. */
  mean?: number | readonly number[];
  /** Divides last: one number, or one per tensor channel. Default 1. */
  std?: number | readonly number[];
  /** The tensor's order of the first three channels; the source is RGB(A). Default "RGB". */
  channelOrder?: "RGB" | "BGR";
  /** The tensor's layout. Default "NCHW". */
  layout?: Layout;
  /** Four-channel sources: keep alpha as a fourth channel instead of dropping it. Default false. */
  keepAlpha?: boolean;
  /** Where to write the tensor (its length in `layout`). */
  out?: T;
}

const KNOWN = ["scale", "mean", "std", "channelOrder", "layout", "keepAlpha", "out"] as const;

interface TensorPlan {
  src: CheckedImage;
  shape: Shape4;
  layout: Layout;
  consts: Uint8Array;
  out: F32Operand | null;
  buffers: DeviceBuffer[];
}

/**
 * An 8-bit image ({ data, width, height, channels, stride } or data and shape) as an f32
 * tensor { data, shape: [1, c, height, width], layout } that conv2d takes as it is; c is
 * the source's channels, or 3 for RGBA unless `keepAlpha`.
 */
export function toTensor<T extends F32Operand>(this: OpHost, src: ImageInput<U8Pixels>, options: ToTensorOptions<T> & { out: T }): Promise<Tensor<T>>;
export function toTensor(this: OpHost, src: ImageInput<U8Pixels>, options?: ToTensorOptions): Promise<Tensor<Float32Array>>;
export function toTensor<T extends F32Operand>(this: OpHost, src: U8Pixels, shape: ImageShape, options: ToTensorOptions<T> & { out: T }): Promise<Tensor<T>>;
export function toTensor(this: OpHost, src: U8Pixels, shape: ImageShape, options?: ToTensorOptions): Promise<Tensor<Float32Array>>;
export function toTensor(this: OpHost, ...args: unknown[]): Promise<Tensor> {
  const { engine, call } = this[HOST];
  return call(() => planTensor(engine, imageCall(args)), (plan) => runTensor(engine, plan));
}

function perChannel(op: string, name: string, v: unknown, oc: number, fallback: number, positive: boolean): number[] {
  const values = Array.isArray(v) ? v : Array(oc).fill(v ?? fallback);
  if (values.length !== oc) throw new RangeError(`simdcl: ${op} ${name} must be a number or ${oc} numbers (one per tensor channel), got ${describe(v)}`);
  return values.map((x, i) => {
    const n = checkNumber(() => `${op} ${name}${Array.isArray(v) ? `[${i}]` : ""}`, x, fallback, -Number.MAX_VALUE);
    if (positive && n === 0) throw new RangeError(`simdcl: ${op} ${name}${Array.isArray(v) ? `[${i}]` : ""} must not be 0`);
    return n;
  });
}

/** @internal The normalisation options (toTensor's, which preprocess() takes too), checked for a source of cn channels. */
export interface Normalisation {
  /** Tensor channels. */
  oc: number;
  layout: Layout;
  /** The kernel's constants: a 16-byte swizzle map, then the a and b vectors. */
  consts: Uint8Array;
}

/** @internal Check `o`'s scale, mean, std, channelOrder, layout and keepAlpha for an 8-bit source of cn channels. */
export function checkNormalisation(op: string, o: Record<string, unknown>, cn: number): Normalisation {
  const keepAlpha = checkBool(() => `${op} keepAlpha`, o.keepAlpha, false);
  const oc = cn === 4 && !keepAlpha ? 3 : cn;
  const scale = checkNumber(() => `${op} scale`, o.scale, 1 / 255, -Number.MAX_VALUE);
  const mean = perChannel(op, "mean", o.mean, oc, 0, false);
  const std = perChannel(op, "std", o.std, oc, 1, true);
  if (o.channelOrder !== undefined && o.channelOrder !== "RGB" && o.channelOrder !== "BGR") throw new TypeError(`simdcl: ${op} channelOrder must be "RGB" or "BGR", got ${describe(o.channelOrder)}`);
  const bgr = o.channelOrder === "BGR";
  if (bgr && cn < 3) throw new RangeError(`simdcl: ${op} channelOrder "BGR" needs 3 or 4 channels, the source has ${cn}`);
  const layout = checkLayout(() => `${op} layout`, o.layout, "NCHW");
  const a = Float32Array.from(mean, (_, c) => scale / std[c]);
  const b = Float32Array.from(mean, (m, c) => -m / std[c]);
  const from = (c: number) => (bgr && c < 3 ? 2 - c : c); // the source channel of tensor channel c
  const bytes = new Uint8Array(144);
  const floats = new Float32Array(bytes.buffer);
  bytes.fill(0x80, 0, 16);
  if (layout === "NCHW") {
    for (let c = 0; c < oc; c++) {
      for (let i = 0; i < 4; i++) {
        bytes[4 * c + i] = i * cn + from(c);
        floats[4 + 4 * c + i] = a[c];
        floats[20 + 4 * c + i] = b[c];
      }
    }
  } else {
    const lanes = layout === "NHWC" ? oc : 4;
    for (let j = 0; j < 4 * lanes; j++) {
      const p = Math.floor(j / lanes), c = j % lanes;
      if (c >= oc) continue;
      bytes[j] = p * cn + from(c);
      floats[4 + j] = a[c];
      floats[20 + j] = b[c];
    }
  }
  return { oc, layout, consts: bytes };
}

/**
 * @internal The tensor's floats for a pixel whose bytes are `pad` (one per source
 * channel), computed as the kernel computes them: one per plane for NCHW, else the
 * pixel's floats (oc for NHWC, 4 for NC4HW4, zero past oc).
 */
export function padPixel(n: Normalisation, pad: Uint8Array): Float32Array {
  const floats = new Float32Array(n.consts.buffer, n.consts.byteOffset, n.consts.length >> 2);
  const planar = n.layout === "NCHW";
  return Float32Array.from({ length: n.layout === "NC4HW4" ? 4 : n.oc }, (_, c) => {
    const i = planar ? 4 * c : c; // the map's and the vectors' index of the pixel's first value of channel c
    const from = n.consts[i];
    const x = from < 16 ? pad[from] : 0;
    return Math.fround(Math.fround(x * floats[4 + i]) + floats[20 + i]);
  });
}

function planTensor(engine: Engine, { data, shape, rest: [options] }: ReturnType<typeof imageCall>): TensorPlan {
  const src = checkImage(engine.arena, "toTensor src", data, shape, ["u8"]);
  const o = checkOptions("toTensor options", options ?? {}, KNOWN);
  const { oc, layout, consts } = checkNormalisation("toTensor", o, src.channels);
  const tensorShape: Shape4 = [1, oc, src.height, src.width];
  let out: F32Operand | null = null;
  if (o.out !== undefined) {
    out = checkF32Operand(engine.arena, "toTensor out", o.out);
    checkLength(`toTensor out (${layout} [${tensorShape.join(", ")}])`, out, tensorLength(layout, tensorShape));
  }
  checkNotSource("toTensor", o.out, data);
  return { src, shape: tensorShape, layout, consts, out, buffers: deviceBuffers(data, out) };
}

async function runTensor(engine: Engine, p: TensorPlan): Promise<Tensor> {
  const arena = engine.arena;
  const { src, layout } = p;
  // (From arrays, a multiply-add per value: bound by the copies.)
  const moved = runAloneUnshared(engine, true, p.buffers, (own) => runTensor(own, p));
  if (moved) return moved;
  const length = tensorLength(layout, p.shape);
  const result = p.out ?? new Float32Array(length);
  const regions = { src: imageRows(arena, src), dst: output(arena, result, length, "toTensor out") };
  const n: Normalisation = { oc: p.shape[1], layout, consts: p.consts };
  await bind(arena, regions, (at) => tensorInto(engine, { at: at.src, stride: src.stride, channels: src.channels, width: src.width, height: src.height }, at.dst, n));
  return { data: result, shape: p.shape, layout };
}

/**
 * @internal The normalisation job: an 8-bit image at `src.at` (rows `src.stride` bytes
 * apart) into the tensor at `dstAt`, as `n` (checkNormalisation) says; NCHW planes
 * `planeStride` bytes apart (default: the image's size).
 */
export function tensorInto(
  engine: Engine, src: { at: number; stride: number; channels: number; width: number; height: number }, dstAt: number, n: Normalisation,
  planeStride = src.width * src.height * 4,
): Promise<void> {
  const arena = engine.arena;
  const lanes = n.layout === "NHWC" ? n.oc : 4;
  const split = rowSplit(engine, src.height, src.width * (src.channels + 4 * n.oc));
  const consts = { bytes: n.consts.length, before: (at: number) => view(arena, Uint8Array, at, n.consts.length).set(n.consts) };
  return bind(arena, { consts }, (at) => {
    const args = {
      src: src.at, srcStride: src.stride, cn: src.channels, width: src.width, height: src.height, dst: dstAt,
      planar: n.layout === "NCHW", planeStride, lanes, oc: n.oc, consts: at.consts, rows: split.rows,
    };
    return engine.run("toTensor", args, [split.groups], { solo: split.solo });
  });
}
