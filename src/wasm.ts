// Picking, finding and compiling the kernels' module. By default each build is a file
// next to this module (dist/simdcl*.wasm), fetched or read only when a context needs it,
// so a bundle carries no kernel it does not use; src/embedded.ts carries all three inside.
import { builtin } from "./platform.ts";

export type Variant = "relaxed" | "simd" | "single";

/** Each build's file name, as shipped in dist/ and exported as "simdcl/<file>". */
export const wasmFiles: Record<Variant, string> = {
  relaxed: "simdcl-relaxed.wasm",
  simd: "simdcl.wasm",
  single: "simdcl-single.wasm",
};

// One literal `new URL("./file", import.meta.url)` per build: the form bundlers that copy
// assets (Vite, webpack 5, Parcel) recognise.
function locate(variant: Variant): URL {
  // Scripts (an iife bundle, Vercel's edge sandbox) and some runtimes (workerd) have none.
  if (typeof import.meta.url !== "string") throw new Error("import.meta.url is not set here, so there is no \"next to the module\"");
  if (variant === "relaxed") return new URL("./simdcl-relaxed.wasm", import.meta.url);
  if (variant === "simd") return new URL("./simdcl.wasm", import.meta.url);
  return new URL("./simdcl-single.wasm", import.meta.url);
}

const passModule = (file: string) =>
  `import the module through your bundler and pass it in: ` +
  `\`import module from "simdcl/${file}"; const cl = await createContext({ threads: 1, module });\`` +
  ` (Cloudflare Workers and Vercel Edge need this)`;

/**
 * The default loader: the build's file next to this module, compiled while it streams in
 * where there is fetch and the URL is http(s), read from disk in Node, Deno and Bun.
 */
export async function compileVariant(variant: Variant): Promise<WebAssembly.Module> {
  const file = wasmFiles[variant];
  let bytes: BufferSource;
  let url: URL | undefined;
  try {
    url = locate(variant);
    if (url.protocol === "file:") {
      const deno = (globalThis as any).Deno;
      const fs = deno?.readFile ? undefined : builtin("fs/promises");
      if (!deno?.readFile && !fs) {
        const node = (globalThis as any).process?.versions?.node;
        throw new Error(node ? `Node ${node} has no process.getBuiltinModule to read it with (Node 20.16 or later has)` : "this runtime has no file system to read it from");
      }
      bytes = await (deno?.readFile ? deno.readFile(url) : fs.readFile(url));
    } else {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      // compileStreaming insists on the application/wasm type; other servers get a plain compile.
      const type = response.headers.get("content-type") ?? "";
      if (typeof WebAssembly.compileStreaming === "function" && type.startsWith("application/wasm")) {
        return await explainCompile(variant, WebAssembly.compileStreaming(response));
      }
      bytes = await response.arrayBuffer();
      // A dev server answers a file it does not have with its HTML page, status 200.
      const head = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
      if (String.fromCharCode(...head) !== "\0asm") {
        throw new Error(`got ${type || "a response"} that is not WebAssembly: it starts ${JSON.stringify(String.fromCharCode(...new Uint8Array(bytes, 0, Math.min(16, bytes.byteLength))))}`);
      }
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("simdcl:")) throw e;
    const where = url ? ` from ${url.href}` : "";
    throw new Error(
      `simdcl: could not load ${file}${where} (${e instanceof Error ? e.message : String(e)}). ` +
        `Serve or ship simdcl's .wasm files next to its JavaScript (a dev server that pre-bundles ` +
        `dependencies moves the JavaScript away from them; in Vite: optimizeDeps: { exclude: ["simdcl"] }), pass a compiled module as ` +
        `createContext({ module }), or import createContext from "simdcl/embedded", which carries the builds inside.`,
      { cause: e },
    );
  }
  return explainCompile(variant, WebAssembly.compile(bytes));
}

/** Compile a build's bytes; where the runtime refuses, say how to pass the module in. */
export function compileBytes(variant: Variant, bytes: BufferSource): Promise<WebAssembly.Module> {
  let compiled: Promise<WebAssembly.Module>;
  try {
    compiled = WebAssembly.compile(bytes);
  } catch (e) {
    compiled = Promise.reject(e);
  }
  return explainCompile(variant, compiled);
}

async function explainCompile(variant: Variant, compiled: Promise<WebAssembly.Module>): Promise<WebAssembly.Module> {
  try {
    return await compiled;
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    // Cloudflare Workers and Vercel Edge: "Wasm code generation disallowed by embedder".
    if (/disallowed|not allowed|code generation/i.test(message)) {
      throw new Error(`simdcl: this runtime forbids compiling WebAssembly at run time (${message}); ${passModule(wasmFiles.single)}.`, { cause: e });
    }
    throw new Error(`simdcl: could not compile ${wasmFiles[variant]} (${message}); simdcl needs WebAssembly SIMD (128-bit).`, { cause: e });
  }
}

// (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))):
// a build may hold no relaxed instruction yet, so validating it proves nothing.
const zeroV128 = [0xfd, 0x0c, ...new Array(16).fill(0)];
const relaxedProbe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x3d, 0x01, 0x3b, 0x00, ...zeroV128, ...zeroV128, ...zeroV128, 0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this runtime validates relaxed SIMD (Node 20 needs a flag for it). */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(relaxedProbe);
}

/** Whether a module imports its memory as shared (the threaded builds do). */
export function importsSharedMemory(module: WebAssembly.Module): boolean {
  // The JS API does not say; a shared memory import links only against a shared memory.
  try {
    new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true }) } });
    return true;
  } catch {
    return false;
  }
}
