// Resampling coefficients: which source pixels each output pixel reads along one axis, and
// with what weights, computed the way cv.resize (OpenCV 4.5) and PIL/torchvision compute
// them. resize() uses it; the fused preprocess reuses it. Pure functions, no engine.
//
// Interface
//   resizeScheme(src: [w, h], dst: [w, h], method, antialias, float, channels): ResizeScheme
//     The arithmetic an output needs (`arithmetic`) and the two axes' tables (`x`, `y`).
//       - "fixed-linear": u8 bilinear as cv.resize computes it: a row value
//         h = Σ S·α (α in 1/2048 units, i32), then the output
//         ((β0·(h0>>4))>>16 + (β1·(h1>>4))>>16 + 2) >> 2.
//       - "fixed": u8 bicubic (and nearest) as cv.resize: h = Σ S·α, out = sat((Σ h·β + 2²¹) >> 22).
//       - "float": f32 weights; h = Σ S·α and out = Σ h·β (OpenCV's order for INTER_AREA),
//         then `out · post` (if post ≠ 1), and for u8 rounded half to even (`roundHalfUp`:
//         half up) and saturated. resize's kernel takes 8-bit sources the other way round
//         (columns first, β in 1/2¹⁴ units, exact for INTER_AREA's integer factors).
//   resizeAxis(src, dst, method, antialias, fixed, horizontal?, decimate?): Axis — one axis
//     alone, where `fixed` asks for OpenCV's u8 weights (integers in 1/2048 units) instead
//     of f32 ones (see the function for the last two).
//   Axis = { taps, index: Int32Array(dst·taps), weight: Int32Array | Float32Array(dst·taps) }:
//     output i reads source index[i·taps + k] with weight[i·taps + k], k = 0 … taps−1, in that
//     order; indices are clamped into [0, src) (replicated borders) and lie within a window
//     of `taps` consecutive source indices; unused taps have weight 0.
//   foldAxis(axis, src): { taps, start: Int32Array(dst), weight } — the same taps on a
//     contiguous window start[i] … start[i] + taps − 1 (taps ≤ src), repeated indices'
//     weights summed: exact for integer weights, and for f32 ones whose indices do not repeat.
//
// Conventions (x and y alike): output pixel i's centre maps to source coordinate
// (i + 0.5)·scale − 0.5, scale = src / dst (a double), as cv.resize and PIL do;
// "nearest" takes floor(i·scale) like INTER_NEAREST. Coefficients are computed in f32
// where OpenCV computes them in float (Math.fround at every step), rounded to 1/2048
// units half to even (lrint), so the u8 paths match cv.resize's integer arithmetic exactly.

export type ResizeMethod = "nearest" | "bilinear" | "bicubic" | "area";

export interface Axis {
  taps: number;
  index: Int32Array;
  weight: Int32Array | Float32Array;
}

export interface ResizeScheme {
  arithmetic: "fixed-linear" | "fixed" | "float";
  x: Axis;
  y: Axis;
  /** Float arithmetic: the sums are multiplied by this before rounding (INTER_AREA's integer factors). */
  post: number;
  /** Float arithmetic into u8: round half up ((s + 2) >> 2 for OpenCV's 2×2 area) instead of half to even. */
  roundHalfUp: boolean;
}

const f = Math.fround;
/** OpenCV's INTER_RESIZE_COEF_SCALE. */
export const COEF_SCALE = 2048;
const DBL_EPSILON = 2.220446049250313e-16;

/** lrint: round half to even (cvRound in an Emscripten build). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const saturateShort = (v: number) => Math.max(-32768, Math.min(32767, roundHalfEven(v)));

/** OpenCV's interpolateCubic (A = −0.75), in f32 step by step. */
function cubicOpenCV(x: number): number[] {
  const A = -0.75;
  const x1 = f(x + 1);
  const c0 = f(f(f(f(f(f(A * x1) - f(5 * A)) * x1) + f(8 * A)) * x1) - f(4 * A));
  const c1 = f(f(f(f(f(f((A + 2) * x) - (A + 3)) * x) * x)) + 1);
  const y = f(1 - x);
  const c2 = f(f(f(f(f(f((A + 2) * y) - (A + 3)) * y) * y)) + 1);
  const c3 = f(f(f(1 - c0) - c1) - c2);
  return [c0, c1, c2, c3];
}

/** A cv.resize axis as explicit taps (float weights, OpenCV's f32 values). */
function openCVAxis(src: number, dst: number, method: ResizeMethod, horizontal: boolean): { taps: number; index: Int32Array; weight: Float64Array } {
  const inv = dst / src;
  const scale = 1 / inv;
  if (method === "nearest") {
    const index = new Int32Array(dst);
    for (let i = 0; i < dst; i++) index[i] = Math.min(Math.floor(i * scale), src - 1);
    return { taps: 1, index, weight: new Float64Array(dst).fill(1) };
  }
  // "area" here is INTER_AREA's upscaling form: bilinear with area-based coefficients.
  const cubic = method === "bicubic";
  const taps = cubic ? 4 : 2;
  const index = new Int32Array(dst * taps);
  const weight = new Float64Array(dst * taps);
  for (let i = 0; i < dst; i++) {
    let s: number, fx: number;
    if (method !== "area") {
      fx = f((i + 0.5) * scale - 0.5);
      s = Math.floor(fx);
      fx = f(fx - s);
    } else {
      s = Math.floor(i * scale);
      fx = f(i + 1 - (s + 1) * inv);
      fx = fx <= 0 ? 0 : f(fx - Math.floor(fx));
    }
    // OpenCV clamps the linear x position into the image; y positions keep their fraction
    // and only the rows are clipped.
    if (!cubic && horizontal) {
      if (s < 0) (fx = 0), (s = 0);
      if (s >= src - 1) (fx = 0), (s = src - 1);
    }
    const c = cubic ? cubicOpenCV(fx) : [f(1 - fx), fx];
    const first = cubic ? s - 1 : s;
    for (let k = 0; k < taps; k++) {
      index[i * taps + k] = Math.min(Math.max(first + k, 0), src - 1);
      weight[i * taps + k] = c[k];
    }
  }
  return { taps, index, weight };
}

/** computeResizeAreaTab: INTER_AREA's decimation taps (scale ≥ 1), f32 weights. */
function areaAxis(src: number, dst: number, scale: number): { taps: number; index: Int32Array; weight: Float64Array } {
  const lists: [number, number][][] = [];
  for (let i = 0; i < dst; i++) {
    const list: [number, number][] = [];
    const fsx1 = i * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, src - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, src - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) list.push([sx1 - 1, f((sx1 - fsx1) / cellWidth)]);
    for (let sx = sx1; sx < sx2; sx++) list.push([sx, f(1 / cellWidth)]);
    if (fsx2 - sx2 > 1e-3) list.push([sx2, f(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth)]);
    lists.push(list);
  }
  return fromLists(lists, src);
}

/** PIL's (and torchvision's antialiased) precompute_coeffs: the filter widened by the downscale factor. */
function antialiasAxis(src: number, dst: number, method: "bilinear" | "bicubic"): { taps: number; index: Int32Array; weight: Float64Array } {
  const scale = src / dst;
  const filterScale = Math.max(scale, 1);
  const support = (method === "bilinear" ? 1 : 2) * filterScale;
  const filter = method === "bilinear"
    ? (x: number) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0)
    : (x: number) => {
      const a = -0.5;
      x = Math.abs(x);
      return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
    };
  const lists: [number, number][][] = [];
  for (let i = 0; i < dst; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), src);
    const list: [number, number][] = [];
    let total = 0;
    for (let x = xmin; x < xmax; x++) {
      const w = filter((x - center + 0.5) / filterScale);
      list.push([x, w]);
      total += w;
    }
    lists.push(list.map(([x, w]) => [x, total === 0 ? 0 : w / total]));
  }
  return fromLists(lists, src);
}

/** Explicit taps from per-output lists of [index, weight], padded to one tap count. */
function fromLists(lists: [number, number][][], src: number): { taps: number; index: Int32Array; weight: Float64Array } {
  const taps = lists.reduce((m, l) => Math.max(m, l.length), 1);
  const index = new Int32Array(lists.length * taps);
  const weight = new Float64Array(lists.length * taps);
  lists.forEach((list, i) => {
    const last = list.length ? list[list.length - 1][0] : 0;
    for (let k = 0; k < taps; k++) {
      index[i * taps + k] = Math.min(k < list.length ? list[k][0] : last, src - 1);
      weight[i * taps + k] = k < list.length ? list[k][1] : 0;
    }
  });
  return { taps, index, weight };
}

/**
 * One axis: which source indices each output reads, with cv.resize's (or PIL's) weights.
 * `horizontal`: OpenCV clamps x positions into the image (y positions keep their fraction).
 * `decimate`: "area" averages (INTER_AREA when both axes shrink), else it is bilinear
 * with area-based coefficients.
 */
export function resizeAxis(src: number, dst: number, method: ResizeMethod, antialias: boolean, fixed: boolean, horizontal = true, decimate = dst <= src): Axis {
  const a = antialias && (method === "bilinear" || method === "bicubic") ? antialiasAxis(src, dst, method)
    : method === "area" && decimate ? areaAxis(src, dst, 1 / (dst / src))
    : openCVAxis(src, dst, method, horizontal);
  const weight = fixed ? Int32Array.from(a.weight, (w) => saturateShort(f(w * COEF_SCALE))) : Float32Array.from(a.weight);
  return { taps: a.taps, index: a.index, weight };
}

/**
 * The whole resize: its arithmetic and both axes, as cv.resize chooses them (INTER_AREA
 * averages when both axes shrink, with OpenCV's integer-factor path; otherwise it is
 * bilinear with area coefficients; bilinear at exactly ½ × ½ is that integer path too).
 * `float`: f32 source (f32 arithmetic whatever the method); `channels` 1 to 4.
 */
export function resizeScheme([sw, sh]: [number, number], [dw, dh]: [number, number], method: ResizeMethod, antialias: boolean, float: boolean, channels: number): ResizeScheme {
  if (sw === dw && sh === dh) (method = "nearest"), (antialias = false); // a copy, as cv.resize makes
  const sx = 1 / (dw / sw), sy = 1 / (dh / sh);
  const ix = roundHalfEven(sx), iy = roundHalfEven(sy);
  const areaFast = Math.abs(sx - ix) < DBL_EPSILON && Math.abs(sy - iy) < DBL_EPSILON;
  if (antialias && (method === "bilinear" || method === "bicubic")) {
    return { arithmetic: "float", x: resizeAxis(sw, dw, method, true, false), y: resizeAxis(sh, dh, method, true, false, false), post: 1, roundHalfUp: false };
  }
  if (method === "bilinear" && areaFast && ix === 2 && iy === 2) method = "area";
  if (method === "area" && sx >= 1 && sy >= 1) {
    if (areaFast) {
      // resizeAreaFast_: integer sums times f32(1/area); ½ × ½ of 1, 3 or 4 channels is (s + 2) >> 2.
      const box = (dst: number, n: number): Axis => {
        const index = new Int32Array(dst * n);
        for (let i = 0; i < dst * n; i++) index[i] = Math.floor(i / n) * n + (i % n);
        return { taps: n, index, weight: new Float32Array(dst * n).fill(1) };
      };
      return { arithmetic: "float", x: box(dw, ix), y: box(dh, iy), post: f(1 / (ix * iy)), roundHalfUp: ix === 2 && iy === 2 && channels !== 2 };
    }
    return { arithmetic: "float", x: resizeAxis(sw, dw, "area", false, false), y: resizeAxis(sh, dh, "area", false, false, false), post: 1, roundHalfUp: false };
  }
  const fixed = !float;
  return {
    arithmetic: float ? "float" : method === "bicubic" || method === "nearest" ? "fixed" : "fixed-linear",
    x: resizeAxis(sw, dw, method, false, fixed, true, false),
    y: resizeAxis(sh, dh, method, false, fixed, false, false),
    post: 1,
    roundHalfUp: false,
  };
}

/** The taps of `axis` on contiguous windows of at most `src` indices (weights of repeated indices summed). */
export function foldAxis(axis: Axis, src: number): { taps: number; start: Int32Array; weight: Int32Array | Float32Array } {
  const n = axis.index.length / axis.taps;
  const taps = Math.min(axis.taps, src);
  const start = new Int32Array(n);
  const weight = new (axis.weight.constructor as typeof Float32Array)(n * taps);
  for (let i = 0; i < n; i++) {
    let lo = src;
    for (let k = 0; k < axis.taps; k++) if (axis.weight[i * axis.taps + k] !== 0) lo = Math.min(lo, axis.index[i * axis.taps + k]);
    if (lo === src) lo = axis.index[i * axis.taps];
    const s = Math.min(lo, src - taps);
    start[i] = s;
    for (let k = 0; k < axis.taps; k++) {
      const w = axis.weight[i * axis.taps + k];
      if (w !== 0) weight[i * taps + axis.index[i * axis.taps + k] - s] += w;
    }
  }
  return { taps, start, weight };
}
