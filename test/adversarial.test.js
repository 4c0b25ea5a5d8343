// Adversarial tests (issue #11): the numbered cases the issue found, each fixed at its
// cause, then a standing suite of bad arguments, changes made to arguments after the call
// is made, foreign and disposed handles, limits and faults, and a guard-byte run that
// checks kernels write only the regions their plans name. Portable: test/all.js runs it on
// Node, Deno, Bun and Chromium (cross-origin isolated or not).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, random, randomF32, randomU8, rejects, withContext } from "./helpers.js";
import { conv2dReference, gemmReference, integralReference } from "./reference.js";

const test = suite("adversarial");
const debug = Symbol.for("simdcl.debug");
// A page without cross-origin isolation has no SharedArrayBuffer: one thread only.
const threaded = typeof SharedArrayBuffer === "function" && globalThis.crossOriginIsolated !== false;
const threadedTest = threaded ? test : () => {};
const resizable = typeof ArrayBuffer.prototype.resize === "function";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const detach = (view) => structuredClone(view.buffer, { transfer: [view.buffer] });

async function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The settled outcome of a promise: { value } or { error }. */
async function settle(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** Float64 integral of f32 input, summed as the kernels do (f64, row prefix then column). */
function assertClose(actual, expected, what, tol = 1e-9) {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    if (!(Math.abs(actual[i] - e) <= tol * (1 + Math.abs(e)))) assert.unreachable(`${what}: element ${i} is ${actual[i]}, expected ${e}`);
  }
}

// ---------------------------------------------------------------------------------------
// 1. Float integral without squared on 2+ threads zeroed memory from address 0 (the strip
//    totals phase cleared a carry row for squares that was never allocated).

test("#11.1 f32 integral without squared on 2 threads is right and writes nothing below the arena or into other buffers", async () => {
  await withContext(createContext, { threads: 2, stallTimeoutMs: 3000 }, async (cl) => {
    const arena = cl[debug].arena;
    const rand = random(111);
    // A device buffer allocated first sits lowest in the arena: wide rows reached it.
    const bystander = cl.buffer(Uint8Array, 1 << 16);
    bystander.array.fill(0x5a);
    // Words 200…16383 of the control block are unused by the pool: fill them too.
    const control = new Int32Array(arena.memory.buffer, 0, 16384);
    const GUARD_FROM = 1024;
    control.fill(0x3c3c3c3c, GUARD_FROM);
    for (const [w, h, cn] of [[256, 256, 1], [4096, 16, 1], [300, 220, 3], [64, 1024, 1]]) {
      const src = randomF32(rand, w * h * cn);
      const r = await withTimeout(cl.integral(src, { width: w, height: h, channels: cn }), 10000, `${w}×${h}×${cn}`);
      assert.is(r.sqsum, undefined);
      assertClose(r.sum, integralReference(src, w, h, cn), `${w}×${h}×${cn} sum`, 1e-6);
    }
    assert.ok(bystander.array.every((v) => v === 0x5a), "the first device buffer was written");
    const changed = control.subarray(GUARD_FROM).findIndex((v) => v !== 0x3c3c3c3c);
    assert.is(changed, -1, `control word ${GUARD_FROM + changed} was written`);
    bystander.dispose();
  });
});

threadedTest("#11.1 f32 integral without squared: the same bits on 1 and 2 threads", async () => {
  const src = randomF32(random(112), 256 * 256);
  const one = await withContext(createContext, { threads: 1 }, (cl) => cl.integral(src, { width: 256, height: 256 }));
  const two = await withContext(createContext, { threads: 2, stallTimeoutMs: 3000 }, (cl) => cl.integral(src, { width: 256, height: 256 }));
  assertSame(two.sum, one.sum, "2 threads against 1");
});

// ---------------------------------------------------------------------------------------
// 2. Handles from another context are refused like foreign device buffers.

test("#11.2 packB and packConv handles from another context (live or disposed) are refused", async () => {
  const a = await createContext({ threads: 1 });
  const b = await createContext({ threads: 1 });
  try {
    const B = randomF32(random(21), 16 * 16);
    const foreignB = await b.packB(B, { k: 16, n: 16 });
    await rejects(a.gemm(new Float32Array(16 * 16), foreignB, { m: 16, n: 16, k: 16 }), RangeError, /gemm b .*belongs to another context/);
    const W = randomF32(random(22), 8 * 4 * 3 * 3);
    const foreignW = await b.packConv(W, [8, 4, 3, 3]);
    await rejects(a.conv2d(new Float32Array(4 * 6 * 6), [1, 4, 6, 6], foreignW), RangeError, /conv2d weight .*belongs to another context/);
    b.dispose();
    await rejects(a.gemm(new Float32Array(16 * 16), foreignB, { m: 16, n: 16, k: 16 }), RangeError, /belongs to another context/);
    await rejects(a.conv2d(new Float32Array(4 * 6 * 6), [1, 4, 6, 6], foreignW), RangeError, /belongs to another context/);
    // a still works.
    const A = randomF32(random(23), 16 * 16);
    const own = await a.packB(B, { k: 16, n: 16 });
    const c = await a.gemm(A, own, { m: 16, n: 16, k: 16 });
    const { out: ref } = gemmReference(A, B, { m: 16, n: 16, k: 16 });
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(c[i] - ref[i]) < 1e-3 * (1 + Math.abs(ref[i])), `c[${i}]`);
  } finally {
    a.dispose();
    b.dispose();
  }
});

// ---------------------------------------------------------------------------------------
// 3. A source on a resizable ArrayBuffer shrunk after the call is made: the call is
//    checked again when it runs.

if (resizable) {
  test("#11.3 an input shrunk (resizable ArrayBuffer) after the call is made is refused when the call runs", async () => {
    await withContext(createContext, { threads: 2 }, async (cl) => {
      // The previous call leaves its bytes in the arena: a stale read would pass silently.
      const first = randomU8(random(31), 64 * 64);
      await cl.integral(first, { width: 64, height: 64 });
      for (const tracking of [true, false]) {
        const ab = new ArrayBuffer(64 * 64, { maxByteLength: 64 * 64 });
        const src = tracking ? new Uint8Array(ab) : new Uint8Array(ab, 0, 64 * 64);
        src.set(first);
        const call = cl.integral(src, { width: 64, height: 64 });
        ab.resize(100);
        await rejects(call, RangeError, /integral src .*(shrank|changed|detached|out of bounds).*after the call was made/);
      }
      // gemm, conv2d and layout sources too.
      const shrinkable = (n) => {
        const ab = new ArrayBuffer(n * 4, { maxByteLength: n * 4 });
        return [new Float32Array(ab), ab];
      };
      let [x, ab] = shrinkable(64);
      let call = cl.gemm(x, new Float32Array(64), { m: 8, n: 8, k: 8 });
      ab.resize(4);
      await rejects(call, RangeError, /gemm a .*after the call was made/);
      [x, ab] = shrinkable(2 * 5 * 5);
      call = cl.conv2d(x, [1, 2, 5, 5], new Float32Array(2 * 2 * 3 * 3), [2, 2, 3, 3]);
      ab.resize(0);
      await rejects(call, RangeError, /conv2d input .*after the call was made/);
      [x, ab] = shrinkable(3 * 4 * 4);
      call = cl.toNC4HW4(x, [1, 3, 4, 4]);
      ab.resize(8);
      await rejects(call, RangeError, /toNC4HW4 x .*after the call was made/);
      // And the context goes on.
      assertSame((await cl.integral(first, { width: 64, height: 64 })).sum, integralReference(first, 64, 64, 1), "after");
    });
  });
}

// ---------------------------------------------------------------------------------------
// 4. An `out` array detached after the call is made fails that call only.

test("#11.4 an out array detached after the call is made rejects that call and the context goes on (strip, banded, windowed)", async () => {
  const rand = random(41);
  for (const threads of threaded ? [2, 1] : [1]) {
    await withContext(createContext, { threads }, async (cl) => {
      for (const [w, h, cn] of [[1000, 1000, 1], [1920, 1080, 4]]) {
        const pixels = randomU8(rand, w * h * cn);
        const len = (w + 1) * (h + 1) * cn;
        const sum = new Int32Array(len);
        const call = cl.integral(pixels, { width: w, height: h, channels: cn, out: { sum } });
        detach(sum);
        await rejects(call, RangeError, /integral out\.sum .*detached/);
        const again = new Int32Array(len);
        await cl.integral(pixels, { width: w, height: h, channels: cn, out: { sum: again } });
        assertSame(again, integralReference(pixels, w, h, cn), `${threads} threads, ${w}×${h}×${cn} after`);
      }
    });
  }
});

test("#11.4 an out array detached while its call runs: the call settles, the context goes on", async () => {
  const rand = random(42);
  const [w, h, cn] = [1920, 1080, 4];
  const pixels = randomU8(rand, w * h * cn);
  const expected = integralReference(pixels, w, h, cn);
  await withContext(createContext, { threads: threaded ? 2 : 1 }, async (cl) => {
    for (const [delay, shape] of [[0, [1920, 1080, 4]], [1, [1920, 1080, 4]], [2, [1000, 1000, 1]], [4, [1920, 1080, 4]]]) {
      const [ww, hh, cc] = shape;
      const src = pixels.subarray(0, ww * hh * cc);
      const sum = new Int32Array((ww + 1) * (hh + 1) * cc);
      const call = settle(cl.integral(src, { width: ww, height: hh, channels: cc, out: { sum } }));
      setTimeout(() => detach(sum), delay);
      const r = await withTimeout(call, 10000, "the detached call");
      if (r.error) assert.ok(r.error instanceof TypeError || r.error instanceof RangeError, `${r.error}`);
    }
    const again = new Int32Array(expected.length);
    await cl.integral(pixels, { width: w, height: h, channels: cn, out: { sum: again } });
    assertSame(again, expected, "after");
  });
});

// ---------------------------------------------------------------------------------------
// 5. The calling thread never blocks: its synchronous spin is bounded whatever spinMs is.

test("#11.5 spinMs has an upper bound", async () => {
  await rejects(createContext({ spinMs: 4000 }), RangeError, /spinMs must be at most 100 \(ms\), got 4000/);
});

threadedTest("#11.5 with the largest spinMs, a stalled call leaves the caller's event loop running", async () => {
  await withContext(createContext, { threads: 2, spinMs: 100, stallTimeoutMs: 500 }, async (cl) => {
    const t0 = performance.now();
    const fired = [];
    const timers = [10, 40, 200].map((ms) => setTimeout(() => fired.push([ms, performance.now() - t0]), ms));
    await withTimeout(rejects(cl[debug].stall(), Error, /no progress for 500 ms/), 5000, "the stalled call");
    await sleep(250);
    timers.forEach(clearTimeout);
    const late = fired.map(([ms, at]) => at - ms);
    assert.is(fired.length, 3, `timers fired: ${JSON.stringify(fired)}`);
    assert.ok(Math.max(...late) < 60, `timers fired late by ${late.map((x) => x.toFixed(1)).join(", ")} ms`);
  });
});

// ---------------------------------------------------------------------------------------
// 6. Errors say what to fix.

test("#11.6 maxMemoryMiB: 1 works (or is refused by the range check, never by WebAssembly.Memory)", async () => {
  await withContext(createContext, { threads: 1, maxMemoryMiB: 1 }, async (cl) => {
    const { sum } = await cl.integral(new Uint8Array([1, 2, 3, 4]), { width: 2, height: 2 });
    assert.equal(Array.from(sum), [0, 0, 0, 0, 1, 3, 0, 4, 10]);
    await rejects(cl.integral(new Uint8Array(1 << 20), { width: 1024, height: 1024 }), RangeError, /at most 1\.0 MiB.*maxMemoryMiB/);
  });
});

test("#11.6 a module that is not simdcl's is refused by createContext", async () => {
  const empty = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await rejects(createContext({ threads: 1, module: empty }), TypeError, /module is not a simdcl build.*runPhase/);
  // (module (import "env" "f" (func))) : an import simdcl does not provide.
  const importsF = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 9, 1, 3, 0x65, 0x6e, 0x76, 1, 0x66, 0, 0]));
  await rejects(createContext({ threads: 1, module: importsF }), TypeError, /module is not a simdcl build.*env\.f/);
});

test("#11.6 results too large for the memory are refused before they are allocated, naming the op", async () => {
  await withContext(createContext, { threads: 1, maxMemoryMiB: 64 }, async (cl) => {
    await rejects(cl.gemm(new Float32Array(65536), new Float32Array(65536), { m: 65536, n: 65536, k: 1 }), RangeError, /simdcl: gemm .*needs 1638\d\.\d MiB.*at most 64\.0 MiB.*maxMemoryMiB/);
    await rejects(cl.conv2d(new Float32Array(1), [1, 1, 1, 1], new Float32Array(1), [1, 1, 1, 1], { padding: 65536 }), RangeError, /simdcl: conv2d .*MiB.*at most 64\.0 MiB/);
    const { sum } = await cl.integral(new Uint8Array([7]), { width: 1, height: 1 });
    assert.equal(Array.from(sum), [0, 0, 0, 7]);
  });
});

test("#11.6 an input detached after the call is made gets simdcl's error, not the engine's", async () => {
  await withContext(createContext, { threads: 1 }, async (cl) => {
    let x = new Uint8Array(16);
    let call = cl.integral(x, { width: 4, height: 4 });
    detach(x);
    await rejects(call, RangeError, /simdcl: integral src was detached after the call was made/);
    x = new Float32Array(16);
    call = cl.gemm(x, new Float32Array(16), { m: 4, n: 4, k: 4 });
    detach(x);
    await rejects(call, RangeError, /simdcl: gemm a was detached after the call was made/);
    const c = new Float32Array(16);
    call = cl.gemm(new Float32Array(16), new Float32Array(16), { m: 4, n: 4, k: 4, c });
    detach(c);
    await rejects(call, RangeError, /simdcl: gemm c was detached after the call was made/);
    x = new Float32Array(9);
    call = cl.conv2d(new Float32Array(9), [1, 1, 3, 3], x, [1, 1, 3, 3]);
    detach(x);
    await rejects(call, RangeError, /simdcl: conv2d weight was detached after the call was made/);
    x = new Float32Array(9);
    call = cl.packB(x, { k: 3, n: 3 });
    detach(x);
    await rejects(call, RangeError, /simdcl: packB b was detached after the call was made/);
    assert.is(cl[debug].arena.bytesInUse, 0);
  });
});

test("#11.6 disposed buffers and handles are TypeErrors", async () => {
  await withContext(createContext, { threads: 1 }, async (cl) => {
    const buf = cl.buffer(Float32Array, 16);
    buf.dispose();
    assert.throws(() => buf.array, (e) => e instanceof TypeError && /disposed/.test(e.message));
    await rejects(cl.gemm(buf, new Float32Array(16), { m: 4, n: 4, k: 4 }), TypeError, /gemm a .*disposed/);
    await rejects(cl.integral(cl.buffer(Uint8Array, 4), { width: 2, height: 2, out: { sum: buf } }), TypeError, /out\.sum/);
    const pb = await cl.packB(new Float32Array(16), { k: 4, n: 4 });
    pb.dispose();
    await rejects(cl.gemm(new Float32Array(16), pb, { m: 4, n: 4, k: 4 }), TypeError, /gemm b .*disposed/);
    const pc = await cl.packConv(new Float32Array(9), [1, 1, 3, 3]);
    pc.dispose();
    await rejects(cl.conv2d(new Float32Array(9), [1, 1, 3, 3], pc), TypeError, /conv2d weight .*disposed/);
  });
});

test("#11.6 stallTimeoutMs too small to let a phase move is refused", async () => {
  await rejects(createContext({ stallTimeoutMs: 0 }), RangeError, /stallTimeoutMs must be at least 100 \(ms\).*got 0/);
  await rejects(createContext({ stallTimeoutMs: 99 }), RangeError, /stallTimeoutMs/);
});

// ---------------------------------------------------------------------------------------
// 7. Handles and buffers cannot be changed after creation.

test("#11.7 packed handles and device buffers are immutable", async () => {
  await withContext(createContext, { threads: 1 }, async (cl) => {
    const rand = random(71);
    const W = randomF32(rand, 8 * 4 * 3 * 3);
    const x = randomF32(rand, 4 * 9 * 9);
    const h = await cl.packConv(W, [8, 4, 3, 3]);
    const attempt = (fn) => { try { fn(); } catch { /* frozen: a TypeError in strict code */ } };
    attempt(() => { h.shape[0] = 64; });
    attempt(() => { h.shape = [64, 4, 3, 3]; });
    attempt(() => { h.groups = 2; });
    attempt(() => { h.family = "depthwise"; });
    attempt(() => { h.winograd = null; });
    assert.equal(Array.from(h.shape), [8, 4, 3, 3]);
    assert.ok(Object.isFrozen(h) && Object.isFrozen(h.shape), "PackedConv frozen");
    const got = await cl.conv2d(x, [1, 4, 9, 9], h);
    const want = await cl.conv2d(x, [1, 4, 9, 9], W, [8, 4, 3, 3]);
    assertSame(got.data, want.data, "conv2d through the handle");
    const pb = await cl.packB(randomF32(rand, 12), { k: 3, n: 4 });
    attempt(() => { pb.k = 300; });
    attempt(() => { pb.n = 400; });
    attempt(() => { pb.panels = cl.buffer(Float32Array, 1); });
    assert.is(pb.k, 3);
    assert.is(pb.n, 4);
    assert.ok(Object.isFrozen(pb), "PackedMatrix frozen");
    const buf = cl.buffer(Uint8Array, 8);
    const offset = buf.offset;
    for (const [key, value] of [["offset", 0], ["length", 1 << 30], ["type", Float64Array], ["disposed", true], ["arena", null]]) attempt(() => { buf[key] = value; });
    assert.is(buf.offset, offset);
    assert.is(buf.length, 8);
    assert.is(buf.type, Uint8Array);
    assert.is(buf.isDisposed, false);
    buf.array.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const { sum } = await cl.integral(buf, { width: 8, height: 1 });
    assert.equal(Array.from(sum), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 6, 10, 15, 21, 28, 36]);
    buf.dispose();
    attempt(() => { buf.disposed = false; });
    assert.is(buf.isDisposed, true);
    pb.dispose();
    h.dispose();
  });
});

// ---------------------------------------------------------------------------------------
// 8. A Worker that dies without the runtime saying so is noticed in bounded time.

threadedTest("#11.8 a Worker ended without any event is noticed within 3 s, far below stallTimeoutMs", async () => {
  for (const when of ["idle", "between calls"]) {
    await withContext(createContext, { threads: 2, stallTimeoutMs: 20000 }, async (cl) => {
      const src = randomU8(random(81), 1000 * 1000);
      const expected = integralReference(src, 1000, 1000, 1);
      assertSame((await cl.integral(src, { width: 1000, height: 1000 })).sum, expected, "before");
      cl[debug].killWorker(1, { silently: true });
      if (when === "between calls") await sleep(100);
      const t0 = performance.now();
      // Every call either gives the right answer or fails naming the Worker; within a
      // bound, one fails (or the Worker was not really ended), and later calls are refused.
      let failed = null;
      while (!failed && performance.now() - t0 < 4000) {
        const r = await withTimeout(settle(cl.integral(src, { width: 1000, height: 1000 })), 5000, "a call after the kill");
        if (r.error) failed = r.error;
        else assertSame(r.value.sum, expected, "a call after the kill");
      }
      if (!failed) {
        // Deno's terminate() does not stop a Worker that never returns to its event loop:
        // then it is alive, its heartbeat (control word 257, src/pool.ts) still moves,
        // and every answer above was right.
        const words = new Int32Array(cl[debug].arena.memory.buffer, 0, 1024);
        const before = Atomics.load(words, 257);
        await sleep(300);
        assert.ok(Atomics.load(words, 257) !== before, "the dead Worker was never noticed");
        return;
      }
      assert.match(failed.message, /worker 1 (stopped answering|was terminated|exited)/);
      assert.ok(performance.now() - t0 < 3000, `noticed after ${(performance.now() - t0).toFixed(0)} ms`);
      await rejects(cl.integral(src, { width: 1000, height: 1000 }), Error, /stopped after a failure/);
    });
  }
});

test.run();
