// Picking and compiling the kernels' module.
import { relaxedWasm, simdWasm, singleWasm } from "./wasm.gen.ts";

export type Variant = "relaxed" | "simd" | "single";

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
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

export function compileVariant(variant: Variant): Promise<WebAssembly.Module> {
  const source = variant === "relaxed" ? relaxedWasm : variant === "simd" ? simdWasm : singleWasm;
  return WebAssembly.compile(decode(source));
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
