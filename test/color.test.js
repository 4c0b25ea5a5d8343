// cvtColor, crop, flip, place, toTensor and placement against scalar references: every
// code, 1 to 4 channels, u8 and f32 where the op takes both, sizes from 1×1 to very wide
// and very tall, regions read in place through a stride, device buffers in and out, on 1,
// 2 and 3 threads (results must be bit-identical), and bad input. test/color-opencv.node.test.js
// compares the same ops with OpenCV.js.
//
// The 8-bit ops are exact: cvtColor gray is OpenCV 4's (R·9798 + G·19235 + B·3735 + 2¹⁴) >> 15,
// YUV OpenCV's fixed-point BT.601 video range. toTensor is within 2⁻²³·(|x·a| + |b|) + 2⁻¹⁴⁹
// of the float64 (x·scale − mean)/std, a = scale/std and b = −mean/std.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext, placement } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, randomF32, randomU8, rejects } from "./helpers.js";

const test = suite("color");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

// Sizes: small and odd, a SIMD block and its neighbours, very wide, very tall.
const SIZES = [[1, 1], [2, 1], [1, 3], [3, 2], [5, 3], [15, 2], [16, 3], [17, 4], [18, 1], [31, 3], [33, 5], [47, 2], [48, 2], [49, 3], [64, 4], [97, 7], [4099, 2], [3, 701], [1, 257]];

/** An image of w×h×cn with a row stride of `pad` extra elements, and its dense copy. */
function image(rand, w, h, cn, pad, Type = Uint8Array) {
  const stride = w * cn + pad;
  const data = Type === Float32Array ? randomF32(rand, (h - 1) * stride + w * cn) : randomU8(rand, (h - 1) * stride + w * cn);
  const dense = new Type(w * h * cn);
  for (let y = 0; y < h; y++) dense.set(data.subarray(y * stride, y * stride + w * cn), y * w * cn);
  return { data, stride, dense };
}

// --- cvtColor ---

const gray = (r, g, b) => (r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15;
/** [source channels, f(pixel) → output pixel] per code; pixels are arrays in the source's order. */
const CODES = {
  RGBA2RGB: [4, (p) => [p[0], p[1], p[2]]],
  BGRA2BGR: [4, (p) => [p[0], p[1], p[2]]],
  RGBA2BGR: [4, (p) => [p[2], p[1], p[0]]],
  BGRA2RGB: [4, (p) => [p[2], p[1], p[0]]],
  RGB2RGBA: [3, (p) => [p[0], p[1], p[2], 255]],
  BGR2BGRA: [3, (p) => [p[0], p[1], p[2], 255]],
  BGR2RGBA: [3, (p) => [p[2], p[1], p[0], 255]],
  RGB2BGRA: [3, (p) => [p[2], p[1], p[0], 255]],
  RGB2BGR: [3, (p) => [p[2], p[1], p[0]]],
  BGR2RGB: [3, (p) => [p[2], p[1], p[0]]],
  RGBA2BGRA: [4, (p) => [p[2], p[1], p[0], p[3]]],
  BGRA2RGBA: [4, (p) => [p[2], p[1], p[0], p[3]]],
  RGBA2GRAY: [4, (p) => [gray(p[0], p[1], p[2])]],
  BGRA2GRAY: [4, (p) => [gray(p[2], p[1], p[0])]],
  RGB2GRAY: [3, (p) => [gray(p[0], p[1], p[2])]],
  BGR2GRAY: [3, (p) => [gray(p[2], p[1], p[0])]],
  GRAY2RGB: [1, (p) => [p[0], p[0], p[0]]],
  GRAY2BGR: [1, (p) => [p[0], p[0], p[0]]],
  GRAY2RGBA: [1, (p) => [p[0], p[0], p[0], 255]],
  GRAY2BGRA: [1, (p) => [p[0], p[0], p[0], 255]],
};

function cvtReference(dense, w, h, code) {
  const [cn, f] = CODES[code];
  const out = [];
  for (let i = 0; i < w * h; i++) out.push(...f(Array.from(dense.subarray(i * cn, i * cn + cn))));
  return Uint8Array.from(out);
}

test("cvtColor: every interleaved code, sizes, strides, threads", async () => {
  const rand = random(14);
  let cases = 0;
  for (const code of Object.keys(CODES)) {
    const cn = CODES[code][0];
    for (const [w, h] of SIZES) {
      const pad = (w + h) % 3 === 0 ? 5 : 0;
      const { data, stride, dense } = image(rand, w, h, cn, pad);
      const ref = cvtReference(dense, w, h, code);
      const dcn = ref.length / (w * h);
      for (const t of THREADS) {
        const r = pad ? await contexts[t].cvtColor({ data, width: w, height: h, channels: cn, stride }, code) : await contexts[t].cvtColor(data, { width: w, height: h }, code);
        assert.equal([r.width, r.height, r.channels, r.stride], [w, h, dcn, w * dcn], `${code} ${w}×${h}: shape`);
        assertSame(r.data, ref, `${code} ${w}×${h} stride ${stride} threads ${t}`);
        cases++;
      }
    }
  }
  assert.ok(cases === Object.keys(CODES).length * SIZES.length * THREADS.length);
});

test("cvtColor: every 8-bit value through gray, device buffers in and out", async () => {
  const cl = contexts[2];
  const n = 1 << 12;
  const rand = random(3);
  const rgb = randomU8(rand, n * 3);
  for (let v = 0; v < 256; v++) rgb.set([v, 255 - v, (v * 7) & 255], v * 3);
  const src = cl.buffer(Uint8Array, rgb.length);
  src.array.set(rgb);
  const out = cl.buffer(Uint8Array, n);
  const r = await cl.cvtColor(src, { width: 64, height: n / 64, channels: 3 }, "RGB2GRAY", { out });
  assert.is(r.data, out);
  assertSame(out.array, cvtReference(rgb, n, 1, "RGB2GRAY"), "RGB2GRAY device");
  src.dispose();
  out.dispose();
});

// OpenCV's COLOR_YUV2RGB_I420 / _NV12 (color_yuv.simd.hpp), on integers.
function yuvPixel(Y, U, V) {
  const y = Math.max(0, Y - 16) * 1220542, u = U - 128, v = V - 128;
  const sat = (x) => Math.min(255, Math.max(0, x >> 20));
  return [sat(y + (1 << 19) + 1673527 * v), sat(y + (1 << 19) - 852492 * v - 409993 * u), sat(y + (1 << 19) + 2116026 * u)];
}

function yuvReference(data, w, h, planes, nv12, dcn, bgr) {
  const out = new Uint8Array(w * h * dcn);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const Y = data[planes[0].offset + y * planes[0].stride + x];
      const c = (y >> 1) * planes[1].stride;
      const U = nv12 ? data[planes[1].offset + c + 2 * (x >> 1)] : data[planes[1].offset + c + (x >> 1)];
      const V = nv12 ? data[planes[1].offset + c + 2 * (x >> 1) + 1] : data[planes[2].offset + (y >> 1) * planes[2].stride + (x >> 1)];
      const rgb = yuvPixel(Y, U, V);
      if (bgr) rgb.reverse();
      out.set(dcn === 4 ? [...rgb, 255] : rgb, (y * w + x) * dcn);
    }
  }
  return out;
}

test("cvtColor: I420 and NV12, packed and with VideoFrame plane layouts, odd sizes", async () => {
  const rand = random(420);
  for (const [w, h] of [...SIZES, [640, 4], [2, 2], [34, 6], [256, 54], [255, 53]]) { // the last two: groups of 5 and 7 rows on 3 and 2 threads, so row pairs straddle groups
    const cw = Math.ceil(w / 2), ch = Math.ceil(h / 2);
    for (const nv12 of [false, true]) {
      for (const padded of [false, true]) {
        // Padded: planes out of order with strides past their rows, as copyTo may lay them out.
        let planes, length;
        if (!padded) {
          planes = nv12 ? [{ offset: 0, stride: w }, { offset: w * h, stride: 2 * cw }] : [{ offset: 0, stride: w }, { offset: w * h, stride: cw }, { offset: w * h + cw * ch, stride: cw }];
          length = w * h + (nv12 ? 2 : 2) * cw * ch;
        } else {
          const uvRow = nv12 ? 2 * cw + 3 : cw + 7;
          const uvBytes = ch * uvRow;
          planes = nv12 ? [{ offset: uvBytes + 9, stride: w + 4 }, { offset: 0, stride: uvRow }] : [{ offset: 2 * uvBytes + 1, stride: w + 1 }, { offset: uvBytes, stride: uvRow }, { offset: 0, stride: uvRow }];
          length = planes[0].offset + h * (w + (nv12 ? 4 : 1));
        }
        const data = randomU8(rand, length);
        for (const [dcn, bgr] of [[4, false], [3, false], [4, true], [3, true]]) {
          const code = `${nv12 ? "NV12" : "I420"}_TO_${bgr ? "BGR" : "RGB"}${dcn === 4 ? "A" : ""}`;
          const ref = yuvReference(data, w, h, planes, nv12, dcn, bgr);
          for (const t of THREADS) {
            const r = await contexts[t].cvtColor(data, { width: w, height: h }, code, padded ? { planes } : undefined);
            assertSame(r.data, ref, `${code} ${w}×${h}${padded ? " planes" : ""} threads ${t}`);
          }
        }
      }
    }
  }
});

// --- crop, flip, place ---

/** A dense w×h×cn image's pixel (x, y) as an array. */
const pixelAt = (dense, w, cn, x, y) => Array.from(dense.subarray((y * w + x) * cn, (y * w + x + 1) * cn));

function geometryReference(dense, w, h, cn, Type, { W, H, at, fill }) {
  const out = new Type(W * H * cn);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) out.set(at(x, y) ?? fill, (y * W + x) * cn);
  }
  return out;
}

for (const Type of [Uint8Array, Float32Array]) {
  const kind = Type === Uint8Array ? "u8" : "f32";
  test(`crop, flip and place (${kind}): every channel count, sizes, strides, threads`, async () => {
    const rand = random(Type === Uint8Array ? 7 : 8);
    for (const cn of [1, 2, 3, 4]) {
      for (const [w, h] of SIZES) {
        const pad = (w * 3 + h) % 4 === 1 ? 3 : 0;
        const { data, stride, dense } = image(rand, w, h, cn, pad, Type);
        const src = { data, width: w, height: h, channels: cn, stride };
        const px = (x, y) => pixelAt(dense, w, cn, x, y);
        const cx = Math.floor(rand() * w), cy = Math.floor(rand() * h);
        const crop = { x: cx, y: cy, width: 1 + Math.floor(rand() * (w - cx)), height: 1 + Math.floor(rand() * (h - cy)) };
        const cropRef = geometryReference(dense, w, h, cn, Type, { W: crop.width, H: crop.height, at: (x, y) => px(crop.x + x, crop.y + y) });
        const flips = {
          horizontal: geometryReference(dense, w, h, cn, Type, { W: w, H: h, at: (x, y) => px(w - 1 - x, y) }),
          vertical: geometryReference(dense, w, h, cn, Type, { W: w, H: h, at: (x, y) => px(x, h - 1 - y) }),
          both: geometryReference(dense, w, h, cn, Type, { W: w, H: h, at: (x, y) => px(w - 1 - x, h - 1 - y) }),
        };
        // A canvas the image overhangs on one side or another, or lies inside.
        const W = 1 + Math.floor(rand() * (w + 40)), H = 1 + Math.floor(rand() * (h + 9));
        const X = Math.floor(rand() * (W + w)) - w + 1, Y = Math.floor(rand() * (H + h)) - h + 1;
        const value = Array.from({ length: cn }, () => (Type === Uint8Array ? Math.floor(rand() * 256) : rand() * 10 - 5));
        const fill = Type === Uint8Array ? value : Array.from(Float32Array.from(value));
        const placeRef = geometryReference(dense, w, h, cn, Type, { W, H, fill, at: (x, y) => (x >= X && x < X + w && y >= Y && y < Y + h ? px(x - X, y - Y) : null) });
        for (const t of THREADS) {
          const cl = contexts[t];
          const label = `${kind} ${w}×${h}×${cn} stride ${stride} threads ${t}`;
          const c = await cl.crop(src, crop);
          assert.equal([c.width, c.height, c.channels], [crop.width, crop.height, cn], `crop ${label}: shape`);
          assert.instance(c.data, Type);
          assertSame(c.data, cropRef, `crop ${JSON.stringify(crop)} ${label}`);
          for (const axis of ["horizontal", "vertical", "both"]) assertSame((await cl.flip(data, { width: w, height: h, channels: cn, stride }, { axis })).data, flips[axis], `flip ${axis} ${label}`);
          const p = await cl.place(src, { width: W, height: H, x: X, y: Y, value });
          assert.equal([p.width, p.height, p.channels], [W, H, cn], `place ${label}: shape`);
          assertSame(p.data, placeRef, `place ${W}×${H} at ${X},${Y} ${label}`);
        }
      }
    }
  });
}

test("place: defaults (centred, value 0), one value for all channels, into a device buffer; chains of results", async () => {
  const cl = contexts[2];
  const rand = random(5);
  const rgba = randomU8(rand, 5 * 3 * 4);
  const p = await cl.place(rgba, { width: 5, height: 3, channels: 4 }, { width: 8, height: 8 });
  const ref = geometryReference(rgba, 5, 3, 4, Uint8Array, { W: 8, H: 8, fill: [0, 0, 0, 0], at: (x, y) => (x >= 1 && x < 6 && y >= 2 && y < 5 ? pixelAt(rgba, 5, 4, x - 1, y - 2) : null) });
  assertSame(p.data, ref, "centred");
  const out = cl.buffer(Uint8Array, 10 * 4 * 4);
  const q = await cl.place(p, { width: 10, height: 4, x: 1, y: -2, value: 114, out });
  assert.is(q.data, out);
  const ref2 = geometryReference(ref, 8, 8, 4, Uint8Array, { W: 10, H: 4, fill: [114, 114, 114, 114], at: (x, y) => (x >= 1 && x < 9 ? pixelAt(ref, 8, 4, x - 1, y + 2) : null) });
  assertSame(out.array, ref2, "placed into a device buffer");
  // A result chains into the next op: flip a crop of it, both from the device buffer.
  const f = await cl.flip(await cl.crop(q, { x: 2, y: 1, width: 3, height: 2 }), { axis: "both" });
  const crop = geometryReference(ref2, 10, 4, 4, Uint8Array, { W: 3, H: 2, at: (x, y) => pixelAt(ref2, 10, 4, 2 + x, 1 + y) });
  assertSame(f.data, geometryReference(crop, 3, 2, 4, Uint8Array, { W: 3, H: 2, at: (x, y) => pixelAt(crop, 3, 4, 2 - x, 1 - y) }), "flip of crop");
  out.dispose();
});

test("ImageData's Uint8ClampedArray, and regions of device buffers read in place", async () => {
  const cl = contexts[3];
  const rand = random(12);
  const w = 23, h = 11, big = 31; // a 23×11 region at (5, 3) of a 31-pixel-wide RGBA image
  const pixels = randomU8(rand, big * (h + 3) * 4);
  const clamped = new Uint8ClampedArray(pixels.buffer);
  const at = (3 * big + 5) * 4;
  const regionOf = (data) => ({ data, width: w, height: h, channels: 4, stride: big * 4 });
  const dense = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) dense.set(pixels.subarray(at + y * big * 4, at + y * big * 4 + w * 4), y * w * 4);
  const g = await cl.cvtColor(regionOf(clamped.subarray(at)), "RGBA2GRAY");
  assertSame(g.data, cvtReference(dense, w, h, "RGBA2GRAY"), "gray of a Uint8ClampedArray region");
  const dev = cl.buffer(Uint8ClampedArray, pixels.length);
  dev.array.set(pixels);
  const whole = { data: dev, width: big, height: h + 3, channels: 4 };
  const c = await cl.crop(whole, { x: 5, y: 3, width: w, height: h });
  assertSame(c.data, dense, "crop of a device buffer");
  const t = await cl.toTensor(c, { layout: "NHWC" });
  checkTensor(t.data, tensorReference(dense, w, h, 4, { layout: "NHWC" }), "toTensor of a crop");
  const f = await cl.flip(whole, { axis: "vertical" });
  assertSame(f.data.subarray(0, big * 4), pixels.subarray((h + 2) * big * 4, (h + 3) * big * 4), "vertical flip of a device buffer: first row");
  dev.dispose();
});

// --- toTensor ---

function tensorReference(dense, w, h, cn, { scale = 1 / 255, mean = 0, std = 1, channelOrder = "RGB", layout = "NCHW", keepAlpha = false }) {
  const oc = cn === 4 && !keepAlpha ? 3 : cn;
  const m = Array.isArray(mean) ? mean : Array(oc).fill(mean);
  const s = Array.isArray(std) ? std : Array(oc).fill(std);
  const from = (c) => (channelOrder === "BGR" && c < 3 ? 2 - c : c);
  const lanes = layout === "NC4HW4" ? 4 : oc;
  const n = layout === "NCHW" ? oc * w * h : lanes * w * h;
  const value = new Float64Array(n), bound = new Float64Array(n);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < oc; c++) {
      const x = dense[i * cn + from(c)];
      const at = layout === "NCHW" ? c * w * h + i : i * lanes + c;
      value[at] = (x * scale - m[c]) / s[c];
      const a = Math.fround(scale / s[c]), b = Math.fround(-m[c] / s[c]);
      bound[at] = 2 ** -23 * (Math.abs(x * a) + Math.abs(b)) + 2 ** -149 + Math.abs(x * (a - scale / s[c])) + Math.abs(b + m[c] / s[c]);
    }
  }
  return { value, bound, oc };
}

function checkTensor(got, ref, label) {
  for (let i = 0; i < ref.value.length; i++) {
    if (!(Math.abs(got[i] - ref.value[i]) <= ref.bound[i])) assert.unreachable(`${label}: element ${i} is ${got[i]}, expected ${ref.value[i]} ± ${ref.bound[i]}`);
  }
}

test("toTensor: layouts, channel orders, alpha, mean and std, sizes, strides, threads", async () => {
  const rand = random(33);
  const OPTIONS = [
    {},
    { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    { channelOrder: "BGR", scale: 1, mean: [103.53, 116.28, 123.675], std: 1, layout: "NHWC" },
    { layout: "NC4HW4", mean: 0.5, std: 0.5 },
    { keepAlpha: true, layout: "NHWC", scale: 2, mean: [1, 2, 3, 4], std: [5, 6, 7, -8] },
    { keepAlpha: true, layout: "NCHW", channelOrder: "BGR" },
    { keepAlpha: true, layout: "NC4HW4", scale: -1 / 127.5, mean: -1 },
  ];
  let cases = 0;
  for (const cn of [1, 2, 3, 4]) {
    for (const [w, h] of SIZES) {
      const pad = (w + h) % 2 ? 6 : 0;
      const { data, stride, dense } = image(rand, w, h, cn, pad);
      for (const opts of OPTIONS) {
        if (cn < 3 && (opts.channelOrder === "BGR" || Array.isArray(opts.mean))) continue;
        if (cn === 3 && opts.keepAlpha) continue;
        const ref = tensorReference(dense, w, h, cn, opts);
        const layout = opts.layout ?? "NCHW";
        let first = null;
        for (const t of THREADS) {
          const r = await contexts[t].toTensor({ data, width: w, height: h, channels: cn, stride }, opts);
          const label = `toTensor ${JSON.stringify(opts)} ${w}×${h}×${cn} stride ${stride} threads ${t}`;
          assert.equal([r.shape, r.layout], [[1, ref.oc, h, w], layout], `${label}: shape`);
          assert.is(r.data.length, ref.value.length, `${label}: length`);
          checkTensor(r.data, ref, label);
          if (first) assertSame(r.data, first, `${label}: same as 1 thread`);
          else first = r.data;
          cases++;
        }
      }
    }
  }
  assert.ok(cases > 300);
});

test("toTensor: into a device buffer, and the result goes into conv2d as it is", async () => {
  const cl = contexts[2];
  const rand = random(9);
  const w = 13, h = 9;
  const rgba = randomU8(rand, w * h * 4);
  for (const layout of ["NCHW", "NHWC", "NC4HW4"]) {
    const length = layout === "NC4HW4" ? 4 * w * h : 3 * w * h;
    const out = cl.buffer(Float32Array, length);
    const t = await cl.toTensor(rgba, { width: w, height: h, channels: 4 }, { layout, out });
    assert.is(t.data, out);
    checkTensor(out.array, tensorReference(rgba, w, h, 4, { layout }), `device ${layout}`);
    const weight = randomF32(rand, 2 * 3 * 3 * 3, 1);
    const y = await cl.conv2d(t, weight, [2, 3, 3, 3], { padding: 1, outputLayout: "NCHW" });
    const x = await cl.toTensor(rgba, { width: w, height: h, channels: 4 });
    const yRef = await cl.conv2d(x.data, [1, 3, h, w], weight, [2, 3, 3, 3], { padding: 1 });
    for (let i = 0; i < yRef.data.length; i++) if (Math.abs(y.data[i] - yRef.data[i]) > 1e-4) assert.unreachable(`conv2d of a ${layout} toTensor result: ${i}`);
    out.dispose();
  }
});

// --- placement ---

test("placement: letterbox (contain) and centre crop (cover), mapping back", () => {
  const p = placement(1920, 1080, 640, 640);
  assert.equal([p.scale, p.width, p.height, p.x, p.y], [1 / 3, 640, 360, 0, 140]);
  assert.equal(p.source, { x: 0, y: 0, width: 1920, height: 1080 });
  assert.equal(p.toSource(320, 320), [960, 540]);
  assert.equal(p.fromSource(0, 1080), [0, 500]);
  const q = placement(1080, 1920, 640, 640); // portrait: padding left and right
  assert.equal([q.width, q.height, q.x, q.y], [360, 640, 140, 0]);
  const odd = placement(101, 50, 64, 64); // 64×32 (31.68 rounds to 32), odd padding after
  assert.equal([odd.width, odd.height, odd.x, odd.y], [64, 32, 0, 16]);
  const o2 = placement(100, 33, 64, 64); // 64 × 21: 43 rows of padding, 21 above
  assert.equal([o2.width, o2.height, o2.y], [64, 21, 21]);
  const c = placement(640, 480, 224, 224, "cover"); // short side to 224, centre crop
  assert.equal([c.width, c.height, c.x, c.y], [299, 224, -37, 0]);
  assert.ok(Math.abs(c.source.x - 37 * 640 / 299) < 1e-9 && Math.abs(c.source.width - 224 * 640 / 299) < 1e-9 && c.source.height === 480);
  const [sx, sy] = c.toSource(0, 224);
  assert.ok(Math.abs(sx - c.source.x) < 1e-9 && sy === 480);
  for (const [w, h, W, H] of [[1, 1, 1, 1], [1, 1000, 7, 3], [5000, 1, 3, 9], [17, 13, 17, 13]]) {
    for (const fit of ["contain", "cover"]) {
      const r = placement(w, h, W, H, fit);
      assert.ok(r.width >= 1 && r.height >= 1, `${fit} ${w}×${h} → ${W}×${H}: size`);
      if (fit === "contain") assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= W && r.y + r.height <= H, `contain ${w}×${h} → ${W}×${H} inside`);
      else assert.ok(r.x <= 0 && r.y <= 0 && r.x + r.width >= W && r.y + r.height >= H, `cover ${w}×${h} → ${W}×${H} covers`);
    }
  }
  assert.throws(() => placement(0, 1, 1, 1), /placement srcWidth must be an integer from 1/);
  assert.throws(() => placement(1, 1, 1, 1, "stretch"), /placement fit must be "contain", "cover" or "fill"/);
  const fill = placement(1920, 1080, 224, 224, "fill");
  assert.equal([fill.width, fill.height, fill.x, fill.y, fill.scaleX, fill.scaleY], [224, 224, 0, 0, 224 / 1920, 224 / 1080]);
});

// --- bad input ---

test("bad input rejects with an error naming the argument", async () => {
  const cl = contexts[1];
  const rgba = new Uint8Array(4 * 4 * 4);
  const shape = { width: 4, height: 4, channels: 4 };
  await rejects(cl.cvtColor(rgba, shape, "RGBA2HSV"), TypeError, /cvtColor code must be "RGBA2RGB", .* or "NV12_TO_BGR", got "RGBA2HSV"/);
  await rejects(cl.cvtColor(rgba, shape, "RGB2GRAY"), RangeError, /cvtColor src channels must be 3 for RGB2GRAY, got 4/);
  await rejects(cl.cvtColor(rgba, { width: 0, height: 4 }, "RGBA2GRAY"), RangeError, /cvtColor src width must be an integer from 1 to 16777216, got 0/);
  await rejects(cl.cvtColor(rgba, { width: 4, height: -1 }, "RGBA2GRAY"), RangeError, /cvtColor src height must be an integer from 1 to 16777216, got -1/);
  await rejects(cl.cvtColor(rgba, { ...shape, stride: 15 }, "RGBA2GRAY"), RangeError, /cvtColor src stride must be an integer ≥ 16, got 15/);
  await rejects(cl.cvtColor(rgba, { width: 5, height: 4 }, "RGBA2GRAY"), RangeError, /cvtColor src has 64 elements, needs at least 80/);
  await rejects(cl.cvtColor(new Float32Array(64), shape, "RGBA2GRAY"), TypeError, /cvtColor src must be a Uint8Array or Uint8ClampedArray/);
  await rejects(cl.cvtColor(rgba, shape, "RGBA2GRAY", { out: new Uint8Array(15) }), RangeError, /cvtColor out has 15 elements, needs at least 16/);
  await rejects(cl.cvtColor(rgba, shape, "RGBA2GRAY", { bogus: 1 }), TypeError, /unknown option cvtColor options.bogus/);
  await rejects(cl.cvtColor(new Uint8Array(23), { width: 4, height: 4 }, "I420_TO_RGBA"), RangeError, /cvtColor src has 23 elements, needs at least 24 for a 4×4 I420 picture/);
  await rejects(cl.cvtColor(new Uint8Array(24), { width: 4, height: 4, stride: 8 }, "NV12_TO_RGB"), TypeError, /cvtColor src stride does not apply to NV12_TO_RGB/);
  await rejects(cl.cvtColor(new Uint8Array(24), { width: 4, height: 4 }, "NV12_TO_RGB", { planes: [{ offset: 0, stride: 4 }] }), TypeError, /cvtColor planes must be an array of 2/);
  await rejects(cl.cvtColor(new Uint8Array(24), { width: 4, height: 4 }, "I420_TO_RGB", { planes: [{ offset: 0, stride: 3 }, { offset: 16, stride: 2 }, { offset: 20, stride: 2 }] }), RangeError, /cvtColor planes\[0\].stride must be an integer ≥ 4, got 3/);
  const buf = cl.buffer(Uint8Array, 64);
  await rejects(cl.cvtColor(buf, shape, "RGBA2BGRA", { out: buf }), RangeError, /cvtColor out must not be the source buffer/);
  buf.dispose();
  await rejects(cl.crop(rgba, shape, { x: 1, y: 0, width: 4, height: 1 }), RangeError, /crop width must be an integer from 1 to 3, got 4/);
  await rejects(cl.crop(rgba, shape, { x: 4, y: 0, width: 1, height: 1 }), RangeError, /crop x must be an integer from 0 to 3, got 4/);
  await rejects(cl.crop(rgba, shape, { x: 0, y: 0, width: 1 }), TypeError, /crop height must be a number, got undefined/);
  await rejects(cl.flip(rgba, shape, { axis: "diagonal" }), TypeError, /flip axis must be "horizontal", "vertical" or "both", got "diagonal"/);
  await rejects(cl.flip(rgba, { width: 4, height: 4, channels: 5 }, { axis: "both" }), RangeError, /flip src channels must be an integer from 1 to 4, got 5/);
  await rejects(cl.place(rgba, shape, { width: 0, height: 4 }), RangeError, /place width must be an integer from 1 to 16777216, got 0/);
  await rejects(cl.place(rgba, shape, { width: 8, height: 8, value: 256 }), RangeError, /place value must be an integer from 0 to 255, got 256/);
  await rejects(cl.place(rgba, shape, { width: 8, height: 8, value: [1, 2, 3] }), RangeError, /place value must be a number or 4 numbers/);
  await rejects(cl.place(rgba, shape, { width: 8, height: 8, out: new Float32Array(256) }), TypeError, /place out must be a Uint8Array or Uint8ClampedArray/);
  await rejects(cl.toTensor(rgba, shape, { layout: "CHW" }), TypeError, /toTensor layout must be "NCHW", "NHWC" or "NC4HW4", got "CHW"/);
  await rejects(cl.toTensor(rgba, shape, { mean: [1, 2] }), RangeError, /toTensor mean must be a number or 3 numbers/);
  await rejects(cl.toTensor(rgba, shape, { std: [1, 0, 1] }), RangeError, /toTensor std\[1\] must not be 0/);
  await rejects(cl.toTensor(rgba, shape, { channelOrder: "GRB" }), TypeError, /toTensor channelOrder must be "RGB" or "BGR", got "GRB"/);
  await rejects(cl.toTensor(rgba, { width: 8, height: 2, channels: 2 }, { channelOrder: "BGR" }), RangeError, /toTensor channelOrder "BGR" needs 3 or 4 channels/);
  await rejects(cl.toTensor(rgba, shape, { out: new Float32Array(47) }), RangeError, /toTensor out \(NCHW \[1, 3, 4, 4\]\) .*47/);
  await rejects(cl.toTensor(new Float32Array(64), shape), TypeError, /toTensor src must be a Uint8Array or Uint8ClampedArray/);
});

test.run();
