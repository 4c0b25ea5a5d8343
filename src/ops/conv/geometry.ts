// The window of a convolution or a pooling: shapes, stride, padding, dilation, output
// size, and the argument words every such job starts with (the schema's `geometry`).
import { checkInt, describe } from "../../errors.ts";
import { quads } from "../tensor/types.ts";

export interface Geometry {
  n: number; c: number; h: number; w: number;
  oc: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number;
  /** top, left, bottom, right */
  pad: number[];
  oh: number; ow: number;
}

/** What the convolution planners read: the geometry, grouping and activation. */
export interface ConvShape extends Geometry {
  groups: number;
  act: number;
}

/** The geometry's argument words (the schema's `geometry` fields). */
export interface GeometryArgs {
  n: number; c4: number; h: number; w: number; oc4: number; oh: number; ow: number; kh: number; kw: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
}

/**
 * A job's arguments: its op's own, `args`, with the geometry's words added to the same
 * object. (Stores the compiler sees, one object per call: Object.assign onto a second
 * object took a tenth of a small layer's call.)
 */
export function withGeometry<T extends object>(p: Geometry, args: T): T & GeometryArgs {
  const a = args as T & GeometryArgs;
  a.n = p.n; a.c4 = quads(p.c); a.h = p.h; a.w = p.w; a.oc4 = quads(p.oc); a.oh = p.oh; a.ow = p.ow; a.kh = p.kh; a.kw = p.kw;
  a.sh = p.sh; a.sw = p.sw; a.pt = p.pad[0]; a.pl = p.pad[1]; a.dh = p.dh; a.dw = p.dw;
  return a;
}

const MAX_STEP = 2 ** 16;

/** A number or [height, width] of positive integers, `fallback` when left out. */
export function checkPair(name: string, v: unknown, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === "number") return [checkInt(name, v, 1, MAX_STEP), v];
  if (Array.isArray(v) && v.length === 2) return [checkInt(() => `${name}[0]`, v[0], 1, MAX_STEP), checkInt(() => `${name}[1]`, v[1], 1, MAX_STEP)];
  throw new TypeError(`simdcl: ${name} must be a number or [height, width], got ${describe(v)}`);
}

/** [top, left, bottom, right]; "same" as TensorFlow pads (the extra row or column at the end). */
export function checkPadding(name: string, v: unknown, h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number[] {
  if (v === undefined || v === "valid") return [0, 0, 0, 0];
  if (v === "same") {
    const total = (size: number, k: number, s: number, d: number) => Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
    const th = total(h, kh, sh, dh), tw = total(w, kw, sw, dw);
    return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  }
  if (typeof v === "number") {
    checkInt(name, v, 0, MAX_STEP);
    return [v, v, v, v];
  }
  if (Array.isArray(v) && v.length === 4) return v.map((p, i) => checkInt(() => `${name}[${i}]`, p, 0, MAX_STEP));
  throw new TypeError(`simdcl: ${name} must be a number, [top, left, bottom, right], "same" or "valid", got ${describe(v)}`);
}

/** Output rows and columns, as PyTorch computes them; a RangeError when the window does not fit. */
export function outputSize(op: string, h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pad: number[]): [number, number] {
  const oh = Math.floor((h + pad[0] + pad[2] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pad[1] + pad[3] - dw * (kw - 1) - 1) / sw) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`simdcl: ${op} output would be ${oh}×${ow}: the dilated kernel (${dh * (kh - 1) + 1}×${dw * (kw - 1) + 1}) is larger than the padded input (${h + pad[0] + pad[2]}×${w + pad[1] + pad[3]})`);
  }
  return [oh, ow];
}
