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
//   and out: F(4×4, 3×3), 4× less arithmetic (docs/decisions/winograd.md has the measurements).
// - "im2col" for everything else: the GEMM with im2col rows packed block by block.
// Both GEMM algorithms run a grouped convolution as one GEMM per group when each group's
// channels fill whole quads (c/groups and oc/groups multiples of 4), and otherwise as one
// GEMM with block-diagonal weights: correct for any grouping, at groups× the arithmetic.
import { checkEpilogue, checkInt, checkLength, checkOptions, checkPacked, checkShape, deviceBuffers, describe, recheckLength, registerPacked, type Activation } from "../../errors.ts";
import { DeviceBuffer, type F32Operand } from "../../buffer.ts";
import { regionBytes } from "../../memory.ts";
import { HOST, bind, input, newResult, none, output, runAloneUnshared, scratch, threadsFor, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import { SOLO_BELOW, gemmBlocks, gemmPacked, packBInto, packedLength as packedBLength } from "../gemm/gemm.ts";
import { MR, type KernelConfig } from "../schema.gen.ts";
import { checkTensorArgs, tensorInput, tensorOutput } from "../tensor/layout.ts";
import { asTensor, quads, tensorLength, type Layout, type Shape4, type ShapeLike, type Tensor, type WindowOptions } from "../tensor/types.ts";
import { gemmConvArgs, gemmPackedLength, packGemmWeights, planGemmConv, readsNCHW, readsNHWC } from "./conv-gemm.ts";
import { depthwiseArgs, packDepthwise, planDepthwise, type DepthwiseJob } from "./depthwise.ts";
import { checkPadding, checkPair, outputSize, type ConvShape } from "./geometry.ts";
import { WeightCache, type Prepared } from "./weight-cache.ts";
import { planWinograd, transformWeights, winogradArgs, winogradFits, winogradPackedLength, winogradPays, winogradRawLength } from "./winograd.ts";

export type ConvAlgorithm = "1x1" | "im2col" | "winograd" | "depthwise";

export interface Conv2dOptions extends WindowOptions {
  /** Default 1. c and oc must be multiples of it. */
  groups?: number;
  /** oc values added to the output channels. */
  bias?: Float32Array;
  /** Applied last. Default "none". */
  activation?: Activation;
  /** Force an algorithm (tests, measurements); default "auto", the planner's choice. */
  algorithm?: "auto" | ConvAlgorithm;
}

export interface PackConvOptions {
  /** Default 1. */
  groups?: number;
  /** The algorithm conv2d will run with these weights; default "auto". */
  algorithm?: "auto" | ConvAlgorithm;
}

/** The output: data in `layout` (the call's outputLayout), `shape` [n, oc, oh, ow] whatever the layout. */
export type Conv2dResult<T extends F32Operand = F32Operand> = Tensor<T>;

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


// (A loop: array builtins on a frozen array, as a handle's shape is, take V8's slow path.)
const sameShape = (a: Shape4, b: Shape4) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];

const KNOWN = ["stride", "padding", "dilation", "groups", "bias", "activation", "layout", "outputLayout", "out", "algorithm"] as const;
const ALGORITHMS = ["auto", "1x1", "im2col", "winograd", "depthwise"] as const;
const MAX_DIM = 2 ** 24;
const WEIGHT_DIMS = ["oc", "c / groups", "kh", "kw"];

function checkAlgorithm(name: string, v: unknown): "auto" | ConvAlgorithm {
  if (v === undefined) return "auto";
  if (!ALGORITHMS.includes(v as never)) throw new TypeError(`simdcl: ${name} must be one of ${ALGORITHMS.map((a) => `"${a}"`).join(", ")}, got ${describe(v)}`);
  return v as "auto" | ConvAlgorithm;
}

/** The kernels' weight packing for a weight shape and grouping. */
function familyOf(algorithm: "auto" | ConvAlgorithm, wShape: Shape4, groups: number): Family {
  const depthwiseShape = groups > 1 && wShape[1] === 1;
  if (algorithm === "depthwise" && !depthwiseShape) {
    throw new RangeError(`simdcl: conv2d algorithm "depthwise" needs one input channel per group (groups = c > 1), got weight [${wShape.join(", ")}] with groups ${groups}`);
  }
  return algorithm === "depthwise" || (algorithm === "auto" && depthwiseShape) ? "depthwise" : "gemm";
}

interface ConvPlan extends ConvShape {
  input: F32Operand;
  weight: Float32Array | PackedConv;
  out: F32Operand | null;
  /** Device buffers the call uses, held until it is done. */
  buffers: DeviceBuffer[];
  bias: Float32Array | null;
  layout: Layout;
  outputLayout: Layout;
  algorithm: ConvAlgorithm;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch and TensorFlow compute it) of an input
 * [n, c, h, w] with `weight` [oc, c / groups, kh, kw] (OIHW, or a cl.packConv handle).
 * The input is a tensor ({ data, shape, layout }, such as a previous conv2d's result) or
 * its data followed by its shape (layout from options, default NCHW). Resolves to
 * `{ data, shape: [n, oc, oh, ow], layout }`, data in `outputLayout` (default: the
 * input's layout), written into `out` when given.
 */
export function conv2d<T extends F32Operand>(this: OpHost, input: Tensor, weight: Float32Array | PackedConv, weightShape: ShapeLike | undefined, options: Conv2dOptions & { out: T }): Promise<Conv2dResult<T>>;
export function conv2d(this: OpHost, input: Tensor, weight: Float32Array | PackedConv, weightShape?: ShapeLike, options?: Conv2dOptions): Promise<Conv2dResult<Float32Array>>;
export function conv2d<T extends F32Operand>(this: OpHost, input: F32Operand, shape: ShapeLike, weight: Float32Array | PackedConv, weightShape: ShapeLike | undefined, options: Conv2dOptions & { out: T }): Promise<Conv2dResult<T>>;
export function conv2d(this: OpHost, input: F32Operand, shape: ShapeLike, weight: Float32Array | PackedConv, weightShape?: ShapeLike, options?: Conv2dOptions): Promise<Conv2dResult<Float32Array>>;
export function conv2d(this: OpHost, a: unknown, b: unknown, c?: unknown, d?: unknown, e?: unknown): Promise<Conv2dResult> {
  const { engine, call } = this[HOST];
  return call(() => {
    const t = asTensor(a);
    return t ? planConv2d(engine, t.data, t.shape, b, c, d, t.layout) : planConv2d(engine, a, b, c, d, e, undefined);
  }, (plan) => runConv2d(engine, plan));
}

/** Pack convolution weights [oc, c / groups, kh, kw] once for many conv2d() calls; dispose() frees them. */
export function packConv(this: OpHost, weight: Float32Array, weightShape: ShapeLike, options?: PackConvOptions): Promise<PackedConv> {
  const { engine, call } = this[HOST];
  return call(() => planPackConv(weight, weightShape, options), (plan) => runPackConv(engine, plan));
}

function planConv2d(engine: Engine, input: unknown, inShape: unknown, weight: unknown, wShape: unknown, options: unknown, tensorLayout: Layout | undefined): ConvPlan {
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
    if (!sameShape(packed.shape, ws) || packed.groups !== groups) {
      throw new RangeError(`simdcl: conv2d weight was packed for [${packed.shape.join(", ")}] with groups ${packed.groups}, not [${ws.join(", ")}] with groups ${groups}`);
    }
  } else {
    if (!(weight instanceof Float32Array)) throw new TypeError(`simdcl: conv2d weight must be a Float32Array or a packed convolution (cl.packConv), got ${describe(weight)}`);
    checkLength("conv2d weight", weight, oc * cg * kh * kw);
  }
  const [sh, sw] = checkPair("conv2d stride", o.stride, 1);
  const [dh, dw] = checkPair("conv2d dilation", o.dilation, 1);
  const pad = checkPadding("conv2d padding", o.padding, h, w, kh, kw, sh, sw, dh, dw);
  const [oh, ow] = outputSize("conv2d", h, w, kh, kw, sh, sw, dh, dw, pad);

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

  const { layout, outputLayout, input: X, out } = checkTensorArgs(engine, "conv2d", o, tensorLayout, input, [n, c, h, w], [n, oc, oh, ow]);
  const { bias, act } = checkEpilogue("conv2d", o.bias, o.activation, oc, "oc");
  // Refused before any result array is allocated for it.
  const plainBytes = (v: F32Operand | null, elements: number) => (v instanceof DeviceBuffer ? 0 : elements * 4);
  engine.arena.checkFits(() => `conv2d (output [${[n, oc, oh, ow].join(", ")}])`, plainBytes(X, tensorLength(layout, [n, c, h, w])) + plainBytes(out, tensorLength(outputLayout, [n, oc, oh, ow])));
  const buffers = deviceBuffers(packed?.panels, packed?.winograd, X, out);
  return {
    input: X, weight: packed ?? (weight as Float32Array), out, buffers, bias, act, layout, outputLayout, algorithm,
    n, c, h, w, oc, kh, kw, groups, sh, sw, dh, dw, pad, oh, ow,
  };
}

interface PackConvPlan {
  weight: Float32Array;
  shape: Shape4;
  /** Input channels: c / groups · groups. */
  c: number;
  groups: number;
  family: Family;
  /** Also pack for Winograd (3×3 in one group, where the planner would run it, unless pinned to another algorithm). */
  winograd: boolean;
}

function planPackConv(weight: unknown, wShape: unknown, options: unknown): PackConvPlan {
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

/** Pack OIHW weights for `algorithm`'s kernels at byte offset `packedAt`. */
async function packWeights(engine: Engine, algorithm: ConvAlgorithm, weight: Float32Array, c: number, wShape: Shape4, groups: number, packedAt: number, name = "conv2d weight"): Promise<void> {
  const arena = engine.arena;
  const oc = wShape[0];
  const length = oc * wShape[1] * wShape[2] * wShape[3];
  if (algorithm === "depthwise") {
    recheckLength(name, weight, length);
    return packDepthwise(weight, wShape, view(arena, Float32Array, packedAt, packedLength(algorithm, c, wShape, groups)));
  }
  // (input() checks the length again when it copies.)
  if (algorithm !== "winograd") {
    await bind(arena, { raw: input(arena, weight, length, name) }, ({ raw }) => packGemmWeights(engine, c, wShape, groups, raw, packedAt));
    return;
  }
  // Winograd's U_ξ, transformed in the arena, are ξ 1×1 weights for the GEMM packer.
  const rawLength = winogradRawLength(oc, c);
  const xis = rawLength / (oc * c);
  await bind(arena, { weight: input(arena, weight, length, name), raw: scratch(rawLength * 4) }, async (at) => {
    await transformWeights(engine, at.weight, oc, c, at.raw);
    await packGemmWeights(engine, xis * c, [xis * oc, c, 1, 1], xis, at.raw, packedAt, { kg: xis, kcq: quads(c) });
  });
}

const WEIGHT_CACHE = Symbol("conv2d weight cache");

/** A handle's packing for the call's algorithm. */
const packedWeights = (algorithm: ConvAlgorithm, h: PackedConv): Prepared => ({ packed: algorithm === "winograd" ? h.winograd! : h.panels, owned: false });

/**
 * Plain weights packed before the call for its algorithm: the context's weight cache's
 * (packed now if the array is new to it or changed). Null when the cache is off: the call
 * packs them itself. `owned`: the call frees them when it is done.
 */
function preparedWeights(engine: Engine, p: ConvPlan, wShape: Shape4): Prepared | Promise<Prepared> | null {
  const weight = p.weight as Float32Array;
  const key = `${p.algorithm} [${wShape.join(", ")}] / ${p.groups}`;
  return cachedWeights(engine, weight, key, packedLength(p.algorithm, p.c, wShape, p.groups), (at) => packWeights(engine, p.algorithm, weight, p.c, wShape, p.groups, at));
}

/**
 * `weight` packed by `pack` (`length` floats) for `key`, from the context's weight cache;
 * null when the cache is off. A hit checked at once comes back as it is, not as a promise.
 */
function cachedWeights(engine: Engine, weight: Float32Array, key: string, length: number, pack: (at: number) => Promise<void>): Prepared | Promise<Prepared> | null {
  if (engine.cacheBytes === 0) return null;
  return engine.state(WEIGHT_CACHE, () => new WeightCache(engine, engine.cacheBytes)).get(weight, key, length, pack);
}

/**
 * Weights the call packs itself: depthwise and Winograd ones before the kernels; for the
 * GEMM kernels, which pack in their phase 0 (`packPhase`), the OIHW weights copied in
 * after the region that the packing will fill (`rawWeights` says where).
 */
function weightRegion(engine: Engine, p: ConvPlan, weight: Float32Array, wShape: Shape4): Binding {
  const bytes = packedLength(p.algorithm, p.c, wShape, p.groups) * 4;
  if (p.algorithm === "depthwise" || p.algorithm === "winograd") {
    return { bytes, before: (at) => packWeights(engine, p.algorithm, weight, p.c, wShape, p.groups, at) };
  }
  const length = wShape[0] * wShape[1] * wShape[2] * wShape[3];
  return {
    bytes: regionBytes(bytes) + length * 4,
    before: (at) => {
      recheckLength("conv2d weight", weight, length);
      view(engine.arena, Float32Array, rawWeights(p, wShape, at), length).set(weight.subarray(0, length));
    },
  };
}

const rawWeights = (p: ConvPlan, wShape: Shape4, at: number) => at + regionBytes(packedLength(p.algorithm, p.c, wShape, p.groups) * 4);

async function runPackConv(engine: Engine, p: PackConvPlan): Promise<PackedConv> {
  const arena = engine.arena;
  const allocate = (length: number) => new DeviceBuffer(arena, Float32Array, length, arena.alloc(length * 4));
  const algorithm = p.family === "depthwise" ? "depthwise" : "im2col";
  const handle = new PackedConv(allocate(packedLength(algorithm, p.c, p.shape, p.groups)), p.shape, p.groups, p.family);
  try {
    await packWeights(engine, algorithm, p.weight, p.c, p.shape, p.groups, handle.panels.offset, "packConv weight");
    // Layers Winograd can run get its packing too: stride and dilation come with conv2d.
    if (p.winograd) {
      handle.winograd = allocate(winogradPackedLength(p.c, p.shape[0]));
      await packWeights(engine, "winograd", p.weight, p.c, p.shape, p.groups, handle.winograd.offset, "packConv weight");
    }
  } catch (e) {
    handle.dispose();
    throw e;
  }
  return Object.freeze(handle);
}

/** Depthwise multiply-adds below which a call whose input is an array runs on the caller alone. */
const DEPTHWISE_COPIED_SOLO_BELOW = 2_000_000;
/** Multiply-adds per input value up to which a depthwise call from array to array is copy-bound. */
const COPY_BOUND_MACS = 3;

/** Multiply-adds of the convolution, the measure of its work. */
const macs = (p: ConvPlan) => p.n * p.oc * p.oh * p.ow * (p.c / p.groups) * p.kh * p.kw;

/**
 * How a call splits: the threads it runs on, whether depthwise gathers its input where it
 * lies, and whether a call from arrays goes in strips of rows or bands of channels.
 */
function splitOf(engine: Engine, p: ConvPlan): { threads: number; gathers: boolean; strips: boolean; channelBands: boolean } {
  const depthwise = p.algorithm === "depthwise";
  // (Not for large kernels: their row blocks re-read a tall halo, and gathering it again
  // for every block cost more than one conversion pass: 31×31 went 0.89× in an A/B.)
  const gathers = depthwise && p.layout !== "NC4HW4" && p.kh * p.kw <= 25;
  // Depthwise from an array the caller has just copied in: its lines sit in the caller's
  // cache, and a second thread's share of this little arithmetic costs more to fetch than
  // it saves, up to a few million multiply-adds (docs/decisions/solo-thresholds.md).
  const copiedIn = !(p.input instanceof DeviceBuffer);
  // On the caller alone, depthwise from an array to an array runs in strips of rows (NHWC,
  // one image) or in bands of channel quads (NCHW, no multiplier) when its image is larger
  // than one. Whatever its size, such a call that does at most a few multiply-adds per input
  // value (3×3 at stride 2: 2.25) is bound by the caller's copies, which a second thread
  // cannot share: it runs alone, in its strips or bands.
  const arrays = depthwise && gathers && copiedIn && !(p.out instanceof DeviceBuffer);
  const strips = arrays && p.layout === "NHWC" && p.outputLayout === "NHWC" && p.n === 1 && p.h * p.w * p.c * 4 > STRIP_BYTES;
  const channelBands = arrays && p.layout === "NCHW" && p.outputLayout === "NCHW" && p.oc === p.c && p.h * p.w * p.c * 4 > CHANNEL_BAND_BYTES;
  const copyBound = (strips || channelBands) && p.kh * p.kw * (p.oc / p.c) <= COPY_BOUND_MACS * p.sh * p.sw;
  const threads = copyBound ? 1 : threadsFor(engine, macs(p), depthwise && copiedIn ? DEPTHWISE_COPIED_SOLO_BELOW : SOLO_BELOW);
  return { threads, gathers, strips, channelBands };
}

async function runConv2d(engine: Engine, p: ConvPlan): Promise<Conv2dResult> {
  const shape: Shape4 = [p.n, p.oc, p.oh, p.ow];
  const split = splitOf(engine, p);
  // A call from arrays that runs on the caller alone is as much copies as kernels: on a
  // context with Workers it runs on the caller's unshared memory, whose copies are memmoves.
  // (p.buffers: its device buffers, a packed handle's among them.)
  const moved = p.n > 0 ? runAloneUnshared(engine, split.threads === 1, p.buffers, (own) => runConv2d(own, p)) : null;
  if (moved) return moved;
  const result = p.out ?? newResult(tensorLength(p.outputLayout, shape));
  const tensor = { data: result, shape, layout: p.outputLayout };
  if (p.n === 0) return tensor;
  const { threads, gathers, strips, channelBands } = split;
  // The GEMM kernels can store NHWC as well as NC4HW4 (a strided store), saving a pass.
  // Depthwise reads NHWC where it lies (its window kernels in place, else its row copy
  // gathers each pixel's quad) and NCHW through its row copy (4×4 transposes), and writes
  // both (docs/decisions/depthwise.md).
  const gemmFamily = p.algorithm === "1x1" || p.algorithm === "im2col";
  const depthwise = p.algorithm === "depthwise";
  // im2col packs NHWC where it lies with compact k (few channels, such as an RGB first
  // layer) or whole quads.
  const inNHWC = readsNHWC(p);
  if (nhwcMatmul(p)) return runNHWCMatmul(engine, p, result, tensor, threads);
  const gemmJob = gemmFamily ? planGemmConv(p, threads) : null;
  // NCHW needs no pass either: a 1×1 layer and im2col (except with compact k) pack it
  // where it lies, and a GEMM whose k fits one block stores it (each tile transposed on its way out).
  const inNCHW = readsNCHW(p);
  const outNCHW = gemmJob !== null && gemmJob.kBlocks === 1 && p.outputLayout === "NCHW";
  const written: Layout = outNCHW || (depthwise && p.outputLayout === "NCHW") ? "NCHW" : (depthwise || gemmFamily) && p.outputLayout === "NHWC" ? "NHWC" : "NC4HW4";
  const solo = threads === 1;
  const wShape: Shape4 = [p.oc, p.c / p.groups, p.kh, p.kw];
  // (A handle's packing, or a cache hit checked at once, needs no await: a microtask per
  // call counts on small layers.)
  const pending = p.weight instanceof PackedConv ? packedWeights(p.algorithm, p.weight) : preparedWeights(engine, p, wShape);
  const prepared = pending instanceof Promise ? await pending : pending;
  const regions = {
    input: gathers || inNHWC || inNCHW ? input(engine.arena, p.input, tensorLength(p.layout, [p.n, p.c, p.h, p.w]), "conv2d input") : tensorInput(engine, "conv2d input", p.input, [p.n, p.c, p.h, p.w], p.layout, solo),
    weights: prepared ? { bytes: 0, device: prepared.packed } : weightRegion(engine, p, p.weight as Float32Array, wShape),
    bias: p.bias ? biasQuads(engine, p.bias, p.oc) : none,
    out: tensorOutput(engine, "conv2d out", result, shape, written, p.outputLayout, solo),
    scratch: none,
  };
  try {
    if (solo && (strips || channelBands)) {
      await runPieces(engine, p, result as Float32Array, regions.weights, regions.bias, strips ? stripsOfRows(p) : bandsOfChannels(p, engine.kernels));
    } else if (depthwise) {
      const job = planDepthwise(p, threads, gathers ? p.layout : "NC4HW4", written, engine.kernels);
      regions.scratch = scratch(threads * job.scratchStride);
      await bind(engine.arena, regions, (at) => engine.run("depthwise", depthwiseArgs(p, job, at), [job.groups], { solo }));
    } else if (p.algorithm === "winograd") {
      const job = planWinograd(p, threads);
      regions.scratch = scratch(threads * job.scratchStride);
      await bind(engine.arena, regions, (at) => engine.run("winograd", winogradArgs(p, job, at), [job.groups], { solo }));
    } else {
      const job = gemmJob!;
      regions.scratch = scratch(threads * job.scratchStride);
      await bind(engine.arena, regions, (at) => {
        const args = gemmConvArgs({
          p, input: at.input, weight: prepared ? 0 : rawWeights(p, wShape, at.weights), packed: at.weights, out: at.out, bias: at.bias, scratch: at.scratch,
          scratchStride: job.scratchStride, mc: job.mc, kcq: job.kcq, nc: job.nc, mBlocks: job.mBlocks, nBlocks: job.nBlocks,
          packPhase: !prepared, direct: p.algorithm === "1x1", outNHWC: written === "NHWC", inNHWC, inNCHW, outNCHW,
        });
        return engine.run("conv", args, [prepared ? 0 : job.packGroups, job.groups], { solo });
      });
    }
  } finally {
    if (prepared?.owned) prepared.packed.dispose();
  }
  return tensor;
}

/**
 * A 1×1 layer (stride 1, no padding, one group) from NHWC to NHWC is a plain GEMM: the
 * input is pixels × c row-major, the output pixels × oc. It runs as one, with no layout
 * pass; its weights (OIHW, oc × c: op(B) transposed) are packed for GEMM's panels and kept
 * in the weight cache like any others. Packed handles (packConv) hold the convolution
 * packing, so those calls take the NC4HW4 path.
 */
const nhwcMatmul = (p: ConvPlan) =>
  p.algorithm === "1x1" && p.groups === 1 && p.layout === "NHWC" && p.outputLayout === "NHWC" && !(p.weight instanceof PackedConv);

async function runNHWCMatmul(engine: Engine, p: ConvPlan, result: F32Operand, tensor: Conv2dResult, threads: number): Promise<Conv2dResult> {
  const weight = p.weight as Float32Array;
  const [m, n, k] = [p.n * p.h * p.w, p.oc, p.c];
  const length = packedBLength(k, n);
  const pack = (at: number) => packBInto(engine, weight, n * k, { k, n, ldb: k, transB: true }, at, "conv2d weight");
  const pending = cachedWeights(engine, weight, `gemm [${n}, ${k}]`, length, pack);
  const prepared = pending instanceof Promise ? await pending : pending;
  if (threads === 1 && !(p.input instanceof DeviceBuffer) && !(result instanceof DeviceBuffer) && m > BAND_BYTES / ((n + k) * 4)) {
    try {
      await runBands(engine, p.input, result as Float32Array, prepared?.packed ?? null, pack, length, m, n, k, p);
    } finally {
      if (prepared?.owned) prepared.packed.dispose();
    }
    return tensor;
  }
  const blocks = gemmBlocks(threads, m, n, k);
  const regions = {
    input: input(engine.arena, p.input, m * k, "conv2d input"),
    weights: prepared ? { bytes: 0, device: prepared.packed } : { bytes: length * 4, before: pack },
    bias: input(engine.arena, p.bias, n, "conv2d bias"),
    out: output(engine.arena, result, m * n, "conv2d out"),
    scratch: scratch(threads * blocks.scratchStride),
  };
  try {
    await bind(engine.arena, regions, (at) => gemmPacked(engine, threads, blocks, {
      m, n, k, a: at.input, lda: k, packedB: at.weights, c: at.out, ldc: n, bias: at.bias, act: p.act, scratch: at.scratch,
    }));
  } finally {
    if (prepared?.owned) prepared.packed.dispose();
  }
  return tensor;
}

/** Bytes of input and output rows a band of runBands holds: well inside a core's L2. */
const BAND_BYTES = 256 * 1024;
/**
 * Bytes of input rows a strip of stripsOfRows holds (its output rows are fewer): twice as
 * many as 256 KiB measured 1.07–1.16× faster on depthwise at stride 2, where a strip's
 * window shares a larger part of its rows with the next strip's.
 */
const STRIP_BYTES = 512 * 1024;

/**
 * A 1×1 NHWC layer from an array to an array on the calling thread, in bands of rows: each
 * band's input is copied in, multiplied and copied out while its lines are still in cache,
 * so neither the GEMM's reads of the input nor the copy-out's reads of its output go to
 * memory (whole-tensor copies did both).
 */
async function runBands(
  engine: Engine, x: Float32Array, result: Float32Array, packed: DeviceBuffer<Float32Array> | null,
  pack: (at: number) => Promise<void>, packedFloats: number, m: number, n: number, k: number, p: ConvPlan,
): Promise<void> {
  const rows = Math.max(MR, Math.floor(BAND_BYTES / ((n + k) * 4 * MR)) * MR);
  const blocks = gemmBlocks(1, rows, n, k);
  const regions = {
    weights: packed ? { bytes: 0, device: packed } : { bytes: packedFloats * 4, before: pack },
    bias: input(engine.arena, p.bias, n, "conv2d bias"),
    a: scratch(rows * k * 4),
    c: scratch(rows * n * 4),
    scratch: scratch(blocks.scratchStride),
  };
  await bind(engine.arena, regions, async (at) => {
    for (let i0 = 0; i0 < m; i0 += rows) {
      const band = Math.min(rows, m - i0);
      // (The arrays may have been detached meanwhile: checked as each band is copied.)
      recheckLength("conv2d input", x, m * k);
      view(engine.arena, Float32Array, at.a, band * k).set(x.subarray(i0 * k, (i0 + band) * k));
      await gemmPacked(engine, 1, band === rows ? blocks : gemmBlocks(1, band, n, k), {
        m: band, n, k, a: at.a, lda: k, packedB: at.weights, c: at.c, ldc: n, bias: at.bias, act: p.act, scratch: at.scratch,
      });
      recheckLength("conv2d out", result, m * n);
      result.set(view(engine.arena, Float32Array, at.c, band * n), i0 * n);
    }
  });
}

/**
 * Part of a depthwise layer from an array to an array, run on the calling thread: its
 * input and output as runs of the arrays ([in0, in1) and from out0, in floats), the layer
 * on that part, and where its weights and bias start (bytes on from the whole layer's).
 */
interface Piece { in0: number; in1: number; out0: number; plan: ConvPlan; job: DepthwiseJob; weightsAt: number; biasAt: number }

/**
 * A depthwise layer from an array to an array in pieces (stripsOfRows, bandsOfChannels): each
 * piece's input is copied in, computed and its output copied out while those lines are in
 * cache, as runBands does for 1×1 layers; a whole-tensor copy made the kernel read the
 * input back from memory, and the copy out the output.
 */
async function runPieces(engine: Engine, p: ConvPlan, result: Float32Array, weights: Binding, bias: Binding, pieces: Piece[]): Promise<void> {
  const outLength = (piece: Piece) => piece.plan.n * piece.plan.oc * piece.plan.oh * piece.plan.ow;
  const regions = {
    weights, bias,
    input: scratch(Math.max(...pieces.map((b) => b.in1 - b.in0)) * 4),
    out: scratch(Math.max(...pieces.map(outLength)) * 4),
    scratch: scratch(Math.max(...pieces.map((b) => b.job.scratchStride))),
  };
  const x = p.input as Float32Array;
  await bind(engine.arena, regions, async (at) => {
    for (const piece of pieces) {
      // (The arrays may have been detached meanwhile: checked as each piece is copied.)
      recheckLength("conv2d input", x, p.n * p.c * p.h * p.w);
      view(engine.arena, Float32Array, at.input, piece.in1 - piece.in0).set(x.subarray(piece.in0, piece.in1));
      const args = depthwiseArgs(piece.plan, piece.job, { ...at, weights: at.weights + piece.weightsAt, bias: at.bias && at.bias + piece.biasAt });
      await engine.run("depthwise", args, [piece.job.groups], { solo: true });
      recheckLength("conv2d out", result, p.n * p.oc * p.oh * p.ow);
      result.set(view(engine.arena, Float32Array, at.out, outLength(piece)), piece.out0);
    }
  });
}

/**
 * NHWC, one image: strips of output rows whose input rows (the strip's window, so
 * neighbouring strips share a few) hold up to STRIP_BYTES. A strip is the layer on part of
 * the image: the top padding in the first strip only, the bottom where the strip ends at
 * the image's.
 */
function stripsOfRows(p: ConvPlan): Piece[] {
  const inRowFloats = p.w * p.c, outRowFloats = p.ow * p.oc;
  let rows = 1;
  while (rows < p.oh && (rows * p.sh + (p.kh - 1) * p.dh + 1) * inRowFloats * 4 <= STRIP_BYTES) rows++;
  const strips: Piece[] = [];
  for (let o0 = 0; o0 < p.oh; o0 += rows) {
    const o1 = Math.min(p.oh, o0 + rows);
    const in0 = Math.max(0, o0 * p.sh - p.pad[0]);
    const in1 = Math.min(p.h, (o1 - 1) * p.sh - p.pad[0] + (p.kh - 1) * p.dh + 1);
    const plan: ConvPlan = { ...p, h: in1 - in0, oh: o1 - o0, pad: [in0 - (o0 * p.sh - p.pad[0]), p.pad[1], 0, p.pad[3]] };
    const job = planDepthwise(plan, 1, "NHWC", "NHWC");
    strips.push({ in0: in0 * inRowFloats, in1: in1 * inRowFloats, out0: o0 * outRowFloats, plan, job, weightsAt: 0, biasAt: 0 });
  }
  return strips;
}

/**
 * NCHW, no multiplier: bands of channel quads whose input planes hold up to
 * CHANNEL_BAND_BYTES (at least one quad). A band's input planes and its output planes each
 * lie in one run of the arrays, and channels are independent: a band is the layer on its
 * channels, with its quads of the packed weights ([oc4][taps] v128) and of the bias.
 */
function bandsOfChannels(p: ConvPlan, kernels: Readonly<KernelConfig>): Piece[] {
  const hw = p.h * p.w, ohw = p.oh * p.ow;
  const width = 4 * Math.max(1, Math.floor(CHANNEL_BAND_BYTES / (16 * hw)));
  const bands: Piece[] = [];
  for (let c0 = 0; c0 < p.c; c0 += width) {
    const channels = Math.min(width, p.c - c0);
    const plan: ConvPlan = { ...p, n: 1, c: channels, oc: channels, groups: channels };
    const job = planDepthwise(plan, 1, "NCHW", "NCHW", kernels);
    for (let b = 0; b < p.n; b++) {
      const at = b * p.c + c0;
      bands.push({ in0: at * hw, in1: (at + channels) * hw, out0: at * ohw, plan, job, weightsAt: (c0 / 4) * p.kh * p.kw * 16, biasAt: c0 * 4 });
    }
  }
  return bands;
}

/** Bytes of input planes a band of bandsOfChannels holds (at least one quad's four). */
const CHANNEL_BAND_BYTES = 256 * 1024;

/** Bias for the kernels: oc values, zero-padded to whole quads. */
function biasQuads(engine: Engine, bias: Float32Array, oc: number): Binding {
  const length = quads(oc) * 4;
  return {
    bytes: length * 4,
    before: (at) => {
      recheckLength("conv2d bias", bias, oc);
      view(engine.arena, Float32Array, at, length).fill(0).set(bias.subarray(0, oc));
    },
  };
}
