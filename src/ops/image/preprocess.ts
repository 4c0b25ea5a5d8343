// preprocess(): an 8-bit frame to the normalised f32 tensor a model takes, in one call:
// resize (fill, letterbox or centre crop), then normalise into the tensor's layout. Only
// the source rows the resampling reads are copied in from a plain array; the resized
// image lives in a canvas in the context's memory, and only the tensor comes back out.
// The result is exactly what resize, place and toTensor give one after another.
import { checkBool, checkF32Operand, checkInt, checkLength, checkOptions, describe, deviceBuffers, oneOf, recheckLength } from "../../errors.ts";
import { DeviceBuffer, type F32Operand } from "../../buffer.ts";
import { HOST, bind, runAloneUnshared, scratch, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import { tensorLength, type Shape4, type Tensor } from "../tensor/types.ts";
import { checkNormalisation, padPixel, tensorInto, type Normalisation, type ToTensorOptions } from "./color-tensor.ts";
import { imageCall } from "./color-common.ts";
import { placement, type Placement, type PlacementFit } from "./placement.ts";
import { resizeAlone, resizeInto } from "./resize.ts";
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
  const pad = Uint8Array.from(padValues, (v, i) => checkInt(() => `preprocess pad${Array.isArray(o.pad) ? `[${i}]` : ""}`, v, 0, 255));
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

/**
 * Taps of its resize per byte copied (the sampled source rows in, the tensor out) below
 * which a call from arrays is bound by its copies (src/run.ts, runAloneUnshared): higher
 * than resize's, since normalising adds work that the taps do not count. Measured between
 * 0.92 (640×480 to 480², no faster on two threads) and 1.35 (1280×720 to 640² cover, faster).
 */
const COPY_BOUND_TAPS_PER_BYTE = 1.1;

async function runPreprocess(engine: Engine, p: PreprocessPlan): Promise<PreprocessResult> {
  const { src, place, width: W, height: H, norm } = p;
  const cn = src.channels;
  const shape: Shape4 = [1, norm.oc, H, W];
  // The tensor rows the frame covers, [top, top + rows): the letterbox's bands above and
  // below are all padding, written as floats directly instead of normalised.
  const cover = place.x < 0 || place.y < 0;
  const top = cover ? 0 : place.y, rows = cover ? H : place.height;
  // From arrays, on the caller alone when its resize would be, writing the tensor
  // (normalising is a multiply-add per value, bound by the copies).
  const length = tensorLength(norm.layout, shape);
  const rowsResized = cover ? { y0: -place.y, y1: -place.y + H } : {};
  const alone = () => resizeAlone(engine, src, place.width, place.height, p.method, p.antialias, { ...rowsResized, outBytes: length * 4, tapsPerByte: COPY_BOUND_TAPS_PER_BYTE });
  const moved = runAloneUnshared(engine, alone, p.buffers, (own) => runPreprocess(own, p));
  if (moved) return moved;
  const result = p.out ?? new Float32Array(length);
  const tensor = tensorRows(engine, result, norm, W, H, top, rows, padPixel(norm, p.pad));
  // The canvas the tensor is read from: those rows, the tensor's width (fill, contain), or
  // the resized frame's width (cover: its middle columns are read in place).
  const canvasW = cover ? place.width : W;
  const rowBytes = canvasW * cn;
  await bind(engine.arena, { canvas: scratch(rowBytes * rows), dst: tensor.binding }, async (at) => {
    if (cover) {
      // Rows -y … -y + H of the resized frame, all its columns.
      await resizeInto(engine, src, place.width, place.height, p.method, p.antialias, at.canvas, rowBytes, -place.y, -place.y + H);
    } else {
      fillMargins(view(engine.arena, Uint8Array, at.canvas, rowBytes * rows), W, rows, cn, place, p.pad);
      await resizeInto(engine, src, place.width, place.height, p.method, p.antialias, at.canvas + place.x * cn, rowBytes);
    }
    const left = cover ? -place.x * cn : 0;
    await tensorInto(engine, { at: at.canvas + left, stride: rowBytes, channels: cn, width: W, height: rows }, at.dst, norm, tensor.planeStride);
  });
  return { data: result, shape, layout: norm.layout, placement: place };
}

/**
 * Where the kernels write tensor rows [top, top + rows) of every plane (NCHW) or of the
 * one block of pixels (NHWC, NC4HW4): in place in a device buffer, else a region of just
 * those rows, copied out plane by plane. The other rows get the padding's floats.
 */
function tensorRows(engine: Engine, out: F32Operand, n: Normalisation, W: number, H: number, top: number, rows: number, pad: Float32Array) {
  const planar = n.layout === "NCHW";
  const blocks = planar ? n.oc : 1;
  const rowFloats = W * (planar ? 1 : pad.length);
  const length = blocks * H * rowFloats;
  const fill = (t: Float32Array) => fillPadRows(t, pad, planar, blocks, H, rowFloats, top, rows);
  if (out instanceof DeviceBuffer) {
    const binding: Binding = { bytes: 0, device: out, offset: top * rowFloats * 4, before: (at) => fill(view(engine.arena, Float32Array, at - top * rowFloats * 4, length)) };
    return { binding, planeStride: H * rowFloats * 4 };
  }
  const name = "preprocess out";
  const block = rows * rowFloats;
  const binding: Binding = {
    bytes: blocks * block * 4,
    before: () => recheckLength(name, out, length),
    after: (at) => {
      recheckLength(name, out, length);
      const region = view(engine.arena, Float32Array, at, blocks * block);
      for (let b = 0; b < blocks; b++) out.set(region.subarray(b * block, (b + 1) * block), (b * H + top) * rowFloats);
      fill(out);
    },
  };
  return { binding, planeStride: block * 4 };
}

/** Rows outside [top, top + rows) of each block: the padding's floats (one per plane, or a pixel's). */
function fillPadRows(t: Float32Array, pad: Float32Array, planar: boolean, blocks: number, H: number, rowFloats: number, top: number, rows: number): void {
  if (top === 0 && rows === H) return;
  if (planar) {
    for (let b = 0; b < blocks; b++) {
      t.fill(pad[b], b * H * rowFloats, (b * H + top) * rowFloats);
      t.fill(pad[b], (b * H + top + rows) * rowFloats, (b + 1) * H * rowFloats);
    }
    return;
  }
  const row = Float32Array.from({ length: rowFloats }, (_, i) => pad[i % pad.length]);
  for (let r = 0; r < H; r++) if (r < top || r >= top + rows) t.set(row, r * rowFloats);
}

/** The canvas's margins left and right of the placed frame, in each of its rows. */
function fillMargins(canvas: Uint8Array, W: number, rows: number, cn: number, place: Placement, pad: Uint8Array): void {
  const { x, width: rw } = place;
  if (x === 0 && rw === W) return;
  const row = new Uint8Array(W * cn);
  for (let i = 0; i < row.length; i++) row[i] = pad[i % cn];
  for (let r = 0; r < rows; r++) {
    const at = r * W * cn;
    canvas.set(row.subarray(0, x * cn), at);
    canvas.set(row.subarray((x + rw) * cn), at + (x + rw) * cn);
  }
}
