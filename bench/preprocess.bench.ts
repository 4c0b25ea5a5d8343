// preprocess(): a 1920×1080 RGBA frame to a model's f32 NCHW tensor, the whole call from a
// Uint8Array (the frame a page or an edge function has) to a Float32Array, against
// OpenCV.js (the frame copied into a Mat, cv.resize, then a JavaScript loop to normalised
// NCHW, as a user of OpenCV.js writes it) and a plain JavaScript loop that fuses the
// bilinear taps with the normalisation (reading only the pixels it samples); same rounds.
// "device": the frame already in simdcl's memory (as OpenCV.js keeps its Mats), the
// tensor into a device buffer.
//   classify: 224×224, bilinear, ImageNet mean and std;
//   detect:   640×640 letterbox (YOLO: pad 114, /255).
// The memory floor: the source rows bilinear resampling reads (two per output row), read
// whole, and the tensor written, nothing computed: no implementation that reads those
// rows and writes the tensor can be faster (its × is the most any could reach).
import { createContext, type Context } from "simdcl";
import { copyBandwidth, machine, measureRounds, printTable, type Row } from "./common.js";
import { loadOpenCV } from "./peers/opencv.js";
import { readRowsFloor } from "./peers/ceiling.js";

const W = 1920, H = 1080, CN = 4;
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];

/** Bilinear with half-pixel centres, fused with normalisation, one output pixel at a time. */
function plainLoop(src: Uint8Array, dw: number, dh: number, ox: number, oy: number, rw: number, rh: number, out: Float32Array, mean: number[], std: number[], pad: number) {
  const plane = dw * dh;
  const fill = mean.map((m, c) => (pad / 255 - m) / std[c]);
  for (let c = 0; c < 3; c++) out.fill(fill[c], c * plane, (c + 1) * plane);
  const sx = W / rw, sy = H / rh;
  for (let y = 0; y < rh; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(H - 1, Math.floor(fy)), y1 = Math.min(H - 1, y0 + 1), wy = fy - y0;
    for (let x = 0; x < rw; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(W - 1, Math.floor(fx)), x1 = Math.min(W - 1, x0 + 1), wx = fx - x0;
      const a = (y0 * W + x0) * CN, b = (y0 * W + x1) * CN, c_ = (y1 * W + x0) * CN, d = (y1 * W + x1) * CN;
      const at = (oy + y) * dw + ox + x;
      for (let c = 0; c < 3; c++) {
        const v = (src[a + c] * (1 - wx) + src[b + c] * wx) * (1 - wy) + (src[c_ + c] * (1 - wx) + src[d + c] * wx) * wy;
        out[c * plane + at] = (v / 255 - mean[c]) / std[c];
      }
    }
  }
}

async function main() {
  console.log(`preprocess — ${machine()}`);
  const copy = await copyBandwidth();
  console.log(`copy bandwidth (TypedArray.set, 64 MiB, read + written): ${copy.toFixed(2)} GB/s`);
  const { cv } = await loadOpenCV();
  const frame = new Uint8Array(W * H * CN).map((_, i) => (i * 2654435761) >>> 24);
  const shape = { width: W, height: H, channels: CN };
  const contexts = [["1 thread", await createContext({ threads: 1 })], ["2 threads", await createContext({ threads: 2 })]] as [string, Context][];
  const timing = { time: 400, iterations: 10 };
  const rows: Row[] = [];

  for (const task of [
    { name: "1080p RGBA → 224² bilinear, ImageNet NCHW", size: 224, fit: "fill" as const, mean: MEAN, std: STD, pad: 0 },
    { name: "1080p RGBA → 640² letterbox, pad 114, /255 NCHW", size: 640, fit: "contain" as const, mean: [0, 0, 0], std: [1, 1, 1], pad: 114 },
  ]) {
    const { size, fit, mean, std, pad } = task;
    const options = { resize: { width: size, height: size, fit }, mean, std, pad };
    const plane = size * size;
    const sample = await contexts[0][1].preprocess(frame, shape, options);
    const p = sample.placement;
    // OpenCV.js as its users write it: the frame into a Mat, resize (and pad), a JS loop to NCHW.
    const opencv = () => {
      const src = cv.matFromArray(H, W, cv.CV_8UC4, frame);
      const resized = new cv.Mat();
      cv.resize(src, resized, new cv.Size(p.width, p.height), 0, 0, cv.INTER_LINEAR);
      const canvas = new cv.Mat();
      if (fit === "contain") cv.copyMakeBorder(resized, canvas, p.y, size - p.height - p.y, p.x, size - p.width - p.x, cv.BORDER_CONSTANT, new cv.Scalar(pad, pad, pad, 255));
      const img = (fit === "contain" ? canvas : resized).data as Uint8Array;
      const out = new Float32Array(3 * plane);
      for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (img[i * 4 + c] / 255 - mean[c]) / std[c];
      src.delete(); resized.delete(); canvas.delete();
      return out;
    };
    const plain = () => {
      const out = new Float32Array(3 * plane);
      plainLoop(frame, size, size, p.x, p.y, p.width, p.height, out, mean, std, pad);
      return out;
    };
    // The three agree (OpenCV's fixed-point bilinear against the float loop: within 2/255 of the value range).
    const ref = opencv(), loop = plain();
    let worst = 0, worstLoop = 0;
    for (let i = 0; i < ref.length; i++) {
      worst = Math.max(worst, Math.abs(ref[i] - sample.data[i]));
      worstLoop = Math.max(worstLoop, Math.abs(loop[i] - sample.data[i]));
    }
    if (worst > 1e-5 || worstLoop > 2 / 255 / Math.min(...std)) throw new Error(`${task.name}: simdcl differs from OpenCV.js by ${worst}, from the plain loop by ${worstLoop}`);
    const device = contexts.map(([, cl]) => {
      const src = cl.buffer(Uint8Array, frame.length);
      src.array.set(frame);
      return { cl, src, out: cl.buffer(Float32Array, 3 * plane) };
    });
    const sampled = new Set<number>();
    for (let y = 0; y < p.height; y++) {
      const r = Math.floor(Math.max(0, (y + 0.5) * (H / p.height) - 0.5));
      sampled.add(Math.min(r, H - 1)).add(Math.min(r + 1, H - 1));
    }
    const floor = await readRowsFloor(frame, W * CN, Int32Array.from(sampled), 3 * plane * 4);
    const forms: [string, () => unknown][] = [
      ["OpenCV.js (Mat, cv.resize, JS loop to NCHW), 1 thread", opencv],
      ["plain JavaScript fused loop", plain],
      ...contexts.map(([label, cl]): [string, () => unknown] => [`simdcl arrays, ${label}`, () => cl.preprocess(frame, shape, options)]),
      ...device.map((d, i): [string, () => unknown] => [`simdcl device, ${contexts[i][0]}`, () => d.cl.preprocess({ data: d.src, ...shape }, { ...options, out: d.out })]),
      [`memory floor, 1 thread (${sampled.size} rows read, the tensor written)`, floor],
    ];
    const measured = await measureRounds(forms.map(([, fn]) => fn), timing);
    // GB/s: the frame's bytes (as if read once) plus the tensor's.
    const bytes = W * H * CN + 3 * plane * 4;
    for (const [i, [impl]] of forms.entries()) {
      const { ms, ratio } = measured[i];
      rows.push({ case: task.name, impl, ms, rate: bytes / (ms * 1e6), vs: i === 0 ? undefined : bytes / (ms * ratio * 1e6) });
    }
    for (const d of device) { d.src.dispose(); d.out.dispose(); }
  }
  printTable("preprocess, whole calls", "GB/s", rows, "vs OpenCV.js");
  console.log("\n× is the median of same-round ratios to OpenCV.js; the memory floor's × is the most a one-thread implementation could reach.");
  for (const [, cl] of contexts) cl.dispose();
}

await main();
