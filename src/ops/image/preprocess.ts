// preprocess(): an 8-bit frame to the normalised f32 tensor a model takes, in one call:
// resize (fill, letterbox or centre crop), then normalise into the tensor's layout. Only
// the source rows the resampling reads are copied in from a plain array; the resized
// image lives in a canvas in the context's memory, and only the tensor comes back out.
// The result is exactly what resize, place and toTensor give one after another.
import { checkBool, checkF32Operand, checkInt, checkLength, checkOptions, describe, deviceBuffers, oneOf } from "../../errors.ts";
import type { DeviceBuffer, F32Operand } from "../../buffer.ts";
import { HOST, bind, output, scratch, view, type Engine, type OpHost } from "../../run.ts";
import { tensorLength, type Shape4, type Tensor } from "../tensor/types.ts";
import { checkNormalisation, tensorInto, type Normalisation, type ToTensorOptions } from "./color-tensor.ts";
import { imageCall } from "./color-common.ts";
import { placement, type Placement, type PlacementFit } from "./placement.ts";
import { resizeInto } from "./resize.ts";
import type { ResizeMethod } from "./resize-plan.ts";
import { checkImage, type CheckedImage, type ImageShape, type U8Pixels, type ImageInput } from "./types.ts";

/** How the frame becomes the tensor's width × height. */
export interface PreprocessResize {
  /** The tensor's width and height. */
  width: number;
  height: number;
  /**
   * "fill" (default): resize to width × height; "contain": letterbox, the whole frame
   * scaled to fit and centred, the rest `pad`; "cover": centre crop, the frame scaled to
   * cover the tensor and its middle kept.
   */
  fit?: PlacementFit;
  /** As resize's. Default "bilinear". */
  method?: ResizeMethod;
  /** As resize's (bilinear and bicubic). Default false. */
  antialias?: boolean;
}

export interface PreprocessOptions<T extends F32Operand = F32Operand> extends ToTensorOptions<T> {
  resize: PreprocessResize;
  /** "contain": the padding's value, one for every channel or one per source channel (YOLO: 114). Default 0. */
  pad?: number | readonly number[];
}

/** The tensor, and where the frame lies in it (to map boxes back: placement.toSource). */
export type PreprocessResult<T extends F32Operand = F32Operand> = Tensor<T> & { placement: Placement };

const KNOWN = ["resize", "pad", "scale", "mean", "std", "channelOrder", "layout", "keepAlpha", "out"] as const;
const RESIZE_KNOWN = ["width", "height", "fit", "method", "antialias"] as const;
const METHODS = ["nearest", "bilinear", "bicubic", "area"] as const;
const FITS = ["fill", "contain", "cover"] as const;

interface PreprocessPlan {
  src: CheckedImage;
  place: Placement;
  width: number;
  height: number;
  method: ResizeMethod;
  antialias: boolean;
  pad: Uint8Array;
  norm: Normalisation;
  out: F32Operand | null;
  buffers: DeviceBuffer[];
}

/**
 * Resize an 8-bit frame (an Image, or data and shape) to `width` × `height` (stretched,
 * letterboxed or centre-cropped, as `fit` says) and normalise it into an f32 tensor
 * `{ data, shape: [1, c, height, width], layout, placement }`, c the frame's channels (3 for
 * RGBA unless keepAlpha). Resolves to what resize, place and toTensor would give in turn.
 */
export function preprocess<T extends F32Operand>(this: OpHost, src: ImageInput<U8Pixels>, options: PreprocessOptions<T> & { out: T }): Promise<PreprocessResult<T>>;
export function preprocess(this: OpHost, src: ImageInput<U8Pixels>, options: PreprocessOptions): Promise<PreprocessResult<Float32Array>>;
export function preprocess<T extends F32Operand>(this: OpHost, src: U8Pixels, shape: ImageShape, options: PreprocessOptions<T> & { out: T }): Promise<PreprocessResult<T>>;
export function preprocess(this: OpHost, src: U8Pixels, shape: ImageShape, options: PreprocessOptions): Promise<PreprocessResult<Float32Array>>;
export function preprocess(this: OpHost, a: unknown, b: unknown, c?: unknown): Promise<PreprocessResult> {
  const { engine, call } = this[HOST];
  return call(() => planPreprocess(engine, imageCall([a, b, c])), (plan) => runPreprocess(engine, plan));
}

function planPreprocess(engine: Engine, { data, shape, rest: [options] }: ReturnType<typeof imageCall>): PreprocessPlan {
  const src = checkImage(engine.arena, "preprocess src", data, shape, ["u8"]);
  const o = checkOptions("preprocess options", options, KNOWN);
  const r = checkOptions("preprocess resize", o.resize, RESIZE_KNOWN);
  const width = checkInt("preprocess resize.width", r.width, 1, 2 ** 16);
  const height = checkInt("preprocess resize.height", r.height, 1, 2 ** 16);
  const fit = r.fit ?? "fill";
  if (!(FITS as readonly unknown[]).includes(fit)) throw new TypeError(`simdcl: preprocess resize.fit must be ${oneOf(FITS)}, got ${describe(fit)}`);
  const method = r.method ?? "bilinear";
  if (!(METHODS as readonly unknown[]).includes(method)) throw new TypeError(`simdcl: preprocess resize.method must be ${oneOf(METHODS)}, got ${describe(method)}`);
  const antialias = checkBool("preprocess resize.antialias", r.antialias, false);
  if (antialias && method !== "bilinear" && method !== "bicubic") throw new TypeError(`simdcl: preprocess resize.antialias applies to "bilinear" and "bicubic", got method ${describe(method)}`);
  const cn = src.channels;
  const padValues = Array.isArray(o.pad) ? o.pad : Array(cn).fill(o.pad ?? 0);
  if (padValues.length !== cn) throw new RangeError(`simdcl: preprocess pad must be a number or ${cn} numbers (one per source channel), got ${describe(o.pad)}`);
  const pad = Uint8Array.from(padValues, (v, i) => checkInt(`preprocess pad${Array.isArray(o.pad) ? `[${i}]` : ""}`, v, 0, 255));
  const norm = checkNormalisation("preprocess", o, cn);
  const tensorShape: Shape4 = [1, norm.oc, height, width];
  let out: F32Operand | null = null;
  if (o.out !== undefined) {
    out = checkF32Operand(engine.arena, "preprocess out", o.out);
    checkLength(() => `preprocess out (${norm.layout} [${tensorShape.join(", ")}])`, out, tensorLength(norm.layout, tensorShape));
  }
  const place = placement(src.width, src.height, width, height, fit as PlacementFit);
  const buffers = deviceBuffers(src.data, out);
  return { src, place, width, height, method: method as ResizeMethod, antialias, pad, norm, out, buffers };
}

async function runPreprocess(engine: Engine, p: PreprocessPlan): Promise<PreprocessResult> {
  const { src, place, width: W, height: H } = p;
  const cn = src.channels;
  const shape: Shape4 = [1, p.norm.oc, H, W];
  const length = tensorLength(p.norm.layout, shape);
  const result = p.out ?? new Float32Array(length);
  // The canvas the tensor is read from: the tensor's size (fill, contain), or the resized
  // frame's width by the tensor's rows (cover: its middle columns are read in place).
  const cover = place.x < 0 || place.y < 0;
  const canvasW = cover ? place.width : W;
  const regions = { canvas: scratch(canvasW * H * cn), dst: output(engine.arena, result, length, "preprocess out") };
  await bind(engine.arena, regions, async (at) => {
    const rowBytes = canvasW * cn;
    if (cover) {
      // Rows -y … -y + H of the resized frame, all its columns.
      await resizeInto(engine, src, place.width, place.height, p.method, p.antialias, at.canvas, rowBytes, -place.y, -place.y + H);
    } else {
      if (place.width < W || place.height < H) fillPadding(view(engine.arena, Uint8Array, at.canvas, W * H * cn), W, H, cn, place, p.pad);
      await resizeInto(engine, src, place.width, place.height, p.method, p.antialias, at.canvas + (place.y * W + place.x) * cn, rowBytes);
    }
    const left = cover ? -place.x * cn : 0;
    await tensorInto(engine, { at: at.canvas + left, stride: rowBytes, channels: cn, width: W, height: H }, at.dst, p.norm);
  });
  return { data: result, shape, layout: p.norm.layout, placement: place };
}

/** The canvas outside the placed frame: whole rows above and below, margins left and right. */
function fillPadding(canvas: Uint8Array, W: number, H: number, cn: number, place: Placement, pad: Uint8Array): void {
  const row = new Uint8Array(W * cn);
  for (let i = 0; i < row.length; i++) row[i] = pad[i % cn];
  const { x, y, width: rw, height: rh } = place;
  for (let r = 0; r < H; r++) {
    const at = r * W * cn;
    if (r < y || r >= y + rh) canvas.set(row, at);
    else {
      canvas.set(row.subarray(0, x * cn), at);
      canvas.set(row.subarray((x + rw) * cn), at + (x + rw) * cn);
    }
  }
}
