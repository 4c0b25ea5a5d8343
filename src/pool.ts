// Dispatch of one job at a time over the caller's thread and n-1 Workers.
//
// A job is an operation id, its arguments and a list of phases, each an NDRange of
// work-groups. The caller publishes the job by bumping SEQ; every thread, the caller
// included, claims groups from the phase's atomic counter (runPhase in Wasm) and then
// waits at the phase's barrier until all its groups are done. Waits spin for a bounded
// time, then sleep: Workers with Atomics.wait, the caller with Atomics.waitAsync, so
// its event loop keeps running and a Worker that dies is noticed, never waited on.
// An op may give the caller other work for the last phase (RunOptions.overlap), such as
// copying out results group by group while the Workers compute the rest.
//
// Bounds (DESIGN.md rule 4): the caller spins synchronously at most CALLER_SPIN_MS per
// wait, whatever spinMs says, and yields to its event loop at least that often while it
// sleeps. A Worker that stops answering is noticed without any event from the runtime
// (Deno and Bun fire none when a Worker ends): each Worker bumps a heartbeat word while it
// waits, and one that is not running a kernel and has not beaten for LIVENESS_MS is taken
// as gone. A Worker that ends inside a kernel is noticed by the runtime's event where
// there is one (Node), else after stallTimeoutMs. A caller's overlap work that fails (say,
// an out array detached mid-call) aborts the job, waits for every Worker to leave it and
// resets the state: that call fails, the context goes on.
import * as J from "./job.ts";
import type { PlatformWorker } from "./platform.ts";

type RunPhase = (ctrl: number, phase: number, tid: number) => number;

/** Resolves once `array[index]` is non-zero: the pool's bounded wait, on any shared word. */
export type WaitForWord = (array: Int32Array, index: number) => Promise<void>;

export interface RunOptions {
  /** Run on the calling thread alone (small work, not worth a dispatch). */
  solo?: boolean;
  /**
   * Caller's work for the last phase: instead of claiming its groups, the caller runs
   * this alongside the Workers (say, copying out each group's rows as a flag says it is
   * done). Where the caller computes alone it runs after the last phase.
   */
  overlap?: (wait: WaitForWord) => Promise<void>;
}

export interface PoolOptions {
  spinMs: number;
  stallTimeoutMs: number;
}

const now = () => performance.now();
const DONE = Promise.resolve();
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

/** Longest the calling thread spins synchronously in one wait (ms), whatever spinMs is. */
export const CALLER_SPIN_MS = 1;
/** Largest spinMs createContext accepts (ms): how long a waiting Worker may spin. */
export const MAX_SPIN_MS = 100;
/** Smallest stallTimeoutMs createContext accepts (ms): a phase gets time to move. */
export const MIN_STALL_TIMEOUT_MS = 100;
/** A waiting Worker whose heartbeat stands still this long (ms) is taken as gone. */
export const LIVENESS_MS = 1000;
/** A waiting Worker beats at least this often (ms), and sleeps in slices this long. */
export const BEAT_MS = 10;
export const SLICE_MS = 50;

export class Pool {
  readonly threads: number;
  private view: Int32Array;
  private failure: Error | null = null;
  private failureListeners: (() => void)[] = [];
  /** The word the caller sleeps on outside the control words, if any (woken on failure). */
  private sleepingOn: { array: Int32Array; index: number } | null = null;
  /** Each Worker's heartbeat as last seen, and when it was seen to move. */
  private beats: number[];
  private beatsSeenAt: number[];
  /** Test hook: Workers whose death events are ignored (killWorker(i, { silently })). */
  private deafTo = new Set<number>();

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly runPhase: RunPhase,
    private readonly workers: PlatformWorker[],
    private readonly options: PoolOptions,
  ) {
    this.threads = workers.length + 1;
    this.view = new Int32Array(memory.buffer, 0, J.BUSY0 + J.MAX_THREADS);
    // No job yet: every Worker counts as having left the last one.
    Atomics.store(this.words, J.ACK, workers.length);
    // Idle Workers never keep the process alive; run() holds them while a job runs.
    for (const w of workers) w.hold(false);
    this.beats = workers.map((_, i) => Atomics.load(this.words, J.HEARTBEAT0 + i + 1));
    this.beatsSeenAt = workers.map(() => now());
    workers.forEach((w, i) => {
      const tid = i + 1;
      w.onDeath((reason) => {
        if (!this.deafTo.has(tid)) this.fail(new Error(`simdcl: worker ${tid} ${reason}`));
      });
      w.onMessage((m) => {
        if (m?.type === "error" && !this.deafTo.has(tid)) this.fail(new Error(`simdcl: worker ${tid} failed: ${m.message}`));
      });
    });
  }

  // The control words. A shared buffer never moves; an unshared one is detached by
  // growth, which leaves its views with length 0.
  private get words(): Int32Array {
    if (this.view.length === 0) this.view = new Int32Array(this.memory.buffer, 0, J.BUSY0 + J.MAX_THREADS);
    return this.view;
  }

  /** The error that made this pool unusable, if any. */
  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Run a job to completion. Arguments are the first `argCount` of `args`, u32 words (f32
   * bits written by the op).
   */
  run(op: number, args: ArrayLike<number>, argCount: number, phases: number[], options: RunOptions = {}): Promise<void> {
    return this.start(op, args, argCount, phases, options) ?? DONE;
  }

  /**
   * Run a job as run() does, but return nothing when it was done on the caller at once (a
   * job alone with every Worker out of the last one): no promise for the caller to wait on.
   */
  start(op: number, args: ArrayLike<number>, argCount: number, phases: number[], { solo = false, overlap }: RunOptions = {}): Promise<void> | void {
    let pending: Promise<void> | void;
    try {
      if (phases.length > J.MAX_PHASES || argCount > J.MAX_ARGS) throw new Error("simdcl: internal error, job too large");
      pending = this.runJob(op, args, argCount, phases, solo, overlap);
    } catch (e) {
      return Promise.reject(e);
    }
    return pending ? this.holding(pending) : undefined;
  }

  // A job in flight keeps the process alive (the caller may be asleep in waitAsync, which
  // holds nothing); an idle pool does not (DESIGN.md, rule 10). Held from before the
  // caller's first sleep: a job's promise is made synchronously, up to that sleep. The
  // Workers hold it, and a timer too: a Worker that has died holds nothing, and with the
  // only one gone the process would end with the call unsettled instead of rejecting it
  // when the death is noticed.
  private async holding(job: Promise<void>): Promise<void> {
    if (this.running++ === 0) {
      for (const w of this.workers) w.hold(true);
      this.keepAlive = setInterval(() => {}, 1 << 30);
    }
    try {
      await job;
    } finally {
      if (--this.running === 0) {
        for (const w of this.workers) w.hold(false);
        clearInterval(this.keepAlive);
      }
    }
  }
  private running = 0;
  private keepAlive: ReturnType<typeof setInterval> | undefined;

  // The job itself. A job on the caller alone, with every Worker out of the last one,
  // returns no promise: a small layer's call would pay for one at every level.
  private runJob(op: number, args: ArrayLike<number>, argCount: number, phases: number[], solo: boolean, overlap: RunOptions["overlap"]): Promise<void> | void {
    this.throwIfFailed();
    this.checkLiveness();
    const alone = solo || !this.workers.length;
    if (alone && Atomics.load(this.words, J.ACK) >= this.workers.length) return this.runAlone(op, args, argCount, phases, overlap);
    return this.dispatch(op, args, argCount, phases, alone, overlap);
  }

  // On this thread alone; the Workers, idle, never see the job.
  private runAlone(op: number, args: ArrayLike<number>, argCount: number, phases: number[], overlap: RunOptions["overlap"]): Promise<void> | void {
    this.describe(op, args, argCount, phases);
    for (let p = 0; p < phases.length; p++) this.callerPhase(p);
    if (overlap) return overlap(this.waitForWord);
  }

  private async dispatch(op: number, args: ArrayLike<number>, argCount: number, phases: number[], alone: boolean, overlap: RunOptions["overlap"]): Promise<void> {
    const w = this.words;
    // Every Worker must have left the previous job before its descriptor is rewritten.
    await this.waitFor(J.ACK, () => Atomics.load(w, J.ACK) >= this.workers.length);
    if (alone) return this.runAlone(op, args, argCount, phases, overlap);
    this.describe(op, args, argCount, phases);
    Atomics.store(w, J.ACK, 0);
    Atomics.add(w, J.SEQ, 1);
    Atomics.notify(w, J.SEQ);
    for (let p = 0; p < phases.length; p++) {
      const c = J.phaseWords(p);
      if (overlap && p === phases.length - 1) await this.overlapped(overlap, this.waitForWord);
      else if (this.callerPhase(p)) Atomics.notify(w, c.done);
      await this.waitFor(c.done, () => Atomics.load(w, c.done) >= phases[p]);
    }
    // Kernels may cut a group short once the job is aborted or shut down: no valid result.
    if (Atomics.load(w, J.STATE) !== J.STATE_RUNNING) await this.aborted();
  }

  // The job's descriptor: its op, phases and arguments.
  private describe(op: number, args: ArrayLike<number>, argCount: number, phases: number[]): void {
    const w = this.words;
    w[J.OP] = op;
    w[J.NPHASES] = phases.length;
    for (let p = 0; p < phases.length; p++) {
      const c = J.phaseWords(p);
      w[c.next] = 0;
      w[c.done] = 0;
      w[c.total] = phases[p];
    }
    for (let i = 0; i < argCount; i++) w[J.ARGS + i] = args[i] | 0;
  }

  /** The bounded wait, on any shared word, that overlap work is given. */
  private readonly waitForWord: WaitForWord = (array, index) => this.waitFor(index, () => Atomics.load(array, index) !== 0, array);

  // The caller's share of phase p. A kernel that traps on the caller leaves its group
  // unfinished, with Workers waiting on it: the pool fails, as for a Worker's trap.
  private callerPhase(p: number): number {
    try {
      return this.runPhase(0, p, 0);
    } catch (e) {
      const error = new Error(`simdcl: the calling thread failed in a kernel: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      this.fail(error);
      throw error;
    }
  }

  // The caller's overlap work. If it fails (the caller's error, such as an out array
  // detached mid-call), Workers may be waiting on it (a slot it never freed): abort the
  // job, let every Worker leave it, and reset, so that this call fails and the next runs.
  private async overlapped(overlap: NonNullable<RunOptions["overlap"]>, wait: WaitForWord): Promise<void> {
    try {
      await overlap(wait);
    } catch (e) {
      if (this.failure) throw e;
      await this.abortJob();
      // The engine's words ("Cannot perform %TypedArray%.prototype.set on a detached
      // ArrayBuffer") do not say which call or what to fix.
      if (e instanceof TypeError && !e.message.startsWith("simdcl:")) {
        throw new TypeError(`simdcl: copying the results out failed, so the call was aborted (was an out array detached or resized while the call ran?): ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  // Abort the job in flight and wait (bounded, as every wait) until every Worker has left
  // it; then the next job may start. Kernels check the abort between work-groups and in
  // their waits on the caller.
  private async abortJob(): Promise<void> {
    const w = this.words;
    Atomics.store(w, J.STATE, J.STATE_ABORT);
    this.wakeAll();
    try {
      await this.waitFor(J.ACK, () => Atomics.load(w, J.ACK) >= this.workers.length, w, true);
    } catch {
      return; // the pool failed meanwhile (a Worker died or stalled): it stays failed
    }
    if (!this.failure) Atomics.store(w, J.STATE, J.STATE_RUNNING);
  }

  /** Stop every Worker; the pool is unusable afterwards. */
  shutdown(reason: Error): void {
    if (!this.failure) this.failure = reason;
    Atomics.store(this.words, J.STATE, J.STATE_SHUTDOWN);
    Atomics.add(this.words, J.SEQ, 1);
    this.wakeAll();
    for (const w of this.workers) w.terminate();
  }

  /**
   * Test hook: end Worker `index` (1-based) as if it had died. With `silently`, as if the
   * runtime said nothing (Deno, Bun, browsers): its events are ignored, and only the
   * liveness check can notice.
   */
  killWorker(index: number, { silently = false }: { silently?: boolean } = {}): void {
    const w = this.workers[index - 1];
    if (!w) throw new RangeError(`simdcl: no worker ${index}`);
    if (silently) this.deafTo.add(index);
    w.terminate();
    if (!silently) this.fail(new Error(`simdcl: worker ${index} was terminated`));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    // Shutdown, not abort: Workers leave an aborted job and wait for the next, but a
    // failed pool has no next job, and a Worker that terminate() did not stop (Deno's,
    // in a loop that never yields) would keep the process alive.
    Atomics.store(this.words, J.STATE, J.STATE_SHUTDOWN);
    this.wakeAll();
    for (const w of this.workers) w.terminate();
    for (const f of this.failureListeners.splice(0)) f();
  }

  private wakeAll(): void {
    for (let i = 0; i < J.ARGS; i++) Atomics.notify(this.words, i);
    // (Kernels that wait on the caller's flags spin and check the state; the caller
    // itself may sleep on such a flag.)
    if (this.sleepingOn) Atomics.notify(this.sleepingOn.array, this.sleepingOn.index);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  // A Worker that is not running a kernel beats at least every BEAT_MS (src/worker.ts);
  // one whose heartbeat has stood still for LIVENESS_MS has ended, whatever the runtime
  // said. Where the memory itself is unshared there are no Workers.
  private checkLiveness(): void {
    if (this.failure || !this.workers.length) return;
    const w = this.words;
    const t = now();
    for (let i = 0; i < this.workers.length; i++) {
      const beat = Atomics.load(w, J.HEARTBEAT0 + i + 1);
      if (beat !== this.beats[i] || Atomics.load(w, J.BUSY0 + i + 1) !== 0) {
        this.beats[i] = beat;
        this.beatsSeenAt[i] = t;
      } else if (t - this.beatsSeenAt[i] > LIVENESS_MS) {
        const error = new Error(
          `simdcl: worker ${i + 1} stopped answering (no heartbeat for ${LIVENESS_MS} ms while it waited: the runtime ended it); the context is closed`,
        );
        this.fail(error);
        throw error;
      }
    }
  }

  // Wait until done(): spin up to CALLER_SPIN_MS (and spinMs), then sleep in waitAsync
  // slices on word `index` of `array` (a control word by default), failing on a Worker's
  // death or silence, an abort (unless `duringAbort`: the caller's own), or when that word
  // has not moved for stallTimeoutMs.
  private async waitFor(index: number, done: () => boolean, array = this.words, duringAbort = false): Promise<void> {
    const w = this.words;
    const t0 = now();
    const spinMs = Math.min(this.options.spinMs, CALLER_SPIN_MS);
    for (let spins = 0; !done(); spins++) {
      if (this.failure || (!duringAbort && Atomics.load(w, J.STATE) !== J.STATE_RUNNING)) return this.aborted();
      if ((spins & 255) === 0 && now() - t0 > spinMs) return this.sleepFor(index, done, array, duringAbort);
    }
  }

  private async sleepFor(index: number, done: () => boolean, array: Int32Array, duringAbort: boolean): Promise<void> {
    const w = this.words;
    const waitAsync = (Atomics as any).waitAsync as
      | ((a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: any })
      | undefined;
    let seen = Atomics.load(array, index);
    let lastMove = now();
    let lastYield = now();
    while (!done()) {
      if (this.failure || (!duringAbort && Atomics.load(w, J.STATE) !== J.STATE_RUNNING)) return this.aborted();
      this.checkLiveness();
      const value = Atomics.load(array, index);
      const t = now();
      if (value !== seen) {
        seen = value;
        lastMove = t;
      } else if (t - lastMove > this.options.stallTimeoutMs) {
        const error = new Error(
          `simdcl: a worker made no progress for ${this.options.stallTimeoutMs} ms (stuck); the context is closed`,
        );
        this.fail(error);
        throw error;
      }
      if (waitAsync) {
        const r = waitAsync(array, index, value, SLICE_MS);
        this.sleepingOn = { array, index };
        if (r.async) {
          await r.value; // resolved from a task: the event loop had its turn
          lastYield = now();
        } else await Promise.resolve();
        this.sleepingOn = null;
      } else {
        await tick();
        lastYield = now();
      }
      // A word that keeps moving makes waitAsync return at once, and a chain of
      // microtasks starves timers and I/O: give the event loop a turn at least every
      // CALLER_SPIN_MS.
      if (now() - lastYield > CALLER_SPIN_MS) {
        await tick();
        lastYield = now();
      }
    }
  }

  // The job was aborted: wait briefly for the Worker's message saying why, then throw it.
  private async aborted(): Promise<never> {
    if (!this.failure) {
      await new Promise<void>((resolve) => {
        this.failureListeners.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
    throw this.failure ?? new Error("simdcl: a worker aborted the job without saying why");
  }
}
