// The examples run: the edge handler with a module compiled from the shipped .wasm (as a
// bundler would hand it in), and the box filter against a direct window mean.
// Needs node:fs (Node, Deno, Bun); the browser page runs test/all.js without it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFile } from "node:fs/promises";
import { createHandler } from "../examples/edge-handler.mjs";

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

test.run();
