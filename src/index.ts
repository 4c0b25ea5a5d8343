// simdcl: WebAssembly SIMD kernels dispatched OpenCL-style across Workers.
export { createContext, Context, type ContextOptions } from "./context.ts";
export { DeviceBuffer, type ElementArray, type ElementType, type F32Operand } from "./buffer.ts";
export type { IntegralOptions, IntegralOut, IntegralResult, IntegralSource } from "./ops/integral.ts";
export { PackedMatrix, type Activation, type GemmOptions, type PackBOptions } from "./ops/gemm.ts";
export type { Layout, PlainLayout, Shape4 } from "./ops/layout.ts";
export { PackedConv, type Conv2dOptions, type Conv2dResult, type ConvAlgorithm, type PackConvOptions } from "./ops/conv2d.ts";
