// f32 matrix multiply: simdcl on 1 and 2 threads against XNNPACK (tfjs-backend-wasm,
// SIMD build, one thread: its threaded build does not start in Node), onnxruntime-web on
// 2 threads (the threaded peer that starts in Node), ml-matrix and a plain JavaScript
// i-k-j loop, in the same run. GFLOP/s = 2·m·n·k / median time; "of
// ceiling" is the fraction of this machine's f32x4 ceiling (bench/ceiling.as.ts) for
// the build simdcl runs (relaxed SIMD where the runtime has it, else plain SIMD).
//
// Every call is whole: arrays in, a new result array out. XNNPACK caches its packed B
// per tensor, so its figures exclude packing; "prepacked" rows are simdcl the same way
// (cl.packB once), the others pack B on every call. Each case is measured in three rounds
// of XNNPACK then simdcl; a row's ratio is the median of its same-round ratios.
import { createContext } from "simdcl";
import { addTwoThreadPeer, machine, measureRounds, median, printTable, type Row } from "./common.js";
import { wasmCeiling } from "./peers/ceiling.js";
import { loadTfjsWasm } from "./peers/tfjs.js";
import { loadOnnxRuntime, matMulModel, timeSession } from "./peers/onnx.js";
import { createRequire } from "node:module";

const { Matrix } = createRequire(import.meta.url)("ml-matrix");

const CASES = [
  ...[64, 128, 256, 512, 1024, 2048].map((s) => ({ name: `${s}³`, m: s, n: s, k: s })),
  { name: "m=1, k=n=1024", m: 1, n: 1024, k: 1024 },
  { name: "m=64, k=n=1024", m: 64, n: 1024, k: 1024 },
  { name: "m=n=64, k=4096", m: 64, n: 64, k: 4096 },
];

// One case's work: its FLOP count, timing budget (big cases get fewer runs) and operands.
function setup(c: { m: number; n: number; k: number }) {
  const flops = 2 * c.m * c.n * c.k;
  const opts = flops > 2e9 ? { time: 300, iterations: 5 } : { time: 400, iterations: 10 };
  const A = Float32Array.from({ length: c.m * c.k }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  const B = Float32Array.from({ length: c.k * c.n }, (_, i) => ((i * 53) % 103) / 103 - 0.5);
  return { flops, opts, A, B };
}

function ikj(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, k: number): void {
  C.fill(0);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < k; l++) {
      const a = A[i * k + l];
      for (let j = 0; j < n; j++) C[i * n + j] += a * B[l * n + j];
    }
  }
}

async function main() {
  console.log(`f32 GEMM — ${machine()}`);
  const plain = (await wasmCeiling(false))!;
  const relaxed = await wasmCeiling(true);
  console.log(`wasm f32x4 ceiling on one core: ${plain.toFixed(1)} GFLOP/s (mul+add)` +
    (relaxed ? `, ${relaxed.toFixed(1)} GFLOP/s (relaxed_madd)` : ", relaxed SIMD off in this runtime"));
  const { tf } = await loadTfjsWasm();
  const t1 = await createContext({ threads: 1 });
  const t2 = await createContext({ threads: 2 });
  const ceiling = t1.variant === "relaxed" && relaxed ? relaxed : plain;
  console.log(`simdcl build: ${t1.variant}; "of ceiling" is against ${ceiling.toFixed(1)} GFLOP/s per thread`);
  const rows: Row[] = [];

  for (const c of CASES) {
    const { flops, opts, A, B } = setup(c);
    const gflops = (ms: number) => flops / (ms * 1e6);

    const ta = tf.tensor2d(A, [c.m, c.k]);
    const tb = tf.tensor2d(B, [c.k, c.n]);
    const expected = tf.matMul(ta, tb).dataSync() as Float32Array;
    const shape = { m: c.m, n: c.n, k: c.k };
    for (const cl of [t1, t2]) {
      const got = await cl.gemm(A, B, shape);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
      if (!(worst < 1e-3 * Math.sqrt(c.k))) throw new Error(`${c.name}: simdcl and XNNPACK differ by ${worst}`);
    }
    const packed = await Promise.all([t1, t2].map((cl) => cl.packB(B, { k: c.k, n: c.n })));
    // Rounds of XNNPACK then each simdcl form (measureRounds in common.ts says why).
    const forms: [string, number, () => unknown][] = [
      ["XNNPACK (tfjs-wasm), 1 thread", 1, () => {
        const r = tf.matMul(ta, tb);
        r.dataSync();
        r.dispose();
      }],
      ["simdcl, 1 thread", 1, () => t1.gemm(A, B, shape)],
      ["simdcl prepacked B, 1 thread", 1, () => t1.gemm(A, packed[0], shape)],
      ["simdcl, 2 threads", 2, () => t2.gemm(A, B, shape)],
      ["simdcl prepacked B, 2 threads", 2, () => t2.gemm(A, packed[1], shape)],
    ];
    const measured = await measureRounds(forms.map(([, , fn]) => fn), opts);
    for (const [i, [impl, threads]] of forms.entries()) {
      const { ms, ratio } = measured[i];
      const note = i === 0 ? undefined : `${((100 * gflops(ms)) / (ceiling * threads)).toFixed(0)} % of ceiling`;
      rows.push({ case: c.name, impl, ms, rate: gflops(ms), vs: i === 0 ? undefined : gflops(ms) / ratio, note });
    }
    const xnn = gflops(measured[0].ms);
    packed.forEach((p) => p.dispose());
    ta.dispose();
    tb.dispose();

    if (flops <= 2 * 512 ** 3) {
      const ma = new Matrix(c.m, c.k), mb = new Matrix(c.k, c.n);
      const mlMs = await median(() => ma.mmul(mb), { time: 300, iterations: 3 });
      rows.push({ case: c.name, impl: "ml-matrix", ms: mlMs, rate: gflops(mlMs), vs: xnn });
    }
    if (flops <= 2 * 256 ** 3 || c.m === 1) {
      const C = new Float32Array(c.m * c.n);
      const jsMs = await median(() => ikj(A, B, C, c.m, c.n, c.k), { time: 300, iterations: 3 });
      rows.push({ case: c.name, impl: "plain JavaScript i-k-j", ms: jsMs, rate: gflops(jsMs), vs: xnn });
    }
  }
  t1.dispose();
  t2.dispose();

  // onnxruntime-web last: its thread pool spins after each run and would slow whatever
  // was measured next. Its rows join the table with the ratio of simdcl's 2 threads to it.
  const { ort } = await loadOnnxRuntime(2);
  for (const c of CASES) {
    const { flops, opts, A, B } = setup(c);
    const feeds = { A: new ort.Tensor("float32", A, [c.m, c.k]), B: new ort.Tensor("float32", B, [c.k, c.n]) };
    const ms = await timeSession(ort, matMulModel(c.m, c.n, c.k), feeds, opts);
    addTwoThreadPeer(rows, c.name, "onnxruntime-web, 2 threads", ms, flops / (ms * 1e6));
  }
  printTable("f32 GEMM, C = A·B (row-major)", "GFLOP/s", rows, "vs XNNPACK");
}

await main();
process.exit(0); // onnxruntime-web's thread pool would keep the process alive
