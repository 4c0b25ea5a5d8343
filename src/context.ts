// createContext(): load the kernels, make the memory, start the Workers; and the
// Context that queues each call's job so that calls never interleave.
import { checkBool, checkInt, checkNumber, checkOptions, describe } from "./errors.ts";
import * as J from "./job.ts";
import { Arena } from "./memory.ts";
import { DeviceBuffer, ELEMENT_TYPES, type ElementArray, type ElementType } from "./buffer.ts";
import { OpMethods } from "./ops/methods.gen.ts";
import { CONFIG_FIELDS, OP_IDS, encodeArgs, encodeConfig, type KernelConfig } from "./ops/schema.gen.ts";
import { HOST, type Engine, type Host, type OpHost } from "./run.ts";
import { defaultKernels, hardwareThreads, startWorker, threadingUnavailable, type PlatformWorker } from "./platform.ts";
import { BEAT_MS, MAX_SPIN_MS, MIN_STALL_TIMEOUT_MS, Pool, SLICE_MS, type RunOptions } from "./pool.ts";
import { compileVariant, hasRelaxedSimd, importsSharedMemory, type Variant } from "./wasm.ts";

export interface ContextOptions {
  /** Threads to run on, the caller included. Default: the machine's cores. */
  threads?: number;
  /**
   * A compiled simdcl module (dist/simdcl*.wasm), for runtimes that forbid compiling
   * Wasm from bytes (Cloudflare Workers, Vercel Edge). Default: the build's .wasm file
   * next to simdcl's JavaScript ("simdcl/embedded": the build inside it).
   */
  module?: WebAssembly.Module;
  /**
   * Largest the memory may grow, in MiB (1 to 4096; the first 64 KiB hold control words).
   * Default 4096. (A context with Workers on the simd build may make a second, unshared
   * memory for calls that run on the calling thread alone from arrays: the same bound.)
   */
  maxMemoryMiB?: number;
  /**
   * How long a waiting Worker spins before it sleeps, in ms (0 to 100). Default 1. The
   * calling thread spins at most 1 ms at a time whatever this says, then sleeps without
   * blocking its event loop.
   */
  spinMs?: number;
  /** A call fails if a phase makes no progress for this long, in ms (at least 100). Default 30000. */
  stallTimeoutMs?: number;
  /**
   * Force kernel variants that are otherwise chosen for the engine (for tests and
   * measurements; every variant computes the same results). Default: the engine's best.
   */
  kernels?: Partial<KernelConfig>;
  /**
   * How much conv2d may keep of the weights it packed for plain Float32Array weights, in
   * MiB, so that the same weights given again are not packed again: an array is kept from
   * its second call on (0 turns it off), in each of the context's memories.
   * Default 256.
   */
  weightCacheMiB?: number;
}

const KNOWN = ["threads", "module", "maxMemoryMiB", "spinMs", "stallTimeoutMs", "kernels", "weightCacheMiB"] as const;
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

/**
 * A context: the kernels, one memory and its Workers. The op methods (integral, gemm,
 * packB, conv2d, packConv, toNC4HW4, fromNC4HW4, pool2d, …) come from each op's plan
 * module (src/ops/, declared in src/ops/schema.mjs); calls run one after another.
 */
export class Context extends OpMethods implements OpHost {
  /** Threads that actually run, the caller included. */
  readonly threads: number;
  /** Which build runs: "relaxed" (FMA), "simd", or "single" (no shared memory). */
  readonly variant: Variant;
  /** Why fewer threads run than were asked for, if they do. */
  readonly note: string | null;
  /** The kernel variants this context runs (see ContextOptions.kernels). */
  readonly kernels: Readonly<KernelConfig>;
  /** @internal What the op methods run with. */
  readonly [HOST]: Host;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly engine: OwnedEngine;
  private closed: Error | null = null;

  /** The unshared engine (see Engine.unshared), once asked for; false once it could not be made (never retried). */
  private own: OwnedEngine | Promise<OwnedEngine | null> | false | null = null;
  private ownPool: Pool | null = null;

  /** @internal Use createContext(). */
  constructor(
    private readonly arena: Arena,
    private readonly pool: Pool,
    variant: Variant,
    note: string | null,
    kernels: KernelConfig,
    cacheBytes: number,
    /** With Workers: makes the unshared instance of the single build, when first needed. */
    private readonly makeUnshared: (() => Promise<Instance>) | null = null,
  ) {
    super();
    this.threads = pool.threads;
    this.variant = variant;
    this.note = note;
    this.kernels = Object.freeze({ ...kernels });
    const engine = (this.engine = makeEngine(arena, pool, this.kernels, cacheBytes, makeUnshared ? () => this.unshared(cacheBytes) : () => null));
    this[HOST] = { engine, call: (plan, run) => this.call(plan, run) };
  }

  // The unshared engine: made once, on the first call that asks for it. If the single build
  // cannot be loaded (a page that serves only the shared builds), calls stay on the
  // context's memory, as before there was one.
  private unshared(cacheBytes: number): Engine | Promise<Engine | null> | null {
    if (this.own === false || !this.makeUnshared || this.closed) return null;
    if (this.own) return this.own;
    const making = this.makeUnshared().then(
      ({ arena, pool }) => {
        if (this.closed) return (this.own = null);
        this.ownPool = pool;
        return (this.own = makeEngine(arena, pool, this.kernels, cacheBytes, () => null));
      },
      () => {
        this.own = false;
        return null;
      },
    );
    return (this.own = making);
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

  /** Ends every Worker and frees the memory; later calls fail. */
  dispose(): void {
    // Shut the pool down even when a failure closed the context: its Workers may still run.
    if (!this.closed || this.pool.failed === null) this.closed = new Error("simdcl: this context has been disposed");
    this.pool.shutdown(this.closed);
    this.engine.dispose();
    if (this.own && !(this.own instanceof Promise)) this.own.dispose();
    this.ownPool?.shutdown(this.closed);
    this.own = this.ownPool = null;
  }

  /** Test hooks: not part of the stable API. */
  get [debugHooks](): DebugHooks {
    const groups = [this.threads * 2];
    const run = (op: "debugStall" | "debugTrap", options?: RunOptions) => this.call(() => null, () => this[HOST].engine.run(op, { entered: 0, idle: 0 }, groups, options));
    return {
      arena: this.arena,
      stall: () => run("debugStall"),
      stallInOverlap: () => run("debugStall", { overlap: (wait) => wait(this.arena.i32, J.ARGS + 1) }),
      trap: () => run("debugTrap"),
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
    // (A kernel that traps on the unshared instance closes the context as on the shared one.)
    const failure = this.pool.failed ?? this.ownPool?.failed;
    if (failure) {
      this.closed = new Error(`simdcl: this context stopped after a failure (${failure.message}); create a new one`);
      throw this.closed;
    }
  }
}

export async function createContext(options: ContextOptions = {}): Promise<Context> {
  return createContextWith(options, compileVariant);
}

/** @internal createContext with another way to get the kernels' module (src/embedded.ts embeds them). */
export async function createContextWith(options: ContextOptions = {}, load: typeof compileVariant): Promise<Context> {
  const o = checkOptions("createContext options", options, KNOWN);
  const requested = o.threads === undefined ? Math.min(await hardwareThreads(), 256) : checkInt("threads", o.threads, 1, 256);
  const maxPages = (o.maxMemoryMiB === undefined ? 4096 : checkInt("maxMemoryMiB", o.maxMemoryMiB, 1, 4096)) * 16;
  const spinMs = checkNumber("spinMs", o.spinMs, 1, 0);
  // Workers spin this long before they sleep; the caller never spins more than
  // CALLER_SPIN_MS at a time, whatever this says (src/pool.ts).
  if (spinMs > MAX_SPIN_MS) throw new RangeError(`simdcl: spinMs must be at most ${MAX_SPIN_MS} (ms), got ${spinMs}`);
  const stallTimeoutMs = checkNumber("stallTimeoutMs", o.stallTimeoutMs, 30000, 0);
  const weightCacheMiB = checkNumber("weightCacheMiB", o.weightCacheMiB, 256, 0);
  if (stallTimeoutMs < MIN_STALL_TIMEOUT_MS) {
    throw new RangeError(`simdcl: stallTimeoutMs must be at least ${MIN_STALL_TIMEOUT_MS} (ms), so that a phase has time to move; got ${stallTimeoutMs}`);
  }
  if (o.module !== undefined) checkModule(o.module);
  const kernels = { ...defaultKernels };
  const forced = checkOptions("createContext kernels", o.kernels ?? {}, CONFIG_FIELDS);
  for (const f of CONFIG_FIELDS) kernels[f] = checkBool(() => `kernels.${f}`, forced[f], kernels[f]);

  // The shared builds wherever shared memory exists, and for one thread where relaxed SIMD
  // does (that build is only shared); otherwise the unshared "single" build: the same
  // kernels, and a plain call's copies into unshared memory are plain memmoves, where V8
  // copies into shared memory with relaxed atomics (docs/decisions/plain-bands.md).
  const unavailable = threadingUnavailable();
  let note = requested > 1 ? unavailable : null;
  let module = o.module as WebAssembly.Module | undefined;
  let variant: Variant;
  if (module) {
    const shared = importsSharedMemory(module);
    variant = shared ? "simd" : "single";
    if (!shared && requested > 1) note ??= "the module given imports an unshared memory";
  } else {
    variant = unavailable ? "single" : hasRelaxedSimd() ? "relaxed" : requested === 1 ? "single" : "simd";
    module = await load(variant);
  }
  const threads = variant === "single" ? 1 : requested;
  const poolOptions = { spinMs, stallTimeoutMs };
  const { arena, pool } = await instantiate(module, variant !== "single", maxPages, kernels, (memory) =>
    threads > 1 ? startWorkers(module, memory, threads - 1, spinMs) : Promise.resolve([]), poolOptions);
  // With Workers on the simd build, calls that run on the caller alone from arrays run on
  // an unshared instance of the single build (Engine.unshared), for the reason one thread
  // does (docs/decisions/one-thread-build.md); not where relaxed SIMD (FMA) runs, which
  // also wins there, nor with a module handed in. Its compile starts now, in the
  // background, so that the first such call does not wait for it; the instance and its
  // memory are made at that call.
  const single = threads > 1 && variant === "simd" && !o.module ? load("single") : null;
  single?.catch(() => undefined); // a failure surfaces at the first call that asks (and is not asked again)
  const makeUnshared = single
    ? async () => instantiate(await single, false, maxPages, kernels, async () => [], poolOptions, "the context's second memory (for calls on the calling thread alone from arrays)")
    : null;
  return new Context(arena, pool, variant, threads < requested ? note : null, kernels, weightCacheMiB * 2 ** 20, makeUnshared);
}

/** An engine, and the release of the ops' state it keeps (with the context's dispose()). */
type OwnedEngine = Engine & { dispose(): void };

/** A build's instance: its memory's arena, and the pool that runs its jobs. */
interface Instance {
  arena: Arena;
  pool: Pool;
}

async function instantiate(
  module: WebAssembly.Module, shared: boolean, maxPages: number, kernels: KernelConfig,
  workers: (memory: WebAssembly.Memory) => Promise<PlatformWorker[]>, options: { spinMs: number; stallTimeoutMs: number },
  label?: string,
): Promise<Instance> {
  // Control words plus 1 MiB to start with (less where the maximum is smaller: maxMemoryMiB
  // 1 leaves 960 KiB); the arena grows the rest on demand.
  const initial = Math.min(J.CONTROL_BYTES / PAGE + 16, maxPages);
  const memory = new WebAssembly.Memory({ initial, maximum: maxPages, shared } as WebAssembly.MemoryDescriptor);
  // The kernel configuration, once: every kernel of every thread reads it from here.
  new Int32Array(memory.buffer).set(encodeConfig(kernels), J.CONFIG);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const runPhase = instance.exports.runPhase as (ctrl: number, phase: number, tid: number) => number;
  const pool = new Pool(memory, runPhase, await workers(memory), options);
  return { arena: new Arena(memory, maxPages, label), pool };
}

/**
 * The engine ops run with over one instance: its arena and pool, the argument words of
 * one job at a time (calls on a context run in order), and ops' state (caches).
 */
function makeEngine(arena: Arena, pool: Pool, kernels: Readonly<KernelConfig>, cacheBytes: number, unshared: Engine["unshared"]): OwnedEngine {
  const states = new Map<symbol, unknown>();
  const words = new Int32Array(J.MAX_ARGS);
  const floats = new Float32Array(words.buffer);
  return {
    arena,
    threads: pool.threads,
    kernels,
    cacheBytes,
    state: <T>(key: symbol, make: () => T): T => {
      if (!states.has(key)) states.set(key, make());
      return states.get(key) as T;
    },
    run: (op, args, phases, options) => pool.run(OP_IDS[op], words, encodeArgs(op, args, words, floats), phases, options),
    runSolo: (op, args, phases) => pool.start(OP_IDS[op], words, encodeArgs(op, args, words, floats), phases, { solo: true }),
    unshared,
    dispose: () => {
      for (const s of states.values()) (s as { dispose?: () => void }).dispose?.();
      states.clear();
    },
  };
}

/**
 * A module handed in must be one of simdcl's builds (dist/simdcl*.wasm): it exports
 * runPhase and imports nothing but env.memory. Anything else would be accepted here and
 * then fail every call.
 */
function checkModule(module: unknown): asserts module is WebAssembly.Module {
  // By its tag, not instanceof: a module compiled in another realm (a vm context, an
  // iframe, Vercel's edge sandbox) is just as usable.
  if (Object.prototype.toString.call(module) !== "[object WebAssembly.Module]") {
    throw new TypeError(`simdcl: module must be a WebAssembly.Module, got ${describe(module)}`);
  }
  const problems: string[] = [];
  const m = module as WebAssembly.Module;
  if (!WebAssembly.Module.exports(m).some((e) => e.name === "runPhase" && e.kind === "function")) problems.push("it exports no runPhase function");
  const imports = WebAssembly.Module.imports(m);
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
    HEARTBEAT0: J.HEARTBEAT0, BUSY0: J.BUSY0, MAX_THREADS: J.MAX_THREADS, BEAT_MS, SLICE_MS,
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
