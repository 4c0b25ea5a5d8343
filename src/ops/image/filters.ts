// The filters of issue #14 with OpenCV's semantics: boxFilter (cv.blur / cv.boxFilter),
// gaussianBlur (cv.GaussianBlur) and adaptiveThreshold (cv.adaptiveThreshold), all with
// OpenCV's border modes. Kernels: assembly/image/filters-box.ts (8-bit running sums),
// filters-gauss.ts (8-bit fixed point), filters-sep.ts (f32 in OpenCV's order).
// Each work-group is a band of output rows; a band reads the halo rows it needs.
import { checkInt, checkNumber, checkOptions, deviceBuffers, describe, oneOf } from "../../errors.ts";
import type { DeviceBuffer } from "../../buffer.ts";
import { GROUPS_PER_THREAD, HOST, bind, none, runAloneUnshared, scratch, threadsFor, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import {
  BORDER_CONSTANT, BORDER_REFLECT101, BORDER_REPLICATE, BOX_F64, BOX_FIXED, BOX_SUM, THRESH_BINARY, THRESH_BINARY_INV, THRESH_NONE,
} from "../schema.gen.ts";
import { checkImage, checkImageOutput, imageOutput, imageRows, type CheckedImage, type F32Pixels, type Image, type ImageShape, type Pixels, type U8Pixels, type ImageInput } from "./types.ts";
import { imageCall } from "./color-common.ts";
import { gaussianSize, gaussianTaps, gaussianTapsFixed, roundHalfEven } from "./filters-kernels.ts";

/** OpenCV's border modes: gfedcb|abcdefgh|gfedcba, aaaaaa|abcdefgh|hhhhhhh, vvvvvv|abcdefgh|vvvvvvv. */
export type BorderMode = "reflect101" | "replicate" | "constant";

interface BorderOptions<T extends Pixels> {
  /** How pixels outside the image read: "reflect101" (OpenCV's default), "replicate" or "constant". */
  border?: BorderMode;
  /** The value outside the image with border "constant" (default 0; 0 to 255 for 8-bit images). */
  borderValue?: number;
  /** Where to write the result (dense rows): an array or a device buffer of the source's kind. */
  out?: T;
}

export interface BoxFilterOptions<T extends Pixels = Pixels> extends BorderOptions<T> {
  /** The window: a number or [width, height], each from 1 to 65535 (the anchor is its centre, ⌊k/2⌋). */
  ksize: number | [number, number];
  /** Divide by the window's area (cv.blur; default true), or keep the sum (saturated to 255 for 8-bit). */
  normalize?: boolean;
}

export interface GaussianBlurOptions<T extends Pixels = Pixels> extends BorderOptions<T> {
  /** The horizontal standard deviation; with ksize 0 or left out, it sets the size as OpenCV does. */
  sigma?: number;
  /** The vertical standard deviation (default sigma). */
  sigmaY?: number;
  /** Odd window size, a number or [width, height]; 0 or left out: from sigma, round(σ·(3 for 8-bit, 4 for f32)·2 + 1) | 1. */
  ksize?: number | [number, number];
}

export interface AdaptiveThresholdOptions<T extends U8Pixels = U8Pixels> {
  /** The value where the test holds (saturated to 0…255; below 0, every pixel is 0). */
  maxValue: number;
  /** The local mean: "mean" (a box) or "gaussian" (OpenCV's σ for the block size). */
  method: "mean" | "gaussian";
  /** "binary": maxValue where src > mean − C; "binaryInv": where not. Default "binary". */
  type?: "binary" | "binaryInv";
  /** Odd window size ≥ 3. */
  blockSize: number;
  /** The constant subtracted from the mean (binary: ⌈C⌉, binaryInv: ⌊C⌋, as OpenCV). Default 0. */
  C?: number;
  out?: T;
}

/** Sides up to this many pixels (and 255·kw·kh < 2³¹ for the box's i32 sums). */
const MAX_KSIZE = 65535;
/** Elements below which the caller filters alone: a dispatch costs more (an estimate). */
const SOLO_BELOW = 1 << 16;

const BORDERS: Record<BorderMode, number> = { reflect101: BORDER_REFLECT101, replicate: BORDER_REPLICATE, constant: BORDER_CONSTANT };

interface FilterPlan {
  op: "filtersBox" | "filtersGauss" | "filtersSep";
  /** The method's name, for errors. */
  name: string;
  img: CheckedImage;
  out: unknown;
  buffers: DeviceBuffer[];
  kw: number;
  kh: number;
  border: number;
  value: number;
  /** The output's kind. */
  kind: "u8" | "f32";
  /** The op's own arguments. */
  extra: Record<string, number | boolean>;
  /** Taps (filtersGauss: i32, filtersSep: f32), kw then kh. */
  taps: Int32Array | Float32Array | null;
  /** Per-thread scratch bytes. */
  scratchBytes: number;
}

/**
 * Box filter (cv.blur, or cv.boxFilter with normalize false) of a 1–4 channel 8-bit image,
 * in constant time per pixel whatever the window, bit-exact with OpenCV; f32 images too.
 */
export function boxFilter<T extends Pixels>(this: OpHost, src: ImageInput<T>, options: BoxFilterOptions<T>): Promise<Image<T>>;
export function boxFilter(this: OpHost, src: ImageInput<U8Pixels>, options: BoxFilterOptions): Promise<Image<Uint8Array>>;
export function boxFilter(this: OpHost, src: ImageInput<F32Pixels>, options: BoxFilterOptions): Promise<Image<Float32Array>>;
export function boxFilter<T extends Pixels>(this: OpHost, src: Pixels, shape: ImageShape, options: BoxFilterOptions<T> & { out: T }): Promise<Image<T>>;
export function boxFilter(this: OpHost, src: U8Pixels, shape: ImageShape, options: BoxFilterOptions): Promise<Image<Uint8Array>>;
export function boxFilter(this: OpHost, src: F32Pixels, shape: ImageShape, options: BoxFilterOptions): Promise<Image<Float32Array>>;
export function boxFilter(this: OpHost, ...args: unknown[]): Promise<Image> {
  return dispatch(this, args, planBox);
}

/**
 * Gaussian blur (cv.GaussianBlur) of a 1–4 channel image: 8-bit bit-exact with OpenCV 4's
 * fixed point, f32 bit-exact with its sepFilter2D.
 */
export function gaussianBlur<T extends Pixels>(this: OpHost, src: ImageInput<T>, options: GaussianBlurOptions<T>): Promise<Image<T>>;
export function gaussianBlur(this: OpHost, src: ImageInput<U8Pixels>, options: GaussianBlurOptions): Promise<Image<Uint8Array>>;
export function gaussianBlur(this: OpHost, src: ImageInput<F32Pixels>, options: GaussianBlurOptions): Promise<Image<Float32Array>>;
export function gaussianBlur<T extends Pixels>(this: OpHost, src: Pixels, shape: ImageShape, options: GaussianBlurOptions<T> & { out: T }): Promise<Image<T>>;
export function gaussianBlur(this: OpHost, src: U8Pixels, shape: ImageShape, options: GaussianBlurOptions): Promise<Image<Uint8Array>>;
export function gaussianBlur(this: OpHost, src: F32Pixels, shape: ImageShape, options: GaussianBlurOptions): Promise<Image<Float32Array>>;
export function gaussianBlur(this: OpHost, ...args: unknown[]): Promise<Image> {
  return dispatch(this, args, planGaussian);
}

/** Adaptive threshold (cv.adaptiveThreshold) of an 8-bit gray image, bit-exact with OpenCV. */
export function adaptiveThreshold<T extends U8Pixels>(this: OpHost, src: ImageInput<U8Pixels>, options: AdaptiveThresholdOptions<T> & { out: T }): Promise<Image<T>>;
export function adaptiveThreshold(this: OpHost, src: ImageInput<U8Pixels>, options: AdaptiveThresholdOptions): Promise<Image<Uint8Array>>;
export function adaptiveThreshold<T extends U8Pixels>(this: OpHost, src: U8Pixels, shape: ImageShape, options: AdaptiveThresholdOptions<T> & { out: T }): Promise<Image<T>>;
export function adaptiveThreshold(this: OpHost, src: U8Pixels, shape: ImageShape, options: AdaptiveThresholdOptions): Promise<Image<Uint8Array>>;
export function adaptiveThreshold(this: OpHost, ...args: unknown[]): Promise<Image> {
  return dispatch(this, args, planAdaptive);
}

type Planner = (engine: Engine, data: unknown, shape: unknown, options: unknown) => FilterPlan;

/** (image, options) or (data, shape, options): validate now, run in turn. */
function dispatch(host: OpHost, args: unknown[], plan: Planner): Promise<Image> {
  const { engine, call } = host[HOST];
  return call(() => {
    const { data, shape, rest } = imageCall(args);
    const p = plan(engine, data, shape, rest[0]);
    checkImageOutput(engine.arena, `${p.name} out`, p.out, p.img.width, p.img.height, p.img.channels, p.kind);
    return p;
  }, (p) => runFilter(engine, p));
}

const pair = (name: string, v: unknown, min: number): [number, number] => {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new TypeError(`simdcl: ${name} must be a number or [width, height], got ${describe(v)}`);
    return [checkInt(() => `${name}[0] (width)`, v[0], min, MAX_KSIZE), checkInt(() => `${name}[1] (height)`, v[1], min, MAX_KSIZE)];
  }
  const k = checkInt(name, v, min, MAX_KSIZE);
  return [k, k];
};

function checkBorder(op: string, o: Record<string, unknown>, img: CheckedImage): { border: number; value: number } {
  const mode = o.border ?? "reflect101";
  if (typeof mode !== "string" || !(mode in BORDERS)) throw new TypeError(`simdcl: ${op} border must be ${oneOf(Object.keys(BORDERS))}, got ${describe(mode)}`);
  const value = img.esz === 1 ? (o.borderValue === undefined ? 0 : checkInt(() => `${op} borderValue`, o.borderValue, 0, 255)) : checkNumber(() => `${op} borderValue`, o.borderValue, 0);
  if (img.esz === 4 && !Number.isFinite(value)) throw new RangeError(`simdcl: ${op} borderValue must be finite, got ${value}`);
  return { border: BORDERS[mode as BorderMode], value };
}

function checkOut(op: string, img: CheckedImage, out: unknown): void {
  if (out !== undefined && out === img.data) throw new RangeError(`simdcl: ${op} out must not be the source's data (bands read rows others write)`);
}

const BOX_KNOWN = ["ksize", "normalize", "border", "borderValue", "out"] as const;

function planBox(engine: Engine, data: unknown, shape: unknown, options: unknown): FilterPlan {
  const o = checkOptions("boxFilter options", options, BOX_KNOWN);
  const img = checkImage(engine.arena, "boxFilter src", data, shape);
  if (o.ksize === undefined) throw new TypeError("simdcl: boxFilter ksize is required (a number or [width, height])");
  const [kw, kh] = pair("boxFilter ksize", o.ksize, 1);
  if (255 * kw * kh >= 2 ** 31) throw new RangeError(`simdcl: boxFilter ksize ${kw}×${kh} is too large (255·width·height must stay below 2³¹)`);
  const normalize = o.normalize === undefined ? true : o.normalize;
  if (typeof normalize !== "boolean") throw new TypeError(`simdcl: boxFilter normalize must be true or false, got ${describe(normalize)}`);
  const { border, value } = checkBorder("boxFilter", o, img);
  checkOut("boxFilter", img, o.out);
  if (img.esz === 4) {
    if (kw % 2 === 0 || kh % 2 === 0) throw new RangeError(`simdcl: boxFilter ksize must be odd for f32 images, got ${kw}×${kh}`);
    return sepPlan("boxFilter", img, o.out, border, value, kw, kh, boxTaps(kw, kh, normalize));
  }
  return boxPlan("boxFilter", img, o.out, border, value, kw, kh, normalize, { thresh: THRESH_NONE, threshDelta: 0, maxValue: 0 });
}

/** f32 box: the separable path with taps of 1, then 1/(kw·kh) on the vertical ones. */
function boxTaps(kw: number, kh: number, normalize: boolean): Float32Array {
  const taps = new Float32Array(kw + kh).fill(1);
  if (normalize) taps.fill(Math.fround(1 / (kw * kh)), kw);
  return taps;
}

function boxPlan(name: string, img: CheckedImage, out: unknown, border: number, value: number, kw: number, kh: number, normalize: boolean, thresh: Record<string, number>): FilterPlan {
  const K = kw * kh;
  let scale = BOX_SUM, delta = 0, mul = 0;
  if (normalize && K === 1) scale = BOX_SUM;
  else if (normalize && K <= 256) {
    // OpenCV's ColumnSum<ushort, uchar>: d = K, the multiplier 2²³/d rounded one way and the
    // offset the other, so that ((s + delta)·mul) >> 23 rounds s/d.
    scale = BOX_FIXED;
    const f = 2 ** 23 / K;
    mul = Math.floor(f);
    delta = K >> 1;
    if (f - mul < 0.5) delta++;
    else mul++;
  } else if (normalize) scale = BOX_F64;
  const ext = (((img.width + kw) * img.channels + 3) & ~3) * 4;
  return {
    op: "filtersBox", name, img, out, buffers: deviceBuffers(img.data, out), kw, kh, border, value, kind: "u8", taps: null,
    extra: { ax: kw >> 1, ay: kh >> 1, scale, delta, mul, narrow: K <= 256, ...thresh },
    scratchBytes: 2 * ext,
  };
}

const GAUSS_KNOWN = ["sigma", "sigmaY", "ksize", "border", "borderValue", "out"] as const;

function planGaussian(engine: Engine, data: unknown, shape: unknown, options: unknown): FilterPlan {
  const o = checkOptions("gaussianBlur options", options, GAUSS_KNOWN);
  const img = checkImage(engine.arena, "gaussianBlur src", data, shape);
  let [kw, kh] = o.ksize === undefined ? [0, 0] : pair("gaussianBlur ksize", o.ksize, 0);
  const sigma = checkNumber("gaussianBlur sigma", o.sigma, 0, 0);
  let sigmaY = checkNumber("gaussianBlur sigmaY", o.sigmaY, 0, 0);
  if (sigmaY <= 0) sigmaY = sigma;
  const u8 = img.esz === 1;
  if (kw === 0) kw = sigma > 0 ? gaussianSize(sigma, u8) : 0;
  if (kh === 0) kh = sigmaY > 0 ? gaussianSize(sigmaY, u8) : 0;
  if (kw === 0 || kh === 0) throw new RangeError("simdcl: gaussianBlur needs sigma > 0 or an odd ksize");
  for (const [name, k] of [["width", kw], ["height", kh]] as const) {
    if (k % 2 !== 1 || k > MAX_KSIZE) throw new RangeError(`simdcl: gaussianBlur ksize ${name} must be odd, from 1 to ${MAX_KSIZE}, got ${k}`);
  }
  const { border, value } = checkBorder("gaussianBlur", o, img);
  checkOut("gaussianBlur", img, o.out);
  // OpenCV: a one-row (one-column) image is not blurred across rows (columns) unless the border is constant.
  if (border !== BORDER_CONSTANT) {
    if (img.height === 1) kh = 1;
    if (img.width === 1) kw = 1;
  }
  if (!u8) return sepPlan("gaussianBlur", img, o.out, border, value, kw, kh, concat(gaussianTaps(kw, sigma), gaussianTaps(kh, sigmaY)));
  // kw horizontal taps, kh vertical ones, then the horizontal taps two to a word (k₂q | k₂q₊₁ << 16).
  const taps = new Int32Array(kw + kh + ((kw + 1) >> 1));
  const kx = gaussianTapsFixed(kw, sigma);
  taps.set(kx);
  taps.set(gaussianTapsFixed(kh, sigmaY), kw);
  for (let q = 0; q < kw; q += 2) taps[kw + kh + (q >> 1)] = kx[q] | ((kx[q + 1] ?? 0) << 16);
  return {
    op: "filtersGauss", name: "gaussianBlur", img, out: o.out, buffers: deviceBuffers(img.data, o.out), kw, kh, border, value, kind: "u8", taps, extra: {},
    // kh row addresses; V, (width + kw − 1)·cn u16 and cn + 8 spare; its pair plane, twice V.
    scratchBytes: alignUp16(kh * 4) + alignUp16(((img.width + kw - 1) * img.channels + img.channels + 8) * 2) + ((img.width + kw - 1) * img.channels + 8) * 4,
  };
}

const concat = (a: Float32Array, b: Float32Array) => {
  const t = new Float32Array(a.length + b.length);
  t.set(a);
  t.set(b, a.length);
  return t;
};
const alignUp16 = (n: number) => (n + 15) & ~15;

function sepPlan(name: string, img: CheckedImage, out: unknown, border: number, value: number, kw: number, kh: number, taps: Float32Array, thresh?: Record<string, number>): FilterPlan {
  const n4 = (img.width * img.channels + 3) & ~3;
  return {
    op: "filtersSep", name, img, out, buffers: deviceBuffers(img.data, out), kw, kh, border, value, kind: thresh ? "u8" : "f32", taps,
    extra: { srcF32: img.esz === 4, thresh: THRESH_NONE, threshDelta: 0, maxValue: 0, ...thresh },
    scratchBytes: alignUp16(kh * 4) + (((img.width + kw - 1) * img.channels + 3) & ~3) * 4 + kh * n4 * 4,
  };
}

const ADAPTIVE_KNOWN = ["maxValue", "method", "type", "blockSize", "C", "out"] as const;

function planAdaptive(engine: Engine, data: unknown, shape: unknown, options: unknown): FilterPlan {
  const o = checkOptions("adaptiveThreshold options", options, ADAPTIVE_KNOWN);
  const img = checkImage(engine.arena, "adaptiveThreshold src", data, shape, ["u8"]);
  if (img.channels !== 1) throw new RangeError(`simdcl: adaptiveThreshold src must be gray (channels 1), as OpenCV's, got ${img.channels} channels`);
  if (typeof o.maxValue !== "number" || Number.isNaN(o.maxValue)) throw new TypeError(`simdcl: adaptiveThreshold maxValue must be a number, got ${describe(o.maxValue)}`);
  if (o.method !== "mean" && o.method !== "gaussian") throw new TypeError(`simdcl: adaptiveThreshold method must be "mean" or "gaussian", got ${describe(o.method)}`);
  const type = o.type ?? "binary";
  if (type !== "binary" && type !== "binaryInv") throw new TypeError(`simdcl: adaptiveThreshold type must be "binary" or "binaryInv", got ${describe(type)}`);
  const block = checkInt("adaptiveThreshold blockSize", o.blockSize, 3, MAX_KSIZE);
  if (block % 2 !== 1) throw new RangeError(`simdcl: adaptiveThreshold blockSize must be odd, got ${block}`);
  const C = checkNumber("adaptiveThreshold C", o.C, 0);
  if (!Number.isFinite(C)) throw new RangeError(`simdcl: adaptiveThreshold C must be finite, got ${C}`);
  checkOut("adaptiveThreshold", img, o.out);
  // OpenCV: saturate_cast<uchar>(maxValue) (half to even), and a negative maxValue gives zeros.
  const maxValue = o.maxValue < 0 ? 0 : Math.min(255, roundHalfEven(o.maxValue));
  const thresh = {
    thresh: type === "binary" ? THRESH_BINARY : THRESH_BINARY_INV,
    threshDelta: type === "binary" ? Math.ceil(C) : Math.floor(C),
    maxValue,
  };
  // BORDER_REPLICATE | BORDER_ISOLATED: a one-row (one-column) image gets a window of one row (column).
  const kw = img.width === 1 ? 1 : block, kh = img.height === 1 ? 1 : block;
  if (o.method === "mean") return boxPlan("adaptiveThreshold", img, o.out, BORDER_REPLICATE, 0, kw, kh, true, thresh);
  return sepPlan("adaptiveThreshold", img, o.out, BORDER_REPLICATE, 0, kw, kh, concat(gaussianTaps(kw, 0), gaussianTaps(kh, 0)), thresh);
}

async function runFilter(engine: Engine, p: FilterPlan): Promise<Image> {
  const { img, kw, kh } = p;
  const n = img.width * img.channels;
  const threads = threadsFor(engine, n * img.height, SOLO_BELOW);
  const moved = runAloneUnshared(engine, threads === 1, p.buffers, (own) => runFilter(own, p));
  if (moved) return moved;
  const { image, binding: outBinding } = imageOutput(engine.arena, `${p.name} out`, p.out, img.width, img.height, img.channels, p.kind);
  // Bands of rows: one per thread's share of groups, no thinner than the window (each band
  // starts its running sums, or its ring of rows, from kh rows).
  const groups = threads === 1 ? 1 : Math.max(1, Math.min(GROUPS_PER_THREAD * threads, Math.floor(img.height / Math.max(kh, 8))));
  const rows = Math.ceil(img.height / groups);
  const stride = (p.scratchBytes + 63) & ~63;
  const esz = img.esz;
  const constBytes = p.border === BORDER_CONSTANT ? n * esz : 0;
  const regions: Record<string, Binding> = {
    src: imageRows(engine.arena, img),
    dst: outBinding,
    constRow: constBytes ? { bytes: constBytes, before: (at) => void (esz === 1 ? view(engine.arena, Uint8Array, at, n) : view(engine.arena, Float32Array, at, n)).fill(p.value) } : none,
    taps: p.taps ? { bytes: p.taps.byteLength, before: (at) => view(engine.arena, p.taps!.constructor as typeof Int32Array, at, p.taps!.length).set(p.taps as Int32Array) } : none,
    scratch: scratch(stride * threads),
  };
  await bind(engine.arena, regions, (at) => {
    const common = {
      width: img.width, height: img.height, cn: img.channels,
      src: at.src, srcStride: img.stride * esz, dst: at.dst, dstStride: n * (p.kind === "u8" ? 1 : 4),
      kw, kh, border: p.border, constRow: at.constRow, value: p.value, rows, scratch: at.scratch, scratchStride: stride,
    };
    const solo = { solo: threads === 1 };
    if (p.op === "filtersBox") return engine.run("filtersBox", { ...common, ...(p.extra as { ax: number; ay: number; scale: number; delta: number; mul: number; narrow: boolean; thresh: number; threshDelta: number; maxValue: number }) }, [groups], solo);
    if (p.op === "filtersGauss") return engine.run("filtersGauss", { ...common, taps: at.taps }, [groups], solo);
    return engine.run("filtersSep", { ...common, taps: at.taps, ...(p.extra as { srcF32: boolean; thresh: number; threshDelta: number; maxValue: number }) }, [groups], solo);
  });
  return image;
}
