// simdcl: WebAssembly SIMD kernels dispatched OpenCL-style across Workers.
export { createContext, Context, type ContextOptions } from "./context.js";
export type { IntegralOptions, IntegralResult, IntegralSource } from "./ops/integral.js";
