// gemm() against a float64 reference: every transpose, alpha/beta/bias/activation, row
// strides, sizes around every tile and block size, NaN and infinities, thread counts.
//
// Error bound per element: |C − ref| ≤ 2·(k+3)·2⁻²⁴·(|alpha|·Σ|a·b| + |beta·c| + |bias|),
// the f32 rounding of k products and sums plus the epilogue, with or without FMA.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { contextsPerThreadCount, random, randomF32 as randomHelper, rejects } from "./helpers.js";

// Operands in [−1, 1).
const randomF32 = (rand, n) => randomHelper(rand, n, 1);
import { gemmReference } from "./reference.js";

const test = suite("gemm");
const THREADS = [1, 2, 3];
const contexts = contextsPerThreadCount(test, createContext, THREADS);

function checkClose(got, ref, opts, label) {
  const { m, n, k } = opts;
  const ldc = opts.ldc ?? n;
  const eps = 2 ** -24;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const g = got[i * ldc + j], r = ref.out[i * n + j];
      if (Number.isNaN(r)) {
        if (!Number.isNaN(g)) assert.unreachable(`${label}: C[${i},${j}] = ${g}, expected NaN`);
        continue;
      }
      const bound = 2 * (k + 3) * eps * ref.scale[i * n + j] + 1e-30;
      if (!(Math.abs(g - r) <= bound) && g !== r) {
        assert.unreachable(`${label}: C[${i},${j}] = ${g}, reference ${r}, bound ${bound}`);
      }
    }
  }
}

// One case on every thread count: each within the bound; thread counts of one build agree exactly.
async function checkCase(rand, shape, extra = {}) {
  const { m, n, k, transA = false, transB = false } = shape;
  const lda = extra.lda ?? (transA ? m : k);
  const ldb = extra.ldb ?? (transB ? k : n);
  const A = randomF32(rand, Math.max(0, ((transA ? k : m) - 1) * lda + (transA ? m : k)));
  const B = randomF32(rand, Math.max(0, ((transB ? n : k) - 1) * ldb + (transB ? k : n)));
  const opts = { m, n, k, transA, transB, ...extra };
  const label = JSON.stringify({ m, n, k, transA, transB, ...Object.fromEntries(Object.entries(extra).filter(([, v]) => typeof v !== "object")) });
  const cInit = extra.ldc || extra.beta ? randomF32(rand, Math.max(0, (m - 1) * (extra.ldc ?? n) + n)) : null;
  const ref = gemmReference(A, B, { ...opts, c: cInit });
  const byVariant = {};
  for (const t of THREADS) {
    const cl = contexts[t];
    const c = cInit ? cInit.slice() : undefined;
    const got = await cl.gemm(A, B, c ? { ...opts, c } : opts);
    if (c) assert.is(got, c, `${label}: resolves to the c it was given`);
    checkClose(got, ref, opts, `${label} threads=${t}`);
    const seen = byVariant[cl.variant];
    if (seen) assert.ok(seen.every((v, i) => Object.is(v, got[i])), `${label}: threads=${t} differs from another thread count of the ${cl.variant} build`);
    else byVariant[cl.variant] = got;
  }
}

// 1, primes, and one below, at and above MR (4), NR (8), KC (256), MC (128); NC below.
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 127, 128, 129];
const KS = [1, 3, 8, 17, 255, 256, 257, 600];

test("sizes around every tile and block, all transposes", async () => {
  const rand = random(21);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (let i = 0; i < 14; i++) {
        const m = SIZES[(i * 5 + (transA ? 3 : 0)) % SIZES.length];
        const n = SIZES[(i * 7 + (transB ? 2 : 0)) % SIZES.length];
        const k = KS[i % KS.length];
        await checkCase(rand, { m, n, k, transA, transB });
      }
    }
  }
});

test("alpha, beta, bias and every activation, fused", async () => {
  const rand = random(22);
  for (const activation of ["none", "relu", "relu6"]) {
    for (const [m, n, k] of [[4, 8, 16], [37, 19, 300], [130, 67, 9]]) {
      const bias = Float32Array.from({ length: n }, () => rand() * 8 - 4);
      await checkCase(rand, { m, n, k }, { alpha: 3.5, beta: -0.75, bias, activation });
      await checkCase(rand, { m, n, k, transA: true, transB: true }, { alpha: -1, bias, activation });
    }
  }
});

test("row strides larger than the widths, written in place", async () => {
  const rand = random(23);
  await checkCase(rand, { m: 9, n: 11, k: 13 }, { lda: 20, ldb: 17, ldc: 15, beta: 1 });
  await checkCase(rand, { m: 33, n: 40, k: 70, transA: true, transB: true }, { lda: 41, ldb: 75, ldc: 50, beta: 0.5 });
  // Elements between the rows of C are left alone.
  const c = new Float32Array(3 * 10).fill(7);
  await contexts[2].gemm(new Float32Array(3 * 2).fill(1), new Float32Array(2 * 4).fill(1), { m: 3, n: 4, k: 2, c, ldc: 10 });
  assert.equal(Array.from(c.subarray(0, 10)), [2, 2, 2, 2, 7, 7, 7, 7, 7, 7]);
});

test("large and skinny: m=1, n=1, k=1, wide n past a column block", async () => {
  const rand = random(24);
  await checkCase(rand, { m: 1, n: 300, k: 500 });
  await checkCase(rand, { m: 300, n: 1, k: 500 });
  await checkCase(rand, { m: 200, n: 300, k: 1 });
  await checkCase(rand, { m: 5, n: 1100, k: 20 });
  await checkCase(rand, { m: 260, n: 250, k: 530 }, { bias: new Float32Array(250).fill(0.5) });
});

test("one below, at and above NC (1024 columns): 260 rows keep whole column blocks", async () => {
  const rand = random(27);
  for (const n of [1023, 1024, 1025]) await checkCase(rand, { m: 260, n, k: 5 }, { bias: randomF32(rand, n), activation: "relu6" });
});

test("m, n or k of 0: an empty result, or beta·C + bias", async () => {
  const cl = contexts[2];
  assert.is((await cl.gemm(new Float32Array(0), new Float32Array(15), { m: 0, n: 5, k: 3 })).length, 0);
  assert.is((await cl.gemm(new Float32Array(12), new Float32Array(0), { m: 4, n: 0, k: 3 })).length, 0);
  await rejects(cl.gemm(new Float32Array(0), new Float32Array(0), { m: 4, n: 0, k: 3 }), RangeError, /gemm a has 0 elements, needs at least 12/);
  const c = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const r = await cl.gemm(new Float32Array(0), new Float32Array(0), { m: 2, n: 3, k: 0, beta: 2, c, bias: Float32Array.from([1, -20, 0]), activation: "relu" });
  assert.equal(Array.from(r), [3, 0, 6, 9, 0, 12]);
  assert.equal(Array.from(await cl.gemm(new Float32Array(0), new Float32Array(0), { m: 1, n: 2, k: 0 })), [0, 0]);
});

test("NaN and infinities propagate as IEEE says; beta = 0 never reads C", async () => {
  for (const t of THREADS) {
    const cl = contexts[t];
    const m = 6, n = 10, k = 5;
    const A = new Float32Array(m * k).fill(1);
    const B = new Float32Array(k * n).fill(1);
    A[2 * k + 1] = NaN; // row 2 of C is NaN
    B[3 * n + 7] = Infinity; // column 7 is +∞ (rows other than 2)
    const c = new Float32Array(m * n).fill(NaN);
    const r = await cl.gemm(A, B, { m, n, k, c });
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = r[i * n + j];
        if (i === 2) assert.ok(Number.isNaN(v), `threads=${t} C[2,${j}] = ${v}`);
        else if (j === 7) assert.is(v, Infinity, `threads=${t} C[${i},7]`);
        else assert.is(v, 5, `threads=${t} C[${i},${j}]`);
      }
    }
    const relu = await cl.gemm(Float32Array.from([-Infinity, NaN]), Float32Array.from([1, 1]), { m: 2, n: 1, k: 1, activation: "relu6" });
    assert.is(relu[0], 0);
    assert.ok(Number.isNaN(relu[1]), "relu6(NaN) stays NaN");
    // A zero sum times a negative alpha is −0; ReLU gives +0, in whole tiles and at the edge.
    for (const activation of ["relu", "relu6"]) {
      const zero = await cl.gemm(new Float32Array(64 * 64), new Float32Array(64 * 11).fill(1), { m: 64, n: 11, k: 64, alpha: -0.5, activation });
      assert.ok(zero.every((v) => Object.is(v, 0)), `threads=${t} ${activation}(−0) is +0`);
    }
  }
});

test("prepacked B gives the very same bits as plain B", async () => {
  const rand = random(25);
  for (const t of THREADS) {
    const cl = contexts[t];
    for (const [m, n, k, transB] of [[1, 1024, 300, false], [37, 29, 513, true], [130, 70, 256, false], [3, 5, 1, true]]) {
      const A = randomF32(rand, m * k);
      const B = randomF32(rand, k * n);
      const bias = randomF32(rand, n);
      const plain = await cl.gemm(A, B, { m, n, k, transB, bias, activation: "relu" });
      const packed = await cl.packB(B, { k, n, transB });
      assert.is(packed.k, k);
      assert.is(packed.n, n);
      const again = await cl.gemm(A, packed, { m, n, k, bias, activation: "relu" });
      assert.ok(plain.every((v, i) => Object.is(v, again[i])), `threads=${t} ${m}x${n}x${k}: packed differs from plain`);
      checkClose(again, gemmReference(A, B, { m, n, k, transB, bias, activation: "relu" }), { m, n, k }, `packed ${m}x${n}x${k}`);
      packed.dispose();
    }
  }
});

test("packB: row stride, and a handle held while queued", async () => {
  const cl = contexts[2];
  const rand = random(26);
  const B = randomF32(rand, 9 * 12); // 9×7 inside rows of 12
  const A = randomF32(rand, 5 * 9);
  const packed = await cl.packB(B, { k: 9, n: 7, ldb: 12 });
  const pending = cl.gemm(A, packed, { m: 5, n: 7, k: 9 });
  packed.dispose(); // the queued call still holds it
  checkClose(await pending, gemmReference(A, B, { m: 5, n: 7, k: 9, ldb: 12 }), { m: 5, n: 7, k: 9 }, "ldb 12");
  await rejects(cl.gemm(A, packed, { m: 5, n: 7, k: 9 }), Error, /disposed packed matrix/);
});

test("packB: mismatched or misused handles are refused", async () => {
  const cl = contexts[2];
  const packed = await cl.packB(new Float32Array(12), { k: 3, n: 4 });
  const a = new Float32Array(6);
  await rejects(cl.gemm(a, packed, { m: 2, n: 4, k: 2 }), RangeError, /packed for k=3, n=4, not k=2, n=4/);
  await rejects(cl.gemm(a, packed, { m: 2, n: 4, k: 3, transB: true }), TypeError, /transB and ldb were fixed when b was packed/);
  await rejects(cl.packB(new Float32Array(11), { k: 3, n: 4 }), RangeError, /packB b has 11 elements, needs at least 12/);
  await rejects(cl.packB(new Float64Array(12), { k: 3, n: 4 }), TypeError, /packB b must be a Float32Array/);
  await rejects(cl.packB(new Float32Array(12), { k: 3, n: 4, transA: true }), TypeError, /unknown option packB options\.transA/);
  const arena = cl[Symbol.for("simdcl.debug")].arena;
  const before = arena.bytesInUse;
  packed.dispose();
  assert.ok(arena.bytesInUse < before, "dispose frees the packed panels");
});

test("device buffers as a, b and c: same bits as arrays, no copies, C written in place", async () => {
  const rand = random(28);
  for (const t of THREADS) {
    const cl = contexts[t];
    const [m, n, k] = [37, 45, 300];
    const A = randomF32(rand, m * k), B = randomF32(rand, k * n), C0 = randomF32(rand, m * n);
    const expected = await cl.gemm(A, B, { m, n, k, beta: 0.5, c: C0.slice(), activation: "relu" });
    const a = cl.buffer(Float32Array, m * k), b = cl.buffer(Float32Array, k * n), c = cl.buffer(Float32Array, m * n);
    a.array.set(A);
    b.array.set(B);
    c.array.set(C0);
    const r = await cl.gemm(a, b, { m, n, k, beta: 0.5, c, activation: "relu" });
    assert.is(r, c, "resolves to the device c");
    assert.ok(expected.every((v, i) => Object.is(v, c.array[i])), `threads=${t}: device result differs from arrays`);
    // Mixed: a device A with an array B and a new result array.
    const mixed = await cl.gemm(a, B, { m, n, k });
    assert.ok((await cl.gemm(A, B, { m, n, k })).every((v, i) => Object.is(v, mixed[i])), "mixed operands");
    for (const x of [a, b, c]) x.dispose();
  }
});

test("device operands: aliasing, disposal and other contexts are refused; held while queued", async () => {
  const cl = contexts[2];
  const a = cl.buffer(Float32Array, 16), b = cl.buffer(Float32Array, 16);
  await rejects(cl.gemm(a, b, { m: 4, n: 4, k: 4, c: a }), RangeError, /c must not be the same buffer as a or b/);
  await rejects(cl.gemm(a, cl.buffer(Int32Array, 16), { m: 4, n: 4, k: 4 }), TypeError, /gemm b must be a Float32Array or a device buffer of one, got a device buffer of 16 Int32Array/);
  const foreign = contexts[1].buffer(Float32Array, 16);
  await rejects(cl.gemm(foreign, b, { m: 4, n: 4, k: 4 }), RangeError, /gemm a belongs to another context/);
  foreign.dispose();
  a.array.fill(1);
  b.array.fill(2);
  const pending = cl.gemm(a, b, { m: 4, n: 4, k: 4 });
  a.dispose(); // held by the queued call
  assert.equal(Array.from(await pending), new Array(16).fill(8));
  await rejects(cl.gemm(a, b, { m: 4, n: 4, k: 4 }), Error, /gemm a is a disposed buffer/);
  b.dispose();
});

test("bad input names the argument", async () => {
  const cl = contexts[2];
  const a = new Float32Array(6), b = new Float32Array(6);
  await rejects(cl.gemm([1, 2], b, { m: 1, n: 1, k: 2 }), TypeError, /gemm a must be a Float32Array or a device buffer of one, got an array/);
  await rejects(cl.gemm(a, new Float64Array(6), { m: 2, n: 2, k: 3 }), TypeError, /gemm b must be a Float32Array/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2 }), TypeError, /gemm k must be a number, got undefined/);
  await rejects(cl.gemm(a, b, { m: 2.5, n: 2, k: 3 }), RangeError, /gemm m must be an integer/);
  await rejects(cl.gemm(a, b, { m: 3, n: 2, k: 3 }), RangeError, /gemm a has 6 elements, needs at least 9/);
  await rejects(cl.gemm(a, b, { m: 2, n: 3, k: 3 }), RangeError, /gemm b has 6 elements, needs at least 9/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, lda: 2 }), RangeError, /gemm lda must be an integer ≥ 3, got 2/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, bias: new Float32Array(3) }), RangeError, /bias must have n = 2 elements, got 3/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, beta: 1 }), TypeError, /beta is 1 but no c/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, c: new Float32Array(3) }), RangeError, /gemm c has 3 elements, needs at least 4/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, activation: "gelu" }), TypeError, /activation must be "none", "relu" or "relu6", got "gelu"/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, transA: 1 }), TypeError, /transA must be true or false/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, alpha: "2" }), TypeError, /gemm alpha must be a number, got "2"/);
  await rejects(cl.packB(b, { k: 3, n: 2, transB: "yes" }), TypeError, /packB transB must be true or false/);
  await rejects(cl.gemm(a, b, { m: 2, n: 2, k: 3, alpa: 1 }), TypeError, /unknown option gemm options\.alpa/);
  const ok = await cl.gemm(Float32Array.from([1, 2]), Float32Array.from([3, 4]), { m: 1, n: 1, k: 2 });
  assert.equal(Array.from(ok), [11]);
});

test.run();
