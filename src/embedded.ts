// "simdcl/embedded" (and JSR's default entry): the same API as "simdcl", with the three
// builds inside as base64 (about 330 KB of JavaScript), for environments that want one
// file and no fetch or file read next to the module: a single-file bundle, a page that
// cannot serve .wasm, Deno importing from JSR (a fetch from import.meta.url would need
// --allow-net there). createContext({ module }) still takes a module handed in.
import { createContextWith, type Context, type ContextOptions } from "./context.ts";
import { relaxedWasm, simdWasm, singleWasm } from "./wasm.gen.ts";
import { compileBytes, type Variant } from "./wasm.ts";

export * from "./index.ts";

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const fromBase64 = (Uint8Array as any).fromBase64;
  if (typeof fromBase64 === "function") return fromBase64(base64);
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function compileEmbedded(variant: Variant): Promise<WebAssembly.Module> {
  return compileBytes(variant, decode(variant === "relaxed" ? relaxedWasm : variant === "simd" ? simdWasm : singleWasm));
}

/** createContext with the kernels compiled from the bytes embedded in this entry. */
export function createContext(options?: ContextOptions): Promise<Context> {
  return createContextWith(options, compileEmbedded);
}
