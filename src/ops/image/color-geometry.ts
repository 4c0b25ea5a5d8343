// crop(), flip() and place(): copies of a source rectangle into a canvas, mirrored or
// not, the rest filled with one value — one kernel (assembly/image/color-geometry.ts)
// for 8-bit and f32 images of 1 to 4 channels. All exact. The placement math for
// letterboxing and centre crops lives in ./placement.ts.
import { checkInt, checkNumber, checkOptions, describe, deviceBuffers, oneOf } from "../../errors.ts";
import type { DeviceBuffer } from "../../buffer.ts";
import { HOST, bind, none, runAloneUnshared, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import { checkImage, checkImageOutput, imageOutput, imageRows, type CheckedImage, type Image, type ImageShape, type Pixels, type ImageInput } from "./types.ts";
import { checkNotSource, imageCall, rowSplit } from "./color-common.ts";

export { placement, type Placement, type PlacementFit } from "./placement.ts";

export interface CropOptions<T extends Pixels = Pixels> {
  /** The region's top-left corner and size, inside the image. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Where to write the region (width·height·channels elements, rows dense). */
  out?: T;
}

export interface FlipOptions<T extends Pixels = Pixels> {
  /** "horizontal" mirrors left and right, "vertical" top and bottom, "both" rotates by 180°. */
  axis: "horizontal" | "vertical" | "both";
  out?: T;
}

export interface PlaceOptions<T extends Pixels = Pixels> {
  /** The canvas's size. */
  width: number;
  height: number;
  /** Where the image's top-left corner goes in the canvas (may be negative or past the canvas: what lies outside is dropped). Default: centred, ⌊(canvas − image)/2⌋. */
  x?: number;
  y?: number;
  /** The canvas's fill: one number for every channel, or one per channel. Default 0. */
  value?: number | readonly number[];
  out?: T;
}

const AXES = ["horizontal", "vertical", "both"] as const;

interface GeometryPlan {
  src: CheckedImage;
  /** The source rectangle copied: its corner in the source and its size. */
  sx: number;
  sy: number;
  width: number;
  height: number;
  canvasW: number;
  canvasH: number;
  /** Where the rectangle lands in the canvas. */
  x: number;
  y: number;
  flipX: boolean;
  flipY: boolean;
  fill: Uint8Array | null;
  out: unknown;
  buffers: DeviceBuffer[];
}

type Result<T> = Promise<Image<T extends Pixels ? T : Pixels>>;

/** The region [x, x + width) × [y, y + height) of an image, copied. */
export function crop<T extends Pixels>(this: OpHost, src: ImageInput<T>, options: CropOptions): Result<T>;
export function crop<T extends Pixels>(this: OpHost, src: T, shape: ImageShape, options: CropOptions): Result<T>;
export function crop(this: OpHost, ...args: unknown[]): Promise<Image> {
  return runOp(this, "crop", args, (src, o) => {
    const x = checkInt("crop x", o.x, 0, src.width - 1), y = checkInt("crop y", o.y, 0, src.height - 1);
    const width = checkInt("crop width", o.width, 1, src.width - x), height = checkInt("crop height", o.height, 1, src.height - y);
    return { sx: x, sy: y, width, height, canvasW: width, canvasH: height, x: 0, y: 0, flipX: false, flipY: false, fill: null };
  }, ["x", "y", "width", "height", "out"]);
}

/** The image mirrored along `axis`. */
export function flip<T extends Pixels>(this: OpHost, src: ImageInput<T>, options: FlipOptions): Result<T>;
export function flip<T extends Pixels>(this: OpHost, src: T, shape: ImageShape, options: FlipOptions): Result<T>;
export function flip(this: OpHost, ...args: unknown[]): Promise<Image> {
  return runOp(this, "flip", args, (src, o) => {
    if (!AXES.includes(o.axis as never)) throw new TypeError(`simdcl: flip axis must be ${oneOf(AXES)}, got ${describe(o.axis)}`);
    const { width, height } = src;
    return { sx: 0, sy: 0, width, height, canvasW: width, canvasH: height, x: 0, y: 0, flipX: o.axis !== "vertical", flipY: o.axis !== "horizontal", fill: null };
  }, ["axis", "out"]);
}

/** The image placed into a width × height canvas filled with `value` (OpenCV's copyMakeBorder with BORDER_CONSTANT, and more). */
export function place<T extends Pixels>(this: OpHost, src: ImageInput<T>, options: PlaceOptions): Result<T>;
export function place<T extends Pixels>(this: OpHost, src: T, shape: ImageShape, options: PlaceOptions): Result<T>;
export function place(this: OpHost, ...args: unknown[]): Promise<Image> {
  return runOp(this, "place", args, (src, o) => {
    const W = checkInt("place width", o.width, 1, 2 ** 24), H = checkInt("place height", o.height, 1, 2 ** 24);
    const x = o.x === undefined ? Math.floor((W - src.width) / 2) : checkInt("place x", o.x, -(2 ** 24), 2 ** 24);
    const y = o.y === undefined ? Math.floor((H - src.height) / 2) : checkInt("place y", o.y, -(2 ** 24), 2 ** 24);
    // The visible part: canvas columns [x0, x1), rows [y0, y1).
    const x0 = Math.max(0, x), x1 = Math.min(W, x + src.width), y0 = Math.max(0, y), y1 = Math.min(H, y + src.height);
    const visible = x1 > x0 && y1 > y0;
    return {
      sx: visible ? x0 - x : 0, sy: visible ? y0 - y : 0, width: visible ? x1 - x0 : 0, height: visible ? y1 - y0 : 0,
      canvasW: W, canvasH: H, x: visible ? x0 : 0, y: visible ? y0 : 0, flipX: false, flipY: false, fill: fillPattern(src, o.value),
    };
  }, ["width", "height", "x", "y", "value", "out"]);
}

/** 64 bytes of the fill pixel repeated (the kernel reads a 48-byte period at any phase). */
function fillPattern(src: CheckedImage, value: unknown): Uint8Array {
  const cn = src.channels;
  const values = Array.isArray(value) ? value : Array(cn).fill(value ?? 0);
  if (values.length !== cn) throw new RangeError(`simdcl: place value must be a number or ${cn} numbers (one per channel), got ${describe(value)}`);
  const pixel = src.esz === 1
    ? Uint8Array.from(values, (v, i) => checkInt(() => `place value${Array.isArray(value) ? `[${i}]` : ""}`, v, 0, 255))
    : new Uint8Array(Float32Array.from(values, (v, i) => checkNumber(() => `place value${Array.isArray(value) ? `[${i}]` : ""}`, v, 0, -Infinity)).buffer);
  return Uint8Array.from({ length: 64 }, (_, i) => pixel[i % pixel.length]);
}

type Layout = Omit<GeometryPlan, "src" | "out" | "buffers">;

function runOp(host: OpHost, op: string, args: unknown[], layout: (src: CheckedImage, o: Record<string, unknown>) => Layout, known: string[]): Promise<Image> {
  const { engine, call } = host[HOST];
  return call(() => {
    const { data, shape, rest: [options] } = imageCall(args);
    const src = checkImage(engine.arena, `${op} src`, data, shape);
    const o = checkOptions(() => `${op} options`, options, known);
    checkNotSource(op, o.out, data);
    const plan = { src, out: o.out, buffers: deviceBuffers(data, o.out), ...layout(src, o) };
    checkImageOutput(engine.arena, `${op} out`, o.out, plan.canvasW, plan.canvasH, src.channels, src.esz === 1 ? "u8" : "f32");
    return plan;
  }, (plan) => runGeometry(engine, op, plan));
}

async function runGeometry(engine: Engine, op: string, p: GeometryPlan): Promise<Image> {
  const arena = engine.arena;
  const { src } = p;
  const ps = src.channels * src.esz;
  // (From arrays, a crop, flip or placement is all copies.)
  const moved = runAloneUnshared(engine, true, p.buffers, (own) => runGeometry(own, op, p));
  if (moved) return moved;
  const split = rowSplit(engine, p.canvasH, p.canvasW * ps * 2);
  const { image, binding } = imageOutput(arena, `${op} out`, p.out, p.canvasW, p.canvasH, src.channels, src.esz === 1 ? "u8" : "f32");
  const fill = p.fill;
  const regions: Record<"src" | "dst" | "fill", Binding> = {
    src: p.height ? imageRows(arena, src, p.sy, p.sy + p.height) : none,
    dst: binding,
    fill: fill ? { bytes: 64, before: (at) => view(arena, Uint8Array, at, 64).set(fill) } : none,
  };
  await bind(arena, regions, (at) => {
    const args = {
      ps, src: at.src + p.sx * ps, srcStride: src.stride * src.esz, width: p.width, height: p.height, flipX: p.flipX, flipY: p.flipY,
      dst: at.dst, dstStride: p.canvasW * ps, canvasW: p.canvasW, canvasH: p.canvasH, x: p.x, y: p.y, fill: fill ? at.fill : 0, rows: split.rows,
    };
    return engine.run("colorGeometry", args, [split.groups], { solo: split.solo });
  });
  return image;
}
