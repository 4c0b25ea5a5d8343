// What differs between Node, Deno, Bun and browsers: how many cores there are, whether
// memory can be shared, and how a Worker is started. Everything else is the same code.
import { workerMain } from "./worker.ts";
import type { KernelConfig } from "./ops/schema.gen.ts";

/** A started Worker, whatever the runtime. */
export interface PlatformWorker {
  post(msg: unknown): void;
  onMessage(fn: (msg: any) => void): void;
  /** Called once if the Worker throws outside our handlers or exits. */
  onDeath(fn: (reason: string) => void): void;
  terminate(): void;
  /**
   * Whether the Worker may keep the process alive (Node, Deno and Bun; a no-op elsewhere).
   * The pool holds it only while a call is in flight (DESIGN.md, rule 10).
   */
  hold(keepAlive: boolean): void;
}

// Node's, Deno's and Bun's built-in modules, without an import() that bundlers and
// Miniflare would have to resolve (a computed one breaks Miniflare's module walker;
// `node:` in a literal breaks browser bundles). Node has it from 20.16.
export const builtin = (name: string): any => (globalThis as any).process?.getBuiltinModule?.(`node:${name}`);

const isNode = typeof (globalThis as any).process?.versions?.node === "string";

// The engine that compiles the kernels, as far as it says: V8's major version (0: not V8,
// or unknown), from Node's or Deno's version, or a browser's Chromium brand (Chromium 120
// shipped V8 12). Bun runs JavaScriptCore, though it reports a V8 version.
const v8Major: number = (() => {
  const g = globalThis as any;
  if (g.Bun !== undefined) return 0;
  const v = g.Deno?.version?.v8 ?? g.process?.versions?.v8;
  if (typeof v === "string") return parseInt(v, 10) || 0;
  const brands = g.navigator?.userAgentData?.brands;
  const chromium = Array.isArray(brands) ? brands.find((b: any) => b?.brand === "Chromium") : undefined;
  if (chromium) return parseInt(chromium.version, 10) >= 120 ? 12 : 11;
  return 0;
})();

/**
 * The kernel variants for this engine (docs/decisions/engine-variants.md has the
 * measurements). V8 before 12 (Node 20 has 11.3) puts every load of a loop body ahead of
 * the arithmetic, so kernels with many live vectors spill: there the depthwise kernels
 * pin their load order with partial-sum stores and the one-row GEMM kernel keeps four
 * accumulators; its splat loads are fast, so GEMM reads row-major A in place with them. The gray integral's byte-pair prefix suits V8's shuffles and loses on
 * JavaScriptCore, and so does the planar depthwise kernel's. Engines that do not say what
 * they are get the plain variants.
 */
export const defaultKernels: KernelConfig = {
  depthwisePinned: v8Major > 0 && v8Major < 12,
  depthwisePlanar: v8Major > 0,
  gemvFewAccumulators: v8Major > 0 && v8Major < 12,
  integralBytePairs: v8Major > 0,
  gemmRowsInPlace: v8Major > 0 && v8Major < 12,
  gemmPackedSplats: v8Major > 0 && v8Major < 12,
};

export async function hardwareThreads(): Promise<number> {
  const n = (globalThis as any).navigator?.hardwareConcurrency;
  if (typeof n === "number" && n > 0) return n;
  const os = isNode ? builtin("os") : undefined;
  if (os) return os.availableParallelism?.() ?? os.cpus().length;
  return 1;
}

/** Why Workers sharing one memory cannot run here, or null when they can. */
export function threadingUnavailable(): string | null {
  if (typeof SharedArrayBuffer !== "function") {
    return "SharedArrayBuffer is missing (a page needs Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers)";
  }
  if ((globalThis as any).crossOriginIsolated === false) return "the page is not cross-origin isolated";
  if (typeof (globalThis as any).Worker !== "function" && !builtin("worker_threads")) {
    return isNode ? "node:worker_threads is out of reach without process.getBuiltinModule (Node 20.16 or later)" : "this runtime has no Worker";
  }
  return null;
}

export async function startWorker(): Promise<PlatformWorker> {
  const body = `(${workerMain.toString()})`;
  const WebWorker = (globalThis as any).Worker;
  const threads = builtin("worker_threads");
  // A Web Worker where it can be unref'd (Bun) or nothing else exists (browsers);
  // node:worker_threads in Node and in Deno, whose Web Workers always hold the process.
  if (typeof WebWorker === "function" && (!threads || typeof WebWorker.prototype.unref === "function")) {
    const code = `${body}({ onInit: (f) => self.addEventListener("message", (e) => f(e.data), { once: true }),` +
      ` post: (m) => self.postMessage(m), close: () => self.close() });`;
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const w = new WebWorker(url, { type: "module" });
    // Bun fetches the URL after the constructor returns: revoke only once the Worker speaks.
    w.addEventListener("message", () => URL.revokeObjectURL(url), { once: true });
    return {
      post: (m) => w.postMessage(m),
      onMessage: (fn) => w.addEventListener("message", (e: MessageEvent) => fn(e.data)),
      onDeath: (fn) => {
        w.addEventListener("error", (e: ErrorEvent) => { e.preventDefault?.(); fn(`threw ${e.message ?? "an error"}`); });
        w.addEventListener("messageerror", () => fn("could not receive a message"));
      },
      terminate: () => {
        w.terminate();
        URL.revokeObjectURL(url);
      },
      hold: (keepAlive) => void (keepAlive ? w.ref?.() : w.unref?.()),
    };
  }
  const { Worker } = threads;
  const code = `const { parentPort } = require("node:worker_threads");\n` +
    `${body}({ onInit: (f) => parentPort.once("message", f), post: (m) => parentPort.postMessage(m),` +
    // Deno's node:worker_threads has no parentPort.close(); the Worker's own close() ends it there.
    ` close: () => (typeof parentPort.close === "function" ? parentPort.close() : globalThis.close?.()) });`;
  const w = new Worker(code, { eval: true });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => w.on("message", fn),
    onDeath: (fn) => {
      w.on("error", (e: Error) => fn(`threw ${e.message}`));
      w.on("exit", (code: number) => fn(`exited with code ${code}`));
    },
    terminate: () => void w.terminate(),
    hold: (keepAlive) => void (keepAlive ? w.ref() : w.unref()),
  };
}
