// 2-D convolution, layers of real networks at batch 1: simdcl on 1 and 2 threads against
// XNNPACK (tfjs-backend-wasm, SIMD build, one thread: its threaded build does not start
// in Node), onnxruntime-web on 2 threads (the threaded peer that starts in Node; a Conv
// model with its weights as an initializer, so packed once) and a plain JavaScript direct
// loop, in the same run.
// GFLOP/s = 2·n·oc·oh·ow·(c/groups)·kh·kw / median time.
//
// XNNPACK caches its packed filter per tensor and keeps tensors in its own heap; the
// "resident" rows are simdcl the same way: weights packed once (cl.packConv), input and
// output NC4HW4 device buffers. The "NHWC arrays" rows are whole calls as a user without
// device buffers makes them: an NHWC Float32Array in, layouts converted both ways, a new
// array out, weights packed on every call.
import { createContext } from "simdcl";
import { addTwoThreadPeer, machine, measureRounds, median, newResultLike, printTable, type Row } from "./common.js";
import { wasmCeiling } from "./peers/ceiling.js";
import { loadTfjsWasm } from "./peers/tfjs.js";
import { convModel, loadOnnxRuntime, timeSession } from "./peers/onnx.js";

interface Layer {
  name: string;
  c: number; h: number; w: number; oc: number; k: number; stride: number; pad: number;
  depthwise?: boolean;
  /** Spacing of the kernel's taps (1 when left out). */
  dilation?: number;
}

const LAYERS: Layer[] = [
  { name: "ResNet-50 conv1 7×7/2 224²×3→64", c: 3, h: 224, w: 224, oc: 64, k: 7, stride: 2, pad: 3 },
  { name: "3×3 56²×64→64", c: 64, h: 56, w: 56, oc: 64, k: 3, stride: 1, pad: 1 },
  { name: "1×1 56²×256→64", c: 256, h: 56, w: 56, oc: 64, k: 1, stride: 1, pad: 0 },
  { name: "3×3/2 28²×128→128", c: 128, h: 28, w: 28, oc: 128, k: 3, stride: 2, pad: 1 },
  { name: "1×1 14²×1024→256", c: 1024, h: 14, w: 14, oc: 256, k: 1, stride: 1, pad: 0 },
  { name: "depthwise 3×3 112²×32", c: 32, h: 112, w: 112, oc: 32, k: 3, stride: 1, pad: 1, depthwise: true },
  { name: "depthwise 3×3/2 56²×144", c: 144, h: 56, w: 56, oc: 144, k: 3, stride: 2, pad: 1, depthwise: true },
  { name: "depthwise 5×5 28²×96", c: 96, h: 28, w: 28, oc: 96, k: 5, stride: 1, pad: 2, depthwise: true },
  // Small layers: MobileNetV2's and V3's last stage at 224² (rows seven wide).
  { name: "depthwise 3×3 7²×960", c: 960, h: 7, w: 7, oc: 960, k: 3, stride: 1, pad: 1, depthwise: true },
  { name: "depthwise 5×5 7²×672", c: 672, h: 7, w: 7, oc: 672, k: 5, stride: 1, pad: 2, depthwise: true },
  { name: "depthwise 31×31 28²×64", c: 64, h: 28, w: 28, oc: 64, k: 31, stride: 1, pad: 15, depthwise: true },
];

/** Layers conv2d runs as Winograd F(4×4, 3×3) (algorithm "auto"). */
const winogradLayer = (l: Layer) => l.k === 3 && l.stride === 1 && (l.dilation ?? 1) === 1 && !l.depthwise;

const out = (size: number, l: Layer) => Math.floor((size + 2 * l.pad - (l.k - 1) * (l.dilation ?? 1) - 1) / l.stride) + 1;


// The layer's operands: NCHW and NHWC input, OIHW and HWIO (tfjs) weights.
function setup(l: Layer) {
  const oh = out(l.h, l), ow = out(l.w, l);
  const cg = l.depthwise ? 1 : l.c;
  const flops = 2 * l.oc * oh * ow * cg * l.k * l.k;
  const nchw = Float32Array.from({ length: l.c * l.h * l.w }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  const nhwc = new Float32Array(nchw.length);
  for (let ch = 0; ch < l.c; ch++) for (let p = 0; p < l.h * l.w; p++) nhwc[p * l.c + ch] = nchw[ch * l.h * l.w + p];
  const oihw = Float32Array.from({ length: l.oc * cg * l.k * l.k }, (_, i) => ((i * 53) % 103) / 103 - 0.5);
  // tfjs: conv2d filters are [kh, kw, c, oc], depthwise [kh, kw, c, 1].
  const hwio = new Float32Array(oihw.length);
  for (let o = 0; o < l.oc; o++) {
    for (let ci = 0; ci < cg; ci++) {
      for (let t = 0; t < l.k * l.k; t++) {
        const v = oihw[(o * cg + ci) * l.k * l.k + t];
        hwio[l.depthwise ? t * l.c + o : (t * cg + ci) * l.oc + o] = v;
      }
    }
  }
  const opts = flops > 4e8 ? { time: 400, iterations: 5 } : { time: 400, iterations: 10 };
  return { oh, ow, cg, flops, nchw, nhwc, oihw, hwio, opts };
}

// The plain JavaScript direct loop, NCHW.
function direct(l: Layer, x: Float32Array, wt: Float32Array, y: Float32Array, oh: number, ow: number, cg: number): void {
  for (let o = 0; o < l.oc; o++) {
    const g0 = l.depthwise ? o : 0;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let s = 0;
        for (let ci = 0; ci < cg; ci++) {
          for (let ky = 0; ky < l.k; ky++) {
            const iy = oy * l.stride - l.pad + ky;
            if (iy < 0 || iy >= l.h) continue;
            for (let kx = 0; kx < l.k; kx++) {
              const ix = ox * l.stride - l.pad + kx;
              if (ix < 0 || ix >= l.w) continue;
              s += x[((g0 + ci) * l.h + iy) * l.w + ix] * wt[((o * cg + ci) * l.k + ky) * l.k + kx];
            }
          }
        }
        y[(o * oh + oy) * ow + ox] = s;
      }
    }
  }
}

async function main() {
  console.log(`f32 conv2d, batch 1 — ${machine()}`);
  const plain = (await wasmCeiling(false))!;
  console.log(`wasm f32x4 ceiling on one core: ${plain.toFixed(1)} GFLOP/s (mul+add)`);
  const { tf } = await loadTfjsWasm();
  const t1 = await createContext({ threads: 1 });
  const t2 = await createContext({ threads: 2 });
  console.log(`simdcl build: ${t1.variant}`);
  const rows: Row[] = [];

  for (const l of LAYERS) {
    const { oh, ow, cg, flops, nchw, nhwc, oihw, hwio, opts } = setup(l);
    const gflops = (ms: number) => flops / (ms * 1e6);
    const wShape: [number, number, number, number] = [l.oc, cg, l.k, l.k];
    const dilation = l.dilation ?? 1;
    const options = { stride: l.stride, padding: l.pad, dilation, groups: l.depthwise ? l.c : 1 };

    const x = tf.tensor4d(nhwc, [1, l.h, l.w, l.c]);
    const f = tf.tensor4d(hwio, l.depthwise ? [l.k, l.k, l.c, 1] : [l.k, l.k, l.c, l.oc]);
    const pad = [[0, 0], [l.pad, l.pad], [l.pad, l.pad], [0, 0]];
    const run = () => (l.depthwise ? tf.depthwiseConv2d(x, f, l.stride, pad) : tf.conv2d(x, f, l.stride, pad));
    const r = run();
    const expected = r.dataSync() as Float32Array; // NHWC
    r.dispose();

    // simdcl as it runs resident (weights packed once, NC4HW4 device buffers in and out)
    // on each context, and on one thread from NHWC arrays with plain weights.
    const resident = await Promise.all([t1, t2].map(async (cl) => {
      const packed = await cl.packConv(oihw, wShape, { groups: options.groups });
      const input = cl.buffer(Float32Array, Math.ceil(l.c / 4) * 4 * l.h * l.w);
      const nc4hw4 = await cl.toNC4HW4(nchw, [1, l.c, l.h, l.w]);
      input.array.set(nc4hw4); // the view taken after the call, which may grow the memory
      const output = cl.buffer(Float32Array, Math.ceil(l.oc / 4) * 4 * oh * ow);
      const call = () => cl.conv2d(input, [1, l.c, l.h, l.w], packed, wShape, { ...options, layout: "NC4HW4", out: output });
      return { call, free: () => [packed, input, output].forEach((b) => b.dispose()) };
    }));
    const arrays = () => t1.conv2d(nhwc, [1, l.c, l.h, l.w], oihw, wShape, { ...options, layout: "NHWC" });
    for (const cl of [t1, t2]) {
      const got = await cl.conv2d(nhwc, [1, l.c, l.h, l.w], oihw, wShape, { ...options, layout: "NHWC" });
      let worst = 0;
      for (let i = 0; i < got.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - expected[i]));
      if (!(worst < 1e-3 * Math.sqrt(cg * l.k * l.k))) throw new Error(`${l.name}: simdcl and XNNPACK differ by ${worst}`);
    }

    // Rounds of XNNPACK then each simdcl form (measureRounds says why).
    const forms: [string, () => unknown][] = [
      ["XNNPACK (tfjs-wasm), 1 thread", () => run().dispose()],
      ["simdcl resident, 1 thread", resident[0].call],
      ["simdcl NHWC arrays, 1 thread", arrays],
      ["simdcl resident, 2 threads", resident[1].call],
    ];
    const measured = await measureRounds(forms.map(([, fn]) => fn), opts);
    for (const [i, [impl]] of forms.entries()) {
      const { ms, ratio } = measured[i];
      rows.push({ case: l.name, impl, ms, rate: gflops(ms), vs: i === 0 ? undefined : gflops(ms) / ratio });
    }
    const xnn = gflops(measured[0].ms);
    resident.forEach((r) => r.free());
    x.dispose();
    f.dispose();

    const y = new Float32Array(l.oc * oh * ow);
    const jsMs = await median(() => direct(l, nchw, oihw, y, oh, ow, cg), { time: 200, iterations: 3 });
    rows.push({ case: l.name, impl: "plain JavaScript direct loop", ms: jsMs, rate: gflops(jsMs), vs: xnn });
  }
  const plainRows = await plainCalls(tf, [t1, t2], plain);
  const poolRows = await pooling(tf, [t1, t2]);
  t1.dispose();
  t2.dispose();

  // onnxruntime-web last: its thread pool spins after each run and would slow whatever
  // was measured next. Its rows join the table; simdcl's 2-thread rows get the ratio to it.
  const { ort } = await loadOnnxRuntime(2);
  for (const l of LAYERS) {
    const { flops, nchw, oihw, opts } = setup(l);
    const model = convModel({ n: 1, ...l, groups: l.depthwise ? l.c : 1 }, oihw);
    const ms = await timeSession(ort, model, { X: new ort.Tensor("float32", nchw, [1, l.c, l.h, l.w]) }, opts);
    addTwoThreadPeer(rows, l.name, "onnxruntime-web, 2 threads", ms, flops / (ms * 1e6));
  }
  printTable("f32 conv2d, batch 1", "GFLOP/s", rows, "vs XNNPACK");
  printTable("f32 conv2d, plain calls (NCHW arrays in, a new array out, the same OIHW weights each call; first calls: new weights)", "GFLOP/s", plainRows, "vs XNNPACK");
  console.log("× is the median of same-round ratios to XNNPACK (first calls: to XNNPACK's first call); the bound's × (to XNNPACK's median) is the most a plain call could reach, its rate the best of the ceiling kernel and the layer's one-thread rows.");
  printTable("f32 pooling, batch 1", "GB/s", poolRows, "vs XNNPACK");
}

// The call a user writes first: an NCHW Float32Array in, plain OIHW weights, a new array
// out (the weights are the same array every call, as a model's are), against XNNPACK on
// tensors with its packed filter cached, and simdcl resident for scale.
const PLAIN: Layer[] = [
  { name: "3×3 28²×128→128", c: 128, h: 28, w: 28, oc: 128, k: 3, stride: 1, pad: 1 },
  { name: "1×1 28²×128→512", c: 128, h: 28, w: 28, oc: 512, k: 1, stride: 1, pad: 0 },
  { name: "3×3 dilation 2 40²×32→64", c: 32, h: 40, w: 40, oc: 64, k: 3, stride: 1, pad: 2, dilation: 2 },
  { name: "depthwise 3×3/2 28²×240", c: 240, h: 28, w: 28, oc: 240, k: 3, stride: 2, pad: 1, depthwise: true },
];

async function plainCalls(tf: any, contexts: Awaited<ReturnType<typeof createContext>>[], ceiling: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const l of PLAIN) {
    const { oh, ow, cg, flops, nchw, nhwc, oihw, hwio } = setup(l);
    const wShape: [number, number, number, number] = [l.oc, cg, l.k, l.k];
    const dilation = l.dilation ?? 1;
    const options = { stride: l.stride, padding: l.pad, dilation, groups: l.depthwise ? l.c : 1 };
    const x = tf.tensor4d(nhwc, [1, l.h, l.w, l.c]);
    const f = tf.tensor4d(hwio, l.depthwise ? [l.k, l.k, l.c, 1] : [l.k, l.k, l.c, l.oc]);
    const pad = [[0, 0], [l.pad, l.pad], [l.pad, l.pad], [0, 0]];
    const xnn = () => (l.depthwise ? tf.depthwiseConv2d(x, f, l.stride, pad, "NHWC", dilation) : tf.conv2d(x, f, l.stride, pad, "NHWC", dilation)).dispose();
    const resident = await Promise.all(contexts.map(async (cl) => {
      const packed = await cl.packConv(oihw, wShape, { groups: options.groups });
      const input = cl.buffer(Float32Array, Math.ceil(l.c / 4) * 4 * l.h * l.w);
      const output = cl.buffer(Float32Array, Math.ceil(l.oc / 4) * 4 * oh * ow);
      const call = () => cl.conv2d(input, [1, l.c, l.h, l.w], packed, wShape, { ...options, layout: "NC4HW4", out: output });
      return { call, free: () => [packed, input, output].forEach((b) => b.dispose()) };
    }));
    const plain = contexts.map((cl) => () => cl.conv2d(nchw, [1, l.c, l.h, l.w], oihw, wShape, options));
    // What a plain call must move at the least: its input array into the context's memory,
    // and its output out into a new array; nothing computed.
    const copyIn = contexts[0].buffer(Float32Array, nchw.length), copyOut = contexts[0].buffer(Float32Array, l.oc * oh * ow);
    const copies = () => {
      copyIn.array.set(nchw);
      newResultLike(copyOut.length).set(copyOut.array);
    };
    const forms = [xnn, resident[0].call, plain[0], resident[1].call, plain[1], copies];
    const names = ["XNNPACK (tfjs-wasm), 1 thread", "simdcl resident, 1 thread", "simdcl plain, 1 thread", "simdcl resident, 2 threads", "simdcl plain, 2 threads", "copy floor: the arrays in and out, nothing computed"];
    const measured = await measureRounds(forms, { time: 400, iterations: 10 });
    const rate = (ms: number) => flops / (ms * 1e6);
    measured.forEach(({ ms, ratio }, i) => rows.push({ case: l.name, impl: names[i], ms, rate: rate(ms), vs: i === 0 ? undefined : rate(ms) / ratio }));
    // The least a direct-arithmetic plain call could take: its copies plus its multiply-adds
    // at the best one-thread rate of this run: the f32x4 ceiling kernel's, or a kernel's
    // that beat it (the ceiling's chains are latency-bound on some cores, where a GEMM tile
    // runs faster). Not for Winograd's layers, which do fewer multiplications.
    if (!winogradLayer(l)) {
      const best = Math.max(ceiling, rate(measured[0].ms), rate(measured[1].ms));
      const boundMs = measured[5].ms + flops / (best * 1e6);
      rows.push({ case: l.name, impl: `bound: copy floor + the work at ${best.toFixed(1)} GFLOP/s`, ms: boundMs, rate: rate(boundMs), vs: rate(measured[0].ms) });
    }
    // First calls: new weights every call (a model's first run), so XNNPACK packs a new
    // filter tensor and simdcl a new array (its weight cache misses); ratios to XNNPACK's.
    const xnnFirst = () => {
      const f1 = tf.tensor4d(hwio, l.depthwise ? [l.k, l.k, l.c, 1] : [l.k, l.k, l.c, l.oc]);
      (l.depthwise ? tf.depthwiseConv2d(x, f1, l.stride, pad, "NHWC", dilation) : tf.conv2d(x, f1, l.stride, pad, "NHWC", dilation)).dispose();
      f1.dispose();
    };
    const first = contexts.map((cl) => () => cl.conv2d(nchw, [1, l.c, l.h, l.w], oihw.slice(), wShape, options));
    const firstNames = ["XNNPACK first call (a new filter tensor), 1 thread", "simdcl plain first call (new weights), 1 thread", "simdcl plain first call (new weights), 2 threads"];
    (await measureRounds([xnnFirst, ...first], { time: 400, iterations: 10 }))
      .forEach(({ ms, ratio }, i) => rows.push({ case: l.name, impl: firstNames[i], ms, rate: rate(ms), vs: i === 0 ? undefined : rate(ms) / ratio }));
    copyIn.dispose();
    copyOut.dispose();
    resident.forEach((r) => r.free());
    x.dispose();
    f.dispose();
  }
  return rows;
}

// Pooling layers: XNNPACK (tf.maxPool / tf.avgPool, NHWC in its heap) against simdcl
// resident (NC4HW4 device buffers), same rounds. GB/s counts the input read and the output written.
const POOLS = [
  { name: "max 3×3/2 112²×64 (ResNet stem)", mode: "max" as const, c: 64, h: 112, k: 3, stride: 2, pad: 1 },
  { name: "global average 7²×2048", mode: "avg" as const, c: 2048, h: 7, k: 7, stride: 1, pad: 0 },
];

async function pooling(tf: any, contexts: Awaited<ReturnType<typeof createContext>>[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const p of POOLS) {
    const o = Math.floor((p.h + 2 * p.pad - p.k) / p.stride) + 1;
    const bytes = 4 * p.c * (p.h * p.h + o * o);
    const nhwc = Float32Array.from({ length: p.c * p.h * p.h }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
    const x = tf.tensor4d(nhwc, [1, p.h, p.h, p.c]);
    const run = () => (p.mode === "max" ? tf.maxPool(x, p.k, p.stride, p.pad) : tf.avgPool(x, p.k, p.stride, p.pad)).dispose();
    const resident = await Promise.all(contexts.map(async (cl) => {
      const nc4 = await cl.toNC4HW4(nhwc, [1, p.c, p.h, p.h], { from: "NHWC" });
      const input = cl.buffer(Float32Array, nc4.length);
      input.array.set(nc4);
      const out = cl.buffer(Float32Array, Math.ceil(p.c / 4) * 4 * o * o);
      const tensor = { data: input, shape: [1, p.c, p.h, p.h] as const, layout: "NC4HW4" as const };
      const call = () => cl.pool2d(tensor, { mode: p.mode, kernel: p.k, stride: p.stride, padding: p.pad, out });
      return { call, free: () => [input, out].forEach((b) => b.dispose()) };
    }));
    const forms = [run, resident[0].call, resident[1].call];
    const names = ["XNNPACK (tfjs-wasm), 1 thread", "simdcl resident, 1 thread", "simdcl resident, 2 threads"];
    const measured = await measureRounds(forms, { time: 300, iterations: 20 });
    const rate = (ms: number) => bytes / (ms * 1e6);
    measured.forEach(({ ms, ratio }, i) => rows.push({ case: p.name, impl: names[i], ms, rate: rate(ms), vs: i === 0 ? undefined : rate(ms) / ratio }));
    resident.forEach((r) => r.free());
    x.dispose();
  }
  return rows;
}

await main();
process.exit(0); // onnxruntime-web's thread pool would keep the process alive
