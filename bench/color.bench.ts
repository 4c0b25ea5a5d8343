// Colour, geometry and normalisation (cvtColor, flip, place, toTensor): simdcl on 1 and 2
// threads against OpenCV.js (its Mats already in its heap), sharp (libvips, native,
// sharp.concurrency(1)) and plain JavaScript, in the same rounds. GB/s counts bytes read
// plus written by the operation.
//
// "device" keeps input and output in simdcl's memory (cl.buffer), as OpenCV.js keeps its
// Mats in its heap: both are the kernel alone. "arrays" is the whole call from a
// Uint8Array into an output array reused from call to call, copies included; "OpenCV.js
// arrays" is the same for OpenCV.js (input copied into its Mat, output copied out).
//
// The letterbox rows time the part after the resize (which is another op): a 640×360 RGBA
// image, already resized from 1920×1080, placed in a 640×640 canvas of 114 and normalised
// to f32 NCHW RGB /255. OpenCV.js does it as cvtColor RGBA→RGB, copyMakeBorder and
// blobFromImage; its whole letterbox (cv.resize included) is timed too, for the anchor.
import { createContext, type Context } from "simdcl";
import sharp from "sharp";
import { copyBandwidth, machine, measureRounds, printTable, type Row } from "./common.js";
import { loadOpenCV } from "./peers/opencv.js";

const W = 1920, H = 1080;
const timing = { time: 300, iterations: 10 };

const pixels = (n: number) => new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);

interface Case {
  name: string;
  bytes: number;
  forms: [string, () => unknown][];
  cleanup?: () => void;
}

async function main() {
  console.log(`colour, geometry, normalisation — ${machine()}`);
  const copy = await copyBandwidth();
  console.log(`copy bandwidth (TypedArray.set, 64 MiB, read + written): ${copy.toFixed(2)} GB/s`);
  const { cv } = await loadOpenCV();
  sharp.concurrency(1);
  const t1 = await createContext({ threads: 1 });
  const t2 = await createContext({ threads: 2 });
  const threads = [["1 thread", t1], ["2 threads", t2]] as [string, Context][];
  const rgba = pixels(W * H * 4);
  const rgbaMat = cv.matFromArray(H, W, cv.CV_8UC4, rgba);
  const rows: Row[] = [];

  /** simdcl forms of one call: device buffers in and out, then plain arrays. */
  function simdclForms(inLength: number, outType: Uint8ArrayConstructor | Float32ArrayConstructor, outLength: number, input: Uint8Array,
    call: (cl: Context, src: unknown, out: unknown) => Promise<unknown>): { forms: [string, () => unknown][]; cleanup: () => void } {
    const forms: [string, () => unknown][] = [];
    const buffers: { dispose(): void }[] = [];
    for (const [label, cl] of threads) {
      const src = cl.buffer(Uint8Array, inLength);
      src.array.set(input);
      const out = cl.buffer(outType as Float32ArrayConstructor, outLength);
      buffers.push(src, out);
      forms.push([`simdcl device, ${label}`, () => call(cl, src, out)]);
    }
    for (const [label, cl] of threads) {
      const out = new outType(outLength);
      forms.push([`simdcl arrays, ${label}`, () => call(cl, input, out)]);
    }
    return { forms, cleanup: () => buffers.forEach((b) => b.dispose()) };
  }

  /** OpenCV.js's whole call from arrays: the input copied into its Mat, the output out of its Mat. */
  const cvArrays = (srcMat: any, input: Uint8Array, dst: any, outLength: number, fn: () => void): [string, () => unknown] => {
    const out = new Uint8Array(outLength);
    return ["OpenCV.js arrays", () => {
      srcMat.data.set(input);
      fn();
      out.set(dst.data);
    }];
  };

  /** The copies of an arrays-form call and nothing else: the input into simdcl's memory, the output out of it. */
  const copies = (cl: Context, input: Uint8Array, outLength: number): (() => unknown) => {
    const src = cl.buffer(Uint8Array, input.length), dst = cl.buffer(Uint8Array, outLength);
    const out = new Uint8Array(outLength);
    return () => {
      src.array.set(input);
      out.set(dst.array);
    };
  };

  const cases: Case[] = [];
  const raw = { raw: { width: W, height: H, channels: 4 as const } };

  // RGBA → gray.
  {
    const dst = new cv.Mat();
    const s = simdclForms(W * H * 4, Uint8Array, W * H, rgba, (cl, src, out) => cl.cvtColor(src as Uint8Array, { width: W, height: H, channels: 4 }, "RGBA2GRAY", { out: out as Uint8Array }));
    cases.push({
      name: "cvtColor RGBA→GRAY 1920×1080", bytes: W * H * 5, cleanup: () => (s.cleanup(), dst.delete()),
      forms: [["OpenCV.js cv.cvtColor", () => cv.cvtColor(rgbaMat, dst, cv.COLOR_RGBA2GRAY)], ...s.forms,
        cvArrays(rgbaMat, rgba, dst, W * H, () => cv.cvtColor(rgbaMat, dst, cv.COLOR_RGBA2GRAY)),
        ["copies alone (the arrays form's floor)", copies(t1, rgba, W * H)],
        ["sharp grayscale (raw in, raw out)", () => sharp(rgba, raw).grayscale().raw().toBuffer()]],
    });
  }
  // RGBA → RGB.
  {
    const dst = new cv.Mat();
    const s = simdclForms(W * H * 4, Uint8Array, W * H * 3, rgba, (cl, src, out) => cl.cvtColor(src as Uint8Array, { width: W, height: H, channels: 4 }, "RGBA2RGB", { out: out as Uint8Array }));
    cases.push({
      name: "cvtColor RGBA→RGB 1920×1080", bytes: W * H * 7, cleanup: () => (s.cleanup(), dst.delete()),
      forms: [["OpenCV.js cv.cvtColor", () => cv.cvtColor(rgbaMat, dst, cv.COLOR_RGBA2RGB)], ...s.forms,
        cvArrays(rgbaMat, rgba, dst, W * H * 3, () => cv.cvtColor(rgbaMat, dst, cv.COLOR_RGBA2RGB)),
        ["sharp removeAlpha (raw in, raw out)", () => sharp(rgba, raw).removeAlpha().raw().toBuffer()]],
    });
  }
  // I420 → RGBA (what VideoFrame.copyTo gives).
  {
    const yuv = pixels((W * H * 3) / 2);
    const yuvMat = cv.matFromArray((H * 3) / 2, W, cv.CV_8UC1, yuv);
    const dst = new cv.Mat();
    const s = simdclForms(yuv.length, Uint8Array, W * H * 4, yuv, (cl, src, out) => cl.cvtColor(src as Uint8Array, { width: W, height: H }, "I420_TO_RGBA", { out: out as Uint8Array }));
    cases.push({
      name: "cvtColor I420→RGBA 1920×1080", bytes: yuv.length + W * H * 4, cleanup: () => (s.cleanup(), dst.delete(), yuvMat.delete()),
      forms: [["OpenCV.js cv.cvtColor", () => cv.cvtColor(yuvMat, dst, cv.COLOR_YUV2RGBA_I420)], ...s.forms,
        cvArrays(yuvMat, yuv, dst, W * H * 4, () => cv.cvtColor(yuvMat, dst, cv.COLOR_YUV2RGBA_I420))],
    });
  }
  // Horizontal flip.
  {
    const dst = new cv.Mat();
    const s = simdclForms(W * H * 4, Uint8Array, W * H * 4, rgba, (cl, src, out) => cl.flip(src as Uint8Array, { width: W, height: H, channels: 4 }, { axis: "horizontal", out: out as Uint8Array }));
    cases.push({
      name: "flip horizontal RGBA 1920×1080", bytes: W * H * 8, cleanup: () => (s.cleanup(), dst.delete()),
      forms: [["OpenCV.js cv.flip", () => cv.flip(rgbaMat, dst, 1)], ...s.forms,
        cvArrays(rgbaMat, rgba, dst, W * H * 4, () => cv.flip(rgbaMat, dst, 1)),
        ["sharp flop (raw in, raw out)", () => sharp(rgba, raw).flop().raw().toBuffer()]],
    });
  }
  // Letterbox after the resize: 640×360 RGBA → 640×640 canvas of 114 → f32 NCHW RGB /255.
  {
    const rw = 640, rh = 360, S = 640, top = 140;
    const resized = pixels(rw * rh * 4);
    const resizedMat = cv.matFromArray(rh, rw, cv.CV_8UC4, resized);
    const rgb = new cv.Mat(), padded = new cv.Mat(), small = new cv.Mat();
    const outLength = 3 * S * S;
    const part = () => {
      cv.cvtColor(resizedMat, rgb, cv.COLOR_RGBA2RGB);
      cv.copyMakeBorder(rgb, padded, top, S - rh - top, 0, 0, cv.BORDER_CONSTANT, new cv.Scalar(114, 114, 114, 114));
      cv.blobFromImage(padded, 1 / 255, new cv.Size(S, S), new cv.Scalar(0, 0, 0), false, false).delete();
    };
    const whole = () => {
      cv.resize(rgbaMat, small, new cv.Size(rw, rh), 0, 0, cv.INTER_LINEAR);
      cv.cvtColor(small, rgb, cv.COLOR_RGBA2RGB);
      cv.copyMakeBorder(rgb, padded, top, S - rh - top, 0, 0, cv.BORDER_CONSTANT, new cv.Scalar(114, 114, 114, 114));
      cv.blobFromImage(padded, 1 / 255, new cv.Size(S, S), new cv.Scalar(0, 0, 0), false, false).delete();
    };
    const canvases = threads.map(([, cl]) => cl.buffer(Uint8Array, S * S * 4));
    const s = simdclForms(resized.length, Float32Array, outLength, resized, async (cl, src, out) => {
      const canvas = canvases[cl === t1 ? 0 : 1];
      await cl.place(src as Uint8Array, { width: rw, height: rh, channels: 4 }, { width: S, height: S, x: 0, y: top, value: 114, out: canvas });
      await cl.toTensor(canvas, { width: S, height: S, channels: 4 }, { out: out as Float32Array });
    });
    const jsOut = new Float32Array(outLength);
    const plain = () => {
      const plane = S * S;
      for (let y = 0; y < S; y++) {
        const sy = y - top;
        for (let x = 0; x < S; x++) {
          const i = y * S + x;
          if (sy < 0 || sy >= rh) {
            jsOut[i] = jsOut[plane + i] = jsOut[2 * plane + i] = 114 / 255;
          } else {
            const p = (sy * rw + x) * 4;
            jsOut[i] = resized[p] / 255;
            jsOut[plane + i] = resized[p + 1] / 255;
            jsOut[2 * plane + i] = resized[p + 2] / 255;
          }
        }
      }
    };
    cases.push({
      name: "letterbox after resize: 640×360 RGBA → 640² f32 NCHW", bytes: resized.length + outLength * 4,
      cleanup: () => (s.cleanup(), canvases.forEach((c) => c.dispose()), [resizedMat, rgb, padded, small].forEach((m) => m.delete())),
      forms: [["OpenCV.js cvtColor + copyMakeBorder + blobFromImage", part], ...s.forms, ["plain JavaScript", plain],
        ["OpenCV.js whole letterbox (cv.resize from 1920×1080 included)", whole]],
    });
  }
  // toTensor alone: a 640×640 RGBA canvas → f32 NCHW RGB /255 (ImageNet mean/std).
  {
    const S = 640;
    const canvas = pixels(S * S * 4);
    const opts = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const s = simdclForms(canvas.length, Float32Array, 3 * S * S, canvas, (cl, src, out) => cl.toTensor(src as Uint8Array, { width: S, height: S, channels: 4 }, { ...opts, out: out as Float32Array }));
    const m = cv.matFromArray(S, S, cv.CV_8UC4, canvas), rgb = new cv.Mat();
    cases.push({
      name: "toTensor 640² RGBA → f32 NCHW (ImageNet mean/std)", bytes: canvas.length + 3 * S * S * 4, cleanup: () => (s.cleanup(), m.delete(), rgb.delete()),
      forms: [["OpenCV.js cvtColor + blobFromImage (mean only)", () => {
        cv.cvtColor(m, rgb, cv.COLOR_RGBA2RGB);
        cv.blobFromImage(rgb, 1 / 255 / 0.226, new cv.Size(S, S), new cv.Scalar(123.675, 116.28, 103.53), false, false).delete();
      }], ...s.forms],
    });
  }

  for (const c of cases) {
    const measured = await measureRounds(c.forms.map(([, fn]) => fn), timing);
    for (const [i, [impl]] of c.forms.entries()) {
      const { ms, ratio } = measured[i];
      rows.push({ case: c.name, impl, ms, rate: c.bytes / (ms * 1e6), vs: i === 0 ? undefined : c.bytes / (ms * ratio * 1e6) });
    }
    c.cleanup?.();
  }
  rgbaMat.delete();
  t1.dispose();
  t2.dispose();
  printTable("colour, geometry, normalisation (8-bit sources)", "GB/s", rows, "vs OpenCV.js");
  console.log("\n× is the median of same-round ratios to the case's first row (OpenCV.js, its Mats in its heap).");
  console.log(`copy bandwidth in this run: ${copy.toFixed(2)} GB/s (read + written)`);
}

await main();
