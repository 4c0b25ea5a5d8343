// preprocess() against the ops it stands for, run one after another: resize to the
// placement's size, place (letterbox) or crop (centre crop), toTensor. It must give the
// very same floats, over fits, methods, channel counts, layouts, sizes from 1×1 to wide and
// tall, regions read through a stride, device buffers, and thread counts; and the
// placement must map the frame's corners where the letterbox put them.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, randomU8, rejects } from "./helpers.js";

const test = suite("preprocess");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

/** resize → place or crop → toTensor, as preprocess() promises to equal. */
async function composed(cl, data, shape, o, p) {
  const { width, height, method, antialias } = o.resize;
  const resized = await cl.resize(data, shape, { width: p.width, height: p.height, method, antialias });
  const canvas = p.x < 0 || p.y < 0
    ? await cl.crop(resized, { x: -p.x, y: -p.y, width, height })
    : p.width === width && p.height === height ? resized
      : await cl.place(resized, { width, height, x: p.x, y: p.y, value: o.pad ?? 0 });
  const { resize, pad, ...norm } = o;
  return cl.toTensor(canvas, norm);
}

/** Options in the old flat spelling of this file's table, as preprocess takes them. */
function options(flat) {
  const { width, height, fit, method, antialias, ...rest } = flat;
  return { resize: { width, height, fit, method, antialias }, ...rest };
}

const CASES = [
  // [source width, height, channels], options
  [[1920, 1080, 4], { width: 224, height: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }],
  [[1920, 1080, 4], { width: 224, height: 224, fit: "contain", pad: 114 }],
  [[1920, 1080, 4], { width: 224, height: 224, fit: "cover", layout: "NHWC", channelOrder: "BGR" }],
  [[640, 480, 3], { width: 320, height: 320, fit: "contain", pad: [114, 0, 255], method: "nearest", layout: "NC4HW4" }],
  [[300, 700, 3], { width: 96, height: 160, fit: "cover", method: "bicubic" }],
  [[301, 199, 1], { width: 64, height: 64, fit: "contain", method: "area", scale: 1, mean: 127.5, std: 127.5 }],
  [[97, 61, 2], { width: 200, height: 120, fit: "fill" }], // an upscale
  [[1000, 3, 4], { width: 50, height: 50, fit: "contain", keepAlpha: true }],
  [[3, 1000, 4], { width: 50, height: 50, fit: "cover", antialias: true }],
  [[1, 1, 3], { width: 7, height: 5, fit: "contain", pad: 9 }],
  [[640, 360, 4], { width: 96, height: 96, fit: "contain", pad: [1, 2, 3, 4], layout: "NHWC", keepAlpha: true }],
  [[200, 90, 3], { width: 64, height: 80, fit: "contain", pad: [10, 20, 30], layout: "NHWC", channelOrder: "BGR", mean: [1, 2, 3] }],
  [[90, 200, 1], { width: 64, height: 80, fit: "contain", pad: 7, layout: "NC4HW4" }],
  [[33, 17, 4], { width: 17, height: 33, fit: "cover", method: "bilinear", antialias: true, layout: "NC4HW4" }],
];

test("equals resize, place or crop, and toTensor one after another, on every thread count", async () => {
  const rand = random(501);
  for (const [[w, h, cn], flat] of CASES) {
    const data = randomU8(rand, w * h * cn);
    const shape = { width: w, height: h, channels: cn };
    const o = options(flat);
    for (const t of THREADS) {
      const cl = contexts[t];
      const got = await cl.preprocess(data, shape, o);
      const label = `${w}×${h}×${cn} ${JSON.stringify(flat)} threads=${t}`;
      const want = await composed(cl, data, shape, o, got.placement);
      assert.equal(got.shape, want.shape, `${label}: shape`);
      assert.is(got.layout, want.layout, `${label}: layout`);
      assertSame(got.data, want.data, label);
    }
  }
});

test("a region read through a stride, and device buffers in and out", async () => {
  const rand = random(502);
  const cl = contexts[2];
  const [W, H, cn] = [640, 360, 4];
  const big = randomU8(rand, W * H * cn);
  // The region [100, 420) × [40, 280) read in place.
  const region = { data: big.subarray((40 * W + 100) * cn), width: 320, height: 240, channels: cn, stride: W * cn };
  const o = { resize: { width: 128, height: 128, fit: "contain" }, pad: 114 };
  const got = await cl.preprocess(region, o);
  const copy = new Uint8Array(320 * 240 * cn);
  for (let y = 0; y < 240; y++) copy.set(big.subarray(((40 + y) * W + 100) * cn, ((40 + y) * W + 420) * cn), y * 320 * cn);
  const want = await cl.preprocess(copy, { width: 320, height: 240, channels: cn }, o);
  assertSame(got.data, want.data, "region");
  const src = cl.buffer(Uint8Array, copy.length);
  src.array.set(copy);
  const out = cl.buffer(Float32Array, 3 * 128 * 128);
  const dev = await cl.preprocess({ data: src, width: 320, height: 240, channels: cn, stride: 320 * cn }, { ...o, out });
  assert.is(dev.data, out);
  assertSame(out.array, want.data, "device buffers");
  src.dispose();
  out.dispose();
});

test("the placement maps the letterboxed frame's corners back to the source's", async () => {
  const cl = contexts[1];
  const { placement: p } = await cl.preprocess(new Uint8Array(1920 * 1080 * 3), { width: 1920, height: 1080, channels: 3 }, { resize: { width: 640, height: 640, fit: "contain" } });
  assert.equal([p.width, p.height, p.x, p.y], [640, 360, 0, 140]);
  assert.equal(p.toSource(p.x, p.y), [0, 0]);
  assert.equal(p.toSource(p.x + p.width, p.y + p.height), [1920, 1080]);
});

test("bad input names the argument", async () => {
  const cl = contexts[1];
  const data = new Uint8Array(12 * 10 * 3);
  const shape = { width: 12, height: 10, channels: 3 };
  await rejects(cl.preprocess(data, shape, { resize: { height: 8 } }), TypeError, /preprocess resize.width must be a number/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 0, height: 8 } }), RangeError, /preprocess resize.width must be an integer from 1/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8, fit: "stretch" } }), TypeError, /preprocess resize.fit must be "fill", "contain" or "cover"/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8, method: "lanczos" } }), TypeError, /preprocess resize.method must be/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8, method: "area", antialias: true } }), TypeError, /antialias applies to "bilinear" and "bicubic"/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8 }, pad: [1, 2] }), RangeError, /preprocess pad must be a number or 3 numbers/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8 }, pad: 256 }), RangeError, /preprocess pad must be an integer from 0 to 255/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8 }, mean: [1, 2] }), RangeError, /preprocess mean must be a number or 3 numbers/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8 }, std: 0 }), RangeError, /preprocess std must not be 0/);
  await rejects(cl.preprocess(data, { width: 12, height: 10, channels: 3, stride: 20 }, { resize: { width: 8, height: 8 } }), RangeError, /preprocess src stride must be an integer/);
  await rejects(cl.preprocess(new Float32Array(360), shape, { resize: { width: 8, height: 8 } }), TypeError, /preprocess src must be a Uint8Array or Uint8ClampedArray/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8 }, out: new Float32Array(10) }), RangeError, /preprocess out \(NCHW \[1, 3, 8, 8\]\) has 10 elements/);
  await rejects(cl.preprocess(data, shape, { resize: { width: 8, height: 8 }, size: 3 }), TypeError, /unknown option preprocess options.size/);
  await rejects(cl.preprocess(data, shape, { width: 8, height: 8 }), TypeError, /unknown option preprocess options.width/);
});

test.run();
