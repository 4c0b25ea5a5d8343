// What the colour, geometry and normalisation ops share: their two call forms, the row
// split of a job over threads, and the check that an output is not its own source.
import { DeviceBuffer } from "../../buffer.ts";
import { rowBands, threadsFor, type Engine } from "../../run.ts";
import { asImage, type ImageShape } from "./types.ts";

/** Bytes touched below which the caller runs a job alone (integral's measured break-even for a copy). */
const SOLO_BELOW = 1 << 16;

/**
 * The (image, …rest) and (data, shape, …rest) call forms as one: the data, its shape, and
 * the arguments after them.
 */
export function imageCall(args: unknown[]): { data: unknown; shape: unknown; rest: unknown[] } {
  const img = asImage(args[0]);
  if (img) {
    const shape: ImageShape = { width: img.width, height: img.height, channels: img.channels, stride: img.stride };
    return { data: img.data, shape, rest: args.slice(1) };
  }
  return { data: args[0], shape: args[1], rest: args.slice(2) };
}

/** Rows per work-group and the groups of a job over `height` rows of `rowBytes` bytes touched each. */
export function rowSplit(engine: Engine, height: number, rowBytes: number): { rows: number; groups: number; solo: boolean } {
  const threads = threadsFor(engine, height * rowBytes, SOLO_BELOW);
  return { ...rowBands(threads, height), solo: threads === 1 };
}

/** An `out` device buffer must not be the source buffer: the kernels read and write them in one pass. */
export function checkNotSource(op: string, out: unknown, src: unknown): void {
  if (out !== undefined && out instanceof DeviceBuffer && out === src) throw new RangeError(`simdcl: ${op} out must not be the source buffer`);
}
