// boxFilter, gaussianBlur and adaptiveThreshold against OpenCV.js itself (@techstark/opencv-js
// 4.5) on the same fuzzed inputs: 8-bit results bit for bit (cv.blur, cv.boxFilter with
// normalize false, cv.GaussianBlur's fixed point, cv.adaptiveThreshold), f32 Gaussian bit
// for bit, f32 box within (kw + kh)·2⁻²³·max|x| of its double sums. Runs on Node (required) and,
// where OpenCV.js loads, on Deno and Bun.
import { createRequire } from "node:module";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { contextsPerThreadCount, firstDifference, random, randomF32, randomU8 } from "./helpers.js";
import { randomSize } from "./filters-reference.js";

const test = suite("filters vs OpenCV.js");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);
const onNode = typeof process !== "undefined" && !globalThis.Deno && !globalThis.Bun;

/**
 * OpenCV.js: require() it and wait for onRuntimeInitialized (its module is a thenable that
 * never settles when awaited). Its build installs process handlers that print its whole
 * source on any error: they are taken out again.
 */
async function loadOpenCV() {
  const before = new Set(process.listeners("uncaughtException").concat(process.listeners("unhandledRejection")));
  const cv = createRequire(import.meta.url)("@techstark/opencv-js");
  for (const event of ["uncaughtException", "unhandledRejection"]) {
    for (const l of process.listeners(event)) if (!before.has(l)) process.removeListener(event, l);
  }
  if (!cv.Mat) await new Promise((resolve) => (cv.onRuntimeInitialized = resolve));
  return { cv };
}

let cv = null;
test.before(async () => {
  try {
    cv = (await Promise.race([loadOpenCV(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 60000))])).cv;
  } catch (e) {
    if (onNode) throw e;
    console.log(`  (OpenCV.js did not load here: ${e.message}; skipped)`);
  }
});

const BORDERS = ["reflect101", "replicate", "constant"];
const cvBorder = (b) => ({ reflect101: cv.BORDER_REFLECT_101, replicate: cv.BORDER_REPLICATE, constant: cv.BORDER_CONSTANT })[b];

function toMat(data, w, h, cn, f32) {
  return cv.matFromArray(h, w, f32 ? [0, cv.CV_32FC1, cv.CV_32FC2, cv.CV_32FC3, cv.CV_32FC4][cn] : [0, cv.CV_8UC1, cv.CV_8UC2, cv.CV_8UC3, cv.CV_8UC4][cn], data);
}

/** Every thread count against OpenCV's bytes (or floats; within an absolute tolerance), with the case in the message. */
async function compare(label, call, expected, tolerance = 0) {
  for (const t of THREADS) {
    const got = (await call(contexts[t])).data;
    if (tolerance === 0) {
      const i = firstDifference(got, expected);
      if (i >= 0) assert.unreachable(`${label} on ${t} threads: element ${i} is ${got[i]}, OpenCV.js ${expected[i]}`);
      if (i === -2) assert.unreachable(`${label}: length ${got.length}, OpenCV.js ${expected.length}`);
    } else {
      for (let i = 0; i < expected.length; i++) {
        if (!(Math.abs(got[i] - expected[i]) <= tolerance)) assert.unreachable(`${label} on ${t} threads: element ${i} is ${got[i]}, OpenCV.js ${expected[i]}`);
      }
    }
  }
}

test("cv.blur and cv.boxFilter: 8-bit bit for bit, f32 within (kw + kh)·2⁻²³·max|x|", async () => {
  if (!cv) return;
  const rand = random(51);
  const dst = new cv.Mat();
  for (let i = 0; i < 80; i++) {
    const [w, h] = randomSize(rand, 4000, 900);
    const cn = 1 + Math.floor(rand() * 4);
    const f32 = i % 8 === 7;
    const data = f32 ? randomF32(rand, w * h * cn, 100) : randomU8(rand, w * h * cn);
    const big = rand() < 0.3;
    let kw = 1 + Math.floor(rand() * (big ? 45 : 12)), kh = 1 + Math.floor(rand() * (big ? 45 : 12));
    if (f32) [kw, kh] = [kw | 1, kh | 1];
    const border = BORDERS[i % 3];
    const normalize = f32 || rand() < 0.85;
    const src = toMat(data, w, h, cn, f32);
    if (normalize) cv.blur(src, dst, new cv.Size(kw, kh), new cv.Point(-1, -1), cvBorder(border));
    else cv.boxFilter(src, dst, -1, new cv.Size(kw, kh), new cv.Point(-1, -1), false, cvBorder(border));
    const expected = f32 ? dst.data32F.slice() : dst.data.slice();
    src.delete();
    await compare(`box ${f32 ? "f32" : "u8"} ${w}×${h}×${cn} ${kw}×${kh} ${border}${normalize ? "" : " sum"}`,
      (cl) => cl.boxFilter(data, { width: w, height: h, channels: cn }, { ksize: [kw, kh], border, normalize }), expected, f32 ? (kw + kh) * 2 ** -23 * 100 : 0);
  }
  dst.delete();
});

test("cv.blur's 2-pixel window on flat images (its fixed point wraps 256 to 0)", async () => {
  if (!cv) return;
  const dst = new cv.Mat();
  for (const value of [0, 1, 254, 255]) {
    for (const [kw, kh] of [[2, 1], [1, 2], [2, 2], [3, 1]]) {
      const data = new Uint8Array(7 * 5 * 3).fill(value);
      const src = toMat(data, 7, 5, 3, false);
      cv.blur(src, dst, new cv.Size(kw, kh));
      const expected = dst.data.slice();
      src.delete();
      await compare(`blur ${kw}×${kh} of ${value}s`, (cl) => cl.boxFilter(data, { width: 7, height: 5, channels: 3 }, { ksize: [kw, kh] }), expected);
    }
  }
  dst.delete();
});

test("cv.GaussianBlur: 8-bit and f32 bit for bit", async () => {
  if (!cv) return;
  const rand = random(52);
  const dst = new cv.Mat();
  for (let i = 0; i < 80; i++) {
    const [w, h] = randomSize(rand, 4000, 900);
    const cn = 1 + Math.floor(rand() * 4);
    const f32 = i % 4 === 3;
    const data = f32 ? randomF32(rand, w * h * cn, 100) : randomU8(rand, w * h * cn);
    let sigma = 0.2 + rand() * 4;
    const sigmaY = rand() < 0.4 ? 0.2 + rand() * 3 : 0;
    let ksize = rand() < 0.3 ? [1 + 2 * Math.floor(rand() * 7), 1 + 2 * Math.floor(rand() * 7)] : [0, 0];
    if (rand() < 0.1) [sigma, ksize] = [0, [3 + 2 * Math.floor(rand() * 6), 3 + 2 * Math.floor(rand() * 6)]];
    const border = BORDERS[i % 3];
    const src = toMat(data, w, h, cn, f32);
    cv.GaussianBlur(src, dst, new cv.Size(ksize[0], ksize[1]), sigma, sigmaY, cvBorder(border));
    const expected = f32 ? dst.data32F.slice() : dst.data.slice();
    src.delete();
    const o = { sigma, sigmaY, border, ...(ksize[0] ? { ksize } : {}) };
    await compare(`gaussian ${f32 ? "f32" : "u8"} ${w}×${h}×${cn} ${JSON.stringify(o)}`, (cl) => cl.gaussianBlur(data, { width: w, height: h, channels: cn }, o), expected);
  }
  dst.delete();
});

test("cv.adaptiveThreshold: bit for bit", async () => {
  if (!cv) return;
  const rand = random(53);
  const dst = new cv.Mat();
  for (let i = 0; i < 60; i++) {
    const [w, h] = randomSize(rand, 4000, 900);
    const data = randomU8(rand, w * h);
    for (let j = 1; j < data.length; j++) data[j] = (data[j - 1] + (data[j] >> 4) + (rand() < 0.05 ? 128 : 0)) & 255;
    const method = i % 2 ? "gaussian" : "mean";
    const type = i % 4 < 2 ? "binary" : "binaryInv";
    const blockSize = 3 + 2 * Math.floor(rand() * (rand() < 0.5 ? 5 : 25));
    const C = Math.round((rand() - 0.5) * 20 * 4) / 4;
    const maxValue = [255, 200, 127.5, 300][i % 4];
    const src = toMat(data, w, h, 1, false);
    cv.adaptiveThreshold(src, dst, maxValue, method === "mean" ? cv.ADAPTIVE_THRESH_MEAN_C : cv.ADAPTIVE_THRESH_GAUSSIAN_C, type === "binary" ? cv.THRESH_BINARY : cv.THRESH_BINARY_INV, blockSize, C);
    const expected = dst.data.slice();
    src.delete();
    const o = { maxValue, method, type, blockSize, C };
    await compare(`adaptive ${w}×${h} ${JSON.stringify(o)}`, (cl) => cl.adaptiveThreshold(data, { width: w, height: h }, o), expected);
  }
  dst.delete();
});

test.run();
