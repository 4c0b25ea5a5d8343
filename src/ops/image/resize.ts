// resize(): nearest, bilinear, bicubic and area resampling with cv.resize's conventions
// and arithmetic, and PIL's (torchvision's) antialiased bilinear and bicubic. The
// coefficients come from resize-plan.ts; the kernel is assembly/image/resize.ts.
import { checkBool, checkInt, checkOptions, describe, oneOf } from "../../errors.ts";
import { DeviceBuffer, type ElementType } from "../../buffer.ts";
import type { Arena } from "../../memory.ts";
import { GROUPS_PER_THREAD, HOST, bind, input, scratch, threadsFor, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import { RESIZE_FIXED, RESIZE_FIXED_LINEAR, RESIZE_FLOAT } from "../schema.gen.ts";
import { foldAxis, resizeScheme, type ResizeMethod, type ResizeScheme } from "./resize-plan.ts";
import { asImage, checkImage, imageOutput, imageRows, type CheckedImage, type F32Pixels, type Image, type ImageShape, type Pixels, type U8Pixels } from "./types.ts";

export type { ResizeMethod } from "./resize-plan.ts";

export interface ResizeOptions<O extends Pixels = Pixels> {
  /** Output width in pixels. */
  width: number;
  /** Output height in pixels. */
  height: number;
  /** "nearest", "bilinear" (default), "bicubic" or "area", as cv.resize's INTER_NEAREST, INTER_LINEAR, INTER_CUBIC, INTER_AREA. */
  method?: ResizeMethod;
  /**
   * Bilinear and bicubic: PIL's (torchvision's antialias=True) resampling, the filter
   * widened by the downscale factor so every source pixel counts. Default false.
   */
  antialias?: boolean;
  /** Where to write the width × height × channels result (rows dense): an array or a device buffer of the source's kind. */
  out?: O;
}

const KNOWN = ["width", "height", "method", "antialias", "out"] as const;
const METHODS = ["nearest", "bilinear", "bicubic", "area"] as const;
const MAX_SIDE = 2 ** 24;
/** Output value-taps below which the caller resizes alone (a dispatch costs more). */
const SOLO_BELOW = 1 << 16;

interface ResizePlan {
  src: CheckedImage;
  width: number;
  height: number;
  scheme: ResizeScheme;
  output: { image: Image; binding: Binding };
  buffers: DeviceBuffer[];
}

/**
 * Resize an image (an Image such as a previous op's result, or its data followed by its
 * shape) to `width` × `height`. Resolves to an Image of the source's kind (8-bit or f32)
 * with the same channels, rows dense.
 */
export function resize<O extends Pixels>(this: OpHost, src: Image, options: ResizeOptions<O> & { out: O }): Promise<Image<O>>;
export function resize(this: OpHost, src: Image<U8Pixels>, options: ResizeOptions): Promise<Image<Uint8Array>>;
export function resize(this: OpHost, src: Image<F32Pixels>, options: ResizeOptions): Promise<Image<Float32Array>>;
export function resize(this: OpHost, src: Image, options: ResizeOptions): Promise<Image>;
export function resize<O extends Pixels>(this: OpHost, data: Pixels, shape: ImageShape, options: ResizeOptions<O> & { out: O }): Promise<Image<O>>;
export function resize(this: OpHost, data: U8Pixels, shape: ImageShape, options: ResizeOptions): Promise<Image<Uint8Array>>;
export function resize(this: OpHost, data: F32Pixels, shape: ImageShape, options: ResizeOptions): Promise<Image<Float32Array>>;
export function resize(this: OpHost, data: Pixels, shape: ImageShape, options: ResizeOptions): Promise<Image>;
export function resize(this: OpHost, ...args: unknown[]): Promise<Image> {
  const { engine, call } = this[HOST];
  return call(() => {
    const img = asImage(args[0]);
    if (img) {
      const { width, height, channels, stride } = img;
      return planResize(engine, img.data, { width, height, channels, stride }, args[1]);
    }
    return planResize(engine, args[0], args[1], args[2]);
  }, (plan) => runResize(engine, plan));
}

function planResize(engine: Engine, data: unknown, shape: unknown, options: unknown): ResizePlan {
  const src = checkImage(engine.arena, "resize src", data, shape);
  const o = checkOptions("resize options", options, KNOWN);
  const width = checkInt("resize width", o.width, 1, MAX_SIDE);
  const height = checkInt("resize height", o.height, 1, MAX_SIDE);
  const method = o.method === undefined ? "bilinear" : o.method;
  if (!(METHODS as readonly unknown[]).includes(method)) throw new TypeError(`simdcl: resize method must be ${oneOf(METHODS)}, got ${describe(method)}`);
  const antialias = checkBool("resize antialias", o.antialias, false);
  if (antialias && method !== "bilinear" && method !== "bicubic") {
    throw new TypeError(`simdcl: resize antialias applies to "bilinear" and "bicubic", got method ${describe(method)}`);
  }
  if (o.out !== undefined && o.out === src.data) throw new RangeError("simdcl: resize out must not be the source's data");
  const output = imageOutput(engine.arena, "resize out", o.out, width, height, src.channels, src.esz === 1 ? "u8" : "f32");
  const scheme = resizeScheme([src.width, src.height], [width, height], method as ResizeMethod, antialias, src.esz === 4, src.channels);
  const buffers = [src.data, o.out].filter((b): b is DeviceBuffer => b instanceof DeviceBuffer);
  return { src, width, height, scheme, output, buffers };
}

/**
 * The source rows the kernels read: a device buffer in place; from an array, the rows
 * from the first to the last sampled when that range is all sampled, else only the
 * sampled rows, packed. Returns the binding, its row stride in bytes, and each row's
 * index in the region.
 */
function sourceRows(arena: Arena, img: CheckedImage, rows: Int32Array): { binding: Binding; stride: number; map: (r: number) => number } {
  const stride = img.stride * img.esz;
  if (img.data instanceof DeviceBuffer) return { binding: imageRows(arena, img), stride, map: (r) => r };
  const used = new Uint8Array(img.height);
  for (const r of rows) used[r] = 1;
  const list: number[] = [];
  used.forEach((u, r) => u && list.push(r));
  const first = list[0], last = list[list.length - 1];
  if (list.length === last - first + 1) return { binding: imageRows(arena, img, first, last + 1), stride, map: (r) => r - first };
  const index = new Int32Array(img.height);
  list.forEach((r, i) => (index[r] = i));
  const rowElems = img.width * img.channels;
  const data = img.data;
  const Type = data.constructor as ElementType<Uint8Array>;
  const binding: Binding = {
    bytes: list.length * rowElems * img.esz,
    before: (at) => {
      const packed = view(arena, Type, at, list.length * rowElems);
      list.forEach((r, i) => packed.set((data as Uint8Array).subarray(r * img.stride, r * img.stride + rowElems), i * rowElems));
    },
  };
  return { binding, stride: rowElems * img.esz, map: (r) => index[r] };
}

async function runResize(engine: Engine, p: ResizePlan): Promise<Image> {
  const { src, scheme, width, height } = p;
  const cn = src.channels;
  const esz = src.esz;
  const float = scheme.arithmetic === "float";
  const WeightArray = float ? Float32Array : Int32Array;
  // Horizontal: per four output values, their first taps' byte offsets, and per tap their weights.
  const x = foldAxis(scheme.x, src.width);
  const values = width * cn;
  const groups = Math.ceil(values / 4);
  const xofs = new Int32Array(groups * 4);
  const xw = new WeightArray(groups * x.taps * 4);
  for (let j = 0; j < groups * 4; j++) {
    const pixel = Math.floor(j / cn), c = j % cn;
    if (j >= values) {
      xofs[j] = xofs[0];
      continue;
    }
    xofs[j] = (x.start[pixel] * cn + c) * esz;
    const g = j >> 2, lane = j & 3;
    for (let k = 0; k < x.taps; k++) xw[(g * x.taps + k) * 4 + lane] = x.weight[pixel * x.taps + k];
  }
  // Vertical: per output row, per tap, the source row (in the region) and its weight.
  const ky = scheme.y.taps;
  const rows = sourceRows(engine.arena, src, scheme.y.index);
  const yrows = Int32Array.from(scheme.y.index, rows.map);
  const yw = scheme.y.weight;
  const threads = threadsFor(engine, values * height * (x.taps + ky), SOLO_BELOW);
  const band = threads === 1 ? height : Math.ceil(height / (GROUPS_PER_THREAD * threads));
  const stride = (Math.ceil(ky * 8 / 16) + ky + ky * groups) * 16 + 64;
  const output = p.output;
  const regions = {
    src: rows.binding,
    dst: output.binding,
    xofs: input(engine.arena, xofs, xofs.length),
    xw: input(engine.arena, xw, xw.length),
    yrows: input(engine.arena, yrows, yrows.length),
    yw: input(engine.arena, yw, yw.length),
    scratch: scratch(stride * (threads === 1 ? 1 : engine.threads)),
  };
  await bind(engine.arena, regions, (at) => {
    const args = {
      mode: scheme.arithmetic === "fixed-linear" ? RESIZE_FIXED_LINEAR : scheme.arithmetic === "fixed" ? RESIZE_FIXED : RESIZE_FLOAT,
      cn, srcF32: esz === 4, dstF32: esz === 4,
      src: at.src, srcStride: rows.stride, dst: at.dst, dstStride: values * esz, values, dh: height,
      kx: x.taps, xofs: at.xofs, xw: at.xw, ky, yrows: at.yrows, yw: at.yw,
      post: scheme.post, roundUp: scheme.roundHalfUp, rows: band,
      scratch: at.scratch, scratchStride: stride,
    };
    return engine.run("resize", args, [Math.ceil(height / band)], { solo: threads === 1 });
  });
  return output.image;
}
