// createContext(): load the kernels, make the memory, start the Workers; and the
// Context that queues each call's job so that calls never interleave.
import { checkInt, checkNumber, checkOptions, describe } from "./errors.ts";
import * as J from "./job.ts";
import { Arena } from "./memory.ts";
import { DeviceBuffer, ELEMENT_TYPES, type ElementArray, type ElementType, type F32Operand } from "./buffer.ts";
import { planIntegral, runIntegral, type IntegralOptions, type IntegralOut, type IntegralResult, type IntegralSource } from "./ops/integral.ts";
import type { Engine } from "./ops/engine.ts";
import { planLayout, runLayout, type PlainLayout, type Shape4 } from "./ops/layout.ts";
import { PackedMatrix, planGemm, planPackB, runGemm, runPackB, type GemmOptions, type PackBOptions } from "./ops/gemm.ts";
import { PackedConv, planConv2d, planPackConv, runConv2d, runPackConv, type Conv2dOptions, type Conv2dResult, type PackConvOptions } from "./ops/conv2d.ts";
import { hardwareThreads, startWorker, threadingUnavailable, type PlatformWorker } from "./platform.ts";
import { BEAT_MS, BUSY0, HEARTBEAT0, MAX_SPIN_MS, MAX_THREADS, MIN_STALL_TIMEOUT_MS, Pool, SLICE_MS } from "./pool.ts";
import { compileVariant, hasRelaxedSimd, importsSharedMemory, type Variant } from "./wasm.ts";

export interface ContextOptions {
  /** Threads to run on, the caller included. Default: the machine's cores. */
  threads?: number;
  /**
   * A compiled simdcl module (dist/simdcl*.wasm), for runtimes that forbid compiling
   * Wasm from bytes (Cloudflare Workers, Vercel Edge). Default: the embedded build.
   */
  module?: WebAssembly.Module;
  /** Largest the memory may grow, in MiB (1 to 4096; the first 64 KiB hold control words). Default 4096. */
  maxMemoryMiB?: number;
  /**
   * How long a waiting Worker spins before it sleeps, in ms (0 to 100). Default 1. The
   * calling thread spins at most 1 ms at a time whatever this says, then sleeps without
   * blocking its event loop.
   */
  spinMs?: number;
  /** A call fails if a phase makes no progress for this long, in ms (at least 100). Default 30000. */
  stallTimeoutMs?: number;
}

const KNOWN = ["threads", "module", "maxMemoryMiB", "spinMs", "stallTimeoutMs"] as const;
const PAGE = 65536;
const READY_TIMEOUT_MS = 20000;

/** Test hooks; not part of the stable API. */
export const debugHooks: unique symbol = Symbol.for("simdcl.debug") as typeof debugHooks;

/** @internal What the test hooks offer. */
export interface DebugHooks {
  arena: Arena;
  /** A job whose Worker groups never finish until the job is aborted. */
  stall(): Promise<void>;
  /** The same, with the caller waiting in an overlap on a word nobody sets. */
  stallInOverlap(): Promise<void>;
  /** A job whose Worker groups trap. */
  trap(): Promise<void>;
  /** End Worker `index` (1-based) as if it had died; `silently`: as if the runtime said nothing. */
  killWorker(index: number, options?: { silently?: boolean }): void;
}

export class Context {
  /** Threads that actually run, the caller included. */
  readonly threads: number;
  /** Which build runs: "relaxed" (FMA), "simd", or "single" (no shared memory). */
  readonly variant: Variant;
  /** Why fewer threads run than were asked for, if they do. */
  readonly note: string | null;
  private readonly engine: Engine;
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Error | null = null;

  /** @internal Use createContext(). */
  constructor(
    private readonly arena: Arena,
    private readonly pool: Pool,
    variant: Variant,
    note: string | null,
  ) {
    this.threads = pool.threads;
    this.variant = variant;
    this.note = note;
    this.engine = { arena, threads: pool.threads, run: (op, args, phases, options) => pool.run(op, args, phases, options) };
  }

  /**
   * C = alpha·op(A)·op(B) + beta·C + bias, then the activation; row-major f32. Resolves
   * to `c` (written in place) when given, else to a new m×n Float32Array.
   */
  gemm(a: F32Operand, b: F32Operand | PackedMatrix, options: GemmOptions & { c: DeviceBuffer<Float32Array> }): Promise<DeviceBuffer<Float32Array>>;
  gemm(a: F32Operand, b: F32Operand | PackedMatrix, options: GemmOptions): Promise<Float32Array>;
  gemm(a: F32Operand, b: F32Operand | PackedMatrix, options: GemmOptions): Promise<F32Operand> {
    return this.call(() => planGemm(this.engine, a, b, options), (plan) => runGemm(this.engine, plan));
  }

  /** Pack op(B) once (k×n) for many gemm() calls; the handle frees its memory with dispose(). */
  packB(b: Float32Array, options: PackBOptions): Promise<PackedMatrix> {
    return this.call(() => planPackB(b, options), (plan) => runPackB(this.engine, plan, (length) => this.buffer(Float32Array, length)));
  }

  /**
   * An f32 tensor of `shape` [n, c, h, w] from NCHW (default) or NHWC to NC4HW4:
   * [n][⌈c/4⌉][h][w][4], channels past c zero.
   */
  toNC4HW4(x: Float32Array, shape: Shape4, options?: { from?: PlainLayout }): Promise<Float32Array> {
    return this.call(() => planLayout(x, shape, options, true), (plan) => runLayout(this.engine, plan));
  }

  /** The inverse of toNC4HW4: an NC4HW4 tensor of logical `shape` to NCHW (default) or NHWC. */
  fromNC4HW4(x: Float32Array, shape: Shape4, options?: { to?: PlainLayout }): Promise<Float32Array> {
    return this.call(() => planLayout(x, shape, options, false), (plan) => runLayout(this.engine, plan));
  }

  /**
   * 2-D convolution (cross-correlation, as PyTorch and TensorFlow compute it) of `input`
   * [n, c, h, w] with `weight` [oc, c / groups, kh, kw] (OIHW, or a cl.packConv handle).
   * Resolves to `{ data, shape: [n, oc, oh, ow] }`, data in `outputLayout` (default: the
   * input's `layout`), written into `out` when given.
   */
  conv2d<T extends F32Operand>(input: F32Operand, shape: Shape4, weight: Float32Array | PackedConv, weightShape: Shape4 | undefined, options: Conv2dOptions & { out: T }): Promise<Conv2dResult<T>>;
  conv2d(input: F32Operand, shape: Shape4, weight: Float32Array | PackedConv, weightShape?: Shape4, options?: Conv2dOptions): Promise<Conv2dResult<Float32Array>>;
  conv2d(input: F32Operand, shape: Shape4, weight: Float32Array | PackedConv, weightShape?: Shape4, options?: Conv2dOptions): Promise<Conv2dResult> {
    return this.call(() => planConv2d(this.engine, input, shape, weight, weightShape, options), (plan) => runConv2d(this.engine, plan));
  }

  /** Pack convolution weights [oc, c / groups, kh, kw] once for many conv2d() calls; dispose() frees them. */
  packConv(weight: Float32Array, weightShape: Shape4, options?: PackConvOptions): Promise<PackedConv> {
    return this.call(() => planPackConv(weight, weightShape, options), (plan) => runPackConv(this.engine, plan, (length) => this.buffer(Float32Array, length)));
  }

  /**
   * A typed array in the context's memory that ops read and write without copying
   * (see DeviceBuffer). Free it with dispose().
   */
  buffer<T extends ElementArray>(type: ElementType<T>, length: number): DeviceBuffer<T> {
    this.throwIfUnusable();
    if (!ELEMENT_TYPES.includes(type as ElementType)) {
      throw new TypeError(`simdcl: buffer type must be one of ${ELEMENT_TYPES.map((t) => t.name).join(", ")}, got ${describe(type)}`);
    }
    checkInt("buffer length", length, 0, 2 ** 32);
    const bytes = length * type.BYTES_PER_ELEMENT;
    return new DeviceBuffer(this.arena, type, length, this.arena.alloc(bytes));
  }

  /**
   * Summed-area table of an image, OpenCV's layout: (height+1) × (width+1) × channels.
   * With `out` (device buffers or plain arrays), writes the tables there and resolves to it.
   */
  integral(src: IntegralSource, options: IntegralOptions & { out: IntegralOut }): Promise<IntegralOut>;
  integral(src: IntegralSource, options: IntegralOptions): Promise<IntegralResult>;
  integral(src: IntegralSource, options: IntegralOptions & { out?: IntegralOut }): Promise<IntegralResult | IntegralOut> {
    return this.call(() => planIntegral(this.engine, src, options), (plan) => runIntegral(this.engine, plan));
  }

  /** Ends every Worker and frees the memory; later calls fail. */
  dispose(): void {
    if (this.closed) return;
    this.closed = new Error("simdcl: this context has been disposed");
    this.pool.shutdown(this.closed);
  }

  /** Test hooks: not part of the stable API. */
  get [debugHooks](): DebugHooks {
    return {
      arena: this.arena,
      stall: () => this.call(() => null, () => this.pool.run(J.OP_DEBUG_STALL, [0], [this.threads * 2])),
      stallInOverlap: () =>
        this.call(() => null, () =>
          this.pool.run(J.OP_DEBUG_STALL, [0, 0], [this.threads * 2], { overlap: (wait) => wait(this.arena.i32, J.ARGS + 1) })),
      trap: () => this.call(() => null, () => this.pool.run(J.OP_DEBUG_TRAP, [0], [this.threads * 2])),
      killWorker: (index: number, options?: { silently?: boolean }) => this.pool.killWorker(index, options),
    };
  }

  // Validate now (errors reject before any byte moves), run when earlier calls are done.
  // Device buffers the call uses are held until it settles, even if disposed meanwhile.
  private call<P, R>(plan: () => P, run: (plan: P) => Promise<R>): Promise<R> {
    let p: P;
    try {
      this.throwIfUnusable();
      p = plan();
    } catch (e) {
      return Promise.reject(e);
    }
    const held = (p as { buffers?: DeviceBuffer[] } | null)?.buffers ?? [];
    for (const b of held) b.retain();
    const result = this.queue
      .then(() => {
        this.throwIfUnusable();
        return run(p);
      })
      .finally(() => {
        for (const b of held) b.unretain();
      });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private throwIfUnusable(): void {
    if (this.closed) throw this.closed;
    const failure = this.pool.failed;
    if (failure) {
      this.closed = new Error(`simdcl: this context stopped after a failure (${failure.message}); create a new one`);
      throw this.closed;
    }
  }
}

export async function createContext(options: ContextOptions = {}): Promise<Context> {
  const o = checkOptions("createContext options", options, KNOWN);
  const requested = o.threads === undefined ? Math.min(await hardwareThreads(), 256) : checkInt("threads", o.threads, 1, 256);
  const maxPages = (o.maxMemoryMiB === undefined ? 4096 : checkInt("maxMemoryMiB", o.maxMemoryMiB, 1, 4096)) * 16;
  const spinMs = checkNumber("spinMs", o.spinMs, 1, 0);
  // Workers spin this long before they sleep; the caller never spins more than
  // CALLER_SPIN_MS at a time, whatever this says (src/pool.ts).
  if (spinMs > MAX_SPIN_MS) throw new RangeError(`simdcl: spinMs must be at most ${MAX_SPIN_MS} (ms), got ${spinMs}`);
  const stallTimeoutMs = checkNumber("stallTimeoutMs", o.stallTimeoutMs, 30000, 0);
  if (stallTimeoutMs < MIN_STALL_TIMEOUT_MS) {
    throw new RangeError(`simdcl: stallTimeoutMs must be at least ${MIN_STALL_TIMEOUT_MS} (ms), so that a phase has time to move; got ${stallTimeoutMs}`);
  }
  if (o.module !== undefined) checkModule(o.module);

  // The shared builds wherever shared memory exists (even for one thread: the relaxed
  // build is only there); the unshared "single" build where it does not.
  const unavailable = threadingUnavailable();
  let note = requested > 1 ? unavailable : null;
  let module = o.module as WebAssembly.Module | undefined;
  let variant: Variant;
  if (module) {
    const shared = importsSharedMemory(module);
    variant = shared ? "simd" : "single";
    if (!shared && requested > 1) note ??= "the module given imports an unshared memory";
  } else {
    variant = unavailable ? "single" : hasRelaxedSimd() ? "relaxed" : "simd";
    module = await compileVariant(variant);
  }
  const threads = variant === "single" ? 1 : requested;
  const shared = variant !== "single";
  // Control words plus 1 MiB to start with (less where the maximum is smaller: maxMemoryMiB
  // 1 leaves 960 KiB); the arena grows the rest on demand.
  const initial = Math.min(J.CONTROL_BYTES / PAGE + 16, maxPages);
  const memory = new WebAssembly.Memory({ initial, maximum: maxPages, shared } as WebAssembly.MemoryDescriptor);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const runPhase = instance.exports.runPhase as (ctrl: number, phase: number, tid: number) => number;
  const workers = threads > 1 ? await startWorkers(module, memory, threads - 1, spinMs) : [];
  const pool = new Pool(memory, runPhase, workers, { spinMs, stallTimeoutMs });
  return new Context(new Arena(memory, maxPages), pool, variant, threads < requested ? note : null);
}

/**
 * A module handed in must be one of simdcl's builds (dist/simdcl*.wasm): it exports
 * runPhase and imports nothing but env.memory. Anything else would be accepted here and
 * then fail every call.
 */
function checkModule(module: unknown): void {
  if (!(module instanceof WebAssembly.Module)) {
    throw new TypeError(`simdcl: module must be a WebAssembly.Module, got ${describe(module)}`);
  }
  const problems: string[] = [];
  if (!WebAssembly.Module.exports(module).some((e) => e.name === "runPhase" && e.kind === "function")) problems.push("it exports no runPhase function");
  const imports = WebAssembly.Module.imports(module);
  if (!imports.some((i) => i.module === "env" && i.name === "memory" && i.kind === "memory")) problems.push("it imports no env.memory");
  for (const i of imports) {
    if (!(i.module === "env" && i.name === "memory")) problems.push(`it imports ${i.module}.${i.name} (a ${i.kind}), which simdcl does not provide`);
  }
  if (problems.length) {
    throw new TypeError(`simdcl: module is not a simdcl build (dist/simdcl.wasm, simdcl-relaxed.wasm or simdcl-single.wasm): ${problems.join("; ")}`);
  }
}

async function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, spinMs: number): Promise<PlatformWorker[]> {
  const workers = await Promise.all(Array.from({ length: count }, () => startWorker()));
  const layout = {
    SEQ: J.SEQ, STATE: J.STATE, NPHASES: J.NPHASES, ACK: J.ACK, PHASE0: J.PHASE0, PHASE_WORDS: J.PHASE_WORDS, MAX_PHASES: J.MAX_PHASES,
    HEARTBEAT0, BUSY0, MAX_THREADS, BEAT_MS, SLICE_MS,
  };
  try {
    await Promise.all(
      workers.map((w, i) => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`simdcl: worker ${i + 1} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        w.onMessage((m) => {
          clearTimeout(timer);
          if (m?.type === "ready") resolve();
          else if (m?.type === "error") reject(new Error(`simdcl: worker ${i + 1} failed to start: ${m.message}`));
        });
        w.onDeath((reason) => { clearTimeout(timer); reject(new Error(`simdcl: worker ${i + 1} ${reason} while starting`)); });
        w.post({ module, memory, tid: i + 1, spinMs, layout });
      })),
    );
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
  return workers;
}
