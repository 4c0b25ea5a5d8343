// Tensors as ops take and return them: data, logical shape and layout together, so the
// result of one op can be handed to the next as it is.
import type { F32Operand } from "../../buffer.ts";

export type PlainLayout = "NCHW" | "NHWC";
/** NC4HW4 is MNN's: [n][⌈c/4⌉][h][w][4], the four channels of a pixel in one v128, channels past c zero. */
export type Layout = PlainLayout | "NC4HW4";
/** [n, c, h, w], whatever the layout. */
export type Shape4 = readonly [n: number, c: number, h: number, w: number];
/** What a shape argument may be: a 4-tuple, readonly or not, or a plain number[] of length 4. */
export type ShapeLike = Shape4 | readonly number[];

export interface Tensor<T extends F32Operand = F32Operand> {
  data: T;
  shape: Shape4;
  layout: Layout;
}

/** Channel quads: NC4HW4 holds ⌈c/4⌉ planes. */
export const quads = (c: number) => Math.ceil(c / 4);

/** Elements of a tensor of logical shape [n, c, h, w] in `layout` (NC4HW4 pads c to quads). */
export const tensorLength = (layout: Layout, [n, c, h, w]: Shape4) => n * (layout === "NC4HW4" ? quads(c) * 4 : c) * h * w;

/** The options every windowed op on tensors (conv2d, pool2d) takes. */
export interface WindowOptions {
  /** A number, or [height, width]. */
  stride?: number | readonly [number, number];
  /** A number, [top, left, bottom, right], "same" (TensorFlow's) or "valid" (0). Default 0. */
  padding?: number | readonly [number, number, number, number] | "same" | "valid";
  /** A number, or [height, width]. Default 1. */
  dilation?: number | readonly [number, number];
  /** The input's layout when the input is given as data and shape; default "NCHW". */
  layout?: Layout;
  /** The output's layout; default the input's. */
  outputLayout?: Layout;
  /** Where to write the output (its length: the output's in outputLayout). */
  out?: F32Operand;
}

/** A tensor handed in whole ({ data, shape, layout }), or null for the (data, shape, …) form. */
export function asTensor(v: unknown): Tensor | null {
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || !("data" in v) || !("shape" in v)) return null;
  return v as Tensor;
}
