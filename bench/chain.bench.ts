// A chain of real layers fed plain arrays, as a user without device buffers runs a model:
// a MobileNet-style depthwise-separable stack on a 416² input (a first 3×3/2 convolution,
// then six depthwise 3×3 + pointwise 1×1 pairs, ReLU6 after each), each layer's output
// array handed to the next. simdcl: an NHWC Float32Array in, plain OIHW weights (the same
// arrays every call), a new array out, layer by layer. XNNPACK (tfjs-backend-wasm, one
// thread): the same layers on tensors made from the arrays and read back with dataSync(),
// its filters held as tensors (packed once), ReLU6 fused as a converted model runs it
// (tf.fused.conv2d, tf.fused.depthwiseConv2d). Five rounds (a chain allocates ~45 MB of
// results per run, and the garbage collector's timing moves single rounds), medians. simdcl
// again with an array per layer made once and passed as `out` (no result allocated per
// call; XNNPACK's dataSync() has no such option). The
// copy floor: what the plain arrays cost alone, each layer's input copied in and a new
// output array filled, nothing computed. The bound: the copy floor plus the chain's work at
// the best one-thread rate measured in the same run (the f32x4 ceiling kernel's or a resident
// GEMM's), the least time a plain-array chain could take (an estimate from medians of
// separate rounds: the copies' cost moves with the machine's).
import { createContext } from "simdcl";
import { machine, measureRounds, median, newResultLike, printTable, type Row } from "./common.js";
import { wasmCeiling } from "./peers/ceiling.js";
import { loadTfjsWasm } from "./peers/tfjs.js";

interface Layer { c: number; oc: number; k: number; stride: number; depthwise: boolean }

function stack(): Layer[] {
  const layers: Layer[] = [{ c: 3, oc: 32, k: 3, stride: 2, depthwise: false }];
  let c = 32;
  for (const [oc, stride] of [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2]]) {
    layers.push({ c, oc: c, k: 3, stride, depthwise: true });
    layers.push({ c, oc, k: 1, stride: 1, depthwise: false });
    c = oc;
  }
  return layers;
}

const SIZE = 416;

async function main() {
  console.log(`a depthwise-separable chain on ${SIZE}²×3, plain arrays layer by layer — ${machine()}`);
  const layers = stack();
  const { tf } = await loadTfjsWasm();
  const cl = await createContext({ threads: 1 });
  const cl2 = await createContext({ threads: 2 });
  // Weights: OIHW for simdcl, HWIO (or HW·C·1 for depthwise) for tfjs, from the same values.
  const weights = layers.map((l, i) => {
    const cg = l.depthwise ? 1 : l.c;
    const oihw = Float32Array.from({ length: l.oc * cg * l.k * l.k }, (_, j) => (((j * 31 + i * 7) % 97) / 97 - 0.5) * 0.2);
    const hwio = new Float32Array(oihw.length);
    for (let o = 0; o < l.oc; o++) for (let ci = 0; ci < cg; ci++) for (let t = 0; t < l.k * l.k; t++) {
      hwio[l.depthwise ? t * l.c + o : (t * cg + ci) * l.oc + o] = oihw[(o * cg + ci) * l.k * l.k + t];
    }
    const filter = tf.tensor4d(hwio, l.depthwise ? [l.k, l.k, l.c, 1] : [l.k, l.k, l.c, l.oc]);
    return { oihw, filter, shape: [l.oc, cg, l.k, l.k] as const };
  });
  const input = Float32Array.from({ length: SIZE * SIZE * 3 }, (_, i) => ((i * 37) % 101) / 101);
  // Each layer's work, and its input's and output's lengths.
  let flops = 0;
  const sizes: [number, number][] = [];
  {
    let h = SIZE;
    for (const l of layers) {
      const o = Math.ceil(h / l.stride);
      flops += 2 * l.oc * o * o * (l.depthwise ? 1 : l.c) * l.k * l.k;
      sizes.push([h * h * l.c, o * o * l.oc]);
      h = o;
    }
  }

  // `outs`: an array per layer made once and passed as `out` (a new result array can cost
  // more than the layer when the process takes its pages fresh from the system).
  const simdcl = (ctx: typeof cl, outs?: Float32Array[]) => async () => {
    let x: Float32Array = input, h = SIZE;
    for (const [i, l] of layers.entries()) {
      const y = await ctx.conv2d(x, [1, l.c, h, h], weights[i].oihw, weights[i].shape, {
        stride: l.stride, padding: "same", groups: l.depthwise ? l.c : 1, activation: "relu6", layout: "NHWC", out: outs?.[i],
      });
      x = y.data as Float32Array;
      h = y.shape[2];
    }
    return x;
  };
  const outs = sizes.map(([, outLength]) => new Float32Array(outLength));
  const xnnpack = () => {
    let x: Float32Array = input, h = SIZE;
    for (const [i, l] of layers.entries()) {
      const t = tf.tensor4d(x, [1, h, h, l.c]);
      const args = { x: t, filter: weights[i].filter, strides: l.stride, pad: "same", activation: "relu6" };
      const r = l.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
      x = r.dataSync() as Float32Array;
      h = r.shape[1];
      t.dispose(); r.dispose();
    }
    return x;
  };
  // The two agree (same-padding conventions, NHWC both).
  const a = await simdcl(cl)(), b = xnnpack();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  if (!(a.length === b.length && worst < 1e-3)) throw new Error(`chain: simdcl and XNNPACK differ by ${worst} (lengths ${a.length}, ${b.length})`);
  const viaOut = await simdcl(cl, outs)();
  if (viaOut.some((v, i) => v !== a[i])) throw new Error("chain: simdcl into out arrays differs from simdcl into new arrays");

  // What the plain arrays cost on their own: each layer's input copied into the context's
  // memory and a new output array filled from it, nothing computed (both sides pay these).
  const staging = cl.buffer(Float32Array, Math.max(...sizes.flat()));
  const sources = sizes.map(([inLength]) => new Float32Array(inLength).fill(0.5));
  const copies = () => {
    for (const [i, [, outLength]] of sizes.entries()) {
      staging.array.set(sources[i]);
      newResultLike(outLength).set(staging.array.subarray(0, outLength));
    }
  };
  const forms = [xnnpack, simdcl(cl), simdcl(cl2), copies, simdcl(cl, outs), simdcl(cl2, outs)];
  const names = [
    "XNNPACK (tfjs-wasm), 1 thread", "simdcl plain NHWC, 1 thread", "simdcl plain NHWC, 2 threads", "copy floor: each layer's arrays in and out, nothing computed",
    "simdcl plain NHWC into out arrays made once, 1 thread", "simdcl plain NHWC into out arrays made once, 2 threads",
  ];
  const measured = await measureRounds(forms, { time: 1500, iterations: 8 }, 5);
  const rows: Row[] = measured.map(({ ms, ratio }, i) => ({
    case: `${layers.length} layers, ${SIZE}²`, impl: names[i], ms, rate: flops / (ms * 1e6), vs: i === 0 ? undefined : flops / (ms * 1e6) / ratio,
  }));
  // The bound: the copies (median) plus every multiply-add at the best one-thread rate of
  // this run, no overhead: the f32x4 ceiling kernel's, or a resident GEMM's where it beats
  // it (the ceiling's chains are latency-bound on some cores; GEMM is most of the chain).
  const ceiling = (await wasmCeiling(false))!;
  const best = Math.max(ceiling, await residentGemmRate(cl));
  const boundMs = measured[3].ms + flops / (best * 1e6);
  rows.push({ case: rows[0].case, impl: `bound: copy floor + the work at ${best.toFixed(1)} GFLOP/s (ceiling kernel ${ceiling.toFixed(1)})`, ms: boundMs, rate: flops / (boundMs * 1e6), vs: rows[0].rate });
  printTable("f32 depthwise-separable chain, plain arrays layer by layer", "GFLOP/s", rows, "vs XNNPACK");
  staging.dispose();
  cl.dispose();
  cl2.dispose();
}

await main();

/** GFLOP/s of a resident GEMM the size of the chain's middle 1×1 layers (52²×256→256). */
async function residentGemmRate(cl: Awaited<ReturnType<typeof createContext>>): Promise<number> {
  const [m, n, k] = [2704, 256, 256];
  const a = cl.buffer(Float32Array, m * k), c = cl.buffer(Float32Array, m * n);
  a.array.fill(0.5);
  const b = await cl.packB(new Float32Array(k * n).fill(0.25), { k, n });
  const ms = await median(() => cl.gemm(a, b, { m, n, k, c }), { time: 500, iterations: 10 });
  [a, c, b].forEach((x) => x.dispose());
  return (2 * m * n * k) / (ms * 1e6);
}
