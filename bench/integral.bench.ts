// Integral images: simdcl on 1 and 2 threads against OpenCV.js and a plain JavaScript
// loop, in the same run. GB/s counts bytes read plus written by the operation.
//
// "device" keeps input and tables in simdcl's memory (cl.buffer), as OpenCV.js keeps
// its Mats in its heap: both are the kernel alone. "arrays" is the whole call from a
// Uint8Array into a result array reused from call to call (out), copies included.
import { createContext, type Context } from "simdcl";
import { copyBandwidth, machine, median, printTable, type Row } from "./common.js";
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
  const rows: Row[] = [];
  const squaredRows: Row[] = [];

  for (const c of CASES) {
    const n = c.w * c.h * c.cn;
    const outLen = (c.w + 1) * (c.h + 1) * c.cn;
    const pixels = new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);
    const bytes = n + outLen * 4;
    const bytes2 = n + outLen * 12;
    const gbs = (ms: number, b = bytes) => b / (ms * 1e6);

    const srcMat = cv.matFromArray(c.h, c.w, c.cn === 1 ? cv.CV_8UC1 : cv.CV_8UC4, pixels);
    const sumMat = new cv.Mat();
    const sqMat = new cv.Mat();
    const cvMs = await median(() => cv.integral(srcMat, sumMat, cv.CV_32S));
    rows.push({ case: c.name, impl: "OpenCV.js cv.integral", ms: cvMs, rate: gbs(cvMs) });

    for (const [label, cl] of [["1 thread", t1], ["2 threads", t2]] as [string, Context][]) {
      const src = cl.buffer(Uint8Array, n);
      src.array.set(pixels);
      const sum = cl.buffer(Int32Array, outLen);
      const opts = { width: c.w, height: c.h, channels: c.cn };
      const ms = await median(() => cl.integral(src, { ...opts, out: { sum } }));
      rows.push({ case: c.name, impl: `simdcl device, ${label}`, ms, rate: gbs(ms), vs: gbs(cvMs) });
      // Sanity: the table's last element is the sum of all pixels.
      let total = 0;
      for (let i = 0; i < n; i++) total += pixels[i];
      let last = 0;
      for (let ch = 0; ch < c.cn; ch++) last += sum.array[outLen - 1 - ch];
      if (last !== total) throw new Error(`${c.name}: wrong result (${last} ≠ ${total})`);
      const reused = new Int32Array(outLen);
      const msArrays = await median(() => cl.integral(pixels, { ...opts, out: { sum: reused } }));
      rows.push({ case: c.name, impl: `simdcl arrays, ${label}`, ms: msArrays, rate: gbs(msArrays), vs: gbs(cvMs) });
      if (c.cn === 1) {
        const sq = cl.buffer(Float64Array, outLen);
        const ms2 = await median(() => cl.integral(src, { ...opts, squared: true, out: { sum, sqsum: sq } }));
        squaredRows.push({ case: c.name, impl: `simdcl device, ${label}`, ms: ms2, rate: gbs(ms2, bytes2) });
        sq.dispose();
      }
      src.dispose();
      sum.dispose();
    }
    if (c.cn === 1) {
      const cvMs2 = await median(() => cv.integral2(srcMat, sumMat, sqMat, cv.CV_32S, cv.CV_64F));
      squaredRows.push({ case: c.name, impl: "OpenCV.js cv.integral2", ms: cvMs2, rate: gbs(cvMs2, bytes2) });
      for (const r of squaredRows) if (r.case === c.name && !r.impl.startsWith("OpenCV")) r.vs = gbs(cvMs2, bytes2);
    }
    const out = new Int32Array(outLen);
    const jsMs = await median(() => jsIntegral(pixels, c.w, c.h, c.cn, out), { time: 300, iterations: 5 });
    rows.push({ case: c.name, impl: "plain JavaScript", ms: jsMs, rate: gbs(jsMs), vs: gbs(cvMs) });
    srcMat.delete();
    sumMat.delete();
    sqMat.delete();
  }
  t1.dispose();
  t2.dispose();
  printTable("integral (8-bit → Int32)", "GB/s", rows, "vs OpenCV.js");
  printTable("integral with squares (→ Int32 + Float64)", "GB/s", squaredRows, "vs cv.integral2");
  console.log(`\nceiling: 75 % of copy bandwidth = ${(0.75 * copy).toFixed(2)} GB/s`);
}

await main();
