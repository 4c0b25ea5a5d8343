// Every engine-specific kernel variant, forced on through createContext's `kernels`
// option, so each runs on every runtime the suite runs on (not only on the engine that
// would pick it): the pinned and plain depthwise kernels, the planar NCHW one (pinned and
// not) and the quads it replaces, the four- and eight-accumulator
// one-row GEMM, GEMM's A read in place or packed, the packed tile's broadcast by shuffles or
// splat loads, and the gray integral rows with and without the byte-pair prefix.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createContext } from "../dist/index.js";
import { assertSame, random, randomF32, randomU8, withContext } from "./helpers.js";
import { conv2dReference, gemmReference, integralReference } from "./reference.js";

const test = suite("kernels");

const VARIANTS = [false, true].map((on) => ({ depthwisePinned: on, gemvFewAccumulators: on, integralBytePairs: on, gemmRowsInPlace: on, gemmPackedSplats: on }));

test("the context reports its variants and refuses unknown ones", async () => {
  await withContext(createContext, { threads: 1, kernels: { depthwisePinned: true } }, async (cl) => {
    assert.is(cl.kernels.depthwisePinned, true);
    assert.type(cl.kernels.integralBytePairs, "boolean");
  });
  let error = null;
  try {
    await createContext({ threads: 1, kernels: { fast: true } });
  } catch (e) {
    error = e;
  }
  assert.instance(error, TypeError);
  assert.match(error.message, /unknown option createContext kernels.fast/);
});

test("each variant computes the reference's results", async () => {
  const rand = random(21);
  for (const kernels of VARIANTS) {
    for (const threads of [1, 2]) {
      await withContext(createContext, { threads, kernels }, async (cl) => {
        const label = `${JSON.stringify(kernels)} on ${threads} threads`;
        // Depthwise: the sliding windows (3×3, 3×3/2, 5×5) and the padded-copy path (a multiplier).
        for (const [k, stride, mult] of [[3, 1, 1], [3, 2, 1], [5, 1, 1], [3, 1, 2]]) {
          const shape = [1, 12, 19, 23];
          const x = randomF32(rand, 12 * 19 * 23);
          const wShape = [12 * mult, 1, k, k];
          const w = randomF32(rand, 12 * mult * k * k, 1);
          const o = { stride: [stride, stride], pad: [1, 1, 1, 1], groups: 12 };
          const ref = conv2dReference(x, shape, w, wShape, o);
          const got = await cl.conv2d(x, shape, w, wShape, { stride, padding: 1, groups: 12 });
          for (let i = 0; i < ref.out.length; i++) {
            const bound = 2 * (k * k + 3) * 2 ** -24 * ref.scale[i];
            if (!(Math.abs(got.data[i] - ref.out[i]) <= bound)) assert.unreachable(`${label}: depthwise ${k}×${k}/${stride}×${mult}: output ${i} is ${got.data[i]}, expected ${ref.out[i]}`);
          }
        }
        // The one-row GEMM.
        const [m, n, k] = [1, 37, 300];
        const A = randomF32(rand, m * k, 1), B = randomF32(rand, k * n, 1);
        const ref = gemmReference(A, B, { m, n, k });
        const C = await cl.gemm(A, await cl.packB(B, { k, n }), { m, n, k });
        for (let j = 0; j < n; j++) {
          if (!(Math.abs(C[j] - ref.out[j]) <= 2 * (k + 3) * 2 ** -24 * ref.scale[j])) assert.unreachable(`${label}: gemv column ${j} is ${C[j]}, expected ${ref.out[j]}`);
        }
        // GEMM over row-major A, read in place or packed: every tile height (m % 4 = 1, 2, 3)
        // and width (n % 8 = 4 and 5), two k blocks, the epilogue, one and several column blocks.
        for (const [gm, gn, gk] of [[2, 13, 7], [37, 12, 300], [131, 45, 33], [6, 517, 20]]) {
          const A = randomF32(rand, gm * gk, 1), B = randomF32(rand, gk * gn, 1), bias = randomF32(rand, gn, 1);
          const ref = gemmReference(A, B, { m: gm, n: gn, k: gk, alpha: 0.5, bias, activation: "relu" });
          const C = await cl.gemm(A, B, { m: gm, n: gn, k: gk, alpha: 0.5, bias, activation: "relu" });
          for (let i = 0; i < gm * gn; i++) {
            const bound = 2 * (gk + 3) * 2 ** -24 * ref.scale[i];
            if (!(Math.abs(C[i] - ref.out[i]) <= bound)) assert.unreachable(`${label}: gemm ${gm}×${gn}×${gk}: C[${i}] is ${C[i]}, expected ${ref.out[i]}`);
          }
        }
        // The packed tile in the convolutions: 1×1, and im2col with two k blocks and a
        // partial last tile, with bias and activation.
        for (const [c, oc, size, k, algorithm] of [[12, 21, 9, 1, "1x1"], [40, 13, 7, 3, "im2col"]]) {
          const shape = [1, c, size, size];
          const x = randomF32(rand, c * size * size, 1);
          const wShape = [oc, c, k, k];
          const w = randomF32(rand, oc * c * k * k, 1), bias = randomF32(rand, oc, 1);
          const pad = k >> 1;
          const ref = conv2dReference(x, shape, w, wShape, { stride: [1, 1], pad: [pad, pad, pad, pad], bias, activation: "relu" });
          const got = await cl.conv2d(x, shape, w, wShape, { padding: pad, bias, activation: "relu", algorithm });
          for (let i = 0; i < ref.out.length; i++) {
            const bound = 2 * (c * k * k + 3) * 2 ** -24 * ref.scale[i];
            if (!(Math.abs(got.data[i] - ref.out[i]) <= bound)) assert.unreachable(`${label}: conv ${algorithm} ${c}→${oc}: output ${i} is ${got.data[i]}, expected ${ref.out[i]}`);
          }
        }
        // GEMM over transposed A, which is always packed: the packed tile's broadcast.
        {
          const [gm, gn, gk] = [37, 21, 70];
          const At = randomF32(rand, gk * gm, 1), B = randomF32(rand, gk * gn, 1);
          const A = new Float32Array(gm * gk);
          for (let i = 0; i < gm; i++) for (let p = 0; p < gk; p++) A[i * gk + p] = At[p * gm + i];
          const ref = gemmReference(A, B, { m: gm, n: gn, k: gk });
          const C = await cl.gemm(At, B, { m: gm, n: gn, k: gk, transA: true });
          for (let i = 0; i < gm * gn; i++) {
            if (!(Math.abs(C[i] - ref.out[i]) <= 2 * (gk + 3) * 2 ** -24 * ref.scale[i])) assert.unreachable(`${label}: gemm transA: C[${i}] is ${C[i]}, expected ${ref.out[i]}`);
          }
        }
        // Gray integral rows (exact).
        const [iw, ih] = [333, 77];
        const img = randomU8(rand, iw * ih);
        const { sum, sqsum } = await cl.integral(img, { width: iw, height: ih, squared: true });
        assertSame(sum, Int32Array.from(integralReference(img, iw, ih, 1)), `${label}: integral`);
        assertSame(sqsum, integralReference(img, iw, ih, 1, { square: true }), `${label}: integral squares`);
      });
    }
  }
});

test("the packed tile's two broadcasts, shuffles and splat loads, give the very same convolutions", async () => {
  const rand = random(22);
  for (const [c, oc, size, k, algorithm] of [[12, 21, 9, 1, "1x1"], [40, 13, 7, 3, "im2col"], [9, 18, 10, 3, "winograd"]]) {
    const shape = [1, c, size, size];
    const x = randomF32(rand, c * size * size, 1);
    const wShape = [oc, c, k, k];
    const w = randomF32(rand, oc * c * k * k, 1), bias = randomF32(rand, oc, 1);
    const results = [];
    for (const gemmPackedSplats of [false, true]) {
      await withContext(createContext, { threads: 1, kernels: { gemmPackedSplats } }, async (cl) => {
        results.push((await cl.conv2d(x, shape, w, wShape, { padding: k >> 1, bias, activation: "relu6", algorithm })).data);
      });
    }
    assertSame(results[1], results[0], `${algorithm} ${c}→${oc}`);
  }
});

test("depthwise 3×3/2 NCHW to NCHW: the planar kernel, pinned and not, with and without an epilogue, and the quads path where it is off, give the reference's results", async () => {
  const rand = random(23);
  for (const depthwisePinned of [false, true]) {
    for (const depthwisePlanar of [false, true]) {
      await withContext(createContext, { threads: 2, kernels: { depthwisePinned, depthwisePlanar } }, async (cl) => {
        const label = JSON.stringify({ depthwisePinned, depthwisePlanar });
        // Output rows 7 (a last row of its own, a tail of three) and 14 wide (a tail of two), 6 and 8 wide with TensorFlow's "same" (the last output reads the right padding column).
        for (const [c, h, w, padding] of [[6, 13, 14, 1], [8, 28, 28, 1], [5, 12, 12, "same"], [4, 10, 16, "same"]]) {
          for (const epilogue of [{}, { bias: randomF32(rand, c, 1), activation: "relu6" }]) {
            const shape = [1, c, h, w];
            const x = randomF32(rand, c * h * w), weight = randomF32(rand, c * 9, 1);
            const pad = padding === "same" ? [0, 0, 1, 1] : [1, 1, 1, 1];
            const ref = conv2dReference(x, shape, weight, [c, 1, 3, 3], { stride: [2, 2], pad, groups: c, ...epilogue });
            const got = await cl.conv2d(x, shape, weight, [c, 1, 3, 3], { stride: 2, padding, groups: c, ...epilogue });
            for (let i = 0; i < ref.out.length; i++) {
              const bound = 2 * (9 + 3) * 2 ** -24 * ref.scale[i];
              if (!(Math.abs(got.data[i] - ref.out[i]) <= bound)) assert.unreachable(`${label} ${shape} ${JSON.stringify(padding)} epilogue ${!!epilogue.bias}: output ${i} is ${got.data[i]}, expected ${ref.out[i]}`);
            }
          }
        }
      });
    }
  }
});

test.run();
