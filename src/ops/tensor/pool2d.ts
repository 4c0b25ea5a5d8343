// pool2d(): 2-D max and average pooling, computed in NC4HW4 (kernel:
// assembly/tensor/pool.ts). A tensor in another layout is converted on the way in and out.
import { checkBool, checkOptions, checkShape, deviceBuffers, describe } from "../../errors.ts";
import type { DeviceBuffer, F32Operand } from "../../buffer.ts";
import { GROUPS_PER_THREAD, HOST, bind, enoughGroups, newResult, runAloneUnshared, threadsFor, type Engine, type OpHost } from "../../run.ts";
import { POOL_AVG, POOL_MAX } from "../schema.gen.ts";
import { checkPadding, checkPair, withGeometry, outputSize, type Geometry } from "../conv/geometry.ts";
import { checkTensorArgs, tensorInput, tensorOutput } from "./layout.ts";
import { asTensor, quads, tensorLength, type Layout, type Shape4, type ShapeLike, type Tensor, type WindowOptions } from "./types.ts";

export interface Pool2dOptions extends WindowOptions {
  /** "max" or "avg" (average). */
  mode: "max" | "avg";
  /** The window: a number, [height, width], or "global" (the whole image: global pooling). */
  kernel: number | [number, number] | "global";
  // stride defaults to the kernel (windows side by side, as PyTorch); padding is at most
  // half the kernel; dilation is for max pooling only.
  /**
   * Average pooling: divide by the whole window, padding included (PyTorch's default),
   * rather than by the taps inside the input (ONNX's and TensorFlow's). Default false.
   */
  countPadding?: boolean;
}

const KNOWN = ["mode", "kernel", "stride", "padding", "dilation", "countPadding", "layout", "outputLayout", "out"] as const;
/** Taps below which the caller pools alone: a dispatch costs more (an estimate, as for a copy). */
const SOLO_BELOW = 1 << 16;
/** Taps a group should have at least, so that claiming it costs little beside its work (an estimate). */
const PLANE_WORK = 4096;

interface PoolPlan extends Geometry {
  input: F32Operand;
  out: F32Operand | null;
  buffers: DeviceBuffer[];
  mode: number;
  countPadding: boolean;
  layout: Layout;
  outputLayout: Layout;
}

/**
 * Max or average pooling of a tensor [n, c, h, w] ({ data, shape, layout }, such as a
 * conv2d result), or of its data followed by its shape. Resolves to `{ data, shape:
 * [n, c, oh, ow], layout }`, oh and ow as PyTorch computes them (floor mode).
 */
export function pool2d<T extends F32Operand>(this: OpHost, input: Tensor, options: Pool2dOptions & { out: T }): Promise<Tensor<T>>;
export function pool2d(this: OpHost, input: Tensor, options: Pool2dOptions): Promise<Tensor<Float32Array>>;
export function pool2d<T extends F32Operand>(this: OpHost, input: F32Operand, shape: ShapeLike, options: Pool2dOptions & { out: T }): Promise<Tensor<T>>;
export function pool2d(this: OpHost, input: F32Operand, shape: ShapeLike, options: Pool2dOptions): Promise<Tensor<Float32Array>>;
export function pool2d(this: OpHost, a: unknown, b: unknown, c?: unknown): Promise<Tensor> {
  const { engine, call } = this[HOST];
  return call(() => {
    const t = asTensor(a);
    return t ? planPool2d(engine, t.data, t.shape, b, t.layout) : planPool2d(engine, a, b, c, undefined);
  }, (plan) => runPool2d(engine, plan));
}

function planPool2d(engine: Engine, input: unknown, inShape: unknown, options: unknown, tensorLayout: Layout | undefined): PoolPlan {
  const o = checkOptions("pool2d options", options, KNOWN);
  const [n, c, h, w] = checkShape("pool2d input shape", inShape, [0, 1, 1, 1]);
  if (o.mode !== "max" && o.mode !== "avg") throw new TypeError(`simdcl: pool2d mode must be "max" or "avg", got ${describe(o.mode)}`);
  const [kh, kw] = o.kernel === "global" ? [h, w] : o.kernel === undefined ? fail("pool2d kernel is required (a number, [height, width] or \"global\")") : checkPair("pool2d kernel", o.kernel, 1);
  const [sh, sw] = checkPair("pool2d stride", o.stride, 0).map((s, i) => s || [kh, kw][i]);
  const [dh, dw] = checkPair("pool2d dilation", o.dilation, 1);
  if (o.mode === "avg" && (dh !== 1 || dw !== 1)) throw new RangeError("simdcl: pool2d dilation applies to max pooling only");
  const pad = checkPadding("pool2d padding", o.padding, h, w, kh, kw, sh, sw, dh, dw);
  const half = [kh, kw, kh, kw].map((k) => Math.floor(k / 2));
  pad.forEach((p, i) => {
    if (p > half[i]) throw new RangeError(`simdcl: pool2d padding [${pad.join(", ")}] must be at most half the kernel (${kh}×${kw}), as PyTorch requires`);
  });
  const [oh, ow] = outputSize("pool2d", h, w, kh, kw, sh, sw, dh, dw, pad);
  const countPadding = checkBool("pool2d countPadding", o.countPadding, false);
  const { layout, outputLayout, input: X, out } = checkTensorArgs(engine, "pool2d", o, tensorLayout, input, [n, c, h, w], [n, c, oh, ow]);
  return {
    input: X, out, buffers: deviceBuffers(X, out), mode: o.mode === "avg" ? POOL_AVG : POOL_MAX, countPadding, layout, outputLayout,
    n, c, h, w, oc: c, kh, kw, sh, sw, dh, dw, pad, oh, ow,
  };
}

function fail(message: string): never {
  throw new TypeError(`simdcl: ${message}`);
}

async function runPool2d(engine: Engine, p: PoolPlan): Promise<Tensor> {
  const shape: Shape4 = [p.n, p.c, p.oh, p.ow];
  const planes = p.n * quads(p.c);
  const threads = threadsFor(engine, planes * p.oh * p.ow * p.kh * p.kw, SOLO_BELOW);
  // (From arrays, a few compares or adds per value copied: bound by the copies.)
  const moved = p.n > 0 ? runAloneUnshared(engine, true, p.buffers, (own) => runPool2d(own, p)) : null;
  if (moved) return moved;
  const result = p.out ?? newResult(tensorLength(p.outputLayout, shape));
  const tensor = { data: result, shape, layout: p.outputLayout };
  if (p.n === 0) return tensor;
  // Groups of whole planes, several to a group when a plane is small work, split into
  // rows when there are too few planes for every thread.
  const rows = enoughGroups(threads, planes) ? p.oh : Math.ceil(p.oh / Math.ceil((GROUPS_PER_THREAD * threads) / planes));
  const perPlane = p.oh * p.ow * p.kh * p.kw;
  const planesPerGroup = rows < p.oh ? 1 : Math.max(1, Math.min(Math.ceil(PLANE_WORK / perPlane), Math.floor(planes / (GROUPS_PER_THREAD * threads))));
  const regions = {
    input: tensorInput(engine, "pool2d input", p.input, [p.n, p.c, p.h, p.w], p.layout),
    out: tensorOutput(engine, "pool2d out", result, shape, "NC4HW4", p.outputLayout),
  };
  await bind(engine.arena, regions, (at) => {
    const args = withGeometry(p, { input: at.input, out: at.out, mode: p.mode, countPadding: p.countPadding, rows, planes: planesPerGroup });
    return engine.run("pool2d", args, [Math.ceil(planes / planesPerGroup) * Math.ceil(p.oh / rows)], { solo: threads === 1 });
  });
  return tensor;
}
