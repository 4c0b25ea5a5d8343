// Device buffers: data that stays in the context's memory, read and written by ops
// without copies, held while a queued call uses them, intact across memory growth.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, random, randomU8, rejects } from "./helpers.js";
import { integralReference } from "./reference.js";

const test = suite("buffer");
let cl, other;
test.before(async () => {
  cl = await createContext({ threads: 2 });
  other = await createContext({ threads: 1 });
});
test.after(() => {
  cl.dispose();
  other.dispose();
});

test("integral from and into device buffers equals the array path", async () => {
  const rand = random(11);
  for (const [w, h, cn] of [[1, 1, 1], [37, 23, 3], [640, 480, 4], [1920, 1080, 1]]) {
    const pixels = randomU8(rand, w * h * cn);
    const src = cl.buffer(Uint8Array, pixels.length);
    src.array.set(pixels);
    const len = (w + 1) * (h + 1) * cn;
    const sum = cl.buffer(Int32Array, len);
    const sqsum = cl.buffer(Float64Array, len);
    const r = await cl.integral(src, { width: w, height: h, channels: cn, squared: true, out: { sum, sqsum } });
    assert.is(r.sum, sum);
    assert.is(r.sqsum, sqsum);
    assertSame(sum.array, integralReference(pixels, w, h, cn), `${w}x${h}x${cn} sum`);
    assertSame(sqsum.array, integralReference(pixels, w, h, cn, { square: true }), `${w}x${h}x${cn} sqsum`);
    // A device source with array results, and an array source into device results.
    assertSame((await cl.integral(src, { width: w, height: h, channels: cn })).sum, sum.array, "device in, array out");
    sum.array.fill(-1);
    await cl.integral(pixels, { width: w, height: h, channels: cn, out: { sum } });
    assertSame(sum.array, integralReference(pixels, w, h, cn), "array in, device out");
    for (const b of [src, sum, sqsum]) b.dispose();
  }
  assert.is(cl[Symbol.for("simdcl.debug")].arena.bytesInUse, 0);
});

test("plain arrays as out are filled in place and returned", async () => {
  const rand = random(13);
  const pixels = randomU8(rand, 333 * 257 * 3);
  const len = 334 * 258 * 3;
  const sum = new Int32Array(len + 5).fill(-7);
  const sqsum = new Float64Array(len);
  const r = await cl.integral(pixels, { width: 333, height: 257, channels: 3, squared: true, out: { sum, sqsum } });
  assert.is(r.sum, sum);
  assert.is(r.sqsum, sqsum);
  assertSame(sum.subarray(0, len), integralReference(pixels, 333, 257, 3), "sum");
  assert.equal(Array.from(sum.subarray(len)), [-7, -7, -7, -7, -7], "elements past the table untouched");
  assertSame(sqsum, integralReference(pixels, 333, 257, 3, { square: true }), "sqsum");
  // A device sum with a plain sqsum.
  const dsum = cl.buffer(Int32Array, len);
  await cl.integral(pixels, { width: 333, height: 257, channels: 3, squared: true, out: { sum: dsum, sqsum: sqsum.fill(0) } });
  assertSame(dsum.array, integralReference(pixels, 333, 257, 3), "device sum");
  assertSame(sqsum, integralReference(pixels, 333, 257, 3, { square: true }), "plain sqsum");
  dsum.dispose();
});

test("float device buffers", async () => {
  const src = cl.buffer(Float32Array, 6);
  src.array.set([1, 2, 3, 4, 5, 6]);
  const sum = cl.buffer(Float64Array, 12);
  await cl.integral(src, { width: 3, height: 2, out: { sum } });
  assert.equal(Array.from(sum.array), [0, 0, 0, 0, 0, 1, 3, 6, 0, 5, 12, 21]);
  src.dispose();
  sum.dispose();
});

test("wrong out buffers are refused with the expected type and size", async () => {
  const img = new Uint8Array(12);
  const opts = { width: 4, height: 3 };
  const f64 = cl.buffer(Float64Array, 20);
  const short = cl.buffer(Int32Array, 19);
  const right = cl.buffer(Int32Array, 20);
  await rejects(cl.integral(img, { ...opts, out: { sum: f64 } }), TypeError, /out\.sum must be a Int32Array or a device buffer of one \(cl\.buffer\(Int32Array, 20\)\)/);
  await rejects(cl.integral(img, { ...opts, out: { sum: short } }), RangeError, /out\.sum has 19 elements, needs at least 20/);
  await rejects(cl.integral(img, { ...opts, out: { sum: new Float64Array(20) } }), TypeError, /out\.sum must be a Int32Array or a device buffer of one/);
  await rejects(cl.integral(img, { ...opts, out: { sum: new Int32Array(19) } }), RangeError, /out\.sum has 19 elements, needs at least 20/);
  await rejects(cl.integral(img, { ...opts, out: { sum: right, sqsum: f64 } }), TypeError, /out\.sqsum is only written with squared: true/);
  await rejects(cl.integral(img, { ...opts, squared: true, out: { sum: right } }), TypeError, /out\.sqsum must be a Float64Array or a device buffer of one/);
  const foreign = other.buffer(Uint8Array, 12);
  await rejects(cl.integral(foreign, opts), RangeError, /src belongs to another context/);
  const gone = cl.buffer(Uint8Array, 12);
  gone.dispose();
  await rejects(cl.integral(gone, opts), Error, /src is a disposed buffer/);
  assert.throws(() => gone.array, /disposed/);
  await rejects(cl.integral(cl.buffer(Int32Array, 12), opts), TypeError, /src must be .* got a device buffer of 12 Int32Array elements/);
  assert.throws(() => cl.buffer(Int16Array, 4), /buffer type must be one of Uint8Array/);
  assert.throws(() => cl.buffer(Uint8Array, -1), /buffer length must be an integer/);
  for (const b of [f64, short, right, foreign]) b.dispose();
});

test("a buffer disposed while its call is queued stays valid until the call is done", async () => {
  const arena = cl[Symbol.for("simdcl.debug")].arena;
  const before = arena.bytesInUse;
  const pixels = randomU8(random(12), 300 * 200);
  const src = cl.buffer(Uint8Array, pixels.length);
  src.array.set(pixels);
  const first = cl.integral(new Uint8Array(800 * 800), { width: 800, height: 800 });
  const call = cl.integral(src, { width: 300, height: 200 });
  src.dispose();
  // Allocations made meanwhile must not reuse the held region.
  const filler = cl.buffer(Uint8Array, pixels.length);
  filler.array.fill(255);
  await first;
  assertSame((await call).sum, integralReference(pixels, 300, 200, 1), "held buffer");
  filler.dispose();
  assert.is(arena.bytesInUse, before);
});

test("a buffer's contents survive memory growth; its array is fresh afterwards", async () => {
  const small = cl.buffer(Float32Array, 1000);
  small.array.forEach((_, i, a) => (a[i] = i * 0.5));
  const big = cl.buffer(Uint8Array, 64 << 20); // grows the memory
  assert.is(small.array.length, 1000);
  assert.is(small.array[999], 499.5);
  big.dispose();
  small.dispose();
});

test.run();
