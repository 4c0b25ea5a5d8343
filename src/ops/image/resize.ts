// resize(): nearest, bilinear, bicubic and area resampling with cv.resize's conventions
// and arithmetic, and PIL's (torchvision's) antialiased bilinear and bicubic. The
// coefficients come from resize-plan.ts; the kernel is assembly/image/resize.ts.
import { checkBool, checkInt, checkOptions, describe, deviceBuffers, oneOf, recheckLength } from "../../errors.ts";
import { DeviceBuffer, type ElementType } from "../../buffer.ts";
import type { Arena } from "../../memory.ts";
import { HOST, bind, input, rowBands, runAloneUnshared, scratch, threadsFor, view, type Binding, type Engine, type OpHost } from "../../run.ts";
import { RESIZE_COLUMNS_FIRST, RESIZE_FIXED, RESIZE_FIXED_LINEAR, RESIZE_FLOAT, RESIZE_NEAREST } from "../schema.gen.ts";
import { imageCall } from "./color-common.ts";
import { COEF_SCALE, foldAxis, resizeScheme, type Axis, type ResizeMethod } from "./resize-plan.ts";
import { checkImage, checkImageOutput, imageOutput, imageRows, type CheckedImage, type F32Pixels, type Image, type ImageShape, type Pixels, type U8Pixels, type ImageInput } from "./types.ts";

export type { ResizeMethod } from "./resize-plan.ts";
export type { Image, ImageInput, ImageShape, Pixels } from "./types.ts";

export interface ResizeOptions<O extends Pixels = Pixels> {
  /** Output width in pixels. */
  width: number;
  /** Output height in pixels. */
  height: number;
  /** "nearest", "bilinear" (default), "bicubic" or "area", as cv.resize's INTER_NEAREST, INTER_LINEAR, INTER_CUBIC, INTER_AREA. */
  method?: ResizeMethod;
  /**
   * Bilinear and bicubic: PIL's (torchvision's antialias=True) resampling, the filter
   * widened by the downscale factor so every source pixel counts. Default false.
   */
  antialias?: boolean;
  /** Where to write the width × height × channels result (rows dense): an array or a device buffer of the source's kind. */
  out?: O;
}

const KNOWN = ["width", "height", "method", "antialias", "out"] as const;
const METHODS = ["nearest", "bilinear", "bicubic", "area"] as const;
const MAX_SIDE = 2 ** 24;
/**
 * Taps below which the caller resizes alone (a dispatch costs more): an estimate, as for
 * integral's 2¹⁶ elements. A 224² RGBA gather (0.04 ms) stays on one thread.
 */
const SOLO_BELOW = 1 << 18;

interface ResizePlan {
  src: CheckedImage;
  width: number;
  height: number;
  method: ResizeMethod;
  antialias: boolean;
  /** Where the result goes (checked): undefined for a new array. */
  out: unknown;
  buffers: DeviceBuffer[];
}

/**
 * Resize an image (an Image such as a previous op's result, or its data followed by its
 * shape) to `width` × `height`. Resolves to an Image of the source's kind (8-bit or f32)
 * with the same channels, rows dense.
 */
export function resize<O extends Pixels>(this: OpHost, src: ImageInput, options: ResizeOptions<O> & { out: O }): Promise<Image<O>>;
export function resize(this: OpHost, src: ImageInput<U8Pixels>, options: ResizeOptions): Promise<Image<Uint8Array>>;
export function resize(this: OpHost, src: ImageInput<F32Pixels>, options: ResizeOptions): Promise<Image<Float32Array>>;
export function resize(this: OpHost, src: ImageInput, options: ResizeOptions): Promise<Image>;
export function resize<O extends Pixels>(this: OpHost, data: Pixels, shape: ImageShape, options: ResizeOptions<O> & { out: O }): Promise<Image<O>>;
export function resize(this: OpHost, data: U8Pixels, shape: ImageShape, options: ResizeOptions): Promise<Image<Uint8Array>>;
export function resize(this: OpHost, data: F32Pixels, shape: ImageShape, options: ResizeOptions): Promise<Image<Float32Array>>;
export function resize(this: OpHost, data: Pixels, shape: ImageShape, options: ResizeOptions): Promise<Image>;
export function resize(this: OpHost, ...args: unknown[]): Promise<Image> {
  const { engine, call } = this[HOST];
  return call(() => {
    const { data, shape, rest } = imageCall(args);
    return planResize(engine, data, shape, rest[0]);
  }, (plan) => runResize(engine, plan));
}

function planResize(engine: Engine, data: unknown, shape: unknown, options: unknown): ResizePlan {
  const src = checkImage(engine.arena, "resize src", data, shape);
  const o = checkOptions("resize options", options, KNOWN);
  const width = checkInt("resize width", o.width, 1, MAX_SIDE);
  const height = checkInt("resize height", o.height, 1, MAX_SIDE);
  const method = o.method === undefined ? "bilinear" : o.method;
  if (!(METHODS as readonly unknown[]).includes(method)) throw new TypeError(`simdcl: resize method must be ${oneOf(METHODS)}, got ${describe(method)}`);
  const antialias = checkBool("resize antialias", o.antialias, false);
  if (antialias && method !== "bilinear" && method !== "bicubic") {
    throw new TypeError(`simdcl: resize antialias applies to "bilinear" and "bicubic", got method ${describe(method)}`);
  }
  if (o.out !== undefined && o.out === src.data) throw new RangeError("simdcl: resize out must not be the source's data");
  checkImageOutput(engine.arena, "resize out", o.out, width, height, src.channels, src.esz === 1 ? "u8" : "f32");
  const buffers = deviceBuffers(src.data, o.out);
  return { src, width, height, method: method as ResizeMethod, antialias, out: o.out, buffers };
}

/**
 * The source rows the kernels read: a device buffer in place; from an array, the rows
 * from the first to the last sampled when that range is all sampled, else only the
 * sampled rows (`used`, ascending), packed. Returns the binding, its row stride in
 * bytes, and each row's index in the region.
 */
function sourceRows(arena: Arena, img: CheckedImage, used: Int32Array): { binding: Binding; stride: number; map: (r: number) => number } {
  const stride = img.stride * img.esz;
  if (img.data instanceof DeviceBuffer) return { binding: imageRows(arena, img), stride, map: (r) => r };
  const first = used[0], last = used[used.length - 1];
  if (used.length === last - first + 1) return { binding: imageRows(arena, img, first, last + 1), stride, map: (r) => r - first };
  const index = new Int32Array(img.height);
  used.forEach((r, i) => (index[r] = i));
  const rowElems = img.width * img.channels;
  const data = img.data as Uint8Array;
  const Type = data.constructor as ElementType<Uint8Array>;
  const binding: Binding = {
    bytes: used.length * rowElems * img.esz,
    before: (at) => {
      recheckLength(img.name, data, last * img.stride + rowElems); // it may have been detached or shrunk since the call was made
      const packed = view(arena, Type, at, used.length * rowElems);
      // One copy per run of consecutive rows (a 3× bilinear reads rows in pairs).
      for (let i = 0; i < used.length;) {
        let n = 1;
        while (i + n < used.length && used[i + n] === used[i] + n) n++;
        const r = used[i];
        if (n === 1 || img.stride === rowElems) packed.set(data.subarray(r * img.stride, (r + n - 1) * img.stride + rowElems), i * rowElems);
        else for (let k = 0; k < n; k++) packed.set(data.subarray((r + k) * img.stride, (r + k) * img.stride + rowElems), (i + k) * rowElems);
        i += n;
      }
    },
  };
  return { binding, stride: rowElems * img.esz, map: (r) => index[r] };
}

/** What the kernel reads besides the pixels: the mode, both axes' tables, the sampled source rows. */
interface Tables {
  mode: number;
  pairs: boolean;
  direct: boolean;
  kx: number;
  xofs: Int32Array;
  xw: Int32Array | Float32Array;
  ky: number;
  yrows: Int32Array;
  yw: Int32Array | Float32Array;
  used: Int32Array;
  post: number;
  roundUp: boolean;
  /** Scratch bytes per thread. */
  scratch: number;
}

/** Tables of recent geometries: a video resized frame after frame computes them once. */
const cache = new Map<string, Tables>();
const CACHED = 8;

function tablesFor(sw: number, sh: number, dw: number, dh: number, cn: number, esz: number, method: ResizeMethod, antialias: boolean): Tables {
  const key = [sw, sh, dw, dh, cn, esz, method, antialias].join();
  let t = cache.get(key);
  if (!t) {
    t = buildTables(sw, sh, dw, dh, cn, esz, method, antialias);
    if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, t);
  }
  return t;
}

function buildTables(sw: number, sh: number, dw: number, dh: number, cn: number, esz: number, method: ResizeMethod, antialias: boolean): Tables {
  const scheme = resizeScheme([sw, sh], [dw, dh], method, antialias, esz === 4, cn);
  // 8-bit sources with f32 arithmetic sum columns first: integer weights in 1/q units
  // (q = 1 for INTER_AREA's integer factors, whose sums are exact), the row weights divided by q.
  const unit = scheme.arithmetic === "float" ? 1 : COEF_SCALE;
  const copies = (a: Axis) => a.taps === 1 && a.weight.every((w) => w === unit);
  const columnsFirst = scheme.arithmetic === "float" && esz === 1 && !(copies(scheme.x) && copies(scheme.y));
  const mode = copies(scheme.x) && copies(scheme.y) && scheme.post === 1 ? RESIZE_NEAREST
    : columnsFirst ? RESIZE_COLUMNS_FIRST
    : scheme.arithmetic === "fixed-linear" ? RESIZE_FIXED_LINEAR : scheme.arithmetic === "fixed" ? RESIZE_FIXED : RESIZE_FLOAT;
  const q = columnsFirst && scheme.post === 1 ? COLUMN_SCALE : 1;
  // Horizontal: per four output values, their first taps' byte offsets (in the column
  // sums for columns first), and per tap their four weights.
  const x = foldAxis(scheme.x, sw);
  const values = dw * cn;
  const groups = Math.ceil(values / 4);
  const elem = columnsFirst ? 4 : esz;
  // 8-bit integer taps two at a time (one i16 dot product per pair) where a pair's bytes
  // load together: four channels (one pixel per group), or one (a 16-bit load per value).
  const pairs = esz === 1 && !columnsFirst && mode !== RESIZE_NEAREST && x.taps % 2 === 0 && (cn === 4 || cn === 1);
  const xofs = new Int32Array(groups * 4);
  const xw = new (x.weight.constructor as typeof Float32Array)(groups * x.taps * 4);
  const xw16 = new Int16Array(xw.buffer); // the pairs' layout, as bytes of xw
  for (let j = 0; j < values; j++) {
    const pixel = Math.floor(j / cn), g = j >> 2, lane = j & 3;
    xofs[j] = (x.start[pixel] * cn + (j % cn)) * elem;
    for (let k = 0; k < x.taps; k++) {
      const w = x.weight[pixel * x.taps + k] / q;
      if (pairs) xw16[(g * (x.taps >> 1) + (k >> 1)) * 8 + lane * 2 + (k & 1)] = w;
      else xw[(g * x.taps + k) * 4 + lane] = w;
    }
  }
  xofs.fill(xofs[0], values);
  const ky = scheme.y.taps;
  let yw = scheme.y.weight;
  if (columnsFirst) yw = Int32Array.from(yw, (w) => Math.round(w * q));
  const seen = new Uint8Array(sh);
  for (const r of scheme.y.index) seen[r] = 1;
  const used = new Int32Array(seen.reduce((n, s) => n + s, 0));
  for (let r = 0, i = 0; r < sh; r++) if (seen[r]) used[i++] = r;
  const head = Math.ceil((ky * 8 + 4) / 16) * 16 + ky * 16;
  const rows = columnsFirst ? Math.ceil((sw * cn * 4) / 16) * 16 + groups * 16 : ky * groups * 16;
  // No source row serves two output rows when rows shrink by 2 or more: RGBA bilinear then
  // resamples each output pixel from its two rows directly, without the ring.
  const direct = pairs && mode === RESIZE_FIXED_LINEAR && cn === 4 && x.taps === 2 && scheme.y.taps === 2 && sh >= 2 * dh;
  return { mode, pairs, direct, kx: x.taps, xofs, xw, ky, yrows: scheme.y.index, yw, used, post: scheme.post, roundUp: scheme.roundHalfUp, scratch: head + rows + 64 };
}

/** Column sums' weights are integers in 1/COLUMN_SCALE units (i16: up to 2 − 2⁻¹⁴). */
const COLUMN_SCALE = 2 ** 14;

async function runResize(engine: Engine, p: ResizePlan): Promise<Image> {
  const moved = runAloneUnshared(engine, () => resizeAlone(engine, p.src, p.width, p.height, p.method, p.antialias), p.buffers, (own) => runResize(own, p));
  if (moved) return moved;
  const { image, binding } = imageOutput(engine.arena, "resize out", p.out, p.width, p.height, p.src.channels, p.src.esz === 1 ? "u8" : "f32");
  await bind(engine.arena, { dst: binding }, (at) => resizeInto(engine, p.src, p.width, p.height, p.method, p.antialias, at.dst, p.width * p.src.channels * p.src.esz));
  return image;
}

/** Work in taps of output rows [y0, y1): a gather is one per output value; columns first sums every source value of ky rows. */
function resizeTaps(t: Tables, src: CheckedImage, width: number, y0: number, y1: number): number {
  const values = width * src.channels, dh = y1 - y0;
  return t.mode === RESIZE_NEAREST ? values * dh
    : t.mode === RESIZE_COLUMNS_FIRST ? dh * (src.width * src.channels * t.ky + values * t.kx) : values * dh * (t.kx + t.ky);
}

/**
 * Taps per byte copied (the sampled source rows in, the result out) below which a resize
 * from arrays is bound by its copies: measured between 0.6 (bilinear and area shrinks, no
 * faster on two threads) and 0.8 (bicubic by a third, faster).
 */
const COPY_BOUND_TAPS_PER_BYTE = 0.7;

/**
 * @internal Whether resizing `src` (output rows [y0, y1)) runs alone from arrays (see
 * runAloneUnshared): too little work to split, or bound by its copies, under `tapsPerByte`
 * taps per byte copied (`outBytes` copied out: by default the image's; a fused op's own).
 * An area shrink is too: its taps, sums of whole source rows, cost less than others
 * (1920×1080 to 224² ran 0.76× on two threads).
 */
export function resizeAlone(
  engine: Engine, src: CheckedImage, width: number, height: number, method: ResizeMethod, antialias: boolean,
  { y0 = 0, y1 = height, outBytes = width * (y1 - y0) * src.channels * src.esz, tapsPerByte = COPY_BOUND_TAPS_PER_BYTE }: { y0?: number; y1?: number; outBytes?: number; tapsPerByte?: number } = {},
): boolean {
  if (method === "area" && width * height <= src.width * src.height) return true;
  const t = tablesFor(src.width, src.height, width, height, src.channels, src.esz, method, antialias);
  const taps = resizeTaps(t, src, width, y0, y1);
  const copied = t.used.length * src.width * src.channels * src.esz + outBytes;
  return taps < tapsPerByte * copied || threadsFor(engine, taps, SOLO_BELOW) === 1;
}

/**
 * @internal Resize `src` to width × height and write output rows [y0, y1) at byte offset
 * `dstAt`, rows `dstStride` bytes apart (within a larger image, such as preprocess()'s
 * canvas). Only the source rows those output rows sample are read (copied in from arrays).
 */
export async function resizeInto(
  engine: Engine, src: CheckedImage, width: number, height: number, method: ResizeMethod, antialias: boolean,
  dstAt: number, dstStride: number, y0 = 0, y1 = height,
): Promise<void> {
  const cn = src.channels;
  const esz = src.esz;
  const t = tablesFor(src.width, src.height, width, height, cn, esz, method, antialias);
  const values = width * cn;
  const dh = y1 - y0;
  // The window's rows of the vertical tables, and the source rows they sample.
  const windowRows = t.yrows.subarray(y0 * t.ky, y1 * t.ky);
  const yw = t.yw.subarray(y0 * t.ky, y1 * t.ky);
  const used = y0 === 0 && y1 === height ? t.used : Int32Array.from(new Set(windowRows)).sort();
  const rows = sourceRows(engine.arena, src, used);
  const yrows = windowRows.map(rows.map);
  const threads = threadsFor(engine, resizeTaps(t, src, width, y0, y1), SOLO_BELOW);
  const bands = rowBands(threads, dh);
  const regions = {
    src: rows.binding,
    xofs: input(engine.arena, t.xofs, t.xofs.length, "resize columns"),
    xw: input(engine.arena, t.xw, t.xw.length, "resize column weights"),
    yrows: input(engine.arena, yrows, yrows.length, "resize rows"),
    yw: input(engine.arena, yw, yw.length, "resize row weights"),
    scratch: scratch(t.scratch * (threads === 1 ? 1 : engine.threads)),
  };
  await bind(engine.arena, regions, (at) => {
    const args = {
      mode: t.mode, cn, srcF32: esz === 4, dstF32: esz === 4,
      src: at.src, srcStride: rows.stride, dst: dstAt, dstStride, values, srcValues: src.width * cn, dh,
      kx: t.kx, xofs: at.xofs, xw: at.xw, pairs: t.pairs, direct: t.direct, ky: t.ky, yrows: at.yrows, yw: at.yw,
      post: t.post, roundUp: t.roundUp, rows: bands.rows,
      scratch: at.scratch, scratchStride: t.scratch,
    };
    return engine.run("resize", args, [bands.groups], { solo: threads === 1 });
  });
}
