// boxFilter, gaussianBlur and adaptiveThreshold against scalar references of OpenCV's
// definitions (test/filters-reference.js), bit for bit: fuzzed sizes from 1×1 to very
// wide and very tall, every channel count, regions read in place through a stride,
// windows larger than the image, every border, on 1, 2 and 3 threads; results chain and
// go into arrays or device buffers; bad input names the argument.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, randomF32, randomU8, rejects } from "./helpers.js";
import { adaptiveReference, boxReference, gaussianReference, randomSize } from "./filters-reference.js";

const test = suite("filters");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);
const BORDERS = ["reflect101", "replicate", "constant"];

/** A random image, sometimes a region of a wider one (its stride longer than a row). */
function randomImage(rand, width, height, channels, f32 = false) {
  const stride = width * channels + (rand() < 0.4 ? 1 + Math.floor(rand() * 9) : 0);
  const length = (height - 1) * stride + width * channels;
  const data = f32 ? randomF32(rand, length, 128) : randomU8(rand, length);
  return { data, shape: { width, height, channels, stride } };
}

/** Run on every thread count: each equal to the reference, so all equal to each other. */
async function check(label, call, expected, compare = assertSame) {
  for (const t of THREADS) {
    const got = await call(contexts[t]);
    compare(got.data, expected, `${label} on ${t} threads`);
  }
}

test("boxFilter: 8-bit bit-exact over sizes, channels, strides, windows and borders", async () => {
  const rand = random(41);
  for (let i = 0; i < 60; i++) {
    const [w, h] = randomSize(rand, 2000, 700);
    const cn = 1 + Math.floor(rand() * 4);
    const { data, shape } = randomImage(rand, w, h, cn);
    // Windows up to 40 (K > 256 takes the f64 rounding), some larger than the image.
    const kw = 1 + Math.floor(rand() * (rand() < 0.7 ? 9 : 40)), kh = 1 + Math.floor(rand() * (rand() < 0.7 ? 9 : 40));
    const o = { ksize: [kw, kh], border: BORDERS[i % 3], borderValue: i % 3 === 2 ? Math.floor(rand() * 256) : undefined, normalize: rand() < 0.9 };
    if (w * h * kw * kh > 3e6) o.ksize = [3, 3];
    await check(`box ${w}×${h}×${cn} stride ${shape.stride} ${JSON.stringify(o)}`, (cl) => cl.boxFilter(data, shape, o), boxReference(data, shape, o));
  }
});

test("boxFilter: OpenCV's 2-pixel window (its fixed point gives 1 for two 0s and 0 for two 255s)", async () => {
  for (const [ksize, shape] of [[[2, 1], { width: 5, height: 3 }], [[1, 2], { width: 3, height: 5 }]]) {
    for (const t of THREADS) {
      assertSame((await contexts[t].boxFilter(new Uint8Array(15), shape, { ksize })).data, new Uint8Array(15).fill(1), `zeros ${ksize}`);
      assertSame((await contexts[t].boxFilter(new Uint8Array(15).fill(255), shape, { ksize })).data, new Uint8Array(15), `255s ${ksize}`);
    }
  }
});

test("gaussianBlur: 8-bit bit-exact (OpenCV's fixed point), f32 bit-exact (its f32 order)", async () => {
  const rand = random(42);
  for (let i = 0; i < 50; i++) {
    const [w, h] = randomSize(rand, 2000, 700);
    const cn = 1 + Math.floor(rand() * 4);
    const f32 = rand() < 0.3;
    const { data, shape } = randomImage(rand, w, h, cn, f32);
    const o = { sigma: 0.2 + rand() * 3, border: BORDERS[i % 3] };
    if (rand() < 0.4) o.sigmaY = 0.2 + rand() * 3;
    if (rand() < 0.3) o.ksize = [1 + 2 * Math.floor(rand() * 6), 1 + 2 * Math.floor(rand() * 6)];
    if (rand() < 0.1) o.sigma = 0; // sigma from ksize, OpenCV's small fixed kernels up to 9
    if (o.sigma === 0 && !o.ksize) o.ksize = 9;
    if (i % 3 === 2 && rand() < 0.5) o.borderValue = f32 ? 17.5 : 200;
    await check(`gaussian ${f32 ? "f32" : "u8"} ${w}×${h}×${cn} stride ${shape.stride} ${JSON.stringify(o)}`, (cl) => cl.gaussianBlur(data, shape, o), gaussianReference(data, shape, o));
  }
});

test("boxFilter on f32: the mean within (kw + kh)·2⁻²³·max|x| (f32 sums in another order)", async () => {
  const rand = random(43);
  for (let i = 0; i < 12; i++) {
    const [w, h] = randomSize(rand, 2000, 700);
    const cn = 1 + Math.floor(rand() * 4);
    const { data, shape } = randomImage(rand, w, h, cn, true);
    const o = { ksize: [1 + 2 * Math.floor(rand() * 5), 1 + 2 * Math.floor(rand() * 5)], border: BORDERS[i % 3] };
    const expected = boxReference(data, shape, o);
    await check(`box f32 ${w}×${h}×${cn} ${JSON.stringify(o)}`, (cl) => cl.boxFilter(data, shape, o), expected, (got, ref, label) => {
      for (let j = 0; j < ref.length; j++) {
        if (!(Math.abs(got[j] - ref[j]) <= (o.ksize[0] + o.ksize[1]) * 2 ** -23 * 128)) assert.unreachable(`${label}: element ${j} is ${got[j]}, expected ${ref[j]}`);
      }
    });
  }
});

test("adaptiveThreshold: mean and gaussian, binary and binaryInv, bit-exact", async () => {
  const rand = random(44);
  for (let i = 0; i < 40; i++) {
    const [w, h] = randomSize(rand, 2000, 700);
    const { data, shape } = randomImage(rand, w, h, 1);
    // Smooth-ish content so that many pixels sit near their mean.
    for (let j = 1; j < data.length; j++) data[j] = (data[j - 1] + (data[j] >> 4) + (rand() < 0.05 ? 128 : 0)) & 255;
    const o = {
      maxValue: [255, 200, 127.5, 300, -1][i % 5],
      method: i % 2 ? "gaussian" : "mean",
      type: i % 4 < 2 ? "binary" : "binaryInv",
      blockSize: 3 + 2 * Math.floor(rand() * (rand() < 0.5 ? 5 : 20)),
      C: Math.round((rand() - 0.5) * 20 * 4) / 4,
    };
    await check(`adaptive ${w}×${h} stride ${shape.stride} ${JSON.stringify(o)}`, (cl) => cl.adaptiveThreshold(data, shape, o), adaptiveReference(data, shape, o));
  }
});

test("adaptiveThreshold on images one pixel wide or tall (OpenCV's isolated border shrinks the block)", async () => {
  const rand = random(46);
  for (const [w, h] of [[1, 1], [1, 7], [9, 1], [2, 1], [1, 2]]) {
    const data = randomU8(rand, w * h);
    for (const method of ["mean", "gaussian"]) {
      for (const [type, C] of [["binary", 0], ["binary", -3], ["binaryInv", 0], ["binaryInv", 2]]) {
        const o = { maxValue: 255, method, type, blockSize: 5, C };
        await check(`adaptive ${w}×${h} ${JSON.stringify(o)}`, (cl) => cl.adaptiveThreshold(data, { width: w, height: h }, o), adaptiveReference(data, { width: w, height: h }, o));
      }
    }
  }
});

test("results chain, go into arrays or device buffers, and Uint8ClampedArray reads", async () => {
  const cl = contexts[2];
  const rand = random(45);
  const w = 37, h = 23;
  const data = randomU8(rand, w * h * 4);
  const shape = { width: w, height: h, channels: 4 };
  const blurred = await cl.gaussianBlur(data, shape, { sigma: 1.5 });
  assert.equal([blurred.width, blurred.height, blurred.channels, blurred.stride], [w, h, 4, w * 4]);
  const boxed = await cl.boxFilter(blurred, { ksize: 5 });
  assertSame(boxed.data, boxReference(gaussianReference(data, shape, { sigma: 1.5 }), shape, { ksize: 5 }), "gaussian then box");
  // out: a plain array, then device buffers in and out (nothing copied).
  const out = new Uint8ClampedArray(w * h * 4);
  const r = await cl.boxFilter(new Uint8ClampedArray(data), shape, { ksize: 3, out });
  assert.is(r.data, out);
  assertSame(Uint8Array.from(out), boxReference(data, shape, { ksize: 3 }), "Uint8ClampedArray in and out");
  const src = cl.buffer(Uint8Array, w * h * 4);
  src.array.set(data);
  const dst = cl.buffer(Uint8Array, w * h * 4);
  const d = await cl.gaussianBlur({ data: src, ...shape, stride: w * 4 }, { sigma: 1.5, out: dst });
  assert.is(d.data, dst);
  assertSame(dst.array, blurred.data, "device buffers");
  src.dispose();
  dst.dispose();
});

test("bad input names the argument", async () => {
  const cl = contexts[1];
  const x = new Uint8Array(16);
  const s = { width: 4, height: 4 };
  await rejects(cl.boxFilter(x, { width: 0, height: 4 }, { ksize: 3 }), RangeError, /boxFilter src width must be an integer from 1/);
  await rejects(cl.boxFilter(x, { width: 4, height: -1 }, { ksize: 3 }), RangeError, /boxFilter src height must be an integer from 1/);
  await rejects(cl.boxFilter(x, { width: 4, height: 4, stride: 3 }, { ksize: 3 }), RangeError, /boxFilter src stride must be an integer ≥ 4/);
  await rejects(cl.boxFilter(x, { width: 4, height: 5 }, { ksize: 3 }), RangeError, /boxFilter src has 16 elements, needs at least 20/);
  await rejects(cl.boxFilter(x, s, {}), TypeError, /boxFilter ksize is required/);
  await rejects(cl.boxFilter(x, s, { ksize: 0 }), RangeError, /boxFilter ksize must be an integer from 1 to 65535, got 0/);
  await rejects(cl.boxFilter(x, s, { ksize: [3] }), TypeError, /boxFilter ksize must be a number or \[width, height\]/);
  await rejects(cl.boxFilter(x, s, { ksize: 3, border: "wrap" }), TypeError, /boxFilter border must be "reflect101", "replicate" or "constant", got "wrap"/);
  await rejects(cl.boxFilter(x, s, { ksize: 3, border: "constant", borderValue: 256 }), RangeError, /boxFilter borderValue must be an integer from 0 to 255/);
  await rejects(cl.boxFilter(x, s, { ksize: 3, out: new Uint8Array(15) }), RangeError, /boxFilter out has 15 elements, needs at least 16/);
  await rejects(cl.boxFilter(x, s, { ksize: 3, out: new Float32Array(16) }), TypeError, /boxFilter out must be a Uint8Array/);
  await rejects(cl.boxFilter(x, s, { ksize: 3, out: x }), RangeError, /boxFilter out must not be the source's data/);
  await rejects(cl.boxFilter(x, s, { ksize: 3, size: 3 }), TypeError, /unknown option boxFilter options.size/);
  await rejects(cl.boxFilter(new Int16Array(16), s, { ksize: 3 }), TypeError, /boxFilter src must be a Uint8Array or Uint8ClampedArray or a Float32Array/);
  await rejects(cl.boxFilter(new Float32Array(16), s, { ksize: 4 }), RangeError, /boxFilter ksize must be odd for f32 images/);
  await rejects(cl.gaussianBlur(x, s, {}), RangeError, /gaussianBlur needs sigma > 0 or an odd ksize/);
  await rejects(cl.gaussianBlur(x, s, { ksize: 4 }), RangeError, /gaussianBlur ksize width must be odd/);
  await rejects(cl.gaussianBlur(x, s, { sigma: -1 }), RangeError, /gaussianBlur sigma must be a finite number ≥ 0/);
  await rejects(cl.gaussianBlur(x, s, { sigma: "2" }), TypeError, /gaussianBlur sigma must be a number/);
  await rejects(cl.adaptiveThreshold(x, s, { maxValue: 255, method: "median", blockSize: 3 }), TypeError, /adaptiveThreshold method must be "mean" or "gaussian", got "median"/);
  await rejects(cl.adaptiveThreshold(x, s, { maxValue: 255, method: "mean", blockSize: 4 }), RangeError, /adaptiveThreshold blockSize must be odd/);
  await rejects(cl.adaptiveThreshold(x, s, { maxValue: 255, method: "mean", blockSize: 1 }), RangeError, /adaptiveThreshold blockSize must be an integer from 3/);
  await rejects(cl.adaptiveThreshold(x, s, { maxValue: 255, method: "mean", blockSize: 3, type: "trunc" }), TypeError, /adaptiveThreshold type must be "binary" or "binaryInv"/);
  await rejects(cl.adaptiveThreshold(x, s, { method: "mean", blockSize: 3 }), TypeError, /adaptiveThreshold maxValue must be a number/);
  await rejects(cl.adaptiveThreshold(new Uint8Array(32), { width: 4, height: 4, channels: 2 }, { maxValue: 1, method: "mean", blockSize: 3 }), RangeError, /adaptiveThreshold src must be gray/);
  await rejects(cl.adaptiveThreshold(new Float32Array(16), s, { maxValue: 1, method: "mean", blockSize: 3 }), TypeError, /adaptiveThreshold src must be a Uint8Array or Uint8ClampedArray \(or a device buffer/);
});

test.run();
