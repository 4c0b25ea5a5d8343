// Image preprocessing with integral images: a box filter (mean over a square window)
// costs four lookups per pixel whatever the radius. boxMean is shared by the other
// examples; run this file to blur a small synthetic image and print what it did:
//   node examples/box-filter.mjs · deno run -A examples/box-filter.mjs · bun examples/box-filter.mjs
import { createContext } from "simdcl";

/** Mean of each pixel's (2r+1)² window, clamped at the borders, from an integral table. */
export function boxMean(sum, width, height, channels, radius) {
  const out = new Uint8ClampedArray(width * height * channels);
  const pitch = (width + 1) * channels;
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius), y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius), x1 = Math.min(width, x + radius + 1);
      const area = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < channels; c++) {
        const s = sum[y1 * pitch + x1 * channels + c] - sum[y0 * pitch + x1 * channels + c]
          - sum[y1 * pitch + x0 * channels + c] + sum[y0 * pitch + x0 * channels + c];
        out[(y * width + x) * channels + c] = s / area;
      }
    }
  }
  return out;
}

// No top-level await: bundles for edge functions import this file for boxMean.
async function main() {
  const width = 640, height = 480, radius = 3;
  // A checkerboard of 16-pixel squares: the blur softens each edge over 2·radius+1 pixels.
  const gray = new Uint8Array(width * height).map((_, i) => ((((i % width) >> 4) + ((i / width) >> 4)) & 1) * 255);
  const cl = await createContext({ threads: 2 });
  const t0 = performance.now();
  const { sum } = await cl.integral(gray, { width, height });
  const t1 = performance.now();
  const blurred = boxMean(sum, width, height, 1, radius);
  const t2 = performance.now();
  console.log(`integral of a ${width}×${height} gray checkerboard on ${cl.threads} thread(s) (${cl.variant} build): ${(t1 - t0).toFixed(2)} ms`);
  console.log(`box filter, radius ${radius}, from the table: ${(t2 - t1).toFixed(2)} ms`);
  console.log(`row 8 across an edge, before: ${Array.from(gray.subarray(8 * width + 10, 8 * width + 22)).join(" ")}`);
  console.log(`                       after: ${Array.from(blurred.subarray(8 * width + 10, 8 * width + 22)).join(" ")}`);
  // No dispose(): idle Workers do not keep the process alive (dispose() frees the memory early).
}

if (import.meta.main ?? (typeof process !== "undefined" && import.meta.url === `file://${process.argv[1]}`)) main();
