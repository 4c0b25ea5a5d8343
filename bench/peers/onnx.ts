// onnxruntime-web 1.30 (its threaded SIMD build, which starts in Node as shipped) running
// a one-node MatMul model. The model is written here as ONNX protobuf bytes: a few
// fields of ModelProto, GraphProto, NodeProto and ValueInfoProto, no dependency needed.
import { createRequire } from "node:module";

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

export async function loadOnnxRuntime(threads: number): Promise<{ ort: any }> {
  const ort = createRequire(import.meta.url)("onnxruntime-web");
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  return { ort };
}
