// NC4HW4 conversions: against an element-by-element reference, exact, with zeroed
// padding channels, round trips, every thread count, chunk and quad edges.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, contextsPerThreadCount, random, randomF32, rejects } from "./helpers.js";
import { toNC4HW4Reference } from "./reference.js";

const test = suite("layout");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

const SHAPES = [
  [1, 1, 1, 1], [1, 3, 5, 7], [2, 4, 3, 3], [1, 5, 17, 13], [2, 7, 1, 9], [1, 8, 8, 8],
  [1, 9, 2, 2], [3, 2, 4, 1], [1, 16, 64, 65], [1, 3, 70, 70],
];

test("to and from NC4HW4, NCHW and NHWC, exact on every thread count", async () => {
  const rand = random(31);
  for (const shape of SHAPES) {
    const [n, c, h, w] = shape;
    const x = randomF32(rand, n * c * h * w);
    for (const layout of ["NCHW", "NHWC"]) {
      const expected = toNC4HW4Reference(x, shape, layout);
      for (const t of THREADS) {
        const label = `${shape} ${layout} threads=${t}`;
        const packed = await contexts[t].toNC4HW4(x, shape, { from: layout });
        assertSame(packed, expected, `${label}: to NC4HW4`);
        assertSame(await contexts[t].fromNC4HW4(packed, shape, { to: layout }), x, `${label}: round trip`);
      }
    }
    // NCHW → NC4HW4 → NHWC is a plain layout change.
    const nhwc = await contexts[2].fromNC4HW4(await contexts[2].toNC4HW4(x, shape), shape, { to: "NHWC" });
    assertSame(await contexts[2].toNC4HW4(nhwc, shape, { from: "NHWC" }), toNC4HW4Reference(x, shape), `${shape} via NHWC`);
  }
});

test("padding channels are zero even where the input holds NaN past its end", async () => {
  const x = new Float32Array(2 * 3 * 2 * 2 + 8).fill(NaN);
  x.fill(1, 0, 2 * 3 * 2 * 2);
  const packed = await contexts[2].toNC4HW4(x, [2, 3, 2, 2]);
  assert.is(packed.length, 2 * 4 * 2 * 2);
  for (let i = 0; i < packed.length; i++) assert.is(packed[i], (i & 3) === 3 ? 0 : 1, `element ${i}`);
});

test("empty tensors and defaults", async () => {
  assert.is((await contexts[2].toNC4HW4(new Float32Array(0), [0, 3, 4, 4])).length, 0);
  const x = Float32Array.from([1, 2]);
  assert.equal(Array.from(await contexts[1].toNC4HW4(x, [1, 2, 1, 1])), [1, 2, 0, 0]);
});

test("bad input names the argument", async () => {
  const cl = contexts[2];
  await rejects(cl.toNC4HW4([1, 2], [1, 2, 1, 1]), TypeError, /toNC4HW4 x must be a Float32Array, got an array/);
  await rejects(cl.toNC4HW4(new Float32Array(4), [1, 2, 2]), TypeError, /toNC4HW4 shape must be \[n, c, h, w\]/);
  await rejects(cl.toNC4HW4(new Float32Array(4), [1, 2, 2, -1]), RangeError, /toNC4HW4 shape\[3\] \(w\) must be an integer/);
  await rejects(cl.toNC4HW4(new Float32Array(3), [1, 2, 2, 1]), RangeError, /toNC4HW4 x has 3 elements, needs at least 4/);
  await rejects(cl.fromNC4HW4(new Float32Array(7), [1, 2, 2, 1]), RangeError, /fromNC4HW4 x has 7 elements, needs at least 8/);
  await rejects(cl.toNC4HW4(new Float32Array(4), [1, 2, 2, 1], { from: "NC4HW4" }), TypeError, /from must be "NCHW" or "NHWC", got "NC4HW4"/);
  await rejects(cl.fromNC4HW4(new Float32Array(8), [1, 2, 2, 1], { from: "NHWC" }), TypeError, /unknown option fromNC4HW4 options\.from/);
});

test.run();
