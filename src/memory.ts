// The arena: who owns which bytes of the (shared) WebAssembly memory.
//
// The bottom CONTROL_BYTES hold the job descriptor. Above them, regions are handed
// out first-fit from a sorted free list, 64-byte aligned (a cache line, and more than
// any v128 needs), each followed by at least 64 spare bytes so kernels may read or
// write whole vectors past their last element. The memory grows on demand up to its
// maximum; the views are rebuilt after growth, which only the arena does.
import { CONTROL_BYTES } from "./job.ts";

const PAGE = 65536;
const ALIGN = 64;
const OVERHANG = 64;

interface Span {
  start: number;
  size: number;
}

const mib = (n: number) => (n / 2 ** 20).toFixed(1);

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Bytes a region of `bytes` takes with its alignment and overhang (to carve several from one). */
export const regionBytes = (bytes: number) => alignUp(bytes + OVERHANG, ALIGN);

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  /** Whether the memory is shared (it then never detaches its views when it grows). */
  readonly shared: boolean;
  /** What errors call this memory: the context's, or its second one for calls alone. */
  readonly label: string;
  private free: Span[];
  private used = new Map<number, number>();
  private views: { u8: Uint8Array; i32: Int32Array; f32: Float32Array; f64: Float64Array } | null = null;

  constructor(memory: WebAssembly.Memory, maxPages: number, label = "the context's memory") {
    this.memory = memory;
    this.label = label;
    this.maxBytes = maxPages * PAGE;
    this.shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    this.free = [{ start: CONTROL_BYTES, size: memory.buffer.byteLength - CONTROL_BYTES }];
  }

  /** Views of the whole memory, rebuilt after growth (only the arena grows the memory). */
  get u8(): Uint8Array { return this.fresh().u8; }
  get i32(): Int32Array { return this.fresh().i32; }
  get f32(): Float32Array { return this.fresh().f32; }
  get f64(): Float64Array { return this.fresh().f64; }

  /**
   * `length` elements of `type` at byte offset `at`: a subarray of a cached view of the
   * memory (creating a view on the memory's buffer costs more than a small call's work).
   */
  view<T extends ArrayBufferView>(type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number }, at: number, length: number): T {
    const v = this.fresh();
    const whole = (type as unknown) === Float32Array ? v.f32 : (type as unknown) === Uint8Array ? v.u8 : (type as unknown) === Int32Array ? v.i32 : (type as unknown) === Float64Array ? v.f64 : null;
    if (!whole) return new type(this.memory.buffer, at, length);
    const first = at / type.BYTES_PER_ELEMENT;
    return whole.subarray(first, first + length) as unknown as T;
  }

  private fresh() {
    if (!this.views) {
      const buffer = this.memory.buffer;
      this.views = {
        u8: new Uint8Array(buffer),
        i32: new Int32Array(buffer),
        f32: new Float32Array(buffer),
        f64: new Float64Array(buffer),
      };
    }
    return this.views;
  }

  /** Bytes in use, for tests and diagnostics. */
  get bytesInUse(): number {
    let n = 0;
    for (const size of this.used.values()) n += size;
    return n;
  }

  /**
   * Refuse a call whose regions alone could never fit the memory's maximum, before any
   * result array is allocated for it (a 65536² gemm would allocate 16 GiB first).
   * `what()` names the op and what the bytes are for (built only for the error).
   */
  checkFits(what: () => string, bytes: number): void {
    if (bytes + CONTROL_BYTES <= this.maxBytes) return;
    throw new RangeError(
      `simdcl: ${what()} needs ${mib(bytes)} MiB of ${this.label}, but that memory is at most ${mib(this.maxBytes)} MiB ` +
        `(createContext({ maxMemoryMiB }) raises it, up to 4096)`,
    );
  }

  /** A region of at least `bytes` bytes; returns its byte offset. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 0) + OVERHANG, ALIGN);
    let i = this.free.findIndex((s) => s.size >= size);
    if (i < 0) {
      this.grow(size);
      i = this.free.findIndex((s) => s.size >= size);
    }
    const span = this.free[i];
    const start = span.start;
    span.start += size;
    span.size -= size;
    if (span.size === 0) this.free.splice(i, 1);
    this.used.set(start, size);
    return start;
  }

  release(offset: number): void {
    const size = this.used.get(offset);
    if (size === undefined) throw new Error(`simdcl: internal error, region ${offset} is not allocated`);
    this.used.delete(offset);
    let i = this.free.findIndex((s) => s.start > offset);
    if (i < 0) i = this.free.length;
    // Merge with the neighbours so space does not fragment. (A call's region, carved from
    // the front of a free span, usually just gives that span its bytes back.)
    const prev = this.free[i - 1];
    const next = this.free[i];
    const joinsPrev = prev !== undefined && prev.start + prev.size === offset;
    const joinsNext = next !== undefined && offset + size === next.start;
    if (joinsPrev && joinsNext) {
      prev.size += size + next.size;
      this.free.splice(i, 1);
    } else if (joinsPrev) prev.size += size;
    else if (joinsNext) {
      next.start = offset;
      next.size += size;
    } else this.free.splice(i, 0, { start: offset, size });
  }

  /**
   * Several regions carved from one allocation, each aligned and with its own overhang:
   * one alloc and one release per call rather than one per region (half of a small
   * call's overhead went to the free list). A size of 0 means the region is not needed:
   * it gets offset 0 and no memory. Release them all with release(base) unless base is 0.
   */
  carve(sizes: number[]): { base: number; offsets: number[] } {
    const offsets = new Array<number>(sizes.length);
    let total = 0;
    for (let i = 0; i < sizes.length; i++) total += sizes[i] > 0 ? regionBytes(sizes[i]) : 0;
    if (total === 0) return { base: 0, offsets: offsets.fill(0) };
    const base = this.alloc(total - OVERHANG); // alloc adds the last region's overhang back
    let at = base;
    for (let i = 0; i < sizes.length; i++) {
      offsets[i] = sizes[i] > 0 ? at : 0;
      at += sizes[i] > 0 ? regionBytes(sizes[i]) : 0;
    }
    return { base, offsets };
  }

  // Grow so that a free span at the end can hold `size` bytes.
  private grow(size: number): void {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tailFree = last && last.start + last.size === end ? last.size : 0;
    const needed = alignUp(end + size - tailFree, PAGE);
    if (needed > this.maxBytes) {
      throw new RangeError(
        `simdcl: this call needs ${mib(size)} MiB more memory, but ${this.label} is ${mib(end)} MiB ` +
          `of at most ${mib(this.maxBytes)} MiB (createContext({ maxMemoryMiB }) raises it, up to 4096)`,
      );
    }
    const pages = (needed - end) / PAGE;
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new RangeError(`simdcl: could not grow the memory by ${pages} pages: ${(e as Error).message}`);
    }
    this.views = null;
    if (tailFree) last.size += needed - end;
    else this.free.push({ start: end, size: needed - end });
  }
}
