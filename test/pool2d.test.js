// pool2d() against a float64 reference with PyTorch's semantics (floor mode; average with
// or without the padding counted): awkward channel counts, kernels, strides, dilations,
// asymmetric padding, global pooling, batches, every layout pair, thread counts, a conv2d
// result chained in as it is, and bad input.
//
// Max pooling picks one input exactly. An average of K taps in f32 is within
// (K+1)·2⁻²⁴·Σ|x|/count of the exact mean.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { contextsPerThreadCount, random, randomF32, rejects } from "./helpers.js";
import { toNC4HW4Reference, toNHWCReference } from "./reference.js";

const test = suite("pool2d");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

/** PyTorch's max_pool2d / avg_pool2d on an NCHW array, in float64. Returns the mean's error bound too. */
function poolReference(x, [n, c, h, w], { mode, kernel: [kh, kw], stride: [sh, sw], pad, dilation: [dh, dw], countPadding }) {
  const oh = Math.floor((h + pad[0] + pad[2] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pad[1] + pad[3] - dw * (kw - 1) - 1) / sw) + 1;
  const out = new Float64Array(n * c * oh * ow);
  const bound = new Float64Array(out.length);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = mode === "max" ? -Infinity : 0, abs = 0, count = 0;
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh - pad[0] + ky * dh;
          if (y < 0 || y >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw - pad[1] + kx * dw;
            if (xx < 0 || xx >= w) continue;
            const v = x[(p * h + y) * w + xx];
            acc = mode === "max" ? Math.max(acc, v) : acc + v;
            abs += Math.abs(v);
            count++;
          }
        }
        const divisor = countPadding ? kh * kw : count;
        const at = (p * oh + oy) * ow + ox;
        out[at] = mode === "max" ? acc : acc / divisor;
        bound[at] = mode === "max" ? 0 : ((count + 1) * 2 ** -24 * abs) / divisor;
      }
    }
  }
  return { out, bound, oh, ow };
}

/** NCHW from `layout`. */
function toNCHW(data, layout, [n, c, h, w]) {
  if (layout === "NCHW") return data;
  const out = new Float32Array(n * c * h * w);
  const c4 = Math.ceil(c / 4);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < h * w; i++) {
        out[(b * c + ch) * h * w + i] = layout === "NHWC" ? data[(b * h * w + i) * c + ch] : data[((b * c4 + (ch >> 2)) * h * w + i) * 4 + (ch & 3)];
      }
    }
  }
  return out;
}

const fromNCHW = (x, layout, shape) => (layout === "NCHW" ? x : layout === "NHWC" ? toNHWCReference(x, shape) : toNC4HW4Reference(x, shape, "NCHW"));
const pair = (v) => (Array.isArray(v) ? v : [v, v]);

function check(label, got, layout, shape, ref) {
  const [n, c] = shape;
  assert.equal(got.shape, [n, c, ref.oh, ref.ow], `${label}: shape`);
  assert.is(got.layout, layout, `${label}: layout`);
  const y = toNCHW(got.data, layout, got.shape);
  for (let i = 0; i < ref.out.length; i++) {
    if (!(Math.abs(y[i] - ref.out[i]) <= ref.bound[i])) assert.unreachable(`${label}: output ${i} is ${y[i]}, expected ${ref.out[i]} ± ${ref.bound[i]}`);
  }
}

const CASES = [
  // [n, c, h, w], options
  [[1, 4, 8, 8], { mode: "max", kernel: 2 }],
  [[1, 5, 13, 11], { mode: "max", kernel: 3, stride: 2, padding: 1 }],
  [[2, 7, 9, 10], { mode: "avg", kernel: 3, stride: 2, padding: 1 }],
  [[2, 7, 9, 10], { mode: "avg", kernel: 3, stride: 2, padding: 1, countPadding: true }],
  [[1, 3, 17, 5], { mode: "avg", kernel: [3, 2], stride: [1, 2], padding: [1, 0, 0, 1] }],
  [[1, 9, 12, 12], { mode: "max", kernel: 3, dilation: 2, padding: 1 }],
  [[1, 6, 7, 7], { mode: "max", kernel: [7, 1], stride: 1, padding: [3, 0, 3, 0] }],
  [[3, 13, 7, 9], { mode: "avg", kernel: "global" }],
  [[1, 1, 1, 1], { mode: "max", kernel: "global" }],
  [[2, 6, 5, 7], { mode: "max", kernel: "global" }], // 35 pixels: runs of four and a tail of three
  [[1, 9, 2, 2], { mode: "avg", kernel: [2, 2] }], // a 2×2 window over a 2×2 image is global too
  [[1, 16, 31, 33], { mode: "max", kernel: 5, stride: 3, padding: 2 }],
  [[1, 8, 4, 4], { mode: "avg", kernel: 4, padding: "same", stride: 1 }],
];

test("matches the float64 reference over shapes, windows and thread counts", async () => {
  const rand = random(11);
  for (const [shape, o] of CASES) {
    const x = randomF32(rand, shape.reduce((a, b) => a * b));
    const kernel = o.kernel === "global" ? [shape[2], shape[3]] : pair(o.kernel);
    const padding = o.padding === "same" ? null : o.padding === undefined ? [0, 0, 0, 0] : Array.isArray(o.padding) ? o.padding : [o.padding, o.padding, o.padding, o.padding];
    for (const t of THREADS) {
      const got = await contexts[t].pool2d(x, shape, o);
      const pad = padding ?? samePadding(shape, kernel, pair(o.stride ?? kernel));
      const ref = poolReference(x, shape, { mode: o.mode, kernel, stride: pair(o.stride ?? kernel), pad, dilation: pair(o.dilation ?? 1), countPadding: !!o.countPadding });
      check(`[${shape}] ${JSON.stringify(o)} on ${t} threads`, got, "NCHW", shape, ref);
    }
  }
});

function samePadding([, , h, w], [kh, kw], [sh, sw]) {
  const total = (size, k, s) => Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  const th = total(h, kh, sh), tw = total(w, kw, sw);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

test("every layout pair, device buffers, and a conv2d result chained in", async () => {
  const rand = random(12);
  const shape = [2, 6, 11, 9];
  const x = randomF32(rand, 2 * 6 * 11 * 9);
  const o = { mode: "max", kernel: 3, stride: 2, padding: 1 };
  const ref = poolReference(x, shape, { mode: "max", kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], dilation: [1, 1], countPadding: false });
  const cl = contexts[2];
  for (const layout of ["NCHW", "NHWC", "NC4HW4"]) {
    for (const outputLayout of ["NCHW", "NHWC", "NC4HW4"]) {
      const got = await cl.pool2d(fromNCHW(x, layout, shape), shape, { ...o, layout, outputLayout });
      check(`${layout} → ${outputLayout}`, got, outputLayout, shape, ref);
    }
  }
  // Device buffers in and out, NC4HW4 both sides: nothing copied.
  const input = cl.buffer(Float32Array, 2 * 8 * 11 * 9);
  input.array.set(fromNCHW(x, "NC4HW4", shape));
  const out = cl.buffer(Float32Array, 2 * 8 * ref.oh * ref.ow);
  const got = await cl.pool2d({ data: input, shape, layout: "NC4HW4" }, { ...o, out });
  assert.is(got.data, out);
  check("device buffers", { ...got, data: out.array }, "NC4HW4", shape, ref);
  input.dispose();
  out.dispose();
  // A conv2d result (a tensor) goes straight in: a 1×1 identity convolution, then pooling.
  const eye = new Float32Array(36);
  for (let i = 0; i < 6; i++) eye[i * 7] = 1;
  const conv = await cl.conv2d(x, shape, eye, [6, 6, 1, 1], { outputLayout: "NC4HW4" });
  check("after conv2d", await cl.pool2d(conv, o), "NC4HW4", shape, ref);
});

test("bad input names the argument", async () => {
  const cl = contexts[1];
  const x = new Float32Array(64);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { kernel: 2 }), TypeError, /pool2d mode must be "max" or "avg"/);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { mode: "max" }), TypeError, /pool2d kernel is required/);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { mode: "max", kernel: 0 }), RangeError, /pool2d kernel must be an integer from 1/);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { mode: "max", kernel: 2, padding: 2 }), RangeError, /at most half the kernel/);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { mode: "avg", kernel: 2, dilation: 2 }), RangeError, /dilation applies to max pooling only/);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { mode: "max", kernel: 5 }), RangeError, /pool2d output would be 0×0/);
  await rejects(cl.pool2d(x, [1, 5, 4, 4], { mode: "max", kernel: 2 }), RangeError, /pool2d input \(NCHW \[1, 5, 4, 4\]\) has 64 elements, needs at least 80/);
  await rejects(cl.pool2d(x, [1, 4, 4, 4], { mode: "max", kernel: 2, size: 3 }), TypeError, /unknown option pool2d options.size/);
  await rejects(cl.pool2d({ data: x, shape: [1, 4, 4, 4], layout: "NCHW" }, { mode: "max", kernel: 2, layout: "NHWC" }), TypeError, /input tensor's layout is "NCHW"/);
});

test.run();
