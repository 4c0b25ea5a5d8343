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
  /** Word indices of the job descriptor (src/job.ts). */
  layout: { SEQ: number; STATE: number; NPHASES: number; ACK: number; PHASE0: number; PHASE_WORDS: number; MAX_PHASES: number };
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
    const words = new Int32Array(init.memory.buffer, 0, L.PHASE0 + L.PHASE_WORDS * L.MAX_PHASES);
    const RUNNING = 0, ABORT = 2;
    const now = () => performance.now();
    let seen = Atomics.load(words, L.SEQ);
    io.post({ type: "ready", tid });

    // Spin until done() for up to spinMs, then sleep on `index` until it changes.
    // Returns false when the context is shutting down or has aborted.
    const waitUntil = (index: number, done: () => boolean): boolean => {
      const t0 = now();
      for (let spins = 1; ; spins++) {
        if (done()) return true;
        if (Atomics.load(words, L.STATE) !== RUNNING) return false;
        if ((spins & 255) === 0 && now() - t0 > spinMs) {
          const value = Atomics.load(words, index);
          if (!done()) Atomics.wait(words, index, value, 100);
        }
      }
    };

    for (;;) {
      if (!waitUntil(L.SEQ, () => Atomics.load(words, L.SEQ) !== seen)) break;
      seen = Atomics.load(words, L.SEQ);
      const phases = words[L.NPHASES];
      try {
        for (let p = 0; p < phases; p++) {
          const done = L.PHASE0 + p * L.PHASE_WORDS + 1;
          const total = words[done + 1];
          if (runPhase(0, p, tid)) Atomics.notify(words, done);
          // The barrier: every group of this phase is complete before the next starts.
          if (!waitUntil(done, () => Atomics.load(words, done) >= total)) break;
        }
      } catch (e) {
        Atomics.store(words, L.STATE, ABORT);
        for (let i = 0; i < words.length; i++) Atomics.notify(words, i);
        io.post({ type: "error", tid, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        return;
      }
      Atomics.add(words, L.ACK, 1);
      Atomics.notify(words, L.ACK);
    }
    io.close();
  });
}
