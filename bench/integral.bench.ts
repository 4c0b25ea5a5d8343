// Integral images: simdcl on 1 and 2 threads against OpenCV.js and a plain JavaScript
// loop, in the same run. GB/s counts bytes read plus written by the operation.
//
// "device" keeps input and tables in simdcl's memory (cl.buffer), as OpenCV.js keeps
// its Mats in its heap: both are the kernel alone. "arrays" is the whole call from a
// Uint8Array into a result array reused from call to call (out), copies included.
// "write-only floor" stores the tables' bytes and computes nothing: no implementation
// can beat it, so its ratio to OpenCV.js is the most this run's machine allows.
import { createContext, type Context } from "simdcl";
import { copyBandwidth, machine, measureRounds, median, printTable, type Row } from "./common.js";
import { writeFloor } from "./peers/ceiling.js";
import { loadOpenCV } from "./peers/opencv.js";

const CASES = [
  { name: "1920×1080 gray", w: 1920, h: 1080, cn: 1 },
  { name: "1920×1080 RGBA", w: 1920, h: 1080, cn: 4 },
  { name: "3840×2160 gray", w: 3840, h: 2160, cn: 1 },
  { name: "3840×2160 RGBA", w: 3840, h: 2160, cn: 4 },
];

function jsIntegral(src: Uint8Array, w: number, h: number, cn: number, out: Int32Array): void {
  const pitch = (w + 1) * cn;
  for (let y = 0; y < h; y++) {
    const o = (y + 1) * pitch + cn;
    for (let c = 0; c < cn; c++) {
      let run = 0;
      for (let x = 0; x < w; x++) {
        run += src[y * w * cn + x * cn + c];
        out[o + x * cn + c] = run;
      }
    }
  }
  for (let y = 2; y <= h; y++) {
    for (let i = y * pitch + cn; i < (y + 1) * pitch; i++) out[i] += out[i - pitch];
  }
}

async function main() {
  console.log(`integral images — ${machine()}`);
  const copy = await copyBandwidth();
  console.log(`copy bandwidth (TypedArray.set, 64 MiB, read + written): ${copy.toFixed(2)} GB/s; 75 % of it: ${(0.75 * copy).toFixed(2)} GB/s`);
  const { cv } = await loadOpenCV();
  const t1 = await createContext({ threads: 1 });
  const t2 = await createContext({ threads: 2 });
  const threads = [["1 thread", t1], ["2 threads", t2]] as [string, Context][];
  const rows: Row[] = [];
  const squaredRows: Row[] = [];
  const timing = { time: 300, iterations: 10 };

  for (const c of CASES) {
    const n = c.w * c.h * c.cn;
    const outLen = (c.w + 1) * (c.h + 1) * c.cn;
    const pixels = new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);
    const bytes = n + outLen * 4;
    const bytes2 = n + outLen * 12;
    const opts = { width: c.w, height: c.h, channels: c.cn };
    const srcMat = cv.matFromArray(c.h, c.w, c.cn === 1 ? cv.CV_8UC1 : cv.CV_8UC4, pixels);
    const sumMat = new cv.Mat();
    const sqMat = new cv.Mat();
    const dev = threads.map(([, cl]) => {
      const src = cl.buffer(Uint8Array, n);
      src.array.set(pixels);
      const sum = cl.buffer(Int32Array, outLen);
      const sqsum = c.cn === 1 ? cl.buffer(Float64Array, outLen) : null;
      return { cl, src, sum, sqsum, reused: new Int32Array(outLen) };
    });

    // Same rounds: the peer, then each form, so a slow spell moves both sides of a ratio.
    const forms: [string, () => unknown][] = [["OpenCV.js cv.integral", () => cv.integral(srcMat, sumMat, cv.CV_32S)]];
    for (const [i, [label]] of threads.entries()) {
      const { cl, src, sum } = dev[i];
      forms.push([`simdcl device, ${label}`, () => cl.integral(src, { ...opts, out: { sum } })]);
    }
    for (const [i, [label]] of threads.entries()) {
      const { cl, reused } = dev[i];
      forms.push([`simdcl arrays, ${label}`, () => cl.integral(pixels, { ...opts, out: { sum: reused } })]);
    }
    forms.push(["write-only floor", await writeFloor(outLen * 4)]);
    const measured = await measureRounds(forms.map(([, fn]) => fn), timing);
    for (const [i, [impl]] of forms.entries()) {
      const { ms, ratio } = measured[i];
      rows.push({ case: c.name, impl, ms, rate: bytes / (ms * 1e6), vs: i === 0 ? undefined : bytes / (ms * ratio * 1e6) });
    }
    for (const d of dev) checkTotals(c.name, pixels, c.cn, d.sum.array, null);

    if (c.cn === 1) {
      const sqForms: [string, () => unknown][] = [["OpenCV.js cv.integral2", () => cv.integral2(srcMat, sumMat, sqMat, cv.CV_32S, cv.CV_64F)]];
      for (const [i, [label]] of threads.entries()) {
        const { cl, src, sum, sqsum } = dev[i];
        sqForms.push([`simdcl device, ${label}`, () => cl.integral(src, { ...opts, squared: true, out: { sum, sqsum: sqsum! } })]);
      }
      sqForms.push(["write-only floor", await writeFloor(outLen * 12)]);
      const sq = await measureRounds(sqForms.map(([, fn]) => fn), timing);
      for (const [i, [impl]] of sqForms.entries()) {
        const { ms, ratio } = sq[i];
        squaredRows.push({ case: c.name, impl, ms, rate: bytes2 / (ms * 1e6), vs: i === 0 ? undefined : bytes2 / (ms * ratio * 1e6) });
      }
      for (const d of dev) checkTotals(c.name, pixels, 1, d.sum.array, d.sqsum!.array);
    }

    const out = new Int32Array(outLen);
    const jsMs = await median(() => jsIntegral(pixels, c.w, c.h, c.cn, out), { time: 300, iterations: 5 });
    rows.push({ case: c.name, impl: "plain JavaScript", ms: jsMs, rate: bytes / (jsMs * 1e6), vs: rows.find((r) => r.case === c.name)!.rate });
    srcMat.delete();
    sumMat.delete();
    sqMat.delete();
    for (const d of dev) {
      d.src.dispose();
      d.sum.dispose();
      d.sqsum?.dispose();
    }
  }
  t1.dispose();
  t2.dispose();
  printTable("integral (8-bit → Int32)", "GB/s", rows, "vs OpenCV.js");
  printTable("integral with squares (→ Int32 + Float64)", "GB/s", squaredRows, "vs cv.integral2");
  console.log("\n× is the median of same-round ratios to OpenCV.js; the write-only floor's × is the most any");
  console.log("implementation could reach in this run: it stores the tables' bytes and computes nothing.");
  console.log(`ceiling: 75 % of copy bandwidth = ${(0.75 * copy).toFixed(2)} GB/s`);
}

// Sanity: a table's last pixel holds the sum (and sum of squares) of the whole image.
function checkTotals(name: string, pixels: Uint8Array, cn: number, sum: Int32Array, sqsum: Float64Array | null): void {
  let total = 0, squares = 0;
  for (let i = 0; i < pixels.length; i++) {
    total += pixels[i];
    squares += pixels[i] * pixels[i];
  }
  let last = 0, lastSq = 0;
  for (let ch = 0; ch < cn; ch++) {
    last += sum[sum.length - 1 - ch];
    if (sqsum) lastSq += sqsum[sqsum.length - 1 - ch];
  }
  if (last !== total || (sqsum && lastSq !== squares)) throw new Error(`${name}: wrong result (${last} ≠ ${total} or ${lastSq} ≠ ${squares})`);
}

await main();
