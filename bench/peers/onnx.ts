// onnxruntime-web 1.30 (its threaded SIMD build, which starts in Node as shipped) running
// a one-node MatMul or Conv model. The model is written here as ONNX protobuf bytes: a few
// fields of ModelProto, GraphProto, NodeProto and ValueInfoProto, no dependency needed.
import { createRequire } from "node:module";
import { median } from "../common.js";

// Protobuf wire format: varint fields (type 0) and length-delimited fields (type 2).
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  return out;
}
const field = (no: number, bytes: number[]) => [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
const int = (no: number, v: number) => [...varint(no << 3), ...varint(v)];
const text = (no: number, s: string) => field(no, [...new TextEncoder().encode(s)]);

// ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1 (FLOAT), shape = 2 { dim = 1 { dim_value = 1 } } } } }
function tensorInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => field(1, int(1, d)));
  return [...text(1, name), ...field(2, field(1, [...int(1, 1), ...field(2, shape)]))];
}

/** ModelProto of C = MatMul(A, B) with A m×k and B k×n, opset 13. */
export function matMulModel(m: number, n: number, k: number): Uint8Array {
  const node = [...text(1, "A"), ...text(1, "B"), ...text(2, "C"), ...text(4, "MatMul")];
  const graph = [
    ...field(1, node),
    ...text(2, "matmul"),
    ...field(11, tensorInfo("A", [m, k])),
    ...field(11, tensorInfo("B", [k, n])),
    ...field(12, tensorInfo("C", [m, n])),
  ];
  return new Uint8Array([...int(1, 8), ...field(7, graph), ...field(8, int(2, 13))]);
}

// AttributeProto { name = 1, type = 20 (INT 2, INTS 7), i = 3, ints = 8 }
const intAttr = (name: string, v: number) => field(5, [...text(1, name), ...int(20, 2), ...int(3, v)]);
const intsAttr = (name: string, vs: number[]) => field(5, [...text(1, name), ...int(20, 7), ...vs.flatMap((v) => int(8, v))]);

/** ModelProto of Y = Conv(X, W), NCHW, W an initializer (so it is packed once), opset 13. */
export function convModel(o: { n: number; c: number; h: number; w: number; oc: number; k: number; stride: number; pad: number; groups: number }, weight: Float32Array): Uint8Array {
  const oh = Math.floor((o.h + 2 * o.pad - o.k) / o.stride) + 1;
  const ow = Math.floor((o.w + 2 * o.pad - o.k) / o.stride) + 1;
  const node = [
    ...text(1, "X"), ...text(1, "W"), ...text(2, "Y"), ...text(4, "Conv"),
    ...intsAttr("kernel_shape", [o.k, o.k]), ...intsAttr("strides", [o.stride, o.stride]),
    ...intsAttr("pads", [o.pad, o.pad, o.pad, o.pad]), ...intAttr("group", o.groups),
  ];
  // TensorProto { dims = 1, data_type = 2 (FLOAT 1), name = 8, raw_data = 9 }
  const wDims = [o.oc, o.c / o.groups, o.k, o.k];
  const raw = [...new Uint8Array(weight.buffer, weight.byteOffset, weight.byteLength)];
  const initializer = [...wDims.flatMap((d) => int(1, d)), ...int(2, 1), ...text(8, "W"), ...field(9, raw)];
  const graph = [
    ...field(1, node),
    ...text(2, "conv"),
    ...field(5, initializer),
    ...field(11, tensorInfo("X", [o.n, o.c, o.h, o.w])),
    ...field(12, tensorInfo("Y", [o.n, o.oc, oh, ow])),
  ];
  return new Uint8Array([...int(1, 8), ...field(7, graph), ...field(8, int(2, 13))]);
}

/** Median ms of one session run of `model` on `feeds` (the session made and released here). */
export async function timeSession(ort: any, model: Uint8Array, feeds: Record<string, unknown>, opts: { time: number; iterations: number }): Promise<number> {
  const session = await ort.InferenceSession.create(model);
  try {
    return await median(() => session.run(feeds), opts);
  } finally {
    await session.release();
  }
}

export async function loadOnnxRuntime(threads: number): Promise<{ ort: any }> {
  const ort = createRequire(import.meta.url)("onnxruntime-web");
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  return { ort };
}
