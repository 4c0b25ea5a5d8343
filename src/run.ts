// The generic op runner: what every op's plan module uses to run its kernels.
// - Host: what a Context gives an op (the engine, and the queue its calls run in order in).
// - bind(): a call's regions by name: operands (a device buffer in place, or a typed array
//   copied in and, for outputs, back out) and scratch, carved from one arena allocation.
// - threadsFor() and fitBlock(): how much of the machine a job uses, and how small its
//   blocks must be so that every thread gets a few of them.
import type { Arena } from "./memory.ts";
import type { RunOptions } from "./pool.ts";
import { DeviceBuffer, type ElementArray, type ElementType } from "./buffer.ts";
import { recheckLength } from "./errors.ts";
import type { KernelConfig, OpArgs, OpName } from "./ops/schema.gen.ts";

export interface Engine {
  readonly arena: Arena;
  /** Threads a job runs on, the caller included. */
  readonly threads: number;
  /** The kernel variants its module runs (the plans of some ops depend on them). */
  readonly kernels: Readonly<KernelConfig>;
  /** Bytes an op may keep prepared between calls (conv2d's weight cache); 0: none. */
  readonly cacheBytes: number;
  /** An op's state kept with the context (caches), made by `make` on first use. */
  state<T>(key: symbol, make: () => T): T;
  /** Run one job of `op`: its arguments, and the work-groups of each phase. */
  run<K extends OpName>(op: K, args: OpArgs[K], phases: number[], options?: RunOptions): Promise<void>;
  /**
   * Run one job on the calling thread alone: nothing when it was done at once (every Worker
   * out of the last job), else a promise, as run() with `solo`.
   */
  runSolo<K extends OpName>(op: K, args: OpArgs[K], phases: number[]): Promise<void> | void;
  /**
   * On a context with Workers: an engine on the calling thread over an unshared memory of
   * its own (the single build), for calls that run on the caller alone from arrays. V8
   * copies into shared memory a word at a time, into unshared memory with memmove, and
   * such a call is copies as much as kernels. Made on first use (then a promise), with
   * its own weight cache; null where there is none (no Workers, a module handed in, or the
   * single build could not be loaded).
   */
  unshared(): Engine | Promise<Engine | null> | null;
}

/** What a Context gives its op methods. */
export interface Host {
  readonly engine: Engine;
  /**
   * Validate now (errors reject before any byte moves), run once earlier calls are done.
   * The plan's `buffers` (device buffers it uses), if any, are held until the call settles.
   */
  call<P, R>(plan: () => P, run: (plan: P) => Promise<R>): Promise<R>;
}

/** @internal The key under which a Context holds its Host. */
export const HOST: unique symbol = Symbol("simdcl.host") as typeof HOST;

/** @internal What an op method's `this` is: a Context. */
export interface OpHost {
  readonly [HOST]: Host;
}

// --- Regions ---

type Operand = ElementArray | DeviceBuffer;

/** One region of a call: arena bytes (0: none, or used in place), and what to do around the kernels. */
export interface Binding {
  /** Bytes to allocate; 0 when the region is a device buffer used in place, or not needed. */
  bytes: number;
  /** Used in place of an allocation. */
  device?: DeviceBuffer | null;
  /** With `device`: the region starts this many bytes into it. */
  offset?: number;
  /** Before the kernels: fill the region (at: its byte offset). */
  before?: (at: number) => void | Promise<void>;
  /** After the kernels: read the region out. */
  after?: (at: number) => void | Promise<void>;
}

/** Bytes from which a new result array skips the zero-fill (well above Buffer's 4 KiB pool slices). */
const UNFILLED_FROM = 64 << 10;
/** Node's and Bun's Buffer.allocUnsafe, where there is one. */
const allocUnsafe: ((size: number) => Uint8Array) | undefined = (globalThis as { Buffer?: { allocUnsafe?: (size: number) => Uint8Array } }).Buffer?.allocUnsafe;

/**
 * A new array of `length` floats for a call's result, which the call writes whole (its copy
 * out covers every element). From UNFILLED_FROM bytes, where Buffer.allocUnsafe exists, it
 * skips the zero-fill of `new Float32Array` that the copy would overwrite at once: a fifth
 * to a third of a new array's cost (docs/decisions/new-arrays.md). Its ArrayBuffer is its
 * own, as `new` gives.
 */
export function newResult(length: number): Float32Array {
  const bytes = length * 4;
  if (allocUnsafe && bytes >= UNFILLED_FROM) {
    const b = allocUnsafe(bytes);
    if (b.byteOffset === 0 && b.buffer.byteLength === bytes) return new Float32Array(b.buffer, 0, length);
  }
  return new Float32Array(length);
}

/** A view of `length` elements of `type` at byte offset `at` (taken when needed: the memory may grow). */
export function view<T extends ElementArray>(arena: Arena, type: ElementType<T>, at: number, length: number): T {
  return arena.view(type, at, length);
}

const typeOf = (x: ElementArray) => x.constructor as ElementType;

/** Scratch memory of `bytes` bytes. */
export const scratch = (bytes: number): Binding => ({ bytes });

/** No region: offset 0 (a kernel reads 0 as "none"). */
export const none: Binding = { bytes: 0 };

/**
 * An operand the kernels read: a device buffer in place, or `length` elements of an array
 * copied in. The array's length is checked again as it is copied: it may have been
 * detached or shrunk since the call was made (`name` says which operand in the error).
 */
export function input(arena: Arena, x: Operand | null | undefined, length: number, name: string): Binding {
  if (!x) return none;
  if (x instanceof DeviceBuffer) return { bytes: 0, device: x };
  return {
    bytes: length * x.BYTES_PER_ELEMENT,
    before: (at) => {
      recheckLength(name, x, length);
      view(arena, typeOf(x), at, length).set(x.subarray(0, length));
    },
  };
}

/**
 * An operand the kernels write: a device buffer in place, or a region whose `length`
 * elements are copied out to the array afterwards (and in first, with `read`).
 */
export function output(arena: Arena, x: Operand, length: number, name: string, { read = false } = {}): Binding {
  if (x instanceof DeviceBuffer) return { bytes: 0, device: x };
  const type = typeOf(x);
  return {
    bytes: length * x.BYTES_PER_ELEMENT,
    before: (at) => {
      recheckLength(name, x, length);
      if (read) view(arena, type, at, length).set(x.subarray(0, length));
    },
    after: (at) => {
      recheckLength(name, x, length);
      x.set(view(arena, type, at, length));
    },
  };
}

/**
 * Allocate a call's regions (one arena allocation, released when `fn` settles), fill the
 * inputs, run `fn` with every region's byte offset, then read the outputs out.
 */
export async function bind<N extends string, R>(
  arena: Arena,
  bindings: Record<N, Binding>,
  fn: (at: Record<N, number>) => Promise<R>,
): Promise<R> {
  const names: N[] = [];
  const list: Binding[] = [];
  const sizes: number[] = [];
  for (const n in bindings) {
    const b = bindings[n];
    names.push(n);
    list.push(b);
    sizes.push(b.device ? 0 : b.bytes);
  }
  const { base, offsets } = arena.carve(sizes);
  try {
    const at = {} as Record<N, number>;
    for (let i = 0; i < names.length; i++) {
      const b = list[i];
      at[names[i]] = b.device ? b.device.offset + (b.offset ?? 0) : offsets[i];
    }
    // Await only what returns a promise: a small call's regions would cost a microtask each.
    for (let i = 0; i < list.length; i++) {
      const done = list[i].before?.(at[names[i]]);
      if (done) await done;
    }
    const result = await fn(at);
    for (let i = 0; i < list.length; i++) {
      const done = list[i].after?.(at[names[i]]);
      if (done) await done;
    }
    return result;
  } finally {
    if (base) arena.release(base);
  }
}

// --- The thread split ---

/** Work-groups each thread should get at least, so that dynamic claiming can balance. */
export const GROUPS_PER_THREAD = 4;

/** Threads a job of `work` units runs on: the caller alone below `soloBelow` (a dispatch costs more). */
export function threadsFor(engine: Engine, work: number, soloBelow: number): number {
  return engine.threads === 1 || work < soloBelow ? 1 : engine.threads;
}

/**
 * A call that uses no device buffer, on a context with Workers, moves to the caller's
 * unshared engine (Engine.unshared) when it is `alone` (a test, where it costs something to
 * make, is asked only where the call could move): it runs on the caller alone anyway,
 * or it is bound by its copies, which that engine makes with memmove where V8 11 copies
 * into shared memory a word at a time (measured in docs/decisions/solo-thresholds.md: such
 * calls ran slower on two threads than on one). Returns `run` on that engine, or null where
 * the call stays (no such engine, not alone, or it uses the context's memory) and splits
 * as its plan says. Every op whose plan can run alone from arrays asks here first, before
 * it allocates anything.
 */
export function runAloneUnshared<R>(
  engine: Engine, alone: boolean | (() => boolean), buffers: readonly DeviceBuffer[], run: (own: Engine) => Promise<R>,
): Promise<R> | null {
  if (engine.threads === 1 || buffers.length > 0) return null;
  if (!(typeof alone === "function" ? alone() : alone)) return null;
  const own = engine.unshared();
  if (own === null) return null;
  // (Made on this first call: if it could not be, the call runs here; asked again, the
  // context answers null at once, so `run` does not come back.)
  return own instanceof Promise ? own.then((e) => run(e ?? engine)) : run(own);
}

/** Rows per work-group when `rows` rows are split into bands for `threads` threads, and the groups. */
export function rowBands(threads: number, rows: number): { rows: number; groups: number } {
  const band = threads === 1 ? rows : Math.max(1, Math.ceil(rows / (GROUPS_PER_THREAD * threads)));
  return { rows: band, groups: Math.ceil(rows / band) };
}

/** Whether `groups` work-groups give each of `threads` threads enough of them. */
export function enoughGroups(threads: number, groups: number): boolean {
  return threads === 1 || groups >= GROUPS_PER_THREAD * threads;
}

/** Half of `size`, rounded up to a multiple of `unit`. */
export const halve = (size: number, unit: number) => Math.ceil(size / 2 / unit) * unit;

/**
 * The block size, halved from `size` (in multiples of `unit`) while it is above `min`,
 * until every thread gets enough groups; `groups(size)` counts them.
 */
export function fitBlock(threads: number, size: number, min: number, unit: number, groups: (size: number) => number): number {
  while (!enoughGroups(threads, groups(size)) && size > min) size = halve(size, unit);
  return size;
}
