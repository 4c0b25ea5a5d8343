// Bad input: every wrong call throws a TypeError or RangeError naming the argument,
// before any work, and leaves the context usable.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { rejects, withContext } from "./helpers.js";

const test = suite("errors");
let cl;
test.before(async () => {
  cl = await createContext({ threads: 2 });
});
test.after(() => cl.dispose());

const img = new Uint8Array(12);
const ok = { width: 4, height: 3 };

test("integral: source of the wrong type", async () => {
  await rejects(cl.integral([1, 2, 3], ok), TypeError, /src must be a Uint8Array, Uint8ClampedArray or Float32Array \(or a device buffer of one\), got an array/);
  await rejects(cl.integral(new Int16Array(12), ok), TypeError, /got a Int16Array/);
  await rejects(cl.integral("pixels", ok), TypeError, /src must be/);
  await rejects(cl.integral(undefined, ok), TypeError, /src must be/);
});

test("integral: options missing, not an object, or unknown", async () => {
  await rejects(cl.integral(img), TypeError, /integral options must be an options object/);
  await rejects(cl.integral(img, null), TypeError, /integral options must be an options object, got null/);
  await rejects(cl.integral(img, { ...ok, chanels: 1 }), TypeError, /unknown option integral options\.chanels/);
});

test("integral: sizes that are not non-negative integers", async () => {
  await rejects(cl.integral(img, { width: -1, height: 3 }), RangeError, /width must be an integer from 0/);
  await rejects(cl.integral(img, { width: 1.5, height: 3 }), RangeError, /width must be .* got 1\.5/);
  await rejects(cl.integral(img, { width: "4", height: 3 }), TypeError, /width must be a number, got "4"/);
  await rejects(cl.integral(img, { width: 4, height: NaN }), RangeError, /height must be/);
  await rejects(cl.integral(img, { width: 4 }), TypeError, /height must be a number, got undefined/);
});

test("integral: channels 0 or 5, stride too small, squared not boolean", async () => {
  await rejects(cl.integral(img, { ...ok, channels: 0 }), RangeError, /channels must be an integer from 1 to 4, got 0/);
  await rejects(cl.integral(img, { ...ok, channels: 5 }), RangeError, /channels must be an integer from 1 to 4, got 5/);
  await rejects(cl.integral(img, { ...ok, stride: 3 }), RangeError, /stride must be an integer ≥ 4, got 3/);
  await rejects(cl.integral(img, { ...ok, squared: 1 }), TypeError, /squared must be true or false/);
});

test("integral: too short or detached source", async () => {
  await rejects(cl.integral(new Uint8Array(11), ok), RangeError, /src has 11 elements, needs at least 12/);
  await rejects(cl.integral(img, { ...ok, stride: 5 }), RangeError, /needs at least 14/);
  const gone = new Uint8Array(12);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  await rejects(cl.integral(gone, ok), RangeError, /src is detached/);
});

test("integral: wide squared 8-bit rows are refused, not overflowed", async () => {
  await rejects(cl.integral(new Uint8Array(65537), { width: 65537, height: 1, squared: true }), RangeError, /at most 65536 with squared/);
});

test("the context still works after bad calls", async () => {
  const { sum } = await cl.integral(new Uint8Array([1, 2, 3, 4]), { width: 2, height: 2 });
  assert.equal(Array.from(sum), [0, 0, 0, 0, 1, 3, 0, 4, 10]);
});

test("a call that cannot fit the memory's maximum is a RangeError, and the context goes on", async () => {
  await withContext(createContext, { threads: 1, maxMemoryMiB: 2 }, async (small) => {
    // The 4 MB source alone cannot fit (on one thread the tables pass through a small window).
    await rejects(small.integral(new Uint8Array(2000 * 2000), { width: 2000, height: 2000 }), RangeError, /needs .* MiB more memory.*at most 2\.0 MiB/);
    const { sum } = await small.integral(new Uint8Array([5]), { width: 1, height: 1 });
    assert.equal(Array.from(sum), [0, 0, 0, 5]);
  });
});

test("createContext: bad options", async () => {
  await rejects(createContext({ threads: 0 }), RangeError, /threads must be an integer from 1 to 256, got 0/);
  await rejects(createContext({ threads: 1.5 }), RangeError, /threads/);
  await rejects(createContext({ thread: 2 }), TypeError, /unknown option createContext options\.thread/);
  await rejects(createContext({ module: new Uint8Array(8) }), TypeError, /module must be a WebAssembly\.Module/);
  await rejects(createContext({ maxMemoryMiB: 5000 }), RangeError, /maxMemoryMiB must be an integer from 1 to 4096/);
  await rejects(createContext({ spinMs: -1 }), RangeError, /spinMs must be a finite number ≥ 0, got -1/);
  await rejects(createContext({ stallTimeoutMs: Infinity }), RangeError, /stallTimeoutMs must be a finite number ≥ 0, got Infinity/);
  await rejects(createContext({ stallTimeoutMs: "5" }), TypeError, /stallTimeoutMs must be a number, got "5"/);
});

test("calls after dispose() fail clearly; dispose twice is harmless", async () => {
  const c = await createContext({ threads: 2 });
  c.dispose();
  c.dispose();
  await rejects(c.integral(img, ok), Error, /this context has been disposed/);
});

test.run();
