// cvtColor(): 8-bit colour conversions. Channel swaps, drops and an added alpha are byte
// shuffles, gray is OpenCV's fixed-point BT.601 weights (assembly/image/color.ts), and
// YUV 4:2:0 (I420, NV12: what VideoFrame.copyTo gives a page) is OpenCV's fixed-point
// BT.601 video-range conversion (assembly/image/color-yuv.ts). All bit-exact with
// OpenCV's cv.cvtColor.
import { checkInt, checkOptions, describe, deviceBuffers, oneOf } from "../../errors.ts";
import type { DeviceBuffer } from "../../buffer.ts";
import { HOST, bind, input, runAloneUnshared, type Engine, type OpHost } from "../../run.ts";
import { COLOR_ADD4, COLOR_DROP4, COLOR_EXPAND, COLOR_GRAY, COLOR_SWAP3, COLOR_SWAP4 } from "../schema.gen.ts";
import { checkImage, checkImageOutput, imageOutput, imageRows, type CheckedImage, type Image, type ImageShape, type U8Pixels, type ImageInput } from "./types.ts";
import { checkNotSource, imageCall, rowSplit } from "./color-common.ts";

/** Interleaved conversions: [source channels, output channels, kernel mode, R and B exchanged]. */
const INTERLEAVED = {
  RGBA2RGB: [4, 3, COLOR_DROP4, false],
  BGRA2BGR: [4, 3, COLOR_DROP4, false],
  RGBA2BGR: [4, 3, COLOR_DROP4, true],
  BGRA2RGB: [4, 3, COLOR_DROP4, true],
  RGB2RGBA: [3, 4, COLOR_ADD4, false],
  BGR2BGRA: [3, 4, COLOR_ADD4, false],
  BGR2RGBA: [3, 4, COLOR_ADD4, true],
  RGB2BGRA: [3, 4, COLOR_ADD4, true],
  RGB2BGR: [3, 3, COLOR_SWAP3, true],
  BGR2RGB: [3, 3, COLOR_SWAP3, true],
  RGBA2BGRA: [4, 4, COLOR_SWAP4, true],
  BGRA2RGBA: [4, 4, COLOR_SWAP4, true],
  RGBA2GRAY: [4, 1, COLOR_GRAY, false],
  BGRA2GRAY: [4, 1, COLOR_GRAY, true],
  RGB2GRAY: [3, 1, COLOR_GRAY, false],
  BGR2GRAY: [3, 1, COLOR_GRAY, true],
  GRAY2RGB: [1, 3, COLOR_EXPAND, false],
  GRAY2BGR: [1, 3, COLOR_EXPAND, false],
  GRAY2RGBA: [1, 4, COLOR_EXPAND, false],
  GRAY2BGRA: [1, 4, COLOR_EXPAND, false],
} as const;

/** YUV 4:2:0 conversions: [NV12 (else I420), output channels, BGR order]. */
const YUV = {
  I420_TO_RGBA: [false, 4, false],
  I420_TO_RGB: [false, 3, false],
  I420_TO_BGRA: [false, 4, true],
  I420_TO_BGR: [false, 3, true],
  NV12_TO_RGBA: [true, 4, false],
  NV12_TO_RGB: [true, 3, false],
  NV12_TO_BGRA: [true, 4, true],
  NV12_TO_BGR: [true, 3, true],
} as const;

export type ColorCode = keyof typeof INTERLEAVED | keyof typeof YUV;
const CODES = [...Object.keys(INTERLEAVED), ...Object.keys(YUV)];

/** Where one plane of a YUV picture lies in the data: VideoFrame.copyTo's PlaneLayout. */
export interface PlaneLayout {
  /** Elements from the data's start to the plane's first row. */
  offset: number;
  /** Elements from one row to the next. */
  stride: number;
}

export interface CvtColorOptions {
  /** Where to write the result (width·height·channels elements, rows dense). */
  out?: U8Pixels;
  /**
   * YUV sources only: where the planes lie (Y, U, V for I420; Y, UV for NV12), as
   * VideoFrame.copyTo resolves to. Default: packed one after the other, chroma planes of
   * ⌈width/2⌉ × ⌈height/2⌉ samples.
   */
  planes?: readonly PlaneLayout[];
}

const KNOWN = ["out", "planes"] as const;

type ColorPlan =
  | { kind: "interleaved"; src: CheckedImage; out: unknown; cn: number; dcn: number; mode: number; swap: boolean; buffers: DeviceBuffer[] }
  | { kind: "yuv"; data: U8Pixels; length: number; width: number; height: number; planes: PlaneLayout[]; nv12: boolean; out: unknown; dcn: number; swap: boolean; buffers: DeviceBuffer[] };

/**
 * Convert an 8-bit image's colours: `cvtColor(image, code, options?)` with an Image, or
 * `cvtColor(data, shape, code, options?)`. For YUV codes the shape is the picture's
 * width × height. Resolves to a u8 Image.
 */
export function cvtColor<T extends U8Pixels>(this: OpHost, src: ImageInput<U8Pixels>, code: ColorCode, options: CvtColorOptions & { out: T }): Promise<Image<T>>;
export function cvtColor(this: OpHost, src: ImageInput<U8Pixels>, code: ColorCode, options?: CvtColorOptions): Promise<Image<Uint8Array>>;
export function cvtColor<T extends U8Pixels>(this: OpHost, src: U8Pixels, shape: ImageShape, code: ColorCode, options: CvtColorOptions & { out: T }): Promise<Image<T>>;
export function cvtColor(this: OpHost, src: U8Pixels, shape: ImageShape, code: ColorCode, options?: CvtColorOptions): Promise<Image<Uint8Array>>;
export function cvtColor(this: OpHost, ...args: unknown[]): Promise<Image> {
  const { engine, call } = this[HOST];
  return call(() => planColor(engine, imageCall(args)), (plan) => runColor(engine, plan));
}

function planColor(engine: Engine, { data, shape, rest: [code, options] }: ReturnType<typeof imageCall>): ColorPlan {
  if (typeof code !== "string" || !CODES.includes(code)) throw new TypeError(`simdcl: cvtColor code must be ${oneOf(CODES)}, got ${describe(code)}`);
  const o = checkOptions("cvtColor options", options ?? {}, KNOWN);
  const buffers = deviceBuffers(data, o.out);
  checkNotSource("cvtColor", o.out, data);
  if (code in YUV) {
    const [nv12, dcn, swap] = YUV[code as keyof typeof YUV];
    const s = checkOptions("cvtColor src shape", shape, ["width", "height", "channels", "stride"]);
    const width = checkInt("cvtColor src width", s.width, 1, 2 ** 24);
    const height = checkInt("cvtColor src height", s.height, 1, 2 ** 24);
    if (s.channels !== undefined && s.channels !== 1) throw new RangeError(`simdcl: cvtColor src channels must be 1 (or left out) for ${code}, got ${describe(s.channels)}`);
    if (s.stride !== undefined) throw new TypeError(`simdcl: cvtColor src stride does not apply to ${code}: give the planes' offsets and strides in options.planes`);
    const planes = checkPlanes(o.planes, width, height, nv12);
    const u8 = checkImage(engine.arena, "cvtColor src", data, { width: 1, height: 1 }, ["u8"]).data as U8Pixels;
    const cw = Math.ceil(width / 2), ch = Math.ceil(height / 2);
    const extents = planes.map((_, i) => (i === 0 ? [height, width] : [ch, nv12 ? 2 * cw : cw]));
    const length = Math.max(...planes.map((p, i) => p.offset + (extents[i][0] - 1) * p.stride + extents[i][1]));
    if (u8.length < length) throw new RangeError(`simdcl: cvtColor src has ${u8.length} elements, needs at least ${length} for a ${width}×${height} ${nv12 ? "NV12" : "I420"} picture with these planes`);
    checkImageOutput(engine.arena, "cvtColor out", o.out, width, height, dcn, "u8");
    return { kind: "yuv", data: u8, length, width, height, planes, nv12, out: o.out, dcn, swap, buffers };
  }
  const [cn, dcn, mode, swap] = INTERLEAVED[code as keyof typeof INTERLEAVED];
  const withChannels = typeof shape === "object" && shape !== null && !("channels" in shape) ? { ...shape, channels: cn } : shape;
  const src = checkImage(engine.arena, "cvtColor src", data, withChannels, ["u8"]);
  if (src.channels !== cn) throw new RangeError(`simdcl: cvtColor src channels must be ${cn} for ${code}, got ${src.channels}`);
  checkImageOutput(engine.arena, "cvtColor out", o.out, src.width, src.height, dcn, "u8");
  return { kind: "interleaved", src, out: o.out, cn, dcn, mode, swap, buffers };
}

function checkPlanes(v: unknown, width: number, height: number, nv12: boolean): PlaneLayout[] {
  const count = nv12 ? 2 : 3;
  const cw = Math.ceil(width / 2), ch = Math.ceil(height / 2);
  const rowLength = (i: number) => (i === 0 ? width : nv12 ? 2 * cw : cw);
  if (v === undefined) {
    const y = width * height;
    return nv12 ? [{ offset: 0, stride: width }, { offset: y, stride: 2 * cw }] : [{ offset: 0, stride: width }, { offset: y, stride: cw }, { offset: y + cw * ch, stride: cw }];
  }
  if (!Array.isArray(v) || v.length !== count) throw new TypeError(`simdcl: cvtColor planes must be an array of ${count} { offset, stride } (${nv12 ? "Y, UV" : "Y, U, V"}), got ${describe(v)}`);
  return v.map((p, i) => {
    const q = checkOptions(() => `cvtColor planes[${i}]`, p, ["offset", "stride"]);
    return { offset: checkInt(() => `cvtColor planes[${i}].offset`, q.offset, 0), stride: checkInt(() => `cvtColor planes[${i}].stride`, q.stride, rowLength(i)) };
  });
}

async function runColor(engine: Engine, p: ColorPlan): Promise<Image> {
  const arena = engine.arena;
  // (From arrays, a channel shuffle or a few multiply-adds per byte: bound by the copies.)
  const moved = runAloneUnshared(engine, true, p.buffers, (own) => runColor(own, p));
  if (moved) return moved;
  const split = p.kind === "yuv" ? rowSplit(engine, p.height, p.width * (p.dcn + 2)) : rowSplit(engine, p.src.height, p.src.width * (p.cn + p.dcn));
  if (p.kind === "yuv") {
    const { image, binding } = imageOutput(arena, "cvtColor out", p.out, p.width, p.height, p.dcn, "u8");
    await bind(arena, { src: input(arena, p.data as Uint8Array, p.length, "cvtColor src"), dst: binding }, (at) => {
      const [y, u, v] = p.planes;
      const args = {
        width: p.width, height: p.height, y: at.src + y.offset, yStride: y.stride, u: at.src + u.offset,
        v: p.nv12 ? at.src + u.offset + 1 : at.src + v.offset, uvStride: u.stride, uvStep: p.nv12 ? 2 : 1,
        dst: at.dst, dstStride: p.width * p.dcn, dcn: p.dcn, swap: p.swap, rows: split.rows,
      };
      return engine.run("colorYuv", args, [split.groups], { solo: split.solo });
    });
    return image;
  }
  const { src } = p;
  const { image, binding } = imageOutput(arena, "cvtColor out", p.out, src.width, src.height, p.dcn, "u8");
  await bind(arena, { src: imageRows(arena, src), dst: binding }, (at) => {
    const args = {
      mode: p.mode, swap: p.swap, cn: p.cn, dcn: p.dcn, width: src.width, height: src.height,
      src: at.src, srcStride: src.stride, dst: at.dst, dstStride: src.width * p.dcn, rows: split.rows,
    };
    return engine.run("cvtColor", args, [split.groups], { solo: split.solo });
  });
  return image;
}
