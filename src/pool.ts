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
const tick = () => new Promise<void>((r) => setTimeout(r, 1));

export class Pool {
  readonly threads: number;
  private view: Int32Array;
  private failure: Error | null = null;
  private failureListeners: (() => void)[] = [];
  /** The word the caller sleeps on outside the control words, if any (woken on failure). */
  private sleepingOn: { array: Int32Array; index: number } | null = null;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly runPhase: RunPhase,
    private readonly workers: PlatformWorker[],
    private readonly options: PoolOptions,
  ) {
    this.threads = workers.length + 1;
    this.view = new Int32Array(memory.buffer, 0, J.ARGS + J.MAX_ARGS);
    // No job yet: every Worker counts as having left the last one.
    Atomics.store(this.words, J.ACK, workers.length);
    // Idle Workers never keep the process alive; run() holds them while a job runs.
    for (const w of workers) w.hold(false);
    workers.forEach((w, i) => {
      const tid = i + 1;
      w.onDeath((reason) => this.fail(new Error(`simdcl: worker ${tid} ${reason}`)));
      w.onMessage((m) => {
        if (m?.type === "error") this.fail(new Error(`simdcl: worker ${tid} failed: ${m.message}`));
      });
    });
  }

  // The control words. A shared buffer never moves; an unshared one is detached by
  // growth, which leaves its views with length 0.
  private get words(): Int32Array {
    if (this.view.length === 0) this.view = new Int32Array(this.memory.buffer, 0, J.ARGS + J.MAX_ARGS);
    return this.view;
  }

  /** The error that made this pool unusable, if any. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Run a job to completion. Arguments are u32 words (f32 bits written by the op). */
  async run(op: number, args: ArrayLike<number>, phases: number[], options?: RunOptions): Promise<void> {
    // A job in flight keeps the process alive (the caller may be asleep in waitAsync,
    // which holds nothing); an idle pool does not (DESIGN.md, rule 10).
    if (this.running++ === 0) for (const w of this.workers) w.hold(true);
    try {
      return await this.runJob(op, args, phases, options);
    } finally {
      if (--this.running === 0) for (const w of this.workers) w.hold(false);
    }
  }
  private running = 0;

  private async runJob(op: number, args: ArrayLike<number>, phases: number[], { solo = false, overlap }: RunOptions = {}): Promise<void> {
    if (phases.length > J.MAX_PHASES || args.length > J.MAX_ARGS) throw new Error("simdcl: internal error, job too large");
    const w = this.words;
    this.throwIfFailed();
    // Every Worker must have left the previous job before its descriptor is rewritten.
    if (this.workers.length) await this.waitFor(J.ACK, () => Atomics.load(w, J.ACK) >= this.workers.length);
    w[J.OP] = op;
    w[J.NPHASES] = phases.length;
    phases.forEach((groups, p) => {
      const c = J.phaseWords(p);
      w[c.next] = 0;
      w[c.done] = 0;
      w[c.total] = groups;
    });
    for (let i = 0; i < args.length; i++) w[J.ARGS + i] = args[i] | 0;
    const waitForWord: WaitForWord = (array, index) => this.waitFor(index, () => Atomics.load(array, index) !== 0, array);
    if (!this.workers.length || solo) {
      // Runs on this thread alone; the Workers, idle, never see the job.
      for (let p = 0; p < phases.length; p++) this.runPhase(0, p, 0);
      if (overlap) await overlap(waitForWord);
      return;
    }
    Atomics.store(w, J.ACK, 0);
    Atomics.add(w, J.SEQ, 1);
    Atomics.notify(w, J.SEQ);
    for (let p = 0; p < phases.length; p++) {
      const c = J.phaseWords(p);
      if (overlap && p === phases.length - 1) await this.overlapped(overlap, waitForWord);
      else if (this.runPhase(0, p, 0)) Atomics.notify(w, c.done);
      await this.waitFor(c.done, () => Atomics.load(w, c.done) >= phases[p]);
    }
    // Kernels may cut a group short once the job is aborted or shut down: no valid result.
    if (Atomics.load(w, J.STATE) !== J.STATE_RUNNING) await this.aborted();
  }

  // The caller's overlap work. If it fails, Workers may be waiting on it (a slot it never
  // freed): the job cannot finish, so the pool fails rather than hang on the next call.
  private async overlapped(overlap: NonNullable<RunOptions["overlap"]>, wait: WaitForWord): Promise<void> {
    try {
      await overlap(wait);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  }

  /** Stop every Worker; the pool is unusable afterwards. */
  shutdown(reason: Error): void {
    if (!this.failure) this.failure = reason;
    Atomics.store(this.words, J.STATE, J.STATE_SHUTDOWN);
    Atomics.add(this.words, J.SEQ, 1);
    this.wakeAll();
    for (const w of this.workers) w.terminate();
  }

  /** Test hook: end Worker `index` (1-based) as if it had died. */
  killWorker(index: number): void {
    const w = this.workers[index - 1];
    if (!w) throw new RangeError(`simdcl: no worker ${index}`);
    w.terminate();
    this.fail(new Error(`simdcl: worker ${index} was terminated`));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    Atomics.store(this.words, J.STATE, J.STATE_ABORT);
    this.wakeAll();
    for (const w of this.workers) w.terminate();
    for (const f of this.failureListeners.splice(0)) f();
  }

  private wakeAll(): void {
    for (let i = 0; i < J.ARGS; i++) Atomics.notify(this.words, i);
    if (this.sleepingOn) Atomics.notify(this.sleepingOn.array, this.sleepingOn.index);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  // Wait until done(): spin up to spinMs, then sleep in waitAsync slices on word `index`
  // of `array` (a control word by default), failing on a Worker's death, an abort, or
  // when that word has not moved for stallTimeoutMs.
  private async waitFor(index: number, done: () => boolean, array = this.words): Promise<void> {
    const w = this.words;
    const t0 = now();
    for (let spins = 0; !done(); spins++) {
      if (Atomics.load(w, J.STATE) !== J.STATE_RUNNING) return this.aborted();
      if ((spins & 255) === 0 && now() - t0 > this.options.spinMs) return this.sleepFor(index, done, array);
    }
  }

  private async sleepFor(index: number, done: () => boolean, array: Int32Array): Promise<void> {
    const w = this.words;
    const waitAsync = (Atomics as any).waitAsync as
      | ((a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: any })
      | undefined;
    let seen = Atomics.load(array, index);
    let lastMove = now();
    while (!done()) {
      if (this.failure || Atomics.load(w, J.STATE) !== J.STATE_RUNNING) return this.aborted();
      const value = Atomics.load(array, index);
      if (value !== seen) {
        seen = value;
        lastMove = now();
      } else if (now() - lastMove > this.options.stallTimeoutMs) {
        const error = new Error(
          `simdcl: a worker made no progress for ${this.options.stallTimeoutMs} ms (stuck); the context is closed`,
        );
        this.fail(error);
        throw error;
      }
      if (waitAsync) {
        const r = waitAsync(array, index, value, 50);
        this.sleepingOn = { array, index };
        if (r.async) await r.value;
        else await Promise.resolve();
        this.sleepingOn = null;
      } else {
        await tick();
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
