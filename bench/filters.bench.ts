// Filters (issue #14): simdcl's boxFilter, gaussianBlur and adaptiveThreshold on 1 and 2
// threads against OpenCV.js (its Mats already in its heap), sharp (libvips, native, one
// thread) for the Gaussian, and plain JavaScript running sums for the box, on a
// 1920×1080 frame, in the same rounds. GB/s counts bytes read plus written (2 · pixels ·
// channels). "device" keeps source and result in simdcl's memory (cl.buffer), as OpenCV.js
// keeps its Mats; "arrays" is the whole call from a Uint8Array into a reused array (out).
// The write-only floor stores the result's bytes and computes nothing: no implementation
// can beat it on one thread, so its ratio to OpenCV.js is the most this run's machine allows.
import { createRequire } from "node:module";
import { createContext, type Context } from "simdcl";
import { copyBandwidth, machine, measureRounds, median, printTable, type Row } from "./common.js";
import { writeFloor } from "./peers/ceiling.js";
import { loadOpenCV } from "./peers/opencv.js";

const W = 1920, H = 1080;

/** Box filter by running sums in plain JavaScript (reflect101 borders), as a page would write it. */
function jsBox(src: Uint8Array, w: number, h: number, cn: number, k: number, out: Uint8Array, cols: Int32Array): void {
  const r = k >> 1, area = k * k;
  const reflect = (p: number, n: number) => (p < 0 ? -p : p >= n ? 2 * n - 2 - p : p);
  cols.fill(0);
  for (let j = -r; j <= r; j++) {
    const row = reflect(j, h) * w * cn;
    for (let i = 0; i < w * cn; i++) cols[i] += src[row + i];
  }
  for (let y = 0; y < h; y++) {
    if (y > 0) {
      const add = reflect(y + r, h) * w * cn, sub = reflect(y - r - 1, h) * w * cn;
      for (let i = 0; i < w * cn; i++) cols[i] += src[add + i] - src[sub + i];
    }
    for (let c = 0; c < cn; c++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += cols[reflect(i, w) * cn + c];
      for (let x = 0; x < w; x++) {
        out[(y * w + x) * cn + c] = Math.round(s / area);
        s += cols[reflect(x + r + 1, w) * cn + c] - cols[reflect(x - r, w) * cn + c];
      }
    }
  }
}

interface Case {
  name: string;
  cn: number;
  /** OpenCV.js's call on its Mats. */
  cv: (cv: any, src: any, dst: any) => void;
  /** simdcl's call. */
  simdcl: (cl: Context, src: any, shape: { width: number; height: number; channels: number }, out: any) => Promise<unknown>;
  /** Other peers, timed in the same rounds after OpenCV.js. */
  peers?: (pixels: Uint8Array) => Promise<[string, () => unknown][]>;
}

async function sharpPeer(pixels: Uint8Array, cn: number, sigma: number): Promise<[string, () => unknown][]> {
  const sharp = createRequire(import.meta.url)("sharp");
  sharp.concurrency(1);
  const raw = { width: W, height: H, channels: cn };
  const input = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return [[`sharp blur(${sigma}), 1 thread`, () => sharp(input, { raw }).blur(sigma).raw().toBuffer()]];
}

function sepPeer(cv: any, cn: number): [string, () => unknown][] {
  // The same 13 taps as cv.GaussianBlur's for σ = 2, in f32, through sepFilter2D.
  const taps = new Float32Array(13);
  let s = 0;
  for (let i = 0; i < 13; i++) s += taps[i] = Math.exp(-((i - 6) ** 2) / 8);
  const k = cv.matFromArray(13, 1, cv.CV_32FC1, Array.from(taps, (t) => t / s));
  const src = cv.matFromArray(H, W, cn === 1 ? cv.CV_8UC1 : cv.CV_8UC4, new Uint8Array(W * H * cn));
  const dst = new cv.Mat();
  return [["OpenCV.js sepFilter2D (same taps)", () => cv.sepFilter2D(src, dst, -1, k, k)]];
}

async function main() {
  console.log(`filters, 1920×1080 — ${machine()}`);
  const copy = await copyBandwidth();
  console.log(`copy bandwidth (TypedArray.set, 64 MiB, read + written): ${copy.toFixed(2)} GB/s`);
  const { cv } = await loadOpenCV();
  const t1 = await createContext({ threads: 1 });
  const t2 = await createContext({ threads: 2 });
  const threads = [["1 thread", t1], ["2 threads", t2]] as [string, Context][];
  const rows: Row[] = [];

  const cases: Case[] = [
    { name: "box 15×15 gray", cn: 1, cv: (cv, s, d) => cv.blur(s, d, new cv.Size(15, 15)), simdcl: (cl, s, shape, out) => cl.boxFilter(s, shape, { ksize: 15, out }) },
    { name: "box 15×15 RGBA", cn: 4, cv: (cv, s, d) => cv.blur(s, d, new cv.Size(15, 15)), simdcl: (cl, s, shape, out) => cl.boxFilter(s, shape, { ksize: 15, out }) },
    {
      name: "Gaussian σ=2 RGBA", cn: 4, cv: (cv, s, d) => cv.GaussianBlur(s, d, new cv.Size(0, 0), 2), simdcl: (cl, s, shape, out) => cl.gaussianBlur(s, shape, { sigma: 2, out }),
      peers: async (pixels) => [...(await sharpPeer(pixels, 4, 2)), ...sepPeer(cv, 4)],
    },
    {
      name: "Gaussian σ=2 gray", cn: 1, cv: (cv, s, d) => cv.GaussianBlur(s, d, new cv.Size(0, 0), 2), simdcl: (cl, s, shape, out) => cl.gaussianBlur(s, shape, { sigma: 2, out }),
      peers: (pixels) => sharpPeer(pixels, 1, 2),
    },
    {
      name: "adaptiveThreshold mean 31 gray", cn: 1,
      cv: (cv, s, d) => cv.adaptiveThreshold(s, d, 255, cv.ADAPTIVE_THRESH_MEAN_C, cv.THRESH_BINARY, 31, 5),
      simdcl: (cl, s, shape, out) => cl.adaptiveThreshold(s, shape, { maxValue: 255, method: "mean", blockSize: 31, C: 5, out }),
    },
  ];

  for (const c of cases) {
    const n = W * H * c.cn;
    const bytes = 2 * n;
    const pixels = new Uint8Array(n);
    // A smooth gradient with noise: like a photograph, not like a constant.
    for (let i = 0; i < n; i++) pixels[i] = ((i % (W * c.cn)) / 12 + ((i * 2654435761) >>> 28)) & 255;
    const shape = { width: W, height: H, channels: c.cn };
    const srcMat = cv.matFromArray(H, W, c.cn === 1 ? cv.CV_8UC1 : cv.CV_8UC4, pixels);
    const dstMat = new cv.Mat();
    const dev = threads.map(([, cl]) => {
      const src = cl.buffer(Uint8Array, n);
      src.array.set(pixels);
      return { cl, src, out: cl.buffer(Uint8Array, n), reused: new Uint8Array(n) };
    });
    const forms: [string, () => unknown][] = [[`OpenCV.js`, () => c.cv(cv, srcMat, dstMat)]];
    for (const [i, [label]] of threads.entries()) forms.push([`simdcl device, ${label}`, () => c.simdcl(dev[i].cl, dev[i].src, shape, dev[i].out)]);
    forms.push([`simdcl arrays, 1 thread`, () => c.simdcl(dev[0].cl, pixels, shape, dev[0].reused)]);
    if (c.peers) forms.push(...(await c.peers(pixels)));
    forms.push(["write-only floor", await writeFloor(n)]);
    const heavy = c.name.startsWith("Gaussian") ? { time: 300, iterations: 4 } : { time: 300, iterations: 10 };
    const measured = await measureRounds(forms.map(([, fn]) => fn), heavy);
    for (const [i, [impl]] of forms.entries()) {
      const { ms, ratio } = measured[i];
      rows.push({ case: c.name, impl, ms, rate: bytes / (ms * 1e6), vs: i === 0 ? undefined : bytes / (ms * ratio * 1e6) });
    }
    // Sanity: simdcl's result is OpenCV's (both ran on the same pixels).
    c.cv(cv, srcMat, dstMat);
    await c.simdcl(dev[0].cl, dev[0].src, shape, dev[0].out);
    const ref = dstMat.data as Uint8Array;
    for (let i = 0; i < n; i++) if (ref[i] !== dev[0].out.array[i]) throw new Error(`${c.name}: simdcl differs from OpenCV.js at ${i}`);
    if (c.name.startsWith("box")) {
      const out = new Uint8Array(n), cols = new Int32Array(W * c.cn);
      const jsMs = await median(() => jsBox(pixels, W, H, c.cn, 15, out, cols), { time: 300, iterations: 5 });
      rows.push({ case: c.name, impl: "plain JavaScript running sums", ms: jsMs, rate: bytes / (jsMs * 1e6), vs: rows.find((r) => r.case === c.name)!.rate });
    }
    srcMat.delete();
    dstMat.delete();
    for (const d of dev) {
      d.src.dispose();
      d.out.dispose();
    }
  }
  // Control: the two-thread speed-up of an op tuned for it (the integral), in this run: on a
  // machine whose two cores are busy with other work a second thread has none to run on.
  const gray = t1.buffer(Uint8Array, W * H), gray2 = t2.buffer(Uint8Array, W * H);
  const sum1 = t1.buffer(Int32Array, (W + 1) * (H + 1)), sum2 = t2.buffer(Int32Array, (W + 1) * (H + 1));
  const control = await measureRounds([
    () => t1.integral(gray, { width: W, height: H, out: { sum: sum1 } }),
    () => t2.integral(gray2, { width: W, height: H, out: { sum: sum2 } }),
  ], { time: 300, iterations: 10 });
  const integralScaling = control[1].ratio;
  t1.dispose();
  t2.dispose();
  printTable("filters, 1920×1080, 8-bit", "GB/s", rows, "vs OpenCV.js");
  // Ratios to sharp: medians from the same rounds.
  for (const c of cases.filter((c) => c.peers)) {
    const own = rows.filter((r) => r.case === c.name);
    const sharpRow = own.find((r) => r.impl.startsWith("sharp"))!;
    for (const r of own.filter((r) => r.impl.startsWith("simdcl"))) console.log(`${c.name}: ${r.impl} ${(sharpRow.ms / r.ms).toFixed(2)}× sharp`);
  }
  const byImpl = (name: string, impl: string) => rows.find((r) => r.case === name && r.impl === impl)!;
  for (const c of cases) {
    const one = byImpl(c.name, "simdcl device, 1 thread"), two = byImpl(c.name, "simdcl device, 2 threads");
    console.log(`${c.name}: 2 threads ${(one.ms / two.ms).toFixed(2)}× 1 thread`);
  }
  console.log(`control, cl.integral 1920×1080 gray: 2 threads ${integralScaling.toFixed(2)}× 1 thread (${control[0].ms.toFixed(3)} → ${control[1].ms.toFixed(3)} ms)`);
  console.log("\n× is the median of same-round ratios to OpenCV.js (plain JavaScript: ratio of medians);");
  console.log("the write-only floor's × is the most any implementation could reach in this run.");
  console.log(`copy bandwidth: ${copy.toFixed(2)} GB/s`);
}

await main();
