// resize() against cv.resize (OpenCV.js 4.5, @techstark/opencv-js) on the same inputs:
// fuzzed sizes (1×1 to very wide and very tall), every channel count, strided regions,
// 8-bit and f32, on 1 and 3 threads.
// - 8-bit nearest, bilinear, bicubic: bit-identical.
// - 8-bit area: bit-identical for integer factors and whenever an axis grows (OpenCV's
//   bilinear form); otherwise within 1 (simdcl sums columns first in fixed point, OpenCV
//   rows first in f32).
// - f32: within 2⁻¹⁸ of Σ|x| over the taps (the same f32 coefficients, other orders).
// Node loads OpenCV.js; where it cannot load (a runtime without its CommonJS build), the
// suite says so and passes. Its 4.x build installs handlers that print its source on
// any uncaught error, so it is loaded here only.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { createContext } from "../dist/index.js";
import { random } from "./helpers.js";

const test = suite("resize vs OpenCV.js");
let cv = null;
let cl1 = null, cl3 = null;

test.before(async () => {
  cl1 = await createContext({ threads: 1 });
  cl3 = await createContext({ threads: 3 });
  try {
    const m = createRequire(import.meta.url)("@techstark/opencv-js");
    if (!m.Mat) {
      let timer;
      await new Promise((resolve, reject) => {
        m.onRuntimeInitialized = resolve;
        timer = setTimeout(() => reject(new Error("OpenCV.js did not initialise in 20 s")), 20000);
      }).finally(() => clearTimeout(timer));
    }
    cv = m;
  } catch (e) {
    if (typeof process !== "undefined" && process.versions?.node && !process.versions.bun && !globalThis.Deno) throw e;
    console.log(`resize vs OpenCV.js: skipped, OpenCV.js did not load here (${e.message})`);
  }
});
test.after(() => {
  cl1?.dispose();
  cl3?.dispose();
});

const INTER = () => ({ nearest: cv.INTER_NEAREST, bilinear: cv.INTER_LINEAR, bicubic: cv.INTER_CUBIC, area: cv.INTER_AREA });

/** cv.resize of the region (copied dense into a Mat), as a plain array. */
function opencv(data, { width, height, channels, stride }, dw, dh, method) {
  const float = data instanceof Float32Array;
  const dense = new data.constructor(width * height * channels);
  for (let y = 0; y < height; y++) dense.set(data.subarray(y * stride, y * stride + width * channels), y * width * channels);
  const type = cv[`CV_${float ? "32F" : "8U"}C${channels}`];
  const src = cv.matFromArray(height, width, type, dense);
  const dst = new cv.Mat();
  try {
    cv.resize(src, dst, new cv.Size(dw, dh), 0, 0, INTER()[method]);
    return float ? dst.data32F.slice() : dst.data.slice();
  } finally {
    src.delete();
    dst.delete();
  }
}

function source(rand, width, height, channels, pad, float) {
  const stride = width * channels + pad;
  const data = float ? new Float32Array(height * stride) : new Uint8Array(height * stride);
  for (let i = 0; i < data.length; i++) data[i] = float ? (rand() * 2 - 1) * 100 : (rand() * 256) | 0;
  return { data, shape: { width, height, channels, stride } };
}

function randomSize(rand) {
  const r = rand();
  const side = () => 1 + Math.floor(rand() * (rand() < 0.3 ? 300 : 40));
  if (r < 0.1) return [1 + Math.floor(rand() * 2000), 1 + Math.floor(rand() * 3), side(), 1 + Math.floor(rand() * 4)]; // very wide
  if (r < 0.2) return [1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 2000), 1 + Math.floor(rand() * 4), side()]; // very tall
  if (r < 0.3) {
    const [w, h] = [side(), side()];
    const [fx, fy] = [1 + Math.floor(rand() * 5), 1 + Math.floor(rand() * 5)];
    return [w * fx, h * fy, w, h]; // integer factors
  }
  return [side(), side(), side(), side()];
}

/** Whether cv.resize's INTER_AREA averages in f32 here (where simdcl may differ by 1). */
const areaAverages = (sw, sh, dw, dh) => sw >= dw && sh >= dh && !(sw % dw === 0 && sh % dh === 0);

test("8-bit: nearest, bilinear, bicubic bit-identical, area within 1 (bit-identical on integer factors and upscales)", async () => {
  if (!cv) return;
  const rand = random(2026);
  const counts = { nearest: 0, bilinear: 0, bicubic: 0, area: 0, areaAveraged: 0, areaAveragedExact: 0 };
  for (let i = 0; i < 160; i++) {
    const [sw, sh, dw, dh] = randomSize(rand);
    const channels = 1 + (i % 4);
    const { data, shape } = source(rand, sw, sh, channels, i % 3 === 0 ? 0 : 7, false);
    for (const method of ["nearest", "bilinear", "bicubic", "area"]) {
      const want = opencv(data, shape, dw, dh, method);
      const got = (await (i % 2 ? cl3 : cl1).resize(data, shape, { width: dw, height: dh, method })).data;
      const label = `${sw}×${sh}×${channels} → ${dw}×${dh} ${method}`;
      assert.is(got.length, want.length, `${label}: length`);
      const averaged = method === "area" && areaAverages(sw, sh, dw, dh);
      let worst = 0;
      for (let j = 0; j < want.length; j++) {
        const d = Math.abs(got[j] - want[j]);
        if (d > (averaged ? 1 : 0)) assert.unreachable(`${label}: value ${j} is ${got[j]}, cv.resize ${want[j]}`);
        worst = Math.max(worst, d);
      }
      counts[method]++;
      if (averaged) {
        counts.areaAveraged++;
        if (worst === 0) counts.areaAveragedExact++;
      }
    }
  }
  console.log(`  8-bit cases: ${JSON.stringify(counts)}`);
});

test("8-bit, 1920×1080 RGBA → 224×224 (the benchmark's case)", async () => {
  if (!cv) return;
  const rand = random(5);
  const { data, shape } = source(rand, 1920, 1080, 4, 0, false);
  for (const method of ["nearest", "bilinear", "bicubic", "area"]) {
    const want = opencv(data, shape, 224, 224, method);
    const got = (await cl3.resize(data, shape, { width: 224, height: 224, method })).data;
    for (let j = 0; j < want.length; j++) {
      if (Math.abs(got[j] - want[j]) > (method === "area" ? 1 : 0)) assert.unreachable(`${method}: value ${j} is ${got[j]}, cv.resize ${want[j]}`);
    }
  }
});

test("f32: every method within 2⁻¹⁸·Σ|x| of cv.resize", async () => {
  if (!cv) return;
  const rand = random(32);
  for (let i = 0; i < 60; i++) {
    const [sw, sh, dw, dh] = randomSize(rand);
    const channels = 1 + (i % 4);
    const { data, shape } = source(rand, sw, sh, channels, i % 2 ? 0 : 3, true);
    for (const method of ["nearest", "bilinear", "bicubic", "area"]) {
      const want = opencv(data, shape, dw, dh, method);
      const got = (await cl1.resize(data, shape, { width: dw, height: dh, method })).data;
      // Σ|x| over the taps ≤ 100 × the weights' absolute sum (bicubic's is below 1.6 a side).
      const bound = 2 ** -18 * 100 * (method === "bicubic" ? 2.6 : 1);
      for (let j = 0; j < want.length; j++) {
        if (!(Math.abs(got[j] - want[j]) <= bound)) assert.unreachable(`${sw}×${sh}×${channels} → ${dw}×${dh} ${method} f32: value ${j} is ${got[j]}, cv.resize ${want[j]}`);
      }
    }
  }
});

test.run();
