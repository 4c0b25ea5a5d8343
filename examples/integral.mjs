// Runs as is in Node, Deno and Bun (after `npm run build`; "simdcl" resolves to this
// package through its own package.json "exports"):
//   node examples/integral.mjs · deno run -A examples/integral.mjs · bun examples/integral.mjs
import { createContext } from "simdcl";
import { boxMean } from "./box-filter.mjs";

const cl = await createContext(); // one thread per core; cl.threads says how many run
const width = 1920, height = 1080;
const rgba = new Uint8Array(width * height * 4).map((_, i) => (i * 7) & 255);

for (const label of ["first call (grows the memory)", "second call"]) {
  const t0 = performance.now();
  await cl.integral(rgba, { width, height, channels: 4, squared: true });
  console.log(`integral of ${width}×${height} RGBA, ${label}: ${(performance.now() - t0).toFixed(2)} ms`);
}
const { sum, sqsum } = await cl.integral(rgba, { width, height, channels: 4, squared: true });
console.log(`${cl.threads} thread(s), ${cl.variant} build`);
console.log(`sum of all red values: ${sum[sum.length - 4]}, of their squares: ${sqsum[sqsum.length - 4]}`);

const blurred = boxMean(sum, width, height, 4, 8);
console.log(`box-filtered (radius 8) first pixel: ${Array.from(blurred.subarray(0, 4))}`);
cl.dispose(); // frees the memory now; without it, idle Workers still let the process exit
