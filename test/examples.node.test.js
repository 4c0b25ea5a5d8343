// The examples run: the edge handler with a module compiled from the shipped .wasm (as a
// bundler would hand it in), the box filter against a direct window mean, and the
// inverted-residual block against the float64 reference, layer by layer.
// Needs node:fs (Node, Deno, Bun); the browser page runs test/all.js without it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFile } from "node:fs/promises";
import { createHandler } from "../examples/edge-handler.mjs";
import { blockScratch, createBlock, runBlock } from "../examples/inverted-residual.mjs";
import { createContext } from "../dist/index.js";
import { conv2dReference, toNC4HW4Reference } from "./reference.js";
import { random, randomF32, withContext } from "./helpers.js";

const test = suite("examples");

test("edge handler: box-filters a POSTed image with a handed-in module", async () => {
  const module = await WebAssembly.compile(await readFile(new URL("../dist/simdcl-single.wasm", import.meta.url)));
  const handle = createHandler(module);
  const width = 7, height = 5, radius = 1;
  const pixels = new Uint8Array(width * height).map((_, i) => (i * 37) % 256);
  const response = await handle(new Request(`http://edge.test/?width=${width}&height=${height}&radius=${radius}`, { method: "POST", body: pixels }));
  assert.is(response.status, 200);
  const got = new Uint8Array(await response.arrayBuffer());
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0, n = 0;
      for (let v = Math.max(0, y - radius); v <= Math.min(height - 1, y + radius); v++) {
        for (let u = Math.max(0, x - radius); u <= Math.min(width - 1, x + radius); u++) { s += pixels[v * width + u]; n++; }
      }
      assert.is(got[y * width + x], Uint8ClampedArray.of(s / n)[0], `pixel ${x},${y}`); // rounds half to even
    }
  }
  const bad = await handle(new Request("http://edge.test/?width=-1&height=5", { method: "POST", body: pixels }));
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /width must be an integer/);
});

test("inverted residual: three layers in NC4HW4 device buffers match the reference chain", async () => {
  const rand = random(77);
  const c = 5, expand = 3, h = 9, w = 7, e = c * expand;
  const weights = { expand: randomF32(rand, e * c, 0.5), depth: randomF32(rand, e * 9, 0.5), project: randomF32(rand, c * e, 0.5) };
  const x = randomF32(rand, c * h * w, 1);
  const a = conv2dReference(x, [1, c, h, w], weights.expand, [e, c, 1, 1], { activation: "relu6" }).out;
  const b = conv2dReference(a, [1, e, h, w], weights.depth, [e, 1, 3, 3], { groups: e, pad: [1, 1, 1, 1], activation: "relu6" }).out;
  const y = conv2dReference(b, [1, e, h, w], weights.project, [c, e, 1, 1]).out.map((v, i) => v + x[i]);
  const got = await withContext(createContext, { threads: 2 }, async (cl) => {
    const block = await createBlock(cl, c, expand, weights);
    const input = cl.buffer(Float32Array, 8 * h * w);
    input.array.set(toNC4HW4Reference(x, [1, c, h, w]));
    const output = cl.buffer(Float32Array, 8 * h * w);
    await runBlock(cl, block, input, output, h, w, blockScratch(cl, block, h, w));
    return cl.fromNC4HW4(output.array.slice(), [1, c, h, w]);
  });
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(got[i] - y[i]) < 1e-4 * (1 + Math.abs(y[i])), `output ${i}: ${got[i]}, reference ${y[i]}`);
});

test.run();
