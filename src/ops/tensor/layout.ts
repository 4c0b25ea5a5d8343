// toNC4HW4() / fromNC4HW4(): f32 tensors between NCHW or NHWC and NC4HW4, and the tensor
// regions other ops bind through the runner (an operand in any layout, converted to or
// from the NC4HW4 their kernels use). Kernels: assembly/tensor/layout.ts.
import { checkF32Operand, checkLayout, checkLength, checkOptions, checkShape, describe, recheckLength } from "../../errors.ts";
import { DeviceBuffer, type F32Operand } from "../../buffer.ts";
import { regionBytes } from "../../memory.ts";
import { HOST, bind, input, output, runAloneUnshared, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import { NC4_TO_NCHW, NC4_TO_NHWC, NCHW_TO_NC4, NHWC_TO_NC4 } from "../schema.gen.ts";
import { quads, tensorLength, type Layout, type PlainLayout, type Shape4, type ShapeLike, type Tensor } from "./types.ts";

export type { Layout, PlainLayout, Shape4, ShapeLike, Tensor };

const MODES = { "NCHW>NC4HW4": NCHW_TO_NC4, "NHWC>NC4HW4": NHWC_TO_NC4, "NC4HW4>NCHW": NC4_TO_NCHW, "NC4HW4>NHWC": NC4_TO_NHWC } as const;
const PLAIN: readonly PlainLayout[] = ["NCHW", "NHWC"];
/**
 * Pixels per work-group (a multiple of 4) and the size below which the caller converts
 * alone: estimates that follow integral's measured break-even for a copy (2¹⁶ elements;
 * docs/decisions/solo-thresholds.md).
 */
const CHUNK = 4096;
const SOLO_BELOW = 1 << 16;

interface LayoutPlan {
  x: Float32Array;
  shape: Shape4;
  from: Layout;
  to: Layout;
}

/**
 * An f32 tensor of `shape` [n, c, h, w] from NCHW (default) or NHWC to NC4HW4:
 * [n][⌈c/4⌉][h][w][4], channels past c zero.
 */
export function toNC4HW4(this: OpHost, x: Float32Array, shape: ShapeLike, options?: { from?: PlainLayout }): Promise<Float32Array> {
  const { engine, call } = this[HOST];
  return call(() => planLayout(x, shape, options, true), (plan) => runLayout(engine, plan));
}

/** The inverse of toNC4HW4: an NC4HW4 tensor of logical `shape` to NCHW (default) or NHWC. */
export function fromNC4HW4(this: OpHost, x: Float32Array, shape: ShapeLike, options?: { to?: PlainLayout }): Promise<Float32Array> {
  const { engine, call } = this[HOST];
  return call(() => planLayout(x, shape, options, false), (plan) => runLayout(engine, plan));
}

function planLayout(x: unknown, shape: unknown, options: unknown, toNC4: boolean): LayoutPlan {
  const op = toNC4 ? "toNC4HW4" : "fromNC4HW4";
  const key = toNC4 ? "from" : "to";
  if (!(x instanceof Float32Array)) throw new TypeError(`simdcl: ${op} x must be a Float32Array, got ${describe(x)}`);
  const s = checkShape(() => `${op} shape`, shape);
  const o = checkOptions(() => `${op} options`, options ?? {}, [key]);
  const plain = checkLayout(() => `${op} ${key}`, o[key], "NCHW", PLAIN);
  const [from, to]: Layout[] = toNC4 ? [plain, "NC4HW4"] : ["NC4HW4", plain];
  checkLength(`${op} x`, x, tensorLength(from, s));
  return { x, shape: s, from, to };
}

async function runLayout(engine: Engine, p: LayoutPlan): Promise<Float32Array> {
  const length = tensorLength(p.to, p.shape);
  if (length === 0) return new Float32Array(0);
  // (A layout change from an array, the only source it takes, is all copies.)
  const moved = runAloneUnshared(engine, true, [], (own) => runLayout(own, p));
  if (moved) return moved;
  const regions = { src: input(engine.arena, p.x, tensorLength(p.from, p.shape), `${p.to === "NC4HW4" ? "toNC4HW4" : "fromNC4HW4"} x`), dst: { bytes: length * 4 } };
  return bind(engine.arena, regions, async (at) => {
    await convertLayout(engine, p.from, p.to, p.shape, at.src, at.dst);
    // slice(): a new array filled by the copy, not zeroed first (a fresh zeroed one costs about as much as the conversion).
    return view(engine.arena, Float32Array, at.dst, length).slice();
  });
}

/**
 * Convert a tensor of `shape` between two places in the arena, from one layout to another
 * (one of them NC4HW4); `solo`: on the caller alone whatever the size (the op it serves
 * runs there).
 */
export function convertLayout(engine: Engine, from: Layout, to: Layout, [n, c, h, w]: Shape4, src: number, dst: number, solo = false): Promise<void> {
  const hw = h * w;
  const mode = MODES[`${from}>${to}` as keyof typeof MODES];
  const groups = n * quads(c) * Math.ceil(hw / CHUNK);
  return engine.run("layout", { mode, n, c, hw, src, dst, chunk: CHUNK }, [groups], { solo: solo || n * quads(c) * 4 * hw < SOLO_BELOW });
}

/** A tensor argument: data of `length` elements in `layout`, checked, as ops take them. */
export function checkTensorData(engine: Engine, name: string, data: unknown, shape: Shape4, layout: Layout): F32Operand {
  const x = checkF32Operand(engine.arena, name, data);
  checkLength(() => `${name} (${layout} [${shape.join(", ")}])`, x, tensorLength(layout, shape));
  return x;
}

/**
 * A windowed op's tensor arguments (conv2d's, pool2d's): the input's layout (the tensor's
 * own, or `options.layout` for data and shape), the output's, the input data and `out`,
 * checked against their shapes; `out` may not be the input.
 */
export function checkTensorArgs(
  engine: Engine, op: string, o: Record<string, unknown>, tensorLayout: Layout | undefined,
  input: unknown, inShape: Shape4, outShape: Shape4,
): { layout: Layout; outputLayout: Layout; input: F32Operand; out: F32Operand | null } {
  if (tensorLayout && o.layout !== undefined && o.layout !== tensorLayout) {
    throw new TypeError(`simdcl: ${op} layout is ${describe(o.layout)} but the input tensor's layout is "${tensorLayout}"; leave layout out`);
  }
  const layout = tensorLayout ?? checkLayout(() => `${op} layout`, o.layout, "NCHW");
  const outputLayout = checkLayout(() => `${op} outputLayout`, o.outputLayout, layout);
  const X = checkTensorData(engine, `${op} input`, input, inShape, layout);
  const out = o.out === undefined ? null : checkTensorData(engine, `${op} out`, o.out, outShape, outputLayout);
  if (out && out === X) throw new RangeError(`simdcl: ${op} out must not be the input buffer`);
  return { layout, outputLayout, input: X, out };
}

/**
 * A tensor the kernels read in NC4HW4: a device buffer in place when it is NC4HW4 already;
 * otherwise copied in (an array) and converted.
 */
export function tensorInput(engine: Engine, name: string, x: F32Operand, shape: Shape4, layout: Layout, solo = false): Binding {
  const nc4Bytes = tensorLength("NC4HW4", shape) * 4;
  if (layout === "NC4HW4") return input(engine.arena, x, tensorLength(layout, shape), name);
  const raw = x instanceof DeviceBuffer ? null : input(engine.arena, x, tensorLength(layout, shape), name);
  const rawAt = (at: number) => at + regionBytes(nc4Bytes);
  return {
    bytes: raw ? regionBytes(nc4Bytes) + raw.bytes : nc4Bytes,
    before: async (at) => {
      if (raw) raw.before!(rawAt(at));
      await convertLayout(engine, layout, "NC4HW4", shape, raw ? rawAt(at) : (x as DeviceBuffer).offset, at, solo);
    },
  };
}

/**
 * A tensor the kernels write in `written` (NC4HW4, or a plain layout some kernels store
 * directly) and the caller wants in `layout`, into `out`: a device buffer in place when
 * the layouts agree; otherwise converted, and copied out to an array.
 */
export function tensorOutput(engine: Engine, name: string, out: F32Operand, shape: Shape4, written: Layout, layout: Layout, solo = false): Binding {
  const length = tensorLength(layout, shape);
  if (written === layout) return output(engine.arena, out, length, name);
  const kernelBytes = tensorLength(written, shape) * 4;
  const convertedAt = (at: number) => at + regionBytes(kernelBytes);
  const device = out instanceof DeviceBuffer ? out : null;
  return {
    bytes: device ? kernelBytes : regionBytes(kernelBytes) + length * 4,
    after: async (at) => {
      await convertLayout(engine, written, layout, shape, at, device ? device.offset : convertedAt(at), solo);
      if (!device) {
        recheckLength(name, out as Float32Array, length);
        (out as Float32Array).set(view(engine.arena, Float32Array, convertedAt(at), length));
      }
    },
  };
}
