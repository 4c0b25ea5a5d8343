// simdcl: WebAssembly SIMD kernels dispatched OpenCL-style across Workers.
export { createContext, Context, type ContextOptions } from "./context.ts";
export { DeviceBuffer, type ElementArray, type ElementType } from "./buffer.ts";
export type { IntegralOptions, IntegralOut, IntegralResult, IntegralSource } from "./ops/integral.ts";
export { PackedMatrix, type Activation, type F32Operand, type GemmOptions, type PackBOptions } from "./ops/gemm.ts";
export type { PlainLayout, Shape4 } from "./ops/layout.ts";
