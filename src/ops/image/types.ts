// Images as the image ops take and return them: interleaved pixels of 1 to 4 channels,
// rows `stride` elements apart (a region of a larger image is read in place), 8-bit or
// f32. A result is an Image too, so it goes straight into the next op.
import { checkInt, checkOptions, describe, recheckLength } from "../../errors.ts";
import { DeviceBuffer, type ElementType } from "../../buffer.ts";
import type { Arena } from "../../memory.ts";
import { view, type Binding } from "../../run.ts";

/** 8-bit pixels (ImageData's Uint8ClampedArray included) or f32, in an array or a device buffer. */
export type U8Pixels = Uint8Array | Uint8ClampedArray | DeviceBuffer<Uint8Array> | DeviceBuffer<Uint8ClampedArray>;
export type F32Pixels = Float32Array | DeviceBuffer<Float32Array>;
export type Pixels = U8Pixels | F32Pixels;

/** What an image's data holds: its size, channels (default 1) and row stride in elements (default width·channels). */
export interface ImageShape {
  width: number;
  height: number;
  channels?: number;
  stride?: number;
}

/** An image as ops take it: its data and shape together (channels default 1, stride a row). */
export type ImageInput<T extends Pixels = Pixels> = { data: T } & ImageShape;

export interface Image<T extends Pixels = Pixels> {
  data: T;
  width: number;
  height: number;
  channels: number;
  /** Elements from one row's start to the next's. */
  stride: number;
}

/** An image argument, checked: its element size and the bytes from row to row. */
export interface CheckedImage extends Image {
  /** Bytes per element: 1 (8-bit) or 4 (f32). */
  esz: 1 | 4;
  /** The argument's name, for errors found when the call runs. */
  name: string;
}

const MAX_SIDE = 2 ** 24;

/** An image handed in whole ({ data, width, height, … }), or null for the (data, shape, …) form. */
export function asImage(v: unknown): Image | null {
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || v instanceof DeviceBuffer || !("data" in v) || !("width" in v)) return null;
  return v as Image;
}

/** The element size of pixel data, or 0 when it is not pixel data. */
function elementSize(data: unknown): 0 | 1 | 4 {
  const type = data instanceof DeviceBuffer ? data.type : ArrayBuffer.isView(data) ? data.constructor : null;
  if (type === Uint8Array || type === Uint8ClampedArray || data instanceof Uint8Array) return 1;
  if (type === Float32Array) return 4;
  return 0;
}

/**
 * Check an image argument: pixel data of an allowed kind (`u8`, `f32`), a positive size,
 * 1 to 4 channels, a stride of at least a row, and enough elements for the last row.
 */
export function checkImage(arena: Arena, name: string, data: unknown, shape: unknown, kinds: readonly ("u8" | "f32")[] = ["u8", "f32"]): CheckedImage {
  const esz = elementSize(data);
  const kind = esz === 1 ? "u8" : esz === 4 ? "f32" : null;
  if (!kind || !kinds.includes(kind)) {
    const allowed = kinds.map((k) => (k === "u8" ? "a Uint8Array or Uint8ClampedArray" : "a Float32Array")).join(" or ");
    throw new TypeError(`simdcl: ${name} must be ${allowed} (or a device buffer of one), got ${describe(data)}`);
  }
  if (data instanceof DeviceBuffer) {
    if (data.isDisposed) throw new TypeError(`simdcl: ${name} is a disposed buffer`);
    if (!data.belongsTo(arena)) throw new RangeError(`simdcl: ${name} belongs to another context`);
  }
  const s = checkOptions(() => `${name} shape`, shape, ["width", "height", "channels", "stride"]);
  const width = checkInt(() => `${name} width`, s.width, 1, MAX_SIDE);
  const height = checkInt(() => `${name} height`, s.height, 1, MAX_SIDE);
  const channels = s.channels === undefined ? 1 : checkInt(() => `${name} channels`, s.channels, 1, 4);
  const stride = s.stride === undefined ? width * channels : checkInt(() => `${name} stride`, s.stride, width * channels);
  const needed = (height - 1) * stride + width * channels;
  const length = (data as { length: number }).length;
  if (length < needed) {
    throw new RangeError(`simdcl: ${name} has ${length} elements, needs at least ${needed} for ${width}×${height}×${channels} with stride ${stride}`);
  }
  return { data: data as Pixels, width, height, channels, stride, esz: esz as 1 | 4, name };
}

/**
 * Rows [y0, y1) of an image for the kernels: a device buffer in place, or those rows of an
 * array copied in (only what the kernels read). The region's offset is that of row y0.
 */
export function imageRows(arena: Arena, img: CheckedImage, y0 = 0, y1 = img.height): Binding {
  const rowBytes = img.stride * img.esz;
  if (img.data instanceof DeviceBuffer) return { bytes: 0, device: img.data, offset: y0 * rowBytes };
  const data = img.data;
  const first = y0 * img.stride;
  const length = (y1 - y0 - 1) * img.stride + img.width * img.channels;
  const Type = data.constructor as ElementType<Uint8Array>;
  return {
    bytes: length * img.esz,
    before: (at) => {
      recheckLength(img.name, data, first + length); // it may have been detached or shrunk since the call was made
      view(arena, Type, at, length).set(data.subarray(first, first + length) as Uint8Array);
    },
  };
}

/** An op's `out` image (undefined: a new array), checked as imageOutput() will take it, when the call is made. */
export function checkImageOutput(arena: Arena, name: string, out: unknown, width: number, height: number, channels: number, kind: "u8" | "f32"): void {
  if (out === undefined) return;
  const length = width * height * channels;
  const esz = elementSize(out);
  if (esz !== (kind === "u8" ? 1 : 4)) {
    throw new TypeError(`simdcl: ${name} must be ${kind === "u8" ? "a Uint8Array or Uint8ClampedArray" : "a Float32Array"} (or a device buffer of one) for this call, got ${describe(out)}`);
  }
  if (out instanceof DeviceBuffer) {
    if (out.isDisposed) throw new TypeError(`simdcl: ${name} is a disposed buffer`);
    if (!out.belongsTo(arena)) throw new RangeError(`simdcl: ${name} belongs to another context`);
  }
  const have = (out as { length: number }).length;
  if (have < length) throw new RangeError(`simdcl: ${name} has ${have} elements, needs at least ${length} (${width}×${height}×${channels})`);
}

/**
 * Where an op writes an image of width×height×channels (rows dense): `out` (a device buffer
 * in place, or an array copied into), or a new array of the kind asked for. The op checked
 * `out` with checkImageOutput when the call was made.
 */
export function imageOutput(arena: Arena, name: string, out: unknown, width: number, height: number, channels: number, kind: "u8" | "f32"): { image: Image; binding: Binding } {
  const length = width * height * channels;
  const Type = kind === "u8" ? Uint8Array : Float32Array;
  // Checked when the call was made (checkImageOutput); an array may have been detached or
  // shrunk since.
  if (out !== undefined && !(out instanceof DeviceBuffer)) recheckLength(name, out as Pixels, length);
  const data = out === undefined ? new Type(length) : (out as Pixels);
  const image: Image = { data, width, height, channels, stride: width * channels };
  if (data instanceof DeviceBuffer) return { image, binding: { bytes: 0, device: data } };
  const array = data;
  const ViewType = array.constructor as ElementType<Uint8Array>;
  const after = (at: number) => {
    recheckLength(name, array, length);
    (array as Uint8Array).set(view(arena, ViewType, at, length));
  };
  return { image, binding: { bytes: length * (kind === "u8" ? 1 : 4), after } };
}
