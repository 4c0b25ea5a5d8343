// conv2d() and packConv(): 2-D convolution, computed in NC4HW4. Validate, plan (pick the
// algorithm), convert layouts, dispatch, read back. Kernels: assembly/conv/.
//
// The planner, in the order it decides:
// - "depthwise" when every group has one input channel (groups = c > 1; a channel
//   multiplier oc / c ≥ 1 allowed): a direct kernel (assembly/conv/depthwise.ts). A GEMM
//   would have one k per tap and waste three quarters of every v128.
// - "1x1" for a 1×1 kernel with stride 1 and no padding: a GEMM whose A operand is the
//   NC4HW4 input itself (packing is a transpose of its blocks), no im2col at all.
// - "winograd" for 3×3 kernels at stride 1 and dilation 1 in one group, from 4 channels in
//   and out: F(4×4, 3×3), 4× less arithmetic (src/ops/winograd.ts has the measurements).
// - "im2col" for everything else: the GEMM with im2col rows packed block by block.
// Both GEMM algorithms run a grouped convolution as one GEMM per group when each group's
// channels fill whole quads (c/groups and oc/groups multiples of 4), and otherwise as one
// GEMM with block-diagonal weights: correct for any grouping, at groups× the arithmetic.
import { checkInt, checkLength, checkOptions, describe, recheckLength } from "../errors.ts";
import { OP_CONV, OP_DEPTHWISE, OP_WINOGRAD } from "../job.ts";
import { DeviceBuffer, checkF32Operand, checkPacked, deviceBuffers, registerPacked, type F32Operand } from "../buffer.ts";
import type { Engine } from "./engine.ts";
import { SOLO_BELOW, checkEpilogue, type Activation } from "./gemm.ts";
import { gemmConvArgs, gemmPackedLength, packGemmWeights, planGemmConv, type GemmConvPlan } from "./conv-gemm.ts";
import { depthwiseArgs, packDepthwise, planDepthwise, type DepthwiseJob } from "./depthwise.ts";
import { checkShape, convertLayout, layoutMode, tensorLength, type Layout, type Shape4 } from "./layout.ts";
import { quads, type Geometry } from "./geometry.ts";
import { planWinograd, transformWeights, winogradArgs, winogradFits, winogradPackedLength, winogradPays, winogradRawLength, type WinogradJob } from "./winograd.ts";

export type ConvAlgorithm = "1x1" | "im2col" | "winograd" | "depthwise";

export interface Conv2dOptions {
  /** A number, or [height, width]. Default 1. */
  stride?: number | [number, number];
  /** A number, [top, left, bottom, right], "same" (TensorFlow's) or "valid" (0). Default 0. */
  padding?: number | [number, number, number, number] | "same" | "valid";
  /** A number, or [height, width]. Default 1. */
  dilation?: number | [number, number];
  /** Default 1. c and oc must be multiples of it. */
  groups?: number;
  /** oc values added to the output channels. */
  bias?: Float32Array;
  /** Applied last. Default "none". */
  activation?: Activation;
  /** The input's layout; default "NCHW". */
  layout?: Layout;
  /** The output's layout; default the input's. */
  outputLayout?: Layout;
  /** Where to write the output (its length: the output's in outputLayout). */
  out?: F32Operand;
  /** Force an algorithm (tests, measurements); default "auto", the planner's choice. */
  algorithm?: "auto" | ConvAlgorithm;
}

export interface PackConvOptions {
  /** Default 1. */
  groups?: number;
  /** The algorithm conv2d will run with these weights; default "auto". */
  algorithm?: "auto" | ConvAlgorithm;
}

export interface Conv2dResult<T extends F32Operand = F32Operand> {
  data: T;
  /** [n, oc, oh, ow], whatever the layout. */
  shape: Shape4;
}

type Family = "gemm" | "depthwise";

/**
 * Convolution weights packed once for conv2d (cl.packConv), as inference does: conv2d
 * takes it in place of the weights and skips packing. Its memory stays in the context
 * until dispose().
 */
export class PackedConv {
  /** @internal */
  constructor(
    /** @internal */ readonly panels: DeviceBuffer<Float32Array>,
    /** [oc, c / groups, kh, kw]. */
    readonly shape: Shape4,
    readonly groups: number,
    /** @internal Which kernels read the packing. */
    readonly family: Family,
  ) {
    // A copy the caller cannot change: conv2d trusts it as the packing's shape.
    this.shape = Object.freeze([...shape]) as unknown as Shape4;
    registerPacked(this);
  }

  /** @internal Winograd's packing too, for 3×3 weights in one group (packConv makes both). */
  winograd: DeviceBuffer<Float32Array> | null = null;

  get isDisposed(): boolean {
    return this.panels.isDisposed;
  }

  /** Free the packed weights (once no queued call uses them). */
  dispose(): void {
    this.panels.dispose();
    this.winograd?.dispose();
  }
}

const KNOWN = ["stride", "padding", "dilation", "groups", "bias", "activation", "layout", "outputLayout", "out", "algorithm"] as const;
const LAYOUTS: Layout[] = ["NCHW", "NHWC", "NC4HW4"];
const ALGORITHMS = ["auto", "1x1", "im2col", "winograd", "depthwise"] as const;
const MAX_DIM = 2 ** 24;
const MAX_STEP = 2 ** 16;
const WEIGHT_DIMS = ["oc", "c / groups", "kh", "kw"];

function checkPair(name: string, v: unknown, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === "number") return [checkInt(name, v, 1, MAX_STEP), v];
  if (Array.isArray(v) && v.length === 2) return [checkInt(`${name}[0]`, v[0], 1, MAX_STEP), checkInt(`${name}[1]`, v[1], 1, MAX_STEP)];
  throw new TypeError(`simdcl: ${name} must be a number or [height, width], got ${describe(v)}`);
}

function checkLayout(name: string, v: unknown, fallback: Layout): Layout {
  if (v === undefined) return fallback;
  if (!LAYOUTS.includes(v as Layout)) throw new TypeError(`simdcl: ${name} must be "NCHW", "NHWC" or "NC4HW4", got ${describe(v)}`);
  return v as Layout;
}

function checkAlgorithm(name: string, v: unknown): "auto" | ConvAlgorithm {
  if (v === undefined) return "auto";
  if (!ALGORITHMS.includes(v as never)) throw new TypeError(`simdcl: ${name} must be one of ${ALGORITHMS.map((a) => `"${a}"`).join(", ")}, got ${describe(v)}`);
  return v as "auto" | ConvAlgorithm;
}

/** [top, left, bottom, right], "same" as TensorFlow pads (the extra row or column at the end). */
function checkPadding(v: unknown, h: number, w: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): number[] {
  if (v === undefined || v === "valid") return [0, 0, 0, 0];
  if (v === "same") {
    const total = (size: number, k: number, s: number, d: number) => Math.max((Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0);
    const th = total(h, kh, sh, dh), tw = total(w, kw, sw, dw);
    return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  }
  if (typeof v === "number") {
    checkInt("conv2d padding", v, 0, MAX_STEP);
    return [v, v, v, v];
  }
  if (Array.isArray(v) && v.length === 4) return v.map((p, i) => checkInt(`conv2d padding[${i}]`, p, 0, MAX_STEP));
  throw new TypeError(`simdcl: conv2d padding must be a number, [top, left, bottom, right], "same" or "valid", got ${describe(v)}`);
}

/** The kernels' weight packing for a weight shape and grouping. */
function familyOf(algorithm: "auto" | ConvAlgorithm, wShape: Shape4, groups: number): Family {
  const depthwiseShape = groups > 1 && wShape[1] === 1;
  if (algorithm === "depthwise" && !depthwiseShape) {
    throw new RangeError(`simdcl: conv2d algorithm "depthwise" needs one input channel per group (groups = c > 1), got weight [${wShape.join(", ")}] with groups ${groups}`);
  }
  return algorithm === "depthwise" || (algorithm === "auto" && depthwiseShape) ? "depthwise" : "gemm";
}

export interface ConvPlan extends Geometry {
  input: F32Operand;
  weight: Float32Array | PackedConv;
  out: F32Operand | null;
  /** Device buffers the call uses, held until it is done. */
  buffers: DeviceBuffer[];
  bias: Float32Array | null;
  act: number;
  layout: Layout;
  outputLayout: Layout;
  algorithm: ConvAlgorithm;
  groups: number;
  inLength: number;
  outLength: number;
}


export function planConv2d(engine: Engine, input: unknown, inShape: unknown, weight: unknown, wShape: unknown, options: unknown): ConvPlan {
  const o = checkOptions("conv2d options", options ?? {}, KNOWN);
  const [n, c, h, w] = checkShape("conv2d input shape", inShape, [0, 1, 1, 1]);
  const packed = weight instanceof PackedConv ? weight : null;
  if (packed) checkPacked(engine.arena, "conv2d weight", packed, "packed convolution");
  const groups = o.groups === undefined ? (packed?.groups ?? 1) : checkInt("conv2d groups", o.groups, 1, MAX_DIM);
  const ws = wShape === undefined && packed ? packed.shape : checkShape("conv2d weight shape", wShape, [1, 1, 1, 1], WEIGHT_DIMS);
  const [oc, cg, kh, kw] = ws;
  if (c % groups !== 0 || oc % groups !== 0) throw new RangeError(`simdcl: conv2d groups (${groups}) must divide both c (${c}) and oc (${oc})`);
  if (cg !== c / groups) throw new RangeError(`simdcl: conv2d weight shape [${ws.join(", ")}] must have c / groups = ${c / groups} input channels per filter (input c = ${c}, groups = ${groups}), got ${cg}`);
  if (packed) {
    if (packed.shape.some((d, i) => d !== ws[i]) || packed.groups !== groups) {
      throw new RangeError(`simdcl: conv2d weight was packed for [${packed.shape.join(", ")}] with groups ${packed.groups}, not [${ws.join(", ")}] with groups ${groups}`);
    }
  } else {
    if (!(weight instanceof Float32Array)) throw new TypeError(`simdcl: conv2d weight must be a Float32Array or a packed convolution (cl.packConv), got ${describe(weight)}`);
    checkLength("conv2d weight", weight, oc * cg * kh * kw);
  }
  const [sh, sw] = checkPair("conv2d stride", o.stride, 1);
  const [dh, dw] = checkPair("conv2d dilation", o.dilation, 1);
  const pad = checkPadding(o.padding, h, w, kh, kw, sh, sw, dh, dw);
  const oh = Math.floor((h + pad[0] + pad[2] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pad[1] + pad[3] - dw * (kw - 1) - 1) / sw) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`simdcl: conv2d output would be ${oh}×${ow}: the dilated kernel (${dh * (kh - 1) + 1}×${dw * (kw - 1) + 1}) is larger than the padded input (${h + pad[0] + pad[2]}×${w + pad[1] + pad[3]})`);
  }

  const requested = checkAlgorithm("conv2d algorithm", o.algorithm);
  const family = packed ? packed.family : familyOf(requested, ws, groups);
  if (packed && requested !== "auto" && familyOf(requested, ws, groups) !== family) {
    throw new RangeError(`simdcl: conv2d algorithm "${requested}" cannot use weights packed for the ${family} kernels; pack them with that algorithm`);
  }
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pad.every((p) => p === 0);
  if (requested === "1x1" && !pointwise) throw new RangeError("simdcl: conv2d algorithm \"1x1\" needs a 1×1 kernel, stride 1 and no padding");
  const winograd = winogradFits({ kh, kw, sh, sw, dh, dw, groups });
  if (requested === "winograd" && !winograd) throw new RangeError("simdcl: conv2d algorithm \"winograd\" needs a 3×3 kernel, stride 1, dilation 1 and one group");
  if (requested === "winograd" && packed && !packed.winograd) throw new RangeError("simdcl: conv2d weight was packed for another algorithm; pack it with algorithm \"winograd\" or \"auto\"");
  let algorithm: ConvAlgorithm;
  if (family === "depthwise") algorithm = "depthwise";
  else if (requested !== "auto") algorithm = requested;
  else if (pointwise) algorithm = "1x1";
  else algorithm = winograd && winogradPays(c, oc) && (!packed || packed.winograd) ? "winograd" : "im2col";

  const layout = checkLayout("conv2d layout", o.layout, "NCHW");
  const outputLayout = checkLayout("conv2d outputLayout", o.outputLayout, layout);
  const X = checkF32Operand(engine.arena, "conv2d input", input);
  const inLength = tensorLength(layout, [n, c, h, w]);
  checkLength(`conv2d input (${layout} [${[n, c, h, w].join(", ")}])`, X, inLength);
  const outLength = tensorLength(outputLayout, [n, oc, oh, ow]);
  const out = o.out === undefined ? null : checkF32Operand(engine.arena, "conv2d out", o.out);
  if (out) {
    checkLength(`conv2d out (${outputLayout} [${[n, oc, oh, ow].join(", ")}])`, out, outLength);
    if (out === X) throw new RangeError("simdcl: conv2d out must not be the input buffer");
  }
  const { bias, act } = checkEpilogue("conv2d", o.bias, o.activation, oc, "oc");
  engine.arena.checkFits(`conv2d (output [${[n, oc, oh, ow].join(", ")}])`, (X instanceof DeviceBuffer ? 0 : inLength * 4) + (out instanceof DeviceBuffer ? 0 : outLength * 4));
  const buffers = deviceBuffers(packed?.panels, packed?.winograd, X, out);
  return {
    input: X, weight: packed ?? (weight as Float32Array), out, buffers, bias, act, layout, outputLayout, algorithm,
    n, c, h, w, oc, kh, kw, groups, sh, sw, dh, dw, pad, oh, ow, inLength, outLength,
  };
}

export interface PackConvPlan {
  weight: Float32Array;
  shape: Shape4;
  /** Input channels: c / groups · groups. */
  c: number;
  groups: number;
  family: Family;
  /** Also pack for Winograd (3×3 in one group, where the planner would run it, unless pinned to another algorithm). */
  winograd: boolean;
}

export function planPackConv(weight: unknown, wShape: unknown, options: unknown): PackConvPlan {
  const o = checkOptions("packConv options", options ?? {}, ["groups", "algorithm"]);
  const shape = checkShape("packConv weight shape", wShape, [1, 1, 1, 1], WEIGHT_DIMS);
  const groups = checkInt("packConv groups", o.groups ?? 1, 1, MAX_DIM);
  if (shape[0] % groups !== 0) throw new RangeError(`simdcl: packConv groups (${groups}) must divide oc (${shape[0]})`);
  if (!(weight instanceof Float32Array)) throw new TypeError(`simdcl: packConv weight must be a Float32Array, got ${describe(weight)}`);
  checkLength("packConv weight", weight, shape[0] * shape[1] * shape[2] * shape[3]);
  const algorithm = checkAlgorithm("packConv algorithm", o.algorithm);
  const family = familyOf(algorithm, shape, groups);
  const fits = winogradFits({ kh: shape[2], kw: shape[3], sh: 1, sw: 1, dh: 1, dw: 1, groups });
  const winograd = family === "gemm" && fits && (algorithm === "winograd" || (algorithm === "auto" && winogradPays(shape[1] * groups, shape[0])));
  if (algorithm === "winograd" && !fits) throw new RangeError("simdcl: packConv algorithm \"winograd\" needs a 3×3 kernel and one group");
  return { weight, shape, c: shape[1] * groups, groups, family, winograd };
}

/** Floats of the packing `algorithm`'s kernel reads. */
function packedLength(algorithm: ConvAlgorithm, c: number, wShape: Shape4, groups: number): number {
  if (algorithm === "depthwise") return quads(wShape[0]) * wShape[2] * wShape[3] * 4;
  if (algorithm === "winograd") return winogradPackedLength(c, wShape[0]);
  return gemmPackedLength(c, wShape, groups);
}

/** Winograd's U_ξ: transformed here, packed as ξ 1×1 weights by the GEMM packer. */
async function packWinograd(engine: Engine, weight: Float32Array, oc: number, c: number, uAt: number, packedAt: number): Promise<void> {
  const u = transformWeights(weight, oc, c);
  const xis = u.length / (oc * c);
  engine.arena.f32.set(u, uAt / 4);
  await packGemmWeights(engine, xis * c, [xis * oc, c, 1, 1], xis, uAt, packedAt, { kg: xis, kcq: quads(c) });
}

export async function runPackConv(engine: Engine, p: PackConvPlan, allocate: (length: number) => DeviceBuffer<Float32Array>): Promise<PackedConv> {
  const oc = p.shape[0];
  recheckLength("packConv weight", p.weight, p.shape[0] * p.shape[1] * p.shape[2] * p.shape[3]);
  const handle = new PackedConv(allocate(packedLength(p.family === "depthwise" ? "depthwise" : "im2col", p.c, p.shape, p.groups)), p.shape, p.groups, p.family);
  try {
    if (p.family === "depthwise") packDepthwise(p.weight, p.shape, handle.panels.array);
    else {
      await engine.arena.scoped([p.weight.length * 4], async ([weightAt]) => {
        engine.arena.f32.set(p.weight, weightAt / 4);
        await packGemmWeights(engine, p.c, p.shape, p.groups, weightAt, handle.panels.offset);
      });
    }
    // Layers Winograd can run get its packing too: stride and dilation come with conv2d.
    if (p.winograd) {
      const u = (handle.winograd = allocate(winogradPackedLength(p.c, oc)));
      await engine.arena.scoped([winogradRawLength(oc, p.c) * 4], ([uAt]) => packWinograd(engine, p.weight, oc, p.c, uAt, u.offset));
    }
  } catch (e) {
    handle.dispose();
    throw e;
  }
  return Object.freeze(handle);
}

/** Multiply-adds of the convolution, the measure of its work. */
const macs = (p: ConvPlan) => p.n * p.oc * p.oh * p.ow * (p.c / p.groups) * p.kh * p.kw;

export async function runConv2d(engine: Engine, p: ConvPlan): Promise<Conv2dResult> {
  const shape: Shape4 = [p.n, p.oc, p.oh, p.ow];
  // Arrays may have been detached or shrunk since the call was made.
  recheckLength("conv2d input", p.input as Float32Array, p.inLength);
  if (!(p.weight instanceof PackedConv)) recheckLength("conv2d weight", p.weight, p.oc * (p.c / p.groups) * p.kh * p.kw);
  recheckLength("conv2d bias", p.bias, p.oc);
  recheckLength("conv2d out", p.out as Float32Array, p.outLength);
  const result = p.out ?? new Float32Array(p.outLength);
  if (p.n === 0) return { data: result, shape };
  const arena = engine.arena;
  const deviceIn = p.input instanceof DeviceBuffer ? p.input : null;
  const deviceOut = result instanceof DeviceBuffer ? result : null;
  const packed = p.weight instanceof PackedConv ? p.weight : null;
  const inNC4 = p.layout === "NC4HW4";
  const outNC4 = p.outputLayout === "NC4HW4";
  const in4Length = tensorLength("NC4HW4", [p.n, p.c, p.h, p.w]);
  const out4Length = tensorLength("NC4HW4", shape);
  // The GEMM kernels can store NHWC as well as NC4HW4 (a strided store), saving a pass.
  const gemmFamily = p.algorithm === "1x1" || p.algorithm === "im2col";
  const writesFinal = outNC4 || (gemmFamily && p.outputLayout === "NHWC");
  const solo = engine.threads === 1 || macs(p) < SOLO_BELOW;
  const threads = solo ? 1 : engine.threads;
  const job = p.algorithm === "depthwise" ? planDepthwise(p, threads) : p.algorithm === "winograd" ? planWinograd(p, threads) : planGemmConv(p, threads);
  const wShape: Shape4 = [p.oc, p.c / p.groups, p.kh, p.kw];
  // Weights as given, copied in for a kernel to pack (none for depthwise, packed here).
  const raw = packed || p.algorithm === "depthwise" ? 0 : p.algorithm === "winograd" ? winogradRawLength(p.oc, p.c) : (p.weight as Float32Array).length;
  const weightLength = packed ? 0 : packedLength(p.algorithm, p.c, wShape, p.groups);
  const sizes = [
    deviceIn || inNC4 ? 0 : p.inLength * 4, // the input as given, to convert
    deviceIn && inNC4 ? 0 : in4Length * 4, // the input in NC4HW4
    raw * 4,
    weightLength * 4, // packed weights
    p.bias ? quads(p.oc) * 16 : 0,
    deviceOut && writesFinal ? 0 : (writesFinal ? p.outLength : out4Length) * 4, // what the kernel writes
    deviceOut || writesFinal ? 0 : p.outLength * 4, // the output converted
    threads * job.scratchStride,
  ];
  return arena.scoped(sizes, async ([inTmp, in4Tmp, weightAt, packTmp, biasAt, kernelTmp, outTmp, scratchAt]) => {
    // The input, in NC4HW4, in the arena.
    const in4At = deviceIn && inNC4 ? deviceIn.offset : in4Tmp;
    if (!deviceIn) arena.f32.set((p.input as Float32Array).subarray(0, p.inLength), (inNC4 ? in4At : inTmp) / 4);
    if (!inNC4) await convertLayout(engine, layoutMode(p.layout, "NC4HW4"), [p.n, p.c, p.h, p.w], deviceIn ? deviceIn.offset : inTmp, in4At);
    // The weights: the handle's, or packed now (the GEMM kernels pack in their phase 0).
    let packedAt = packTmp;
    if (packed) packedAt = p.algorithm === "winograd" ? packed.winograd!.offset : packed.panels.offset;
    else if (p.algorithm === "depthwise") packDepthwise(p.weight as Float32Array, wShape, arena.f32.subarray(packTmp / 4));
    else if (p.algorithm === "winograd") await packWinograd(engine, p.weight as Float32Array, p.oc, p.c, weightAt, packTmp);
    else arena.f32.set(p.weight as Float32Array, weightAt / 4);
    if (p.bias) {
      arena.f32.fill(0, biasAt / 4, biasAt / 4 + quads(p.oc) * 4);
      arena.f32.set(p.bias, biasAt / 4);
    }
    const kernelAt = deviceOut && writesFinal ? deviceOut.offset : kernelTmp;
    const at = { input: in4At, weight: weightAt, packed: packedAt, out: kernelAt, bias: p.bias ? biasAt : 0, scratch: scratchAt };
    if (p.algorithm === "depthwise") {
      await engine.run(OP_DEPTHWISE, depthwiseArgs(p, job as DepthwiseJob, at), [job.groups], { solo });
    } else if (p.algorithm === "winograd") {
      await engine.run(OP_WINOGRAD, winogradArgs(p, job as WinogradJob, at), [job.groups], { solo });
    } else {
      const g = job as GemmConvPlan;
      const args = gemmConvArgs({ p, ...at, ...g, packPhase: !packed, direct: p.algorithm === "1x1", outNHWC: p.outputLayout === "NHWC" });
      await engine.run(OP_CONV, args, [packed ? 0 : g.packGroups, g.groups], { solo });
    }
    // The output, in the layout asked for.
    if (!writesFinal) await convertLayout(engine, layoutMode("NC4HW4", p.outputLayout), shape, kernelAt, deviceOut ? deviceOut.offset : outTmp);
    const finalAt = writesFinal ? kernelAt : outTmp;
    if (!deviceOut) (result as Float32Array).set(arena.f32.subarray(finalAt / 4, finalAt / 4 + p.outLength));
    return { data: result, shape };
  });
}
