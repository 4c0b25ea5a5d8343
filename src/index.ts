// simdcl: WebAssembly SIMD kernels dispatched OpenCL-style across Workers.
export { createContext, Context, type ContextOptions } from "./context.ts";
export { DeviceBuffer, type ElementArray, type ElementType, type F32Operand } from "./buffer.ts";
export type { KernelConfig } from "./ops/schema.gen.ts";
// Each op's public names (generated from src/ops/schema.mjs).
export * from "./ops/exports.gen.ts";
