// toNC4HW4() / fromNC4HW4(): f32 tensors between NCHW or NHWC and NC4HW4
// ([N][⌈C/4⌉][H][W][4], padded channels zero). Kernels: assembly/conv/layout.ts.
import { checkInt, checkLength, checkOptions, describe, recheckLength } from "../errors.ts";
import { OP_LAYOUT } from "../job.ts";
import type { Engine } from "./engine.ts";
import { quads } from "./geometry.ts";

export type PlainLayout = "NCHW" | "NHWC";
export type Layout = PlainLayout | "NC4HW4";
export type Shape4 = [n: number, c: number, h: number, w: number];

const MODES = { "NCHW>NC4HW4": 0, "NHWC>NC4HW4": 1, "NC4HW4>NCHW": 2, "NC4HW4>NHWC": 3 } as const;
/**
 * Pixels per work-group (a multiple of 4) and the size below which the caller converts
 * alone. Both are estimates, not measurements: a layout change is a copy, so they follow
 * integral's measured break-even (2¹⁶ elements). Timing them here swung 3× from call to
 * call (each call allocates its result), too noisy to tune by.
 */
const CHUNK = 4096;
const SOLO_BELOW = 1 << 16;

export interface LayoutPlan {
  x: Float32Array;
  n: number; c: number; h: number; w: number;
  mode: number;
  /** Elements read and written. */
  inLength: number;
  outLength: number;
}

/** A 4-D shape of integers, each at least min[i] and at most 2²⁴, named dims. */
export function checkShape(name: string, shape: unknown, min = [0, 0, 0, 0], dims = ["n", "c", "h", "w"]): Shape4 {
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw new TypeError(`simdcl: ${name} must be [${dims.join(", ")}], got ${describe(shape)}`);
  }
  return dims.map((d, i) => checkInt(`${name}[${i}] (${d})`, shape[i], min[i], 2 ** 24)) as Shape4;
}

/** Elements of a tensor of logical shape [n, c, h, w] in `layout` (NC4HW4 pads c to quads). */
export const tensorLength = (layout: Layout, [n, c, h, w]: Shape4) => n * (layout === "NC4HW4" ? quads(c) * 4 : c) * h * w;

export function planLayout(x: unknown, shape: unknown, options: unknown, toNC4: boolean): LayoutPlan {
  const op = toNC4 ? "toNC4HW4" : "fromNC4HW4";
  const key = toNC4 ? "from" : "to";
  if (!(x instanceof Float32Array)) throw new TypeError(`simdcl: ${op} x must be a Float32Array, got ${describe(x)}`);
  const [n, c, h, w] = checkShape(`${op} shape`, shape);
  const o = checkOptions(`${op} options`, options ?? {}, [key]);
  const layout = o[key] ?? "NCHW";
  if (layout !== "NCHW" && layout !== "NHWC") {
    throw new TypeError(`simdcl: ${op} ${key} must be "NCHW" or "NHWC", got ${describe(layout)}`);
  }
  const plain = tensorLength(layout, [n, c, h, w]);
  const packed = tensorLength("NC4HW4", [n, c, h, w]);
  const [inLength, outLength] = toNC4 ? [plain, packed] : [packed, plain];
  checkLength(`${op} x`, x, inLength);
  const mode = MODES[(toNC4 ? `${layout}>NC4HW4` : `NC4HW4>${layout}`) as keyof typeof MODES];
  return { x, n, c, h, w, mode, inLength, outLength };
}

export async function runLayout(engine: Engine, p: LayoutPlan): Promise<Float32Array> {
  if (p.outLength === 0) return new Float32Array(0);
  recheckLength(`${p.mode < 2 ? "toNC4HW4" : "fromNC4HW4"} x`, p.x, p.inLength);
  return engine.arena.scoped([p.inLength * 4, p.outLength * 4], async ([srcAt, dstAt]) => {
    engine.arena.f32.set(p.x.subarray(0, p.inLength), srcAt / 4);
    await convertLayout(engine, p.mode, [p.n, p.c, p.h, p.w], srcAt, dstAt);
    return engine.arena.f32.slice(dstAt / 4, dstAt / 4 + p.outLength);
  });
}

/** Convert a tensor of `shape` between two places in the arena; `mode` as MODES says. */
export function convertLayout(engine: Engine, mode: number, [n, c, h, w]: Shape4, srcAt: number, dstAt: number): Promise<void> {
  const hw = h * w;
  const groups = n * quads(c) * Math.ceil(hw / CHUNK);
  const args = [mode, n, c, hw, srcAt, dstAt, CHUNK];
  return engine.run(OP_LAYOUT, args, [groups], { solo: n * quads(c) * 4 * hw < SOLO_BELOW });
}

/** The mode that converts from `from` to `to` (one of them NC4HW4). */
export function layoutMode(from: PlainLayout | "NC4HW4", to: PlainLayout | "NC4HW4"): number {
  return MODES[`${from}>${to}` as keyof typeof MODES];
}
