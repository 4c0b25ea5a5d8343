// A MobileNetV2 block (1×1 expand → 3×3 depthwise → 1×1 project, plus the input) kept in
// NC4HW4 device buffers from layer to layer: weights packed once, no layout conversion and
// no copy between the layers. Runs as is in Node, Deno and Bun (after `npm run build`):
//   node examples/inverted-residual.mjs · deno run -A examples/inverted-residual.mjs
import { createContext } from "simdcl";

/** The block's layers, weights packed once: c → c·expand → c channels. */
export async function createBlock(cl, c, expand, weights) {
  const e = c * expand;
  return {
    c, e,
    expandW: await cl.packConv(weights.expand, [e, c, 1, 1]),
    depthW: await cl.packConv(weights.depth, [e, 1, 3, 3], { groups: e }),
    projectW: await cl.packConv(weights.project, [c, e, 1, 1]),
  };
}

/** One pass: `input` and `output` are NC4HW4 device buffers of [1, c, h, w]. */
export async function runBlock(cl, block, input, output, h, w, scratch) {
  const nc4 = { layout: "NC4HW4" };
  await cl.conv2d(input, [1, block.c, h, w], block.expandW, undefined, { ...nc4, activation: "relu6", out: scratch.a });
  await cl.conv2d(scratch.a, [1, block.e, h, w], block.depthW, undefined, { ...nc4, groups: block.e, padding: 1, activation: "relu6", out: scratch.b });
  await cl.conv2d(scratch.b, [1, block.e, h, w], block.projectW, undefined, { ...nc4, out: output });
  // The residual connection, on the buffers' views (channels past c are zero in both).
  const x = input.array, y = output.array;
  for (let i = 0; i < y.length; i++) y[i] += x[i];
}

/** Device buffers for the block's intermediate tensors. */
export function blockScratch(cl, block, h, w) {
  const size = Math.ceil(block.e / 4) * 4 * h * w;
  return { a: cl.buffer(Float32Array, size), b: cl.buffer(Float32Array, size) };
}

if (import.meta.main ?? (typeof process !== "undefined" && import.meta.url === `file://${process.argv[1]}`)) {
  const cl = await createContext();
  const c = 24, expand = 6, h = 56, w = 56;
  const rand = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.1);
  const block = await createBlock(cl, c, expand, { expand: rand(c * c * expand), depth: rand(c * expand * 9), project: rand(c * c * expand) });
  const image = rand(c * h * w);
  const input = cl.buffer(Float32Array, c * h * w);
  input.array.set(await cl.toNC4HW4(image, [1, c, h, w]));
  const output = cl.buffer(Float32Array, c * h * w);
  const scratch = blockScratch(cl, block, h, w);
  const times = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await runBlock(cl, block, input, output, h, w, scratch);
    times.push(performance.now() - t0);
  }
  const median = times.slice(10).sort((a, b) => a - b)[10];
  console.log(`inverted residual ${h}×${w}×${c} (expand ${expand}): first pass ${times[0].toFixed(2)} ms ` +
    `(V8 still tiering the kernels up), then ${median.toFixed(2)} ms`);
  const result = await cl.fromNC4HW4(output.array.slice(), [1, c, h, w]);
  console.log(`${cl.threads} thread(s), ${cl.variant} build; output[0..3]: ${Array.from(result.subarray(0, 4), (v) => v.toFixed(4))}`);
  cl.dispose();
}
