// resize() against a float64 reference of each method's definition (the continuous
// math, not the library's coefficient code): half-pixel centres, replicated borders,
// INTER_NEAREST's floor(i·scale), bicubic a = −0.75, INTER_AREA's box average (and its
// bilinear-like upscale), and PIL's antialiased filters (bicubic a = −0.5). Fuzzed sizes
// from 1×1 to very wide and very tall, every channel count, regions with strides, 8-bit
// and f32, device buffers, results chained, threads 1, 2, 3 bit-identical, bad input.
//
// 8-bit results are within 1 of the exact value (nearest: exact); f32 results within
// 2⁻¹⁸ of Σ|w·x| (a few f32 roundings over the taps) plus the error of f32 sample
// positions (as cv.resize computes them).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, rejects } from "./helpers.js";

const test = suite("resize");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);
const METHODS = ["nearest", "bilinear", "bicubic", "area"];

function cubic(x, a) {
  x = Math.abs(x);
  return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? a * (((x - 5) * x + 8) * x - 4) : 0;
}

/** One axis of the reference: per output, [source index, weight] pairs (float64). */
function axisReference(src, dst, method, antialias, areaDecimates) {
  const scale = src / dst;
  const clip = (i) => Math.min(Math.max(i, 0), src - 1);
  const out = [];
  for (let i = 0; i < dst; i++) {
    if (antialias) {
      // PIL's resampling: the filter stretched by the downscale factor, normalised.
      const fs = Math.max(scale, 1);
      const support = (method === "bilinear" ? 1 : 2) * fs;
      const center = (i + 0.5) * scale;
      const lo = Math.max(Math.trunc(center - support + 0.5), 0), hi = Math.min(Math.trunc(center + support + 0.5), src);
      const taps = [];
      for (let x = lo; x < hi; x++) {
        const t = (x - center + 0.5) / fs;
        taps.push([x, method === "bilinear" ? Math.max(0, 1 - Math.abs(t)) : cubic(t, -0.5)]);
      }
      const total = taps.reduce((s, [, w]) => s + w, 0);
      out.push(taps.map(([x, w]) => [x, w / total]));
    } else if (method === "nearest") {
      out.push([[Math.min(Math.floor(i * scale), src - 1), 1]]);
    } else if (method === "area" && areaDecimates) {
      // The box [i·scale, (i+1)·scale) ∩ [0, src), each pixel by its overlap.
      const a = i * scale, b = Math.min((i + 1) * scale, src);
      const taps = [];
      for (let x = Math.floor(a); x < b; x++) {
        const overlap = Math.min(x + 1, b) - Math.max(x, a);
        if (overlap > 1e-9) taps.push([x, overlap / (b - a)]);
      }
      out.push(taps);
    } else if (method === "area") {
      // INTER_AREA growing: bilinear with the fraction of the output cell past the source pixel's edge.
      const s = Math.floor(i * scale);
      let f = i + 1 - (s + 1) / scale;
      f = f <= 0 ? 0 : f - Math.floor(f);
      out.push([[clip(s), 1 - f], [clip(s + 1), f]]);
    } else {
      const x = (i + 0.5) * scale - 0.5;
      const s = Math.floor(x), f = x - s;
      out.push(method === "bilinear" ? [[clip(s), 1 - f], [clip(s + 1), f]] : [-1, 0, 1, 2].map((k) => [clip(s + k), cubic(f - k, -0.75)]));
    }
  }
  return out;
}

/** The exact result (float64) and, per value, Σ|w·x| (for the f32 bound): rows first, then columns. */
function resizeReference(data, { width: sw, height: sh, channels: cn, stride }, { width: dw, height: dh, method, antialias = false }) {
  const same = sw === dw && sh === dh;
  const m = same ? "nearest" : method;
  const decimates = sw >= dw && sh >= dh;
  const xs = axisReference(sw, dw, m, antialias && !same, decimates);
  const ys = axisReference(sh, dh, m, antialias && !same, decimates);
  // Each source row resampled along x (and its magnitudes).
  const rows = new Float64Array(sh * dw * cn), rowsAbs = new Float64Array(sh * dw * cn);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < dw; x++) {
      for (const [sx, w] of xs[x]) {
        for (let c = 0; c < cn; c++) {
          const v = w * data[y * stride + sx * cn + c];
          rows[(y * dw + x) * cn + c] += v;
          rowsAbs[(y * dw + x) * cn + c] += Math.abs(v);
        }
      }
    }
  }
  const n = dw * cn;
  const out = new Float64Array(dh * n), mag = new Float64Array(dh * n);
  for (let y = 0; y < dh; y++) {
    for (const [sy, w] of ys[y]) {
      for (let i = 0; i < n; i++) {
        out[y * n + i] += w * rows[sy * n + i];
        mag[y * n + i] += Math.abs(w) * rowsAbs[sy * n + i];
      }
    }
  }
  return { out, mag };
}

function check(label, got, src, shape, options) {
  const { out, mag } = resizeReference(src, shape, options);
  const cn = shape.channels;
  assert.is(got.width, options.width, `${label}: width`);
  assert.is(got.height, options.height, `${label}: height`);
  assert.is(got.channels, cn, `${label}: channels`);
  assert.is(got.stride, options.width * cn, `${label}: stride`);
  const float = src instanceof Float32Array;
  assert.instance(got.data, float ? Float32Array : Uint8Array, `${label}: kind`);
  // Sample positions are f32 as cv.resize computes them: a weight is off by up to
  // 2⁻²⁴·position, times a difference of two values (|x| ≤ 100), on each axis.
  const positionError = 2 * 2 ** -24 * Math.max(shape.width, shape.height) * 200 * 4;
  const slack = options.method === "nearest" || (shape.width === options.width && shape.height === options.height) ? 0 : 1;
  for (let i = 0; i < out.length; i++) {
    const want = float ? out[i] : Math.min(255, Math.max(0, out[i]));
    const bound = float ? 2 ** -18 * mag[i] + positionError : slack + (slack ? 1e-9 : 0.5);
    if (!(Math.abs(got.data[i] - want) <= bound)) {
      assert.unreachable(`${label}: value ${i} (pixel ${Math.floor(i / cn) % options.width},${Math.floor(i / cn / options.width)}) is ${got.data[i]}, expected ${want} within ${bound}`);
    }
  }
}

/** A source of `shape` inside a larger array: `pad` elements of noise after every row. */
function source(rand, { width, height, channels }, pad, float) {
  const stride = width * channels + pad;
  const data = float ? new Float32Array(height * stride) : new Uint8Array(height * stride);
  for (let i = 0; i < data.length; i++) data[i] = float ? (rand() * 2 - 1) * 100 : (rand() * 256) | 0;
  return { data, shape: { width, height, channels, stride } };
}

const SIZES = [
  // [sw, sh, dw, dh]
  [1, 1, 1, 1], [1, 1, 7, 5], [5, 7, 1, 1], [2, 2, 1, 1], [4, 4, 2, 2], [6, 6, 2, 2], [9, 6, 3, 2],
  [1000, 2, 37, 3], [3, 1000, 2, 41], [1, 300, 1, 7], [301, 1, 13, 1], [640, 3, 64, 3],
  [37, 23, 224, 224], [224, 224, 37, 23], [17, 29, 32, 9], [97, 61, 26, 26], [33, 17, 33, 40],
];

test("every method, channel count, kind and stride against the float64 reference", async () => {
  const rand = random(14);
  const cl = contexts[1];
  const cases = SIZES.map((s) => s.slice());
  for (let i = 0; i < 16; i++) cases.push([1, 2, 3, 4].map(() => 1 + Math.floor(rand() * 70)));
  let n = 0;
  for (const [sw, sh, dw, dh] of cases) {
    for (const channels of [1, 2, 3, 4]) {
      for (const float of [false, true]) {
        const pad = (sw + channels) % 3 === 0 ? 0 : 5;
        const { data, shape } = source(rand, { width: sw, height: sh, channels }, pad, float);
        for (const method of METHODS) {
          const options = { width: dw, height: dh, method };
          check(`${sw}×${sh}×${channels} → ${dw}×${dh} ${method}${float ? " f32" : ""}`, await cl.resize(data, shape, options), data, shape, options);
          n++;
        }
        for (const method of ["bilinear", "bicubic"]) {
          const options = { width: dw, height: dh, method, antialias: true };
          check(`${sw}×${sh}×${channels} → ${dw}×${dh} ${method} antialias${float ? " f32" : ""}`, await cl.resize(data, shape, options), data, shape, options);
          n++;
        }
      }
    }
  }
  assert.ok(n > 1000);
});

test("threads 1, 2 and 3 give the same bytes", async () => {
  const rand = random(3);
  // Large enough that every method splits across threads in some case (solo below 2¹⁸ taps).
  for (const [sw, sh, dw, dh, channels] of [[900, 500, 400, 300, 3], [640, 480, 700, 520, 4], [1280, 720, 224, 224, 1], [257, 1001, 130, 600, 2]]) {
    const { data, shape } = source(rand, { width: sw, height: sh, channels }, 3, false);
    for (const [method, antialias] of [["nearest"], ["bilinear"], ["bicubic"], ["area"], ["bilinear", true], ["bicubic", true]]) {
      const options = { width: dw, height: dh, method, antialias };
      const results = [];
      for (const t of THREADS) results.push((await contexts[t].resize(data, shape, options)).data);
      for (const i of [1, 2]) assertSame(results[i], results[0], `${sw}×${sh}×${channels} → ${dw}×${dh} ${method}${antialias ? " antialias" : ""}: ${THREADS[i]} threads`);
    }
  }
});

test("device buffers in place, out arrays, and a result chained into the next resize", async () => {
  const cl = contexts[2];
  const rand = random(7);
  const { data, shape } = source(rand, { width: 120, height: 90, channels: 3 }, 6, false);
  const src = cl.buffer(Uint8Array, data.length);
  src.array.set(data);
  const out = cl.buffer(Uint8Array, 50 * 40 * 3);
  const options = { width: 50, height: 40, method: "area" };
  const r = await cl.resize(src, shape, { ...options, out });
  assert.is(r.data, out);
  const plain = await cl.resize(data, shape, options);
  assertSame(out.array, plain.data, "device buffer vs array");
  const into = new Uint8ClampedArray(50 * 40 * 3 + 5);
  assert.is((await cl.resize(data, shape, { ...options, out: into })).data, into);
  assertSame(into.subarray(0, 50 * 40 * 3), plain.data, "out array");
  // The result is an Image: it goes straight into the next op.
  const twice = await cl.resize(plain, { width: 25, height: 20, method: "bilinear" });
  check("chained", twice, plain.data, { width: 50, height: 40, channels: 3, stride: 150 }, { width: 25, height: 20, method: "bilinear" });
  src.dispose();
  out.dispose();
});

test("bad input rejects with an error naming the argument", async () => {
  const cl = contexts[1];
  const d = new Uint8Array(12);
  const shape = { width: 2, height: 2, channels: 3 };
  await rejects(cl.resize(d, shape, { width: 0, height: 2 }), RangeError, /resize width must be an integer from 1 to 16777216, got 0/);
  await rejects(cl.resize(d, shape, { width: 2, height: -1 }), RangeError, /resize height/);
  await rejects(cl.resize(d, shape, { width: 2.5, height: 2 }), RangeError, /resize width/);
  await rejects(cl.resize(d, shape, { height: 2 }), TypeError, /resize width/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, method: "lanczos" }), TypeError, /resize method must be .*"area".*got "lanczos"/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, method: "area", antialias: true }), TypeError, /resize antialias applies to "bilinear" and "bicubic"/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, antialias: 1 }), TypeError, /resize antialias/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, size: 3 }), TypeError, /unknown option resize options.size/);
  await rejects(cl.resize(d, { width: 0, height: 2 }, { width: 2, height: 2 }), RangeError, /resize src width/);
  await rejects(cl.resize(d, { width: 2, height: 2, channels: 5 }, { width: 2, height: 2 }), RangeError, /resize src channels/);
  await rejects(cl.resize(d, { width: 2, height: 2, channels: 3, stride: 5 }, { width: 2, height: 2 }), RangeError, /resize src stride must be an integer ≥ 6, got 5/);
  await rejects(cl.resize(d, { width: 2, height: 3, channels: 3 }, { width: 2, height: 2 }), RangeError, /resize src has 12 elements, needs at least 18/);
  await rejects(cl.resize(new Int16Array(12), shape, { width: 2, height: 2 }), TypeError, /resize src must be a Uint8Array/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, out: new Uint8Array(11) }), RangeError, /resize out has 11 elements, needs at least 12/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, out: new Float32Array(12) }), TypeError, /resize out must be a Uint8Array/);
  await rejects(cl.resize(d, shape, { width: 2, height: 2, out: d }), RangeError, /resize out must not be the source/);
  await rejects(cl.resize(d, shape, null), TypeError, /resize options must be an options object/);
});

test.run();
