// With Workers, a call from arrays that the planner runs on the calling thread alone moves
// to the context's unshared instance (src/run.ts, runAloneUnshared), whose copies are plain
// memmoves, and so does one bound by its copies (a colour change, a shrink): every op that
// can run alone asks for it. Each op here makes a small call on a two-thread context: all
// its jobs must run on the unshared engine, none on the context's memory, and its result
// must be the one-thread context's, bit for bit. Calls with work enough to split, and a
// call with a device buffer, stay on the context's memory.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { HOST } from "../dist/run.js";
import { random, randomF32 } from "./helpers.js";

const test = suite("calls alone on the unshared memory");

const rand = random(731);
const bytes = (n) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const rgba = { data: bytes(40 * 30 * 4), width: 40, height: 30, channels: 4 };
const rgb = { data: bytes(33 * 21 * 3), width: 33, height: 21, channels: 3 };
const gray = { data: bytes(37 * 29), width: 37, height: 29, channels: 1 };
const yuv = bytes(16 * 12 * 3 / 2);
const f = (n) => randomF32(rand, n, 1);
const a = f(7 * 13), b = f(13 * 11), x = f(6 * 9 * 9), w = f(5 * 6 * 9), nc4 = f(8 * 81);

// Each op's small call: [name, call(cl)].
const CALLS = [
  ["gemm", (cl) => cl.gemm(a, b, { m: 7, n: 11, k: 13, activation: "relu" })],
  ["toNC4HW4", (cl) => cl.toNC4HW4(x, [1, 6, 9, 9])],
  ["fromNC4HW4", (cl) => cl.fromNC4HW4(nc4, [1, 6, 9, 9], { to: "NHWC" })],
  ["conv2d", (cl) => cl.conv2d(x, [1, 6, 9, 9], w, [5, 6, 3, 3], { padding: 1 })],
  ["pool2d", (cl) => cl.pool2d({ data: x, shape: [1, 6, 9, 9], layout: "NCHW" }, { mode: "avg", kernel: 3, stride: 2 })],
  ["resize", (cl) => cl.resize(rgba, { width: 17, height: 23, method: "bicubic" })],
  ["cvtColor", (cl) => cl.cvtColor(rgba, "RGBA2GRAY")],
  ["cvtColor from YUV", (cl) => cl.cvtColor(yuv, { width: 16, height: 12 }, "NV12_TO_RGB")],
  ["crop", (cl) => cl.crop(rgb, { x: 3, y: 2, width: 20, height: 11 })],
  ["flip", (cl) => cl.flip(rgb, { axis: "both" })],
  ["place", (cl) => cl.place(gray, { width: 50, height: 40, x: 5, y: 7, value: 9 })],
  ["toTensor", (cl) => cl.toTensor(rgb, { mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] })],
  ["boxFilter", (cl) => cl.boxFilter(rgb, { ksize: 5 })],
  ["gaussianBlur", (cl) => cl.gaussianBlur(gray, { sigma: 1.2 })],
  ["adaptiveThreshold", (cl) => cl.adaptiveThreshold(gray, { maxValue: 255, method: "gaussian", blockSize: 7, C: 2 })],
  ["preprocess", (cl) => cl.preprocess(rgba, { resize: { width: 24, height: 24, fit: "contain" }, pad: 114 })],
  ["integral", (cl) => cl.integral(gray.data, { width: gray.width, height: gray.height, squared: true })],
];

/** Counts the jobs each of a context's engines runs (both of them plain objects). */
function countJobs(engine) {
  const counts = { jobs: 0 };
  const run = engine.run.bind(engine), runSolo = engine.runSolo.bind(engine);
  engine.run = (...args) => (counts.jobs++, run(...args));
  engine.runSolo = (...args) => (counts.jobs++, runSolo(...args));
  return counts;
}

/** An op's result as one flat list of numbers (tensors, images, matrices, integral tables). */
function flat(r) {
  if (ArrayBuffer.isView(r)) return Array.from(r);
  if (r.sum) return [...Array.from(r.sum), ...(r.sqsum ? Array.from(r.sqsum) : [])];
  return Array.from(r.data);
}

test("every op's small call from arrays runs on the unshared memory, with the one-thread result", async () => {
  const one = await createContext({ threads: 1 });
  const two = await createContext({ threads: 2 });
  try {
    const engine = two[HOST].engine;
    const own = await engine.unshared();
    // Only the simd build makes one, and only with Workers (a page without isolation has none).
    const expected = two.threads > 1 && two.variant === "simd";
    assert.is(Boolean(own), expected, `an unshared engine with ${two.threads} threads on the ${two.variant} build`);
    const shared = countJobs(engine);
    const unshared = own ? countJobs(own) : { jobs: 0 };
    for (const [name, call] of CALLS) {
      const before = [shared.jobs, unshared.jobs];
      const got = flat(await call(two));
      const ran = [shared.jobs - before[0], unshared.jobs - before[1]];
      assert.ok(ran[0] + ran[1] > 0, `${name}: ran a job`);
      if (own) assert.equal(ran, [0, ran[1]], `${name}: no job on the context's memory`);
      assert.equal(got, flat(await call(one)), `${name}: as on one thread`);
    }
    // Large calls: those bound by their copies run alone there too; those with work
    // enough to split stay on the context's memory, with its Workers.
    const big = 160, ba = f(big * big), bb = f(big * big), size = { m: big, n: big, k: big };
    const frame = { data: bytes(320 * 240 * 4), width: 320, height: 240, channels: 4 };
    const large = { data: bytes(1280 * 960 * 4), width: 1280, height: 960, channels: 4 };
    const LARGE = [
      ["a large cvtColor", true, (cl) => cl.cvtColor(frame, "RGBA2BGR")],
      ["a large shrink", true, (cl) => cl.resize(frame, { width: 100, height: 70 })],
      // Many taps, yet fewer than 0.7 a byte copied in and out.
      ["a steep bicubic shrink", true, (cl) => cl.resize(large, { width: 160, height: 120, method: "bicubic" })],
      ["an area shrink", true, (cl) => cl.resize(large, { width: 150, height: 110, method: "area" })],
      ["a bicubic shrink by a third", false, (cl) => cl.resize(large, { width: 427, height: 320, method: "bicubic" })],
      ["a large preprocess", true, (cl) => cl.preprocess(frame, { resize: { width: 160, height: 160, fit: "cover" } })],
      ["a large GEMM", false, (cl) => cl.gemm(ba, bb, size)],
      ["a large bicubic enlargement", false, (cl) => cl.resize(rgba, { width: 400, height: 300, method: "bicubic" })],
      ["a large Gaussian blur", false, (cl) => cl.gaussianBlur(frame, { sigma: 2 })],
    ];
    for (const [name, alone, call] of LARGE) {
      const before = [shared.jobs, unshared.jobs];
      const got = flat(await call(two));
      const ran = [shared.jobs - before[0] > 0, unshared.jobs - before[1] > 0];
      if (own) assert.equal(ran, alone ? [false, true] : [true, false], `${name}: ${alone ? "runs alone" : "stays"}`);
      assert.equal(got, flat(await call(one)), `${name}: as on one thread`);
    }
    // A device buffer keeps even a small call on the context's memory.
    const device = two.buffer(Float32Array, a.length);
    device.array.set(a);
    const stay = [shared.jobs, unshared.jobs];
    const fromDevice = await two.gemm(device, b, { m: 7, n: 11, k: 13, activation: "relu" });
    assert.equal([shared.jobs - stay[0], unshared.jobs - stay[1]], [1, 0], "a device buffer stays");
    assert.equal(Array.from(fromDevice), flat(await CALLS[0][1](one)), "and gives the same result");
    device.dispose();
  } finally {
    one.dispose();
    two.dispose();
  }
});

test("running out of memory names which memory: the context's, or its second one for calls alone", async () => {
  const cl = await createContext({ threads: 2, maxMemoryMiB: 2 });
  try {
    const engine = cl[HOST].engine;
    assert.throws(() => engine.arena.alloc(3 << 20), (e) => e instanceof RangeError && /but the context's memory is/.test(e.message));
    const own = await engine.unshared();
    if (own) assert.throws(() => own.arena.alloc(3 << 20), (e) => e instanceof RangeError && /but the context's second memory \(for calls on the calling thread alone from arrays\) is/.test(e.message));
  } finally {
    cl.dispose();
  }
});

test.run();
