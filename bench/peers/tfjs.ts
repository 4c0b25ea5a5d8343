// XNNPACK through @tensorflow/tfjs-backend-wasm 4.22. In Node it picks the SIMD build on
// one thread: its threaded build does not start in Node as shipped (../shared/PEERS.md).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export async function loadTfjsWasm(): Promise<{ tf: any }> {
  const require = createRequire(import.meta.url);
  const tf = require("@tensorflow/tfjs-core");
  const wasm = require("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/"));
  await tf.setBackend("wasm");
  await tf.ready();
  return { tf };
}
