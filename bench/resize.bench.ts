// Resizing a 1920×1080 RGBA frame to 224×224 (a classifier's input): simdcl on 1 and 2
// threads against OpenCV.js cv.resize (its Mats already in its heap) per method, and
// against sharp (libvips, one thread) for the antialiased filters, in the same rounds.
//
// GB/s counts the frame's bytes plus the output's, as if the frame were read once (area
// and antialiasing read all of it; nearest, bilinear and bicubic only the rows they sample).
// "device": source and result in simdcl's memory (cl.buffer), as OpenCV.js keeps its Mats.
// "arrays": the whole call from a Uint8Array into a result array reused (`out`): only
// the sampled rows are copied in.
import { createRequire } from "node:module";
import { createContext, type Context, type ResizeOptions } from "simdcl";
import { copyBandwidth, machine, measureRounds, printTable, type Row } from "./common.js";
import { loadOpenCV } from "./peers/opencv.js";

const W = 1920, H = 1080, CN = 4, DW = 224, DH = 224;
const METHODS = [
  { method: "nearest", inter: "INTER_NEAREST" },
  { method: "bilinear", inter: "INTER_LINEAR" },
  { method: "bicubic", inter: "INTER_CUBIC" },
  { method: "area", inter: "INTER_AREA" },
] as const;
const ANTIALIASED = [
  { method: "bilinear", kernel: "linear" },
  { method: "bicubic", kernel: "cubic" },
] as const;

async function main() {
  console.log(`resize — ${machine()}`);
  const copy = await copyBandwidth();
  console.log(`copy bandwidth (TypedArray.set, 64 MiB, read + written): ${copy.toFixed(2)} GB/s`);
  const { cv } = await loadOpenCV();
  const sharp = createRequire(import.meta.url)("sharp");
  sharp.concurrency(1);
  sharp.cache(false);
  const pixels = new Uint8Array(W * H * CN).map((_, i) => (i * 2654435761) >>> 24);
  const shape = { width: W, height: H, channels: CN };
  const bytes = W * H * CN + DW * DH * CN;
  const threads = [["1 thread", await createContext({ threads: 1 })], ["2 threads", await createContext({ threads: 2 })]] as [string, Context][];
  const dev = threads.map(([, cl]) => {
    const src = cl.buffer(Uint8Array, W * H * CN);
    src.array.set(pixels);
    return { cl, src, out: cl.buffer(Uint8Array, DW * DH * CN), reused: new Uint8Array(DW * DH * CN) };
  });
  const srcMat = cv.matFromArray(H, W, cv.CV_8UC4, pixels);
  const dstMat = new cv.Mat();
  const timing = { time: 300, iterations: 10 };
  const rows: Row[] = [];

  const simdclForms = (options: Omit<ResizeOptions, "out">): [string, () => unknown][] => [
    ...threads.map(([label], i): [string, () => unknown] => [`simdcl device, ${label}`, () => dev[i].cl.resize(dev[i].src, shape, { ...options, out: dev[i].out })]),
    ...threads.map(([label], i): [string, () => unknown] => [`simdcl arrays, ${label}`, () => dev[i].cl.resize(pixels, shape, { ...options, out: dev[i].reused })]),
  ];
  const measure = async (name: string, forms: [string, () => unknown][]) => {
    const measured = await measureRounds(forms.map(([, fn]) => fn), timing);
    const one = measured[1].ms;
    for (const [i, [impl]] of forms.entries()) {
      const { ms, ratio } = measured[i];
      const note = impl === "simdcl device, 2 threads" ? `${(one / ms).toFixed(2)}× 1 thread` : undefined;
      rows.push({ case: name, impl, ms, rate: bytes / (ms * 1e6), vs: i === 0 ? undefined : bytes / (ms * ratio * 1e6), note });
    }
  };

  for (const { method, inter } of METHODS) {
    const size = new cv.Size(DW, DH);
    await measure(`→ 224² ${method}`, [[`OpenCV.js cv.resize ${inter}`, () => cv.resize(srcMat, dstMat, size, 0, 0, cv[inter])], ...simdclForms({ width: DW, height: DH, method })]);
  }
  for (const { method, kernel } of ANTIALIASED) {
    const resizeSharp = () => sharp(pixels, { raw: { width: W, height: H, channels: CN } }).resize(DW, DH, { fit: "fill", kernel }).raw().toBuffer();
    await measure(`→ 224² ${method} antialias`, [[`sharp ${kernel}, 1 thread`, resizeSharp], ...simdclForms({ width: DW, height: DH, method, antialias: true })]);
  }
  // The pool's own cost on this machine: a small job (integral of 512² gray, ~0.1 ms of
  // work, split across threads above 2¹⁶ elements) on 1 and 2 threads. What the second
  // thread adds beyond its share is waking the Worker and waiting for it, which a loaded
  // machine stretches.
  const probe = new Uint8Array(512 * 512);
  const probeSums = threads.map(() => new Int32Array(513 * 513));
  const probed = await measureRounds(threads.map(([, cl], i) => () => cl.integral(probe, { width: 512, height: 512, out: { sum: probeSums[i] } })), timing);
  const dispatch = `dispatch probe (cl.integral 512² gray): 1 thread ${probed[0].ms.toFixed(3)} ms, 2 threads ${probed[1].ms.toFixed(3)} ms`;
  srcMat.delete();
  dstMat.delete();
  for (const d of dev) {
    d.src.dispose();
    d.out.dispose();
  }
  for (const [, cl] of threads) cl.dispose();
  printTable(`resize 1920×1080 RGBA → 224×224 (8-bit)`, "GB/s", rows, "vs peer");
  console.log("\n× is the median of same-round ratios to the case's first row (OpenCV.js, or sharp for antialias).");
  console.log(`copy bandwidth in this run: ${copy.toFixed(2)} GB/s (read + written)`);
  console.log(dispatch);
}

await main();
