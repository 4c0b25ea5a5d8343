// simdcl: WebAssembly SIMD kernels dispatched OpenCL-style across Workers.
export { createContext, Context, type ContextOptions } from "./context.js";
export { DeviceBuffer, type ElementArray, type ElementType } from "./buffer.js";
export type { IntegralOptions, IntegralOut, IntegralResult, IntegralSource } from "./ops/integral.js";
export { PackedMatrix, type Activation, type GemmOptions, type PackBOptions } from "./ops/gemm.js";
export type { PlainLayout, Shape4 } from "./ops/layout.js";
