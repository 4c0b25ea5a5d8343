// The code every Worker runs. It is sent to the Worker as source text (see pool.ts),
// so this function must stand alone: no imports, no references outside its body.
// That is what lets one build start Workers in Node, Deno, Bun and browsers, from
// npm, JSR or a bundle, without resolving a worker file's URL.

/** What the pool tells a new Worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  tid: number;
  spinMs: number;
  /** Word indices of the job descriptor (src/job.ts) and of the liveness words (src/pool.ts). */
  layout: {
    SEQ: number; STATE: number; NPHASES: number; ACK: number; PHASE0: number; PHASE_WORDS: number; MAX_PHASES: number;
    HEARTBEAT0: number; BUSY0: number; MAX_THREADS: number; BEAT_MS: number; SLICE_MS: number;
  };
}

/** The platform's side of a Worker: receive the init message, post back, close. */
export interface WorkerIO {
  onInit(fn: (init: WorkerInit) => void): void;
  post(msg: { type: "ready" | "error"; tid: number; message?: string }): void;
  close(): void;
}

export function workerMain(io: WorkerIO): void {
  io.onInit((init) => {
    const { tid, spinMs, layout: L } = init;
    let runPhase: (ctrl: number, phase: number, tid: number) => number;
    try {
      const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
      runPhase = instance.exports.runPhase as typeof runPhase;
    } catch (e) {
      io.post({ type: "error", tid, message: `could not instantiate the module: ${e}` });
      return;
    }
    const words = new Int32Array(init.memory.buffer, 0, L.BUSY0 + L.MAX_THREADS);
    const RUNNING = 0, SHUTDOWN = 1, ABORT = 2;
    const now = () => performance.now();
    // Liveness, for runtimes that say nothing when a Worker ends (Deno, Bun, browsers):
    // this Worker bumps its heartbeat word at least every BEAT_MS while it waits, and
    // keeps its busy word at 1 while it runs kernels (when it cannot beat). The caller
    // takes a waiting Worker whose heartbeat stands still as gone (src/pool.ts).
    const heartbeat = L.HEARTBEAT0 + tid, busy = L.BUSY0 + tid;
    let lastBeat = now();
    const beat = () => {
      lastBeat = now();
      Atomics.add(words, heartbeat, 1);
    };
    let seen = Atomics.load(words, L.SEQ);
    beat();
    io.post({ type: "ready", tid });

    // Spin until done() for up to spinMs, then sleep on `index` in slices until it changes.
    // Returns false when the context shuts down, or, inside a job (`inJob`), when the job
    // is aborted. Outside a job an abort is the caller resetting a job this Worker has
    // already left: it waits on.
    const waitUntil = (index: number, done: () => boolean, inJob: boolean): boolean => {
      const t0 = now();
      for (let spins = 1; ; spins++) {
        if (done()) return true;
        const state = Atomics.load(words, L.STATE);
        if (state === SHUTDOWN || (inJob && state !== RUNNING)) return false;
        if ((spins & 255) === 0) {
          const t = now();
          if (t - lastBeat > L.BEAT_MS) beat();
          if (t - t0 > spinMs) {
            const value = Atomics.load(words, index);
            if (!done()) Atomics.wait(words, index, value, L.SLICE_MS);
            beat();
          }
        }
      }
    };

    for (;;) {
      if (!waitUntil(L.SEQ, () => Atomics.load(words, L.SEQ) !== seen, false)) break;
      seen = Atomics.load(words, L.SEQ);
      beat();
      const phases = words[L.NPHASES];
      try {
        for (let p = 0; p < phases; p++) {
          const done = L.PHASE0 + p * L.PHASE_WORDS + 1;
          const total = words[done + 1];
          Atomics.store(words, busy, 1);
          const last = runPhase(0, p, tid);
          Atomics.store(words, busy, 0);
          beat();
          if (last) Atomics.notify(words, done);
          // The barrier: every group of this phase is complete before the next starts.
          if (!waitUntil(done, () => Atomics.load(words, done) >= total, true)) break;
        }
      } catch (e) {
        Atomics.store(words, busy, 0);
        Atomics.store(words, L.STATE, ABORT);
        for (let i = 0; i < L.PHASE0 + L.PHASE_WORDS * L.MAX_PHASES; i++) Atomics.notify(words, i);
        io.post({ type: "error", tid, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        return;
      }
      Atomics.add(words, L.ACK, 1);
      Atomics.notify(words, L.ACK);
    }
    io.close();
  });
}
