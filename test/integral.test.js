// integral() against the scalar reference over awkward shapes, every channel count,
// 8-bit and float input, squared and strided, on 1, 2 and 3 threads (more than cores).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, randomF32, randomU8 } from "./helpers.js";
import { integralReference } from "./reference.js";

const test = suite("integral");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

// Float sums are checked within |error| ≤ 8·ε₆₄·(w+h+2)·Σ|x|, the bound for two
// orderings of the same additions; 8-bit sums must be exact.
function checkAgainstReference(result, src, w, h, cn, opts, label) {
  const float = src instanceof Float32Array;
  const ref = integralReference(src, w, h, cn, { stride: opts.stride });
  assert.is(result.sum.length, (h + 1) * (w + 1) * cn, `${label}: sum length`);
  if (!float) {
    const SumType = 255 * w * h < 2 ** 31 ? Int32Array : Float64Array;
    assert.instance(result.sum, SumType, `${label}: sum type`);
    assertSame(result.sum, ref, `${label}: sum`);
  } else {
    assert.instance(result.sum, Float64Array, `${label}: float sum type`);
    const absRef = integralReference(src.map(Math.abs), w, h, cn, { stride: opts.stride });
    const eps = 2 ** -52;
    for (let i = 0; i < ref.length; i++) {
      const bound = 8 * eps * (w + h + 2) * absRef[i];
      if (!(Math.abs(result.sum[i] - ref[i]) <= bound)) {
        assert.unreachable(`${label}: sum[${i}] = ${result.sum[i]}, reference ${ref[i]}, bound ${bound}`);
      }
    }
  }
  if (opts.squared) {
    assert.instance(result.sqsum, Float64Array, `${label}: sqsum type`);
    const ref2 = integralReference(src, w, h, cn, { stride: opts.stride, square: true });
    if (!float) assertSame(result.sqsum, ref2, `${label}: sqsum`);
    else {
      const eps = 2 ** -52;
      for (let i = 0; i < ref2.length; i++) {
        if (!(Math.abs(result.sqsum[i] - ref2[i]) <= 8 * eps * (w + h + 2) * ref2[i])) {
          assert.unreachable(`${label}: sqsum[${i}] = ${result.sqsum[i]}, reference ${ref2[i]}`);
        }
      }
    }
  } else {
    assert.is(result.sqsum, undefined, `${label}: no sqsum unless asked`);
  }
}

// Run one case on every thread count; check each against the reference and all against
// each other bit for bit.
async function checkCase(src, w, h, cn, opts, label) {
  let first = null;
  for (const t of THREADS) {
    const r = await contexts[t].integral(src, { width: w, height: h, channels: cn, ...opts });
    checkAgainstReference(r, src, w, h, cn, opts, `${label} threads=${t}`);
    if (!first) first = r;
    else {
      assertSame(r.sum, first.sum, `${label}: threads=${t} sum differs from threads=1`);
      if (opts.squared) assertSame(r.sqsum, first.sqsum, `${label}: threads=${t} sqsum differs from threads=1`);
    }
  }
}

const SHAPES = [
  [1, 1], [1, 9], [9, 1], [2, 2], [3, 5], [7, 13], [31, 37], [101, 103], [97, 1], [1, 131],
  ...Array.from({ length: 17 }, (_, i) => [i + 1, 5]),
  [255, 17], [256, 300], [257, 271], [509, 263],
];

test("8-bit input: every channel count, awkward shapes, squared, strided", async () => {
  const rand = random(1);
  for (const [w, h] of SHAPES) {
    for (let cn = 1; cn <= 4; cn++) {
      const pad = (w * cn) % 5; // strided cases: rows wider than the image
      for (const strided of [false, true]) {
        const stride = w * cn + (strided ? pad + 3 : 0);
        const src = randomU8(rand, (h - 1) * stride + w * cn);
        const Ctor = strided ? Uint8ClampedArray : Uint8Array;
        const opts = { squared: strided ? rand() < 0.5 : (w + h) % 2 === 0, ...(strided ? { stride } : {}) };
        await checkCase(new Ctor(src.buffer), w, h, cn, opts, `u8 ${w}x${h}x${cn} stride=${stride}`);
      }
    }
  }
});

test("float input: every channel count, squared, bit-identical across threads", async () => {
  const rand = random(2);
  for (const [w, h] of [[1, 1], [5, 3], [17, 9], [64, 65], [63, 129], [130, 200], [333, 257]]) {
    for (let cn = 1; cn <= 4; cn++) {
      const src = randomF32(rand, w * h * cn);
      await checkCase(src, w, h, cn, { squared: true }, `f32 ${w}x${h}x${cn}`);
    }
  }
});

test("large images: 1920×1080 gray and 3840×2160 RGBA", async () => {
  const rand = random(3);
  const gray = randomU8(rand, 1920 * 1080);
  await checkCase(gray, 1920, 1080, 1, { squared: true }, "1080p gray");
  const rgba = randomU8(rand, 3840 * 2160 * 4);
  await checkCase(rgba, 3840, 2160, 4, {}, "4K RGBA");
});

test("into plain arrays, the tables pass band by band through a window", async () => {
  // Tables over 6 MB go through a window of a few rows (src/ops/integral.ts), written by
  // the caller alone (1 thread) or by one Worker while the caller copies (2, 3 threads):
  // strided three-channel squares into out arrays full of garbage, and Float64 sums.
  const rand = random(5);
  const [w, h, cn, stride] = [700, 803, 3, 700 * 3 + 7];
  const src = randomU8(rand, (h - 1) * stride + w * cn);
  const len = (w + 1) * (h + 1) * cn;
  for (const t of THREADS) {
    const out = { sum: new Int32Array(len).fill(-9), sqsum: new Float64Array(len).fill(NaN) };
    const r = await contexts[t].integral(src, { width: w, height: h, channels: cn, squared: true, stride, out });
    assert.is(r, out, "resolves to the out object given");
    checkAgainstReference(r, src, w, h, cn, { squared: true, stride }, `700x803x3 strided into out, threads=${t}`);
  }
  const big = randomU8(rand, 4100 * 2100); // 255 · W · H ≥ 2³¹: Float64 sums
  await checkCase(big, 4100, 2100, 1, {}, "4100x2100 gray, Float64 sums");
});

test("sum switches from Int32Array to Float64Array exactly at 255·W·H ≥ 2³¹", async () => {
  // 65793 × 128 = 8421504 pixels: 255 of each sums to 2147483520 < 2³¹.
  const below = new Uint8Array(65793 * 128).fill(255);
  const a = await contexts[2].integral(below, { width: 65793, height: 128 });
  assert.instance(a.sum, Int32Array);
  assert.is(a.sum[a.sum.length - 1], 255 * 65793 * 128);
  // One pixel more (1684301 × 5 = 8421505) needs float64.
  const above = new Uint8Array(1684301 * 5).fill(255);
  const b = await contexts[2].integral(above, { width: 1684301, height: 5 });
  assert.instance(b.sum, Float64Array);
  assert.is(b.sum[b.sum.length - 1], 255 * 1684301 * 5);
});

test("rows whose sums pass 2³¹ convert exactly (squares past width 33025, sums past 8421504)", async () => {
  const rand = random(4);
  const wide = randomU8(rand, 40000 * 3);
  for (let i = 0; i < 40000; i++) wide[i] = 255; // first row all 255: 65025 · 40000 > 2³¹
  await checkCase(wide, 40000, 3, 1, { squared: true }, "squares 40000 wide");
  const row = new Uint8Array(8421506).fill(255);
  const r = await contexts[1].integral(row, { width: row.length, height: 1 });
  assert.instance(r.sum, Float64Array);
  assert.is(r.sum[r.sum.length - 1], 255 * row.length);
  assert.is(r.sum[r.sum.length - 2], 255 * (row.length - 1));
});

test("empty images give zero tables of the right size", async () => {
  for (const [w, h] of [[0, 0], [0, 5], [5, 0]]) {
    const r = await contexts[2].integral(new Uint8Array(0), { width: w, height: h, channels: 3, squared: true });
    assert.is(r.sum.length, (w + 1) * (h + 1) * 3);
    assert.ok(r.sum.every((v) => v === 0));
    assert.ok(r.sqsum.every((v) => v === 0));
  }
});

test("the arena returns every byte after each call", async () => {
  const arena = contexts[2][Symbol.for("simdcl.debug")].arena;
  await contexts[2].integral(new Uint8Array(300 * 200), { width: 300, height: 200, squared: true });
  assert.is(arena.bytesInUse, 0);
});

test.run();
