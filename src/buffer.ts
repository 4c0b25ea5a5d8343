// Device buffers: typed arrays that live in the context's memory, like OpenCL buffers.
// Ops read them and write into them without a copy, so data can stay in the memory
// from one op to the next. A buffer's `array` is a view of that memory: take it afresh
// after any call that may grow the memory (any op or allocation), and do not write to
// it while a call that uses the buffer is in flight.
import type { Arena } from "./memory.ts";

export type ElementArray = Uint8Array | Uint8ClampedArray | Int32Array | Float32Array | Float64Array;
export type ElementType<T extends ElementArray = ElementArray> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

export const ELEMENT_TYPES: readonly ElementType[] = [Uint8Array, Uint8ClampedArray, Int32Array, Float32Array, Float64Array];

export class DeviceBuffer<T extends ElementArray = ElementArray> {
  // Private fields, not TypeScript's `private`: a buffer's place in the memory, its owner
  // and its state cannot be changed from outside (a changed offset would let ops write
  // anywhere in the memory).
  readonly #arena: Arena;
  readonly #type: ElementType<T>;
  readonly #length: number;
  readonly #offset: number;
  #disposed = false;
  #uses = 0;
  #view: T | null = null;

  /** @internal Use Context.buffer(). */
  constructor(arena: Arena, type: ElementType<T>, length: number, offset: number) {
    this.#arena = arena;
    this.#type = type;
    this.#length = length;
    this.#offset = offset;
  }

  /** The element type, e.g. Uint8Array. */
  get type(): ElementType<T> {
    return this.#type;
  }

  /** Elements in the buffer. */
  get length(): number {
    return this.#length;
  }

  /** @internal Byte offset in the memory. */
  get offset(): number {
    return this.#offset;
  }

  /** A view of the buffer's elements in the context's memory (fresh after growth). */
  get array(): T {
    if (this.#disposed) throw new TypeError("simdcl: this buffer has been disposed");
    const memory = this.#arena.memory.buffer;
    if (!this.#view || this.#view.buffer !== memory) this.#view = new this.#type(memory, this.#offset, this.#length);
    return this.#view;
  }

  /** @internal The context this buffer belongs to. */
  belongsTo(arena: Arena): boolean {
    return arena === this.#arena;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Free the buffer's memory (once no queued call uses it any more). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#view = null;
    if (this.#uses === 0) this.#arena.release(this.#offset);
  }

  /** @internal Hold the memory while a queued call uses it. */
  retain(): void {
    this.#uses++;
  }

  /** @internal */
  unretain(): void {
    if (--this.#uses === 0 && this.#disposed) this.#arena.release(this.#offset);
  }
}

/** An f32 operand: an array, or a device buffer that stays in the context's memory. */
export type F32Operand = Float32Array | DeviceBuffer<Float32Array>;
