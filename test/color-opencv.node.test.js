// cvtColor, crop, flip, place and toTensor against OpenCV.js (@techstark/opencv-js 4.5) on the
// same inputs: cv.cvtColor for every code (bit-exact, YUV included: OpenCV needs even
// sizes), ROI copies for crop, cv.flip, cv.copyMakeBorder (BORDER_CONSTANT, isolated: a ROI would lend it the pixels around) for place,
// and cv.blobFromImage for toTensor (within float rounding: OpenCV computes (x − mean)·s).
// Sources are regions of larger images read through a stride on both sides, on 1, 2 and 3
// threads. OpenCV.js loads on Node; where it cannot (a runtime without require), the
// suite says so and skips, and test/color.test.js still covers every op.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import process from "node:process";
import { createContext } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, randomU8 } from "./helpers.js";

const test = suite("color vs OpenCV.js");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

// OpenCV.js: require() it and wait for its runtime (its module object is a thenable that
// never settles when awaited). Its build adds process handlers that print its whole source
// on any error: remove them again.
async function loadOpenCV() {
  const events = ["uncaughtException", "unhandledRejection"];
  const before = events.map((e) => new Set(process.listeners(e)));
  try {
    const cv = createRequire(import.meta.url)("@techstark/opencv-js");
    if (!cv.Mat) await new Promise((resolve) => (cv.onRuntimeInitialized = resolve));
    return { cv };
  } catch (e) {
    return { cv: null, why: String(e && e.message) };
  } finally {
    events.forEach((e, i) => process.listeners(e).forEach((l) => before[i].has(l) || process.off(e, l)));
  }
}

let cv = null;
test.before(async () => {
  const loaded = await loadOpenCV();
  cv = loaded.cv;
  if (!cv) {
    if (typeof Deno === "undefined" && typeof Bun === "undefined") throw new Error(`OpenCV.js must load on Node: ${loaded.why}`);
    console.log(`color vs OpenCV.js: skipped, OpenCV.js does not load here (${loaded.why})`);
  }
});

const SIZES = [[1, 1], [3, 2], [7, 5], [16, 2], [17, 3], [33, 4], [50, 3], [64, 2], [101, 7], [1922, 2], [2, 300]];
const TYPE = { 1: "CV_8UC1", 2: "CV_8UC2", 3: "CV_8UC3", 4: "CV_8UC4" };

/** A w×h×cn image as a region of a larger one (pad elements past each row), on both sides. */
function region(rand, w, h, cn, padPixels) {
  const W = w + padPixels;
  const big = randomU8(rand, W * h * cn);
  const mat = cv.matFromArray(h, W, cv[TYPE[cn]], big);
  const roi = mat.roi(new cv.Rect(padPixels, 0, w, h));
  const img = { data: big.subarray(padPixels * cn), width: w, height: h, channels: cn, stride: W * cn };
  return { img, mat, roi, delete: () => (roi.delete(), mat.delete()) };
}

const dense = (m) => new Uint8Array(m.data.buffer, m.data.byteOffset, m.rows * m.cols * m.channels()).slice();

const INTERLEAVED = [
  ["RGBA2RGB", 4], ["BGRA2BGR", 4], ["RGBA2BGR", 4], ["BGRA2RGB", 4], ["RGB2RGBA", 3], ["BGR2BGRA", 3], ["BGR2RGBA", 3], ["RGB2BGRA", 3],
  ["RGB2BGR", 3], ["BGR2RGB", 3], ["RGBA2BGRA", 4], ["BGRA2RGBA", 4], ["RGBA2GRAY", 4], ["BGRA2GRAY", 4], ["RGB2GRAY", 3], ["BGR2GRAY", 3],
  ["GRAY2RGB", 1], ["GRAY2BGR", 1], ["GRAY2RGBA", 1], ["GRAY2BGRA", 1],
];

test("cvtColor: every interleaved code, bit-exact with cv.cvtColor", async () => {
  if (!cv) return;
  const rand = random(1);
  let cases = 0;
  for (const [code, cn] of INTERLEAVED) {
    for (const [w, h] of SIZES) {
      const r = region(rand, w, h, cn, (w + h) % 3);
      const out = new cv.Mat();
      cv.cvtColor(r.roi, out, cv[`COLOR_${code}`]);
      const expected = dense(out);
      for (const t of THREADS) {
        assertSame((await contexts[t].cvtColor(r.img, code)).data, expected, `${code} ${w}×${h} threads ${t}`);
        cases++;
      }
      out.delete();
      r.delete();
    }
  }
  assert.is(cases, INTERLEAVED.length * SIZES.length * THREADS.length);
});

test("cvtColor: I420 and NV12 to RGB(A) and BGR(A), bit-exact with cv.cvtColor", async () => {
  if (!cv) return;
  const rand = random(2);
  for (const [w, h] of [[2, 2], [4, 2], [16, 2], [34, 6], [64, 4], [130, 10], [256, 54], [1920, 2], [2, 200]]) {
    const yuv = randomU8(rand, (w * h * 3) / 2);
    // Every 8-bit value of Y, U and V somewhere.
    for (let i = 0; i < Math.min(256, w * h); i++) yuv[i] = i;
    const mat = cv.matFromArray((h * 3) / 2, w, cv.CV_8UC1, yuv);
    for (const format of ["I420", "NV12"]) {
      for (const to of ["RGBA", "RGB", "BGRA", "BGR"]) {
        const out = new cv.Mat();
        cv.cvtColor(mat, out, cv[`COLOR_YUV2${to}_${format}`]);
        const expected = dense(out);
        for (const t of THREADS) assertSame((await contexts[t].cvtColor(yuv, { width: w, height: h }, `${format}_TO_${to}`)).data, expected, `${format}_TO_${to} ${w}×${h} threads ${t}`);
        out.delete();
      }
    }
    mat.delete();
  }
});

test("crop, flip, place: exact with ROI copies, cv.flip and cv.copyMakeBorder", async () => {
  if (!cv) return;
  const rand = random(3);
  for (const cn of [1, 2, 3, 4]) {
    for (const [w, h] of SIZES) {
      const r = region(rand, w, h, cn, 1 + ((w * cn) % 5));
      const cx = Math.floor(rand() * w), cy = Math.floor(rand() * h);
      const rect = { x: cx, y: cy, width: 1 + Math.floor(rand() * (w - cx)), height: 1 + Math.floor(rand() * (h - cy)) };
      const roi = r.roi.roi(new cv.Rect(rect.x, rect.y, rect.width, rect.height));
      const cropped = roi.clone();
      const flips = [["horizontal", 1], ["vertical", 0], ["both", -1]].map(([axis, code]) => {
        const m = new cv.Mat();
        cv.flip(r.roi, m, code);
        const d = dense(m);
        m.delete();
        return [axis, d];
      });
      const [top, bottom, left, right] = [0, 1, 2, 3].map(() => Math.floor(rand() * 20));
      const value = [0, 1, 2, 3].map(() => Math.floor(rand() * 256));
      const bordered = new cv.Mat();
      cv.copyMakeBorder(r.roi, bordered, top, bottom, left, right, cv.BORDER_CONSTANT | cv.BORDER_ISOLATED, new cv.Scalar(...value));
      const placed = dense(bordered);
      for (const t of THREADS) {
        const cl = contexts[t];
        const label = `${w}×${h}×${cn} threads ${t}`;
        assertSame((await cl.crop(r.img, rect)).data, dense(cropped), `crop ${JSON.stringify(rect)} ${label}`);
        for (const [axis, expected] of flips) assertSame((await cl.flip(r.img, { axis })).data, expected, `flip ${axis} ${label}`);
        const p = await cl.place(r.img, { width: w + left + right, height: h + top + bottom, x: left, y: top, value: value.slice(0, cn) });
        assertSame(p.data, placed, `place (copyMakeBorder ${top} ${bottom} ${left} ${right}) ${label}`);
      }
      [roi, cropped, bordered].forEach((m) => m.delete());
      r.delete();
    }
  }
});

test("toTensor: within float rounding of cv.blobFromImage (NCHW, swapRB, mean, scale)", async () => {
  if (!cv) return;
  const rand = random(4);
  for (const [w, h] of SIZES) {
    for (const [swapRB, scale, mean] of [[false, 1 / 255, [0, 0, 0]], [true, 1 / 255, [0, 0, 0]], [true, 1 / 127.5, [127.5, 127.5, 127.5]], [false, 0.017, [123.675, 116.28, 103.53]]]) {
      const r = region(rand, w, h, 3, 2);
      const blob = cv.blobFromImage(r.roi, scale, new cv.Size(w, h), new cv.Scalar(...mean), swapRB, false);
      const expected = blob.data32F.slice();
      blob.delete();
      // blobFromImage: (x − mean[c])·scale with mean in pixel units, mean in the source's order.
      const order = swapRB ? [2, 1, 0] : [0, 1, 2];
      const opts = { scale, mean: order.map((c) => mean[c] * scale), channelOrder: swapRB ? "BGR" : "RGB" };
      for (const t of THREADS) {
        const got = (await contexts[t].toTensor(r.img, opts)).data;
        assert.is(got.length, expected.length);
        for (let i = 0; i < got.length; i++) {
          if (!(Math.abs(got[i] - expected[i]) <= 2 ** -21 * (1 + Math.abs(expected[i]) + 255 * scale))) assert.unreachable(`toTensor ${JSON.stringify(opts)} ${w}×${h} threads ${t}: ${i} is ${got[i]}, OpenCV ${expected[i]}`);
        }
      }
      r.delete();
    }
  }
});

test.run();
