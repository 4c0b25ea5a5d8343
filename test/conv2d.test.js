// conv2d() against a float64 direct convolution: awkward channel counts, kernels 1..7 and
// 31, strides, dilations, asymmetric and oversized padding, groups and depthwise with a
// multiplier, batches, every layout pair, every algorithm forced, packed weights, thread
// counts, and bad input.
//
// Error bound per output: |y − ref| ≤ 2·(K+3)·2⁻²⁴·(Σ|x·w| + |bias|), K = (c/groups)·kh·kw:
// the f32 rounding of K products and sums plus the epilogue, with or without FMA. Winograd
// gets 4× that, with Σ|x·w| + |bias| taken as its largest over the aligned 4×4 block of
// outputs: its transforms mix a whole tile's patch, so an output's error follows its
// tile's magnitudes, and they grow intermediate values (F(4×4)'s Bᵀ and Aᵀ hold 5s and 8s).
// Measured on these tests and longer fuzz runs: under 0.2× the bound before the 4×.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { createContextWith } from "../dist/context.js";
import { HOST } from "../dist/run.js";
import { compileVariant } from "../dist/wasm.js";
import { contextsPerThreadCount, random, randomF32, rejects, withContext } from "./helpers.js";
import { conv2dReference, toNC4HW4Reference, toNHWCReference } from "./reference.js";

const test = suite("conv2d");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

/** A tensor in NCHW (from `layout`), checking NC4HW4's padded channels are zero. */
function toNCHW(data, layout, [n, c, h, w], label) {
  if (layout === "NCHW") return data;
  const out = new Float32Array(n * c * h * w);
  const c4 = Math.ceil(c / 4);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < (layout === "NC4HW4" ? c4 * 4 : c); ch++) {
      for (let i = 0; i < h * w; i++) {
        const v = layout === "NHWC" ? data[(b * h * w + i) * c + ch] : data[((b * c4 + (ch >> 2)) * h * w + i) * 4 + (ch & 3)];
        if (ch < c) out[(b * c + ch) * h * w + i] = v;
        else if (v !== 0) assert.unreachable(`${label}: padded channel ${ch} holds ${v}`);
      }
    }
  }
  return out;
}

function fromNCHW(x, layout, shape) {
  return layout === "NCHW" ? x : layout === "NHWC" ? toNHWCReference(x, shape) : toNC4HW4Reference(x, shape, "NCHW");
}

function checkClose(got, ref, k, label, scale = ref.scale, factor = 1) {
  const eps = 2 ** -24;
  for (let i = 0; i < ref.out.length; i++) {
    const g = got[i], r = ref.out[i];
    const bound = factor * 2 * (k + 3) * eps * scale[i] + 1e-30;
    if (globalThis.process?.env?.SIMDCL_ERROR_REPORT) worst.ratio = Math.max(worst.ratio, Math.abs(g - r) / (bound / factor));
    if (!(Math.abs(g - r) <= bound)) assert.unreachable(`${label}: output ${i} is ${g}, reference ${r}, bound ${bound}`);
  }
}
const worst = { ratio: 0 };

/**
 * Winograd's scale: an output's error follows its whole tile (the transforms mix the
 * tile's patch), so each output takes the largest Σ|x·w| + |bias| of the aligned 4×4
 * block of outputs it lies in (F(4×4)'s tile, and two by two of F(2×2)'s).
 */
function tileScale(scale, [n, oc, oh, ow]) {
  const out = new Float64Array(scale.length);
  for (let plane = 0; plane < n * oc; plane++) {
    for (let y0 = 0; y0 < oh; y0 += 4) {
      for (let x0 = 0; x0 < ow; x0 += 4) {
        let m = 0;
        for (let y = y0; y < Math.min(oh, y0 + 4); y++) for (let x = x0; x < Math.min(ow, x0 + 4); x++) m = Math.max(m, scale[(plane * oh + y) * ow + x]);
        for (let y = y0; y < Math.min(oh, y0 + 4); y++) for (let x = x0; x < Math.min(ow, x0 + 4); x++) out[(plane * oh + y) * ow + x] = m;
      }
    }
  }
  return out;
}

/** How much more than the direct bound Winograd may be off (see the header). */
const WINOGRAD_FACTOR = 4;

const pad4 = (p) => (typeof p === "number" ? [p, p, p, p] : p);
const pair = (v) => (typeof v === "number" ? [v, v] : v ?? [1, 1]);

/**
 * One case: random input, weights and bias, run on every thread count (and any extra
 * options), checked against the reference in NCHW. `device`: the input in a device buffer
 * (small depthwise calls from arrays run on the caller alone; from device buffers they
 * take the threads).
 */
async function checkCase(rand, { shape, wShape, options = {}, threads = THREADS, device = false }) {
  const [n, c, h, w] = shape;
  const x = randomF32(rand, n * c * h * w, 1);
  const weight = randomF32(rand, wShape[0] * wShape[1] * wShape[2] * wShape[3], 1);
  const bias = options.bias === true ? randomF32(rand, wShape[0], 1) : undefined;
  const opts = { ...options, bias };
  if (!bias) delete opts.bias;
  const padding = options.padding === "same" ? null : pad4(options.padding ?? 0);
  const label = JSON.stringify({ shape, wShape, ...options });
  const layout = options.layout ?? "NCHW";
  const outputLayout = options.outputLayout ?? layout;
  for (const t of threads) {
    const given = fromNCHW(x, layout, shape);
    const buffer = device ? contexts[t].buffer(Float32Array, given.length) : null;
    buffer?.array.set(given);
    const { data, shape: outShape } = await contexts[t].conv2d(buffer ?? given, shape, weight, wShape, opts);
    buffer?.dispose();
    const ref = conv2dReference(x, shape, weight, wShape, {
      stride: pair(options.stride), dilation: pair(options.dilation), groups: options.groups ?? 1, bias, activation: options.activation,
      pad: padding ?? samePadding(shape, wShape, pair(options.stride), pair(options.dilation)),
    });
    assert.equal(outShape, [n, wShape[0], ref.oh, ref.ow], `${label}: output shape`);
    const winograd = mayRunWinograd(wShape, options);
    const scale = winograd ? tileScale(ref.scale, outShape) : ref.scale;
    checkClose(toNCHW(data, outputLayout, outShape, label), ref, wShape[1] * wShape[2] * wShape[3], `${label} threads=${t}`, scale, winograd ? WINOGRAD_FACTOR : 1);
  }
}

// Whether the planner may pick Winograd for this layer (the looser bound applies).
function mayRunWinograd([, , kh, kw], options) {
  const algorithm = options.algorithm ?? "auto";
  if (algorithm === "winograd") return true;
  const [sh, sw] = pair(options.stride), [dh, dw] = pair(options.dilation);
  return algorithm === "auto" && kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 && (options.groups ?? 1) === 1;
}

// TensorFlow's "same", written out independently of the library.
function samePadding([, , h, w], [, , kh, kw], [sh, sw], [dh, dw]) {
  const th = Math.max((Math.ceil(h / sh) - 1) * sh + (kh - 1) * dh + 1 - h, 0);
  const tw = Math.max((Math.ceil(w / sw) - 1) * sw + (kw - 1) * dw + 1 - w, 0);
  return [th >> 1, tw >> 1, th - (th >> 1), tw - (tw >> 1)];
}

test("dense convolutions of awkward shapes match the reference", async () => {
  const rand = random(401);
  const cases = [
    { shape: [1, 1, 1, 1], wShape: [1, 1, 1, 1] },
    { shape: [1, 3, 7, 5], wShape: [5, 3, 3, 3], options: { padding: 1 } },
    { shape: [2, 5, 9, 11], wShape: [7, 5, 2, 4], options: { stride: [2, 3], padding: [0, 2, 1, 3], bias: true } },
    { shape: [1, 7, 13, 10], wShape: [3, 7, 5, 5], options: { dilation: [2, 3], padding: [4, 6, 4, 6], activation: "relu" } },
    { shape: [1, 4, 6, 6], wShape: [9, 4, 3, 3], options: { padding: 5, bias: true, activation: "relu6" } },
    { shape: [1, 3, 12, 12], wShape: [4, 3, 7, 7], options: { stride: 3, padding: "same" } },
    { shape: [1, 2, 1, 1], wShape: [3, 2, 1, 1], options: { bias: true } },
    { shape: [1, 2, 1, 1], wShape: [3, 2, 3, 3], options: { padding: 1 } },
    { shape: [3, 6, 5, 4], wShape: [6, 6, 1, 1], options: { stride: 2 } },
    { shape: [1, 16, 20, 17], wShape: [24, 16, 3, 3], options: { padding: "same", bias: true, activation: "relu" } },
    { shape: [1, 3, 40, 40], wShape: [10, 3, 6, 6], options: { stride: 2, padding: [2, 3, 1, 0] } },
    { shape: [1, 2, 33, 35], wShape: [4, 2, 31, 31], options: { padding: 15 } },
    // Few channels pack k compactly; these span more than one k block (256).
    { shape: [1, 7, 12, 13], wShape: [5, 7, 7, 7], options: { padding: 3, stride: 2, bias: true } },
    { shape: [2, 13, 9, 9], wShape: [11, 13, 5, 5], options: { padding: [2, 1, 0, 3] } },
  ];
  for (const k of [1, 2, 3, 4, 5, 6, 7]) {
    cases.push({ shape: [1, 1 + (k % 5), 13 + 2 * k, 20], wShape: [1 + ((k * 3) % 7), 1 + (k % 5), k, 8 - k], options: { stride: 1 + (k % 3), dilation: 1 + ((k + 1) % 3), padding: [k % 3, (k + 1) % 4, 0, k % 2] } });
  }
  for (const c of cases) await checkCase(rand, c);
});

test("fuzz: random layers and layouts, every algorithm that applies, against the reference", async () => {
  const rand = random(411);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  for (let i = 0; i < 40; i++) {
    const groups = [1, 1, 1, 2, 3][int(0, 4)];
    const c = groups * int(1, 8), oc = groups * int(1, 8);
    const kh = int(1, 5), kw = int(1, 5);
    const stride = [int(1, 3), int(1, 3)], dilation = [int(1, 2), int(1, 2)];
    const padding = [int(0, 3), int(0, 3), int(0, 3), int(0, 3)];
    const h = Math.max(1, (kh - 1) * dilation[0] + 1 - padding[0] - padding[2]) + int(0, 9);
    const w = Math.max(1, (kw - 1) * dilation[1] + 1 - padding[1] - padding[3]) + int(0, 9);
    const layouts = ["NCHW", "NHWC", "NC4HW4"];
    const options = {
      groups, stride, dilation, padding, bias: rand() < 0.5, activation: ["none", "relu", "relu6"][int(0, 2)],
      layout: layouts[int(0, 2)], outputLayout: layouts[int(0, 2)],
    };
    const base = { shape: [int(1, 2), c, h, w], wShape: [oc, c / groups, kh, kw], threads: [1, 2] };
    const algorithms = ["auto", "im2col"];
    if (kh === 1 && kw === 1 && stride[0] === 1 && stride[1] === 1 && padding.every((p) => p === 0)) algorithms.push("1x1");
    if (kh === 3 && kw === 3 && stride[0] === 1 && stride[1] === 1 && dilation[0] === 1 && dilation[1] === 1 && groups === 1) algorithms.push("winograd");
    if (groups > 1 && c === groups) algorithms.push("depthwise");
    for (const algorithm of algorithms) await checkCase(rand, { ...base, options: { ...options, algorithm } });
  }
});

test("1×1 layers: read in place, and through im2col, sizes around the tile and blocks", async () => {
  const rand = random(402);
  for (const [c, oc, h, w] of [[1, 1, 1, 1], [3, 5, 1, 7], [8, 8, 3, 3], [7, 12, 5, 9], [16, 20, 13, 11], [37, 9, 12, 12], [260, 12, 4, 4], [12, 1030, 2, 3], [4, 8, 23, 23]]) {
    for (const algorithm of ["1x1", "im2col"]) {
      await checkCase(rand, { shape: [2, c, h, w], wShape: [oc, c, 1, 1], options: { algorithm, bias: true, activation: "relu6" } });
    }
  }
  // NCHW packed where it lies and stored from staged tiles (one k block; 260 channels take
  // two, which store NC4HW4 and convert): partial tiles both ways, device buffers, threads.
  for (const [c, oc, h, w] of [[7, 12, 5, 9], [9, 13, 3, 5], [256, 8, 2, 2], [260, 20, 3, 3]]) {
    await checkCase(rand, { shape: [2, c, h, w], wShape: [oc, c, 1, 1], options: { bias: true, activation: "relu" }, threads: [1, 2], device: true });
  }
});

test("deep layers: k split across blocks, many output channels", async () => {
  const rand = random(403);
  await checkCase(rand, { shape: [1, 64, 9, 9], wShape: [40, 64, 3, 3], options: { padding: 1, bias: true } });
  await checkCase(rand, { shape: [1, 300, 5, 6], wShape: [13, 300, 1, 1], options: { bias: true } });
});

test("grouped: channels in whole quads (a GEMM per group) and not (block-diagonal)", async () => {
  const rand = random(404);
  await checkCase(rand, { shape: [2, 8, 7, 6], wShape: [12, 4, 3, 3], options: { groups: 2, padding: 1, bias: true } });
  await checkCase(rand, { shape: [1, 16, 5, 5], wShape: [16, 4, 1, 1], options: { groups: 4 } });
  await checkCase(rand, { shape: [1, 6, 7, 8], wShape: [9, 2, 3, 2], options: { groups: 3, stride: 2, padding: [1, 0, 1, 1] } });
  await checkCase(rand, { shape: [1, 10, 6, 6], wShape: [4, 5, 1, 1], options: { groups: 2, algorithm: "1x1" } });
});

test("depthwise: 3×3 and 5×5 at stride 1 and 2, multipliers, large kernels, oversized padding", async () => {
  const rand = random(405);
  const cases = [
    { shape: [1, 5, 11, 19], wShape: [5, 1, 3, 3], options: { groups: 5, padding: 1, bias: true, activation: "relu6" } },
    { shape: [2, 8, 16, 17], wShape: [8, 1, 3, 3], options: { groups: 8, stride: 2, padding: "same" } },
    { shape: [1, 7, 12, 25], wShape: [7, 1, 5, 5], options: { groups: 7, padding: 2, bias: true } },
    { shape: [1, 4, 9, 20], wShape: [4, 1, 5, 5], options: { groups: 4, stride: 2, padding: [2, 1, 2, 3] } },
    { shape: [1, 3, 10, 10], wShape: [6, 1, 3, 3], options: { groups: 3, padding: 1, bias: true } },
    { shape: [1, 5, 8, 9], wShape: [10, 1, 3, 2], options: { groups: 5, dilation: [2, 3], padding: [2, 3, 1, 0] } },
    { shape: [1, 2, 4, 5], wShape: [2, 1, 3, 3], options: { groups: 2, padding: 6, activation: "relu" } },
    { shape: [1, 3, 1, 1], wShape: [3, 1, 1, 1], options: { groups: 3 } },
    { shape: [1, 6, 28, 28], wShape: [6, 1, 31, 31], options: { groups: 6, padding: 15, bias: true } },
    { shape: [1, 4, 40, 33], wShape: [8, 1, 31, 31], options: { groups: 4, padding: "same", stride: 2 } },
    { shape: [1, 9, 3, 70], wShape: [9, 1, 7, 7], options: { groups: 9, padding: [3, 0, 3, 6], stride: [1, 3] } },
  ];
  for (const c of cases) await checkCase(rand, c);
});

test("depthwise rows of every width from one window to three blocks: the sliding windows, their edge blocks and tails", async () => {
  const rand = random(413);
  for (const [k, stride] of [[3, 1], [5, 1], [3, 2]]) {
    for (const padding of ["same", (k - 1) >> 1, [0, 1, 0, 2]]) {
      for (let w = k; w <= k + 8 * 3 * stride + 1; w++) {
        await checkCase(rand, { shape: [1, 4, k + 1, w], wShape: [4, 1, k, k], options: { groups: 4, stride, padding, layout: "NC4HW4" }, threads: [1] });
      }
    }
  }
});

test("depthwise 3×3/2 rows that sevens and eights tile, over spans of rows with the same taps, one quad at a time and all quads a block", async () => {
  const rand = random(416);
  // Output widths 7–30 (sevens alone, sevens and eights, eights alone, no exact tiling),
  // eight output rows (the first with taps in the padding, the rest one span); NHWC with
  // 12 channels takes its three quads a block.
  for (const [c, layout, outputLayout] of [[4, "NC4HW4", "NC4HW4"], [12, "NHWC", "NHWC"], [8, "NC4HW4", "NHWC"]]) {
    for (let w = 13; w <= 60; w += c === 4 ? 1 : 3) {
      const padding = w % 4 === 0 ? "same" : 1;
      await checkCase(rand, { shape: [1, c, 15, w], wShape: [c, 1, 3, 3], options: { groups: c, stride: 2, padding, bias: true, activation: "relu6", layout, outputLayout }, threads: [1, 2], device: w % 2 === 0 });
    }
  }
});

test("depthwise rows four to eight wide (a block of their own, the padding skipped) and right-edge sevens: every layout pair, several quads, spans of rows, threads", async () => {
  const rand = random(419);
  // 3×3 and 5×5 at stride 1 and their (k - 1) / 2 padding, 4 to 8 wide (the row blocks), 3
  // and 9 wide (the blocks around them); 3×3/2 with its padding on the left (1), the right
  // ("same" on an even row) or both (1 on an odd row), 4 to 8 outputs wide, and 14 and 28
  // ("same": a right-edge seven); NCHW input takes them over the padded copy's zeros.
  const layouts = [["NC4HW4", "NC4HW4"], ["NHWC", "NHWC"], ["NHWC", "NC4HW4"], ["NC4HW4", "NHWC"], ["NCHW", "NCHW"], ["NC4HW4", "NCHW"]];
  const cases = [
    [12, 7, 7, 3, 1, 1], [8, 8, 8, 3, 1, 1], [8, 7, 7, 5, 1, 2], [12, 8, 8, 5, 1, 2], [4, 6, 6, 3, 1, 1], [8, 5, 5, 5, 1, 2],
    [12, 4, 4, 3, 1, 1], [8, 6, 4, 5, 1, 2], [4, 3, 3, 3, 1, 1], [8, 9, 9, 5, 1, 2], [8, 10, 7, 3, 1, 1],
    [8, 8, 8, 3, 2, 1], [12, 10, 10, 3, 2, "same"], [8, 12, 12, 3, 2, 1], [8, 9, 9, 3, 2, 1], [4, 13, 13, 3, 2, 1],
    [8, 16, 16, 3, 2, "same"], [12, 14, 14, 3, 2, "same"], [8, 9, 28, 3, 2, "same"], [4, 11, 11, 3, 2, "same"],
  ];
  for (const [layout, outputLayout] of layouts) {
    for (const [c, h, w, k, stride, padding] of cases) {
      await checkCase(rand, {
        shape: [2, c, h, w], wShape: [c, 1, k, k],
        options: { layout, outputLayout, groups: c, stride, padding, bias: true, activation: "relu6" }, threads: [1, 2], device: c === 8,
      });
    }
  }
});

test("compact im2col (few channels, such as RGB) reads NHWC where it lies: k blocks, strides, dilations, padding, device buffers", async () => {
  const rand = random(417);
  const cases = [
    { shape: [1, 3, 31, 29], wShape: [32, 3, 3, 3], options: { stride: 2, padding: "same", bias: true, activation: "relu6" } },
    { shape: [2, 3, 17, 19], wShape: [8, 3, 7, 7], options: { stride: 2, padding: 3 } },
    // Most tiles' windows inside the image (read where they lie on engines that do), several MC blocks.
    { shape: [1, 3, 58, 66], wShape: [12, 3, 7, 7], options: { stride: 2, padding: 3, bias: true, activation: "relu" } },
    { shape: [1, 5, 12, 13], wShape: [6, 5, 5, 4], options: { dilation: [2, 1], padding: [4, 0, 1, 3], bias: true } },
    // 13 channels at 7×7: 637 k, three k blocks.
    { shape: [1, 13, 9, 11], wShape: [9, 13, 7, 7], options: { padding: 3, activation: "relu" } },
    { shape: [1, 1, 6, 40], wShape: [4, 1, 1, 5], options: { stride: [1, 3] } },
  ];
  for (const c of cases) {
    for (const outputLayout of ["NHWC", "NC4HW4", "NCHW"]) {
      await checkCase(rand, { ...c, options: { ...c.options, layout: "NHWC", outputLayout, algorithm: "im2col" } });
    }
  }
  // From a device buffer: the last pixel's quad reads past the tensor, into the region's overhang.
  await withContext(createContext, { threads: 2 }, async (cl) => {
    const shape = [1, 3, 10, 10], wShape = [4, 3, 3, 3];
    const x = randomF32(rand, 300, 1), weight = randomF32(rand, 108, 1);
    const input = cl.buffer(Float32Array, 300);
    input.array.set(toNHWCReference(x, shape));
    const { data } = await cl.conv2d(input, shape, weight, wShape, { padding: 1, layout: "NHWC" });
    const ref = conv2dReference(x, shape, weight, wShape, { pad: [1, 1, 1, 1] });
    checkClose(toNCHW(data, "NHWC", [1, 4, 10, 10], "device"), ref, 27, "compact NHWC from a device buffer");
    input.dispose();
  });
});

// Layers for im2col reading NHWC (whole quads) and NCHW where they lie, in every output layout.
const IM2COL_READS = [
  { shape: [2, 8, 11, 13], wShape: [12, 8, 3, 3], options: { stride: 2, padding: 1, bias: true, activation: "relu6" } },
  // Kernel groups (each group's channels whole quads): a group's quads start 4·cg·g bytes into an NHWC pixel.
  { shape: [1, 16, 9, 10], wShape: [8, 8, 3, 3], options: { groups: 2, padding: [1, 2, 0, 1], dilation: 2 } },
  { shape: [2, 12, 7, 7], wShape: [24, 4, 3, 3], options: { groups: 3, stride: [2, 1], padding: 1, bias: true } },
  // Groups not in whole output quads: one kernel group, block-diagonal weights.
  { shape: [1, 8, 6, 9], wShape: [6, 4, 3, 3], options: { groups: 2, padding: 1, activation: "relu" } },
  // 18 channels: a partial last quad without compact k (NHWC keeps its pass); 96 at 3×3: k in three blocks of whole taps.
  { shape: [2, 18, 9, 7], wShape: [5, 18, 3, 3], options: { stride: 3, padding: 2 } },
  { shape: [1, 96, 7, 6], wShape: [20, 96, 3, 3], options: { padding: 1 } },
  // 20 channels at 5×5: 125 k-quads in blocks of 63, the second starting inside a tap.
  { shape: [1, 20, 6, 7], wShape: [4, 20, 5, 5], options: { padding: 2 } },
  { shape: [1, 4, 5, 16], wShape: [4, 4, 1, 5], options: { stride: [1, 3], padding: [0, 2, 0, 0] } },
  { shape: [1, 20, 5, 16], wShape: [4, 20, 1, 5], options: { stride: [1, 2], padding: [0, 2, 0, 1] } },
];

async function checkIm2colReads(rand, layout) {
  for (const c of IM2COL_READS) {
    for (const outputLayout of ["NHWC", "NC4HW4", "NCHW"]) {
      await checkCase(rand, { ...c, options: { ...c.options, layout, outputLayout, algorithm: "im2col" }, threads: [1, 2] });
    }
    await checkCase(rand, { ...c, options: { ...c.options, layout, algorithm: "im2col" }, threads: [2], device: true });
  }
}

test("im2col reads NHWC with whole channel quads where it lies: kernel groups, block-diagonal groups, batches, k blocks, device buffers", async () => {
  await checkIm2colReads(random(418), "NHWC");
});

test("im2col reads NCHW where it lies: strides 1, 2 and 3, tiles across rows, padding, dilation, groups, partial quads, k blocks, device buffers", async () => {
  const rand = random(419);
  await checkIm2colReads(rand, "NCHW");
  // The partial last quad's missing channels are zeros, never the next image's planes:
  // an infinity in image 1 (which zero weights would turn into NaN) leaves image 0 alone.
  await withContext(createContext, { threads: 1 }, async (cl) => {
    const shape = [2, 18, 6, 8], wShape = [4, 18, 3, 3];
    const x = randomF32(rand, 2 * 18 * 48, 1), weight = randomF32(rand, 4 * 18 * 9, 1);
    x.fill(Infinity, 18 * 48, 20 * 48);
    const { data } = await cl.conv2d(x, shape, weight, wShape, { padding: 1, algorithm: "im2col" });
    const ref = conv2dReference(x.slice(0, 18 * 48), [1, 18, 6, 8], weight, wShape, { pad: [1, 1, 1, 1] });
    checkClose(data.subarray(0, 4 * 48), ref, 18 * 9, "image 0 beside an infinity in image 1");
  });
});

test("depthwise fuzz: rows long enough for the blocks of eight, their tails and edges", async () => {
  const rand = random(412);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  for (let i = 0; i < 30; i++) {
    // 3 and 5 wide at strides 1 and 2 take the sliding windows; the rest the tap loops.
    const k = rand() < 0.6 ? [3, 5][int(0, 1)] : int(1, 9);
    const c = int(1, 9), mult = rand() < 0.8 ? 1 : 2;
    const stride = rand() < 0.7 ? int(1, 2) : 3, dilation = rand() < 0.8 ? 1 : 2;
    // "same" and a symmetric (k - 1) / 2 give the edge blocks that skip the padding.
    const half = (k - 1) >> 1, pick = rand();
    const padding = pick < 0.4 ? "same" : pick < 0.7 ? half : [int(0, k), int(0, k), int(0, k), int(0, k)];
    const span = (k - 1) * dilation + 1;
    const options = { groups: c, stride, dilation, padding, bias: rand() < 0.5, activation: ["none", "relu", "relu6"][int(0, 2)], layout: "NC4HW4" };
    await checkCase(rand, { shape: [1, c, span + int(0, 12), span + int(0, 60)], wShape: [c * mult, 1, k, k], options, device: i % 2 === 1 });
  }
});

test("every algorithm the planner picks can be forced, and gives the same answer", async () => {
  const rand = random(406);
  // Depthwise through the GEMM (block-diagonal weights).
  await checkCase(rand, { shape: [1, 6, 9, 9], wShape: [6, 1, 3, 3], options: { groups: 6, padding: 1, algorithm: "im2col" } });
  await checkCase(rand, { shape: [1, 6, 9, 9], wShape: [12, 1, 1, 1], options: { groups: 6, algorithm: "1x1" } });
  await checkCase(rand, { shape: [1, 6, 9, 9], wShape: [6, 1, 3, 3], options: { groups: 6, padding: 1, algorithm: "depthwise" } });
  const cl = contexts[1];
  const x = randomF32(rand, 27);
  await rejects(cl.conv2d(x, [1, 3, 3, 3], randomF32(rand, 27), [3, 1, 3, 3], { groups: 3, algorithm: "1x1" }), RangeError, /1x1.*1×1 kernel/);
  await rejects(cl.conv2d(x, [1, 3, 3, 3], randomF32(rand, 81), [3, 3, 3, 3], { algorithm: "depthwise" }), RangeError, /depthwise.*one input channel per group/);
  await rejects(cl.conv2d(x, [1, 3, 3, 3], randomF32(rand, 81), [3, 3, 3, 3], { algorithm: "fft" }), TypeError, /algorithm must be one of "auto", "1x1", "im2col", "winograd", "depthwise"/);
});

test("Winograd F(2×2, 3×3): odd sizes, channels not in quads, every padding, batches", async () => {
  const rand = random(410);
  const cases = [
    { shape: [1, 1, 4, 4], wShape: [1, 1, 3, 3], options: { padding: 3 } },
    { shape: [1, 3, 5, 7], wShape: [5, 3, 3, 3], options: { padding: 1, bias: true } },
    { shape: [2, 8, 9, 10], wShape: [12, 8, 3, 3], options: { padding: 1, activation: "relu" } },
    { shape: [1, 5, 1, 1], wShape: [3, 5, 3, 3], options: { padding: 1, bias: true, activation: "relu6" } },
    { shape: [1, 13, 17, 6], wShape: [9, 13, 3, 3], options: { padding: [0, 2, 1, 0] } },
    { shape: [1, 64, 20, 17], wShape: [20, 64, 3, 3], options: { padding: "same", bias: true } },
    { shape: [1, 16, 30, 30], wShape: [70, 16, 3, 3] },
  ];
  for (const c of cases) await checkCase(rand, { ...c, options: { ...c.options, algorithm: "winograd" } });
  const cl = contexts[1];
  await rejects(cl.conv2d(new Float32Array(75), [1, 3, 5, 5], new Float32Array(81), [3, 3, 3, 3], { stride: 2, algorithm: "winograd" }), RangeError, /winograd.*3×3 kernel, stride 1/);
  const im2colOnly = await cl.packConv(new Float32Array(81), [3, 3, 3, 3], { algorithm: "im2col" });
  await rejects(cl.conv2d(new Float32Array(75), [1, 3, 5, 5], im2colOnly, undefined, { algorithm: "winograd" }), RangeError, /packed for another algorithm/);
  im2colOnly.dispose();
});

test("every layout pair, and NC4HW4 round trips through a chain", async () => {
  const rand = random(407);
  const layouts = ["NCHW", "NHWC", "NC4HW4"];
  for (const layout of layouts) {
    for (const outputLayout of layouts) {
      await checkCase(rand, { shape: [2, 5, 6, 7], wShape: [6, 5, 3, 3], options: { layout, outputLayout, padding: 1, bias: true }, threads: [1, 2] });
      await checkCase(rand, { shape: [1, 6, 8, 5], wShape: [6, 1, 3, 3], options: { layout, outputLayout, groups: 6, stride: 2, padding: 1 }, threads: [2] });
    }
  }
});

test("1×1 layers from NHWC to NHWC run as a plain GEMM: batches, awkward channel counts, bias and activation, with and without the weight cache", async () => {
  const rand = random(414);
  for (const [n, c, h, w, oc] of [[1, 5, 7, 9, 3], [2, 17, 4, 6, 9], [3, 32, 5, 5, 33], [1, 1, 1, 1, 1], [1, 64, 13, 11, 128]]) {
    await checkCase(rand, { shape: [n, c, h, w], wShape: [oc, c, 1, 1], options: { layout: "NHWC", bias: true, activation: "relu6" }, threads: [1, 2, 3] });
  }
  for (const threads of [1, 2]) {
    await withContext(createContext, { threads, weightCacheMiB: 0 }, async (cl) => {
      // A small layer, and one the calling thread runs in bands of rows (src/ops/conv/conv2d.ts, runBands).
      for (const shape of [[2, 9, 6, 6], [1, 9, 61, 70]]) {
        const x = randomF32(rand, shape[0] * 9 * shape[2] * shape[3], 1), weight = randomF32(rand, 12 * 9, 1);
        const got = await cl.conv2d(x, shape, weight, [12, 9, 1, 1], { layout: "NHWC" });
        const ref = conv2dReference(toNCHW(x, "NHWC", shape), shape, weight, [12, 9, 1, 1]);
        checkClose(toNCHW(got.data, "NHWC", got.shape), ref, 9, `cache off, ${shape}, threads=${threads}`);
      }
    });
  }
});

test("1×1 NHWC layers from arrays on one thread run in bands of rows: partial last bands, batches across a band, bias and activation", async () => {
  const rand = random(415);
  // Bands hold 256 KiB of input and output rows: 1364 rows at c + oc = 12, 3448 at 19.
  for (const [n, c, h, w, oc] of [[2, 5, 97, 89, 7], [1, 3, 128, 130, 16], [3, 4, 45, 47, 8]]) {
    await checkCase(rand, { shape: [n, c, h, w], wShape: [oc, c, 1, 1], options: { layout: "NHWC", bias: true, activation: "relu6" }, threads: [1] });
  }
});

test("depthwise from an NHWC array on one thread runs in strips of output rows: strip edges, both paddings, strides, dilation, partial quads, multipliers", async () => {
  const rand = random(416);
  // Inputs over 512 KiB run in strips (src/ops/conv/conv2d.ts, stripsOfRows); "same" at
  // stride 2 on even sizes pads only the bottom and right. On two threads the copy-bound
  // layers (3×3 at stride 2) run in strips on the caller too.
  for (const [c, mult, h, w, k, options] of [
    [16, 1, 100, 100, 3, { stride: 1, padding: 1 }], [16, 1, 100, 98, 3, { stride: 2, padding: "same" }],
    [8, 1, 131, 127, 5, { stride: 2, padding: 2 }], [12, 1, 97, 121, 3, { stride: 1, padding: 2, dilation: 2 }],
    [6, 1, 120, 120, 3, { stride: 1, padding: 1 }], [8, 2, 90, 101, 3, { stride: 2, padding: 1 }], [4, 1, 400, 90, 7, { stride: 1, padding: 0 }],
  ]) {
    await checkCase(rand, {
      shape: [1, c, h, w], wShape: [c * mult, 1, k, k],
      options: { ...options, layout: "NHWC", groups: c, bias: true, activation: "relu6" }, threads: [1, 2],
    });
  }
});

test("depthwise with every layout pair (NHWC read and written in place): whole and partial quads, multipliers, strides", async () => {
  const rand = random(413);
  const layouts = ["NCHW", "NHWC", "NC4HW4"];
  for (const layout of layouts) {
    for (const outputLayout of layouts) {
      for (const [c, mult, h, w, k, stride] of [[8, 1, 9, 13, 3, 1], [7, 1, 6, 4, 3, 2], [5, 2, 5, 11, 5, 1], [12, 1, 3, 17, 3, 2], [3, 3, 7, 1, 3, 1]]) {
        await checkCase(rand, {
          shape: [2, c, h, w], wShape: [c * mult, 1, k, k],
          options: { layout, outputLayout, groups: c, stride, padding: k >> 1, bias: true, activation: "relu6" }, threads: [1, 2, 3], device: c !== 7,
        });
      }
    }
  }
});

test("depthwise from and to NCHW (four planes gathered through 4×4 transposes, row blocks written back through them): widths around four, partial quads, multipliers, many row blocks, batches", async () => {
  const rand = random(417);
  const cases = [
    // Widths and output widths not a multiple of 4 (the transposes' tails), and 1.
    ...[1, 3, 4, 5, 7, 9, 13].map((w) => ({ shape: [2, 8, 6, w], wShape: [8, 1, 3, 3], options: { padding: 1 } })),
    ...[9, 14, 15, 28, 31].map((w) => ({ shape: [1, 12, 11, w], wShape: [12, 1, 3, 3], options: { stride: 2, padding: "same" } })),
    // A partial last quad, a multiplier, 5×5, dilation, asymmetric padding (the first two
    // large enough for the threads from device buffers).
    { shape: [1, 7, 30, 33], wShape: [7, 1, 5, 5], options: { padding: 2 } },
    { shape: [2, 5, 60, 61], wShape: [10, 1, 3, 3], options: { padding: 1, stride: 2 } },
    { shape: [1, 6, 12, 17], wShape: [6, 1, 3, 3], options: { dilation: 2, padding: [2, 1, 0, 3] } },
    // Output rows in many row blocks (each block's scratch stays small), and a large
    // kernel (converted first, written back through the row blocks).
    { shape: [1, 8, 90, 70], wShape: [8, 1, 3, 3], options: { padding: 1 } },
    { shape: [1, 4, 40, 36], wShape: [4, 1, 31, 31], options: { padding: 15 } },
  ];
  for (const [layout, outputLayout] of [["NCHW", "NCHW"], ["NCHW", "NC4HW4"], ["NCHW", "NHWC"], ["NC4HW4", "NCHW"], ["NHWC", "NCHW"]]) {
    for (const [i, c] of cases.entries()) {
      const options = { ...c.options, layout, outputLayout, groups: c.shape[1], bias: true, activation: "relu6" };
      await checkCase(rand, { ...c, options, threads: [1, 2, 3], device: i % 3 === 0 || i >= cases.length - 6 });
    }
  }
});

test("depthwise 3×3/2 from NCHW to NCHW reads each plane where it lies: row tails of every length, odd rows, both paddings and none, padding the blocks must read as zero, batches, partial quads, with and without an epilogue", async () => {
  const rand = random(421);
  const cases = [];
  // Widths giving output rows 4 to 15 wide (tails of 0 to 3), odd widths whose last output
  // reads the right padding, odd and even heights (a last row of its own).
  for (const w of [8, 9, 10, 11, 13, 14, 15, 16, 17, 29, 30]) cases.push({ shape: [1, 5, 7 + (w % 3), w], options: { padding: 1 } });
  for (const w of [8, 11, 14, 17]) cases.push({ shape: [2, 8, 9, w], options: { padding: "same" } });
  // No padding on the left or top, and extra on the right or bottom (read as zero rows and
  // padded columns).
  for (const padding of [0, [1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 2, 2], [0, 0, 3, 2]]) cases.push({ shape: [1, 6, 12, 13], options: { padding } });
  // Planes in many groups (threads), and large enough to go in bands from arrays.
  cases.push({ shape: [1, 24, 60, 50], options: { padding: 1 } });
  for (const [i, c] of cases.entries()) {
    const wShape = [c.shape[1], 1, 3, 3];
    const epilogue = i % 2 === 0 ? { bias: true, activation: i % 4 === 0 ? "relu6" : "relu" } : {};
    const options = { ...c.options, ...epilogue, stride: 2, groups: c.shape[1], layout: "NCHW" };
    await checkCase(rand, { shape: c.shape, wShape, options, threads: [1, 2, 3], device: i % 3 !== 1 });
  }
});

test("depthwise 3×3/2 from NCHW to NCHW: a NaN reaches exactly the outputs whose windows hold it (no block reads a neighbour row's pixel as padding)", async () => {
  const rand = random(422);
  for (const [h, w, padding] of [[9, 14, 1], [8, 13, 1], [10, 11, [1, 1, 2, 2]], [8, 16, "same"], [9, 14, "same"], [7, 8, "same"], [8, 17, "same"]]) {
    const shape = [1, 4, h, w];
    const x = randomF32(rand, 4 * h * w, 1);
    // NaN at the first and last pixel of rows, where a neighbour row's blocks end or start.
    for (let ch = 0; ch < 4; ch++) for (let r = 0; r < h; r += 2) {
      x[(ch * h + r) * w + (ch % 2 === 0 ? w - 1 : 0)] = NaN;
    }
    const weight = randomF32(rand, 36, 1);
    const pad = padding === "same" ? samePadding(shape, [4, 1, 3, 3], [2, 2], [1, 1]) : pad4(padding);
    const ref = conv2dReference(x, shape, weight, [4, 1, 3, 3], { stride: [2, 2], pad, groups: 4 });
    for (const t of THREADS) {
      const { data } = await contexts[t].conv2d(x, shape, weight, [4, 1, 3, 3], { stride: 2, padding, groups: 4 });
      for (let i = 0; i < data.length; i++) {
        assert.is(Number.isNaN(data[i]), Number.isNaN(ref.out[i]), `${h}×${w} padding ${JSON.stringify(padding)} threads=${t}: output ${i} NaN`);
        if (!Number.isNaN(ref.out[i])) assert.ok(Math.abs(data[i] - ref.out[i]) <= 1e-5 * (1 + ref.scale[i]), `${h}×${w}: output ${i}`);
      }
    }
  }
});

test("depthwise from an NCHW array on one thread runs in bands of channel quads: a partial last band and quad, quads larger than a band, batches, with and without bias", async () => {
  const rand = random(418);
  const cases = [
    // 288 KB of input: bands of five quads, the last of one; then a partial last quad.
    { shape: [1, 24, 60, 50], wShape: [24, 1, 3, 3], options: { padding: 1, bias: true, activation: "relu6" } },
    { shape: [2, 22, 60, 50], wShape: [22, 1, 3, 3], options: { stride: 2, padding: "same" } },
    // A quad's planes larger than a band: one quad a band, the last of one channel.
    { shape: [1, 5, 130, 131], wShape: [5, 1, 5, 5], options: { padding: [2, 1, 0, 2], bias: true } },
    { shape: [1, 12, 90, 80], wShape: [12, 1, 3, 3], options: { dilation: 2, padding: 2, activation: "relu" } },
  ];
  for (const c of cases) {
    await checkCase(rand, { ...c, options: { ...c.options, groups: c.shape[1], layout: "NCHW" }, threads: [1, 2] });
  }
});

test("depthwise window kernels over NHWC in place (pixels 4·c bytes apart): edge blocks, padding without them, tails, every width and stride", async () => {
  const rand = random(414);
  const pairs = [["NHWC", "NHWC"], ["NHWC", "NC4HW4"], ["NC4HW4", "NHWC"], ["NCHW", "NHWC"]];
  for (const [layout, outputLayout] of pairs) {
    for (const [c, h, w, k, stride, padding] of [
      [4, 20, 37, 3, 1, 1], [8, 11, 29, 5, 1, 2], [16, 15, 33, 3, 2, 1], [8, 12, 12, 3, 2, "same"],
      [4, 9, 21, 3, 1, 0], [8, 10, 26, 5, 1, 1], [12, 7, 8, 3, 2, 1], [8, 5, 70, 3, 1, [1, 0, 2, 1]],
    ]) {
      await checkCase(rand, {
        shape: [2, c, h, w], wShape: [c, 1, k, k],
        options: { layout, outputLayout, groups: c, stride, padding, bias: true, activation: "relu6" }, threads: [1, 2, 3], device: c % 8 === 0,
      });
    }
  }
});

test("Winograd's weight transform split across threads: the very same result as on one thread, and as the reference", async () => {
  const rand = random(415);
  // 96·64 filters: enough for the transform to take the threads.
  const shape = [1, 64, 10, 9], wShape = [96, 64, 3, 3];
  const x = randomF32(rand, 64 * 10 * 9, 1);
  const weight = randomF32(rand, 96 * 64 * 9, 1);
  const ref = conv2dReference(x, shape, weight, wShape, { pad: [1, 1, 1, 1] });
  const results = [];
  for (const t of [1, 2, 3]) {
    const handle = await contexts[t].packConv(weight, wShape);
    const { data } = await contexts[t].conv2d(x, shape, handle, wShape, { padding: 1, algorithm: "winograd" });
    checkClose(data, ref, 64 * 9, `winograd threads=${t}`, tileScale(ref.scale, [1, 96, 10, 9]), WINOGRAD_FACTOR);
    results.push(Array.from(data));
    handle.dispose();
  }
  assert.equal(results[1], results[0], "2 threads");
  assert.equal(results[2], results[0], "3 threads");
});

test("packConv: packed weights give exactly what plain ones do, and refuse another shape", async () => {
  const rand = random(408);
  const cl = contexts[2];
  for (const [shape, wShape, options] of [
    [[1, 8, 10, 10], [12, 8, 3, 3], { padding: 1, bias: randomF32(rand, 12, 1) }],
    [[1, 8, 10, 10], [12, 8, 3, 3], { padding: 1, algorithm: "im2col" }],
    [[1, 8, 10, 10], [12, 8, 3, 3], { stride: 2, padding: 1 }],
    [[1, 8, 10, 10], [16, 2, 1, 1], { groups: 4 }],
    [[1, 8, 10, 10], [8, 1, 5, 5], { groups: 8, padding: 2, activation: "relu" }],
  ]) {
    const x = randomF32(rand, shape.reduce((a, b) => a * b), 1);
    const weight = randomF32(rand, wShape.reduce((a, b) => a * b), 1);
    const handle = await cl.packConv(weight, wShape, { groups: options.groups });
    const plain = await cl.conv2d(x, shape, weight, wShape, options);
    const packed = await cl.conv2d(x, shape, handle, wShape, options);
    assert.equal(Array.from(packed.data), Array.from(plain.data), `${wShape}: packed equals plain`);
    const noShape = await cl.conv2d(x, shape, handle, undefined, options);
    assert.equal(Array.from(noShape.data), Array.from(plain.data), `${wShape}: the handle's own shape`);
    handle.dispose();
    await rejects(cl.conv2d(x, shape, handle, wShape, options), Error, /disposed packed convolution/);
  }
  const handle = await cl.packConv(randomF32(rand, 9 * 8 * 4), [8, 4, 3, 3], { groups: 2 });
  await rejects(cl.conv2d(randomF32(rand, 800), [1, 8, 10, 10], handle, [8, 8, 3, 3], { groups: 1 }), RangeError, /packed for \[8, 4, 3, 3\] with groups 2/);
  handle.dispose();
});

test("the weight cache: the same array again gives the same answer, and a changed array its new one", async () => {
  const rand = random(412);
  for (const [shape, wShape, options] of [
    [[1, 8, 12, 12], [12, 8, 3, 3], { padding: 1 }], // Winograd
    [[1, 8, 12, 12], [12, 8, 3, 3], { padding: 1, stride: 2 }], // im2col
    [[1, 16, 9, 9], [20, 16, 1, 1], {}], // 1×1
    [[1, 8, 12, 12], [8, 1, 3, 3], { padding: 1, groups: 8 }], // depthwise
  ]) {
    for (const weightCacheMiB of [256, 0, 0.001]) { // cached, off, too small to keep anything
      await withContext(createContext, { threads: 2, weightCacheMiB }, async (cl) => {
        const x = randomF32(rand, shape.reduce((a, b) => a * b), 1);
        const weight = randomF32(rand, wShape.reduce((a, b) => a * b), 1);
        const label = `${wShape} ${JSON.stringify(options)} cache ${weightCacheMiB} MiB`;
        // An array is kept from its second call on: the third call uses the kept packing.
        const first = await cl.conv2d(x, shape, weight, wShape, options);
        for (const call of ["second", "third"]) {
          const again = await cl.conv2d(x, shape, weight, wShape, options);
          assert.equal(Array.from(again.data), Array.from(first.data), `${label}: the same weights, ${call} call`);
        }
        const before = new Float32Array(first.data);
        // Same array, new values: the answer follows them.
        weight[weight.length >> 1] += 1;
        weight[0] = -weight[0];
        const changed = await cl.conv2d(x, shape, weight, wShape, options);
        const ref = conv2dReference(x, shape, weight, wShape, { pad: pad4(options.padding ?? 0), stride: pair(options.stride), groups: options.groups ?? 1 });
        const winograd = mayRunWinograd(wShape, options);
        checkClose(changed.data, ref, wShape[1] * wShape[2] * wShape[3], `${label}: changed weights`, winograd ? tileScale(ref.scale, changed.shape) : ref.scale, winograd ? WINOGRAD_FACTOR : 1);
        assert.ok(changed.data.some((v, i) => v !== before[i]), `${label}: the change shows`);
      });
    }
  }
  await rejects(createContext({ weightCacheMiB: -1 }), RangeError, /weightCacheMiB must be a finite number ≥ 0/);
});

test("the weight cache's check, on the caller at once or (the pool busy) as a job in turn: same answers, no repacking on a hit, no memory kept", async () => {
  const rand = random(414);
  const shape = [1, 16, 9, 9], wShape = [20, 16, 1, 1]; // 1×1: its packing is a job, counted below
  for (const busy of [false, true]) {
    // Idle: one thread, no Worker to wait for. Busy: as when a Worker is still leaving the
    // last job, the check is a job in turn (a promise), as run() gives it.
    await withContext(createContext, { threads: busy ? 2 : 1 }, async (cl) => {
      const engine = cl[HOST].engine;
      const { runSolo, run } = engine;
      let atOnce = 0, inTurn = 0, packs = 0;
      engine.runSolo = (op, args, phases) => {
        if (busy) return run(op, args, phases, { solo: true }).then(() => void (inTurn += op === "sameBits"));
        const done = runSolo(op, args, phases);
        if (!done && op === "sameBits") atOnce++;
        return done;
      };
      engine.run = (op, args, phases, options) => ((packs += op === "conv" && phases[0] > 0), run(op, args, phases, options));
      // (From a device buffer: from an array, a call on the caller alone on a context with
      // Workers runs on its unshared memory, whose pool has no Worker to wait for.)
      const xs = randomF32(rand, 16 * 81, 1);
      const weight = randomF32(rand, 320, 1);
      const x = cl.buffer(Float32Array, xs.length);
      x.array.set(xs);
      const first = await cl.conv2d(x, shape, weight, wShape);
      const inUse = [];
      for (let i = 0; i < 3; i++) {
        assert.equal(Array.from((await cl.conv2d(x, shape, weight, wShape)).data), Array.from(first.data), `busy ${busy}: call ${i + 2}`);
        inUse.push(engine.arena.bytesInUse);
      }
      // Kept from the second call on; the hits after it pack nothing and keep no memory.
      assert.equal([inUse[1], inUse[2]], [inUse[0], inUse[0]], `busy ${busy}: memory in use after each hit`);
      assert.is(packs, 2, `busy ${busy}: packed on the first two calls only`);
      weight[5] += 1;
      const changed = await cl.conv2d(x, shape, weight, wShape);
      checkClose(changed.data, conv2dReference(xs, shape, weight, wShape, {}), 16, `busy ${busy}: changed weights`);
      assert.ok(changed.data.some((v, i) => v !== first.data[i]), `busy ${busy}: the change shows`);
      assert.is(packs, 3, `busy ${busy}: packed again once changed`);
      // Checked on calls 3, 4 and after the change, each time one way.
      assert.equal([atOnce, inTurn], busy ? [0, 3] : [3, 0], `busy ${busy}: checks at once, and in turn`);
    });
  }
});

test("with Workers, calls from arrays that run on the caller alone run on its unshared memory: right results, a weight cache of their own, let go on dispose; without that build they stay", async () => {
  const rand = random(415);
  const shape = [1, 24, 14, 14], wShape = [24, 1, 3, 3], options = { groups: 24, stride: 2, padding: 1, activation: "relu6" };
  const x = randomF32(rand, 24 * 196, 1);
  const weight = randomF32(rand, 24 * 9, 1);
  const reference = () => conv2dReference(x, shape, weight, wShape, { groups: 24, stride: [2, 2], pad: [1, 1, 1, 1], activation: "relu6" });
  const ref = reference();
  const cl = await createContext({ threads: 2 });
  const engine = cl[HOST].engine;
  let own;
  try {
    const before = engine.arena.bytesInUse;
    for (let i = 0; i < 3; i++) checkClose((await cl.conv2d(x, shape, weight, wShape, options)).data, ref, 9, `call ${i + 1}`);
    own = await engine.unshared();
    if (cl.variant === "simd") {
      assert.ok(own && own !== engine && own.threads === 1 && !own.arena.shared, "an unshared engine on the caller");
      // The weights kept from the second call live in the unshared memory, not the context's.
      assert.ok(own.arena.bytesInUse > 0, "the unshared memory holds the cached weights");
      assert.is(engine.arena.bytesInUse, before, "the context's memory is untouched");
    } else assert.is(own, null, `the ${cl.variant} build: none`);
    weight[7] += 1;
    checkClose((await cl.conv2d(x, shape, weight, wShape, options)).data, reference(), 9, "changed weights");
    // A device buffer keeps the call on the context's memory.
    const xd = cl.buffer(Float32Array, x.length);
    xd.array.set(x);
    checkClose((await cl.conv2d(xd, shape, weight, wShape, options)).data, reference(), 9, "from a device buffer");
  } finally {
    cl.dispose();
  }
  assert.is(engine.unshared(), null, "dispose() lets the unshared memory go");
  await rejects(cl.conv2d(x, shape, weight, wShape, options), Error, /disposed/);
  await withContext(createContext, { threads: 1 }, async (one) => assert.is(one[HOST].engine.unshared(), null, "one thread: none"));
  // A loader that cannot give the single build: the calls run on the context's memory.
  // (The context's own build loads; where that is the single build itself, as in a page
  // without cross-origin isolation, only the later asks fail.)
  let loads = 0, asked = 0;
  const noSingle = (variant) => (loads++ > 0 && variant === "single" ? (asked++, Promise.reject(new Error("not served"))) : compileVariant(variant));
  await withContext((o) => createContextWith(o, noSingle), { threads: 2 }, async (two) => {
    for (let i = 0; i < 3; i++) checkClose((await two.conv2d(x, shape, weight, wShape, options)).data, reference(), 9, `no single build, call ${i + 1}`);
    assert.is(await two[HOST].engine.unshared(), null, "no unshared engine");
    assert.is(asked, two.variant === "simd" ? 1 : 0, "a failed load is not retried");
  });
});

test("the weight cache sees one changed value anywhere: first, either side of its 4 KiB compare blocks, in a block's lone last v128, the last of a length not in v128s", async () => {
  const rand = random(413);
  // 1×1 [oc, c]: 9·229 = 2061 floats, 8244 bytes: two 4 KiB blocks, the second ending in
  // a lone v128 (floats 2056–2059), then a 4-byte tail (float 2060).
  const [c, oc] = [229, 9], shape = [1, c, 3, 3], wShape = [oc, c, 1, 1];
  await withContext(createContext, { threads: 1 }, async (cl) => {
    const x = randomF32(rand, c * 9, 1);
    const weight = randomF32(rand, oc * c, 1);
    await cl.conv2d(x, shape, weight, wShape); // met once: kept from the next call on
    for (const at of [0, 1023, 1024, 1025, 2047, 2057, 2060]) {
      const before = (await cl.conv2d(x, shape, weight, wShape)).data;
      weight[at] += 0.5;
      const changed = (await cl.conv2d(x, shape, weight, wShape)).data;
      checkClose(changed, conv2dReference(x, shape, weight, wShape, {}), c, `weight ${at} changed`);
      assert.ok(changed.some((v, i) => v !== before[i]), `weight ${at}: the change shows`);
    }
  });
});

test("device buffers: input and output stay in the context's memory", async () => {
  const rand = random(409);
  const cl = contexts[2];
  const shape = [1, 4, 12, 12], wShape = [8, 4, 3, 3];
  const x = randomF32(rand, 4 * 144, 1);
  const weight = randomF32(rand, 8 * 36, 1);
  const input = cl.buffer(Float32Array, 4 * 144);
  input.array.set(x);
  const out = cl.buffer(Float32Array, 8 * 144);
  const r = await cl.conv2d(input, shape, weight, wShape, { padding: 1, layout: "NC4HW4", out });
  assert.is(r.data, out);
  const plain = await cl.conv2d(x, shape, weight, wShape, { padding: 1, layout: "NC4HW4" });
  assert.equal(Array.from(out.array), Array.from(plain.data));
  const given = new Float32Array(8 * 144).fill(NaN);
  const intoArray = await cl.conv2d(x, shape, weight, wShape, { padding: 1, layout: "NC4HW4", out: given });
  assert.is(intoArray.data, given, "resolves to the array it was given");
  assert.equal(Array.from(given), Array.from(plain.data));
  const back = cl.buffer(Float32Array, 8 * 144);
  await cl.conv2d(out, [1, 8, 12, 12], randomF32(rand, 8 * 9), [8, 1, 3, 3], { groups: 8, padding: 1, layout: "NC4HW4", outputLayout: "NCHW", out: back });
  await rejects(cl.conv2d(out, [1, 8, 12, 12], weight, wShape, { groups: 2, layout: "NC4HW4", out }), RangeError, /out must not be the input/);
  for (const b of [input, out, back]) b.dispose();
});

test("a large new result array owns its whole ArrayBuffer, and every element is written (its memory may not be zero-filled first)", async () => {
  const rand = random(417);
  const shape = [1, 8, 48, 48], wShape = [32, 8, 1, 1];
  const x = randomF32(rand, 8 * 48 * 48, 1);
  const weight = randomF32(rand, 32 * 8, 1);
  const ref = conv2dReference(x, shape, weight, wShape, {});
  for (const cl of Object.values(contexts)) {
    // Garbage of the same size, unreachable, for the allocator to hand back once collected.
    for (let i = 0; i < 4; i++) new Float32Array(32 * 48 * 48).fill(NaN);
    const { data } = await cl.conv2d(x, shape, weight, wShape);
    assert.equal([data.byteOffset, data.buffer.byteLength], [0, data.byteLength], "its own buffer");
    checkClose(data, ref, 8, "every element");
  }
});

test("an empty batch gives an empty result", async () => {
  const r = await contexts[2].conv2d(new Float32Array(0), [0, 3, 5, 5], new Float32Array(54), [2, 3, 3, 3]);
  assert.is(r.data.length, 0);
  assert.equal(r.shape, [0, 2, 3, 3]);
});

test("bad input: clear errors naming the argument", async () => {
  const cl = contexts[1];
  const x = new Float32Array(3 * 25);
  const wt = new Float32Array(2 * 3 * 9);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 2, 3, 3]), RangeError, /weight shape \[2, 2, 3, 3\] must have c \/ groups = 3/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { groups: 2 }), RangeError, /groups \(2\) must divide both c \(3\) and oc \(2\)/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { dilation: 3 }), RangeError, /output would be -1×-1/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { layout: "CHWN" }), TypeError, /layout must be "NCHW", "NHWC" or "NC4HW4"/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { outputLayout: "nchw" }), TypeError, /outputLayout must be/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { stride: 0 }), RangeError, /stride must be an integer from 1/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { padding: [1, 1] }), TypeError, /padding must be a number, \[top, left, bottom, right\]/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { bias: new Float32Array(3) }), RangeError, /bias must have oc = 2/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { activation: "gelu" }), TypeError, /activation must be/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { strides: 1 }), TypeError, /unknown option conv2d options.strides/);
  await rejects(cl.conv2d(x.subarray(1), [1, 3, 5, 5], wt, [2, 3, 3, 3]), RangeError, /input \(NCHW \[1, 3, 5, 5\]\) has 74 elements, needs at least 75/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { layout: "NC4HW4" }), RangeError, /needs at least 100/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt.subarray(1), [2, 3, 3, 3]), RangeError, /weight has 53 elements, needs at least 54/);
  await rejects(cl.conv2d(x, [1, 3, 5], wt, [2, 3, 3, 3]), TypeError, /input shape must be \[n, c, h, w\]/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 0, 3]), RangeError, /weight shape\[2\] \(kh\) must be an integer from 1/);
  await rejects(cl.conv2d(Array.from(x), [1, 3, 5, 5], wt, [2, 3, 3, 3]), TypeError, /input must be a Float32Array/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], Array.from(wt), [2, 3, 3, 3]), TypeError, /weight must be a Float32Array or a packed convolution/);
  await rejects(cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3], { out: new Float32Array(10) }), RangeError, /out \(NCHW \[1, 2, 3, 3\]\) has 10 elements, needs at least 18/);
  await rejects(cl.packConv(wt, [2, 3, 3, 3], { groups: 4 }), RangeError, /groups \(4\) must divide oc \(2\)/);
  // The context is still usable.
  const r = await cl.conv2d(x, [1, 3, 5, 5], wt, [2, 3, 3, 3]);
  assert.equal(r.shape, [1, 2, 3, 3]);
});

test.after(() => {
  if (globalThis.process?.env?.SIMDCL_ERROR_REPORT) console.log(`worst error / bound (before the Winograd factor): ${worst.ratio}`);
});

test.run();
