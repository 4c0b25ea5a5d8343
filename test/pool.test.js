// The pool: calls queue without interleaving, a Worker that dies, traps or hangs turns
// the call into an error in bounded time, and the context then refuses further calls.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, random, randomU8, rejects, threaded, withContext, withTimeout } from "./helpers.js";
import { integralReference } from "./reference.js";

const test = suite("pool");
const debug = Symbol.for("simdcl.debug");
// A page without cross-origin isolation has no SharedArrayBuffer: one thread only.
const threadedTest = threaded ? test : () => {};
// (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))
const zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
const relaxedProbe = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0,
  0x0a, 0x3d, 1, 0x3b, 0, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b]);

test("threads: 1 runs on the caller alone: the relaxed build where it validates, else the unshared one", async () => {
  await withContext(createContext, { threads: 1 }, async (cl) => {
    assert.is(cl.threads, 1);
    assert.is(cl.variant, threaded && WebAssembly.validate(relaxedProbe) ? "relaxed" : "single");
  });
});

if (!threaded) {
  test("without SharedArrayBuffer, threads: 2 falls back to one thread and says why", async () => {
    await withContext(createContext, { threads: 2 }, async (cl) => {
      assert.is(cl.threads, 1);
      assert.is(cl.variant, "single");
      assert.match(cl.note, /SharedArrayBuffer|cross-origin isolated/);
    });
  });
}

threadedTest("threads: 2 runs the shared-memory build on two threads", async () => {
  await withContext(createContext, { threads: 2 }, async (cl) => {
    assert.is(cl.threads, 2);
    assert.ok(cl.variant === "simd" || cl.variant === "relaxed", cl.variant);
  });
});

test("calls in flight together do not interleave: each gets its own answer", async () => {
  await withContext(createContext, { threads: 2 }, async (cl) => {
    const rand = random(7);
    const cases = Array.from({ length: 12 }, (_, i) => {
      const w = 150 + 37 * i, h = 120 + 11 * i, cn = 1 + (i % 4);
      return { w, h, cn, src: randomU8(rand, w * h * cn) };
    });
    const results = await Promise.all(cases.map((c) => cl.integral(c.src, { width: c.w, height: c.h, channels: c.cn, squared: true })));
    results.forEach((r, i) => {
      const c = cases[i];
      assertSame(r.sum, integralReference(c.src, c.w, c.h, c.cn), `call ${i} sum`);
      assertSame(r.sqsum, integralReference(c.src, c.w, c.h, c.cn, { square: true }), `call ${i} sqsum`);
    });
  });
});

test("a bad call among good ones fails alone", async () => {
  await withContext(createContext, { threads: 2 }, async (cl) => {
    const good = cl.integral(new Uint8Array(400 * 300), { width: 400, height: 300 });
    const bad = cl.integral(new Uint8Array(10), { width: 400, height: 300 });
    const after = cl.integral(new Uint8Array([1, 2]), { width: 2, height: 1 });
    await rejects(bad, RangeError, /src has 10 elements/);
    assert.is((await good).sum.length, 401 * 301);
    assert.equal(Array.from((await after).sum), [0, 0, 0, 0, 1, 3]);
  });
});

// The caller waits at a phase's barrier (stall) or on a word of its own while it copies
// results out (stallInOverlap): a Worker's death must end either wait well before
// stallTimeoutMs (30 s), and the context then refuses further calls.
for (const [hook, where] of [["stall", "at a barrier"], ["stallInOverlap", "in an overlap (copying out)"]]) {
  threadedTest(`a Worker killed while the caller waits ${where} makes the call throw, and the context refuses further calls`, async () => {
    await withContext(createContext, { threads: 2 }, async (cl) => {
      const hooks = cl[debug];
      const call = hooks[hook]();
      setTimeout(() => hooks.killWorker(1), 50);
      await withTimeout(rejects(call, Error, /worker 1 (was terminated|exited)/), 5000, "the killed call");
      await rejects(cl.integral(new Uint8Array(4), { width: 2, height: 2 }), Error, /stopped after a failure.*create a new one/);
    });
  });
}

threadedTest("a Worker that traps makes the call throw with the trap's message", async () => {
  await withContext(createContext, { threads: 2 }, async (cl) => {
    await withTimeout(rejects(cl[debug].trap(), Error, /worker 1 failed: RuntimeError: unreachable/i), 5000, "the trapping call");
    await rejects(cl.integral(new Uint8Array(4), { width: 2, height: 2 }), Error, /stopped after a failure/);
  });
});

threadedTest("a Worker stuck in a loop is reported after stallTimeoutMs, not waited on forever", async () => {
  await withContext(createContext, { threads: 2, stallTimeoutMs: 300 }, async (cl) => {
    await withTimeout(rejects(cl[debug].stall(), Error, /no progress for 300 ms/), 5000, "the stalled call");
  });
});

threadedTest("dispose() during a call ends it with an error", async () => {
  const cl = await createContext({ threads: 2 });
  const call = cl[debug].stall();
  setTimeout(() => cl.dispose(), 50);
  await withTimeout(rejects(call, Error, /disposed/), 5000, "the disposed call");
});

test.run();
