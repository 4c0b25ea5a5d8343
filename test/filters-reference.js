// Scalar references for the filters, pixel by pixel from OpenCV 4.5's definitions
// (box_filter.simd.hpp, smooth.dispatch.cpp, thresh.cpp): float64 or exact integers for
// 8-bit results, and f32 rounding emulated with Math.fround in OpenCV's order of
// operations for f32 results (sepFilter2D's row then column filter).

const BORDERS = ["reflect101", "replicate", "constant"];

/** OpenCV's borderInterpolate; −1 for a constant border outside. */
export function borderIndex(p, len, border) {
  if (p >= 0 && p < len) return p;
  if (border === "replicate") return p < 0 ? 0 : len - 1;
  if (border === "constant") return -1;
  if (len === 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * len - 2 - p;
  return p;
}

/** A reader of pixel (x, y, c) with the border applied. */
function reader(src, { width, height, channels = 1, stride }, border = "reflect101", value = 0) {
  if (!BORDERS.includes(border)) throw new Error(`unknown border ${border}`);
  const s = stride ?? width * channels;
  return (x, y, c) => {
    const xi = borderIndex(x, width, border), yi = borderIndex(y, height, border);
    return xi < 0 || yi < 0 ? value : src[yi * s + xi * channels + c];
  };
}

/** cvRound: nearest, ties to even. */
export function roundHalfEven(x) {
  const f = Math.floor(x), d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/**
 * cv.blur / cv.boxFilter(ddepth −1). 8-bit: the exact window sum s, then OpenCV's rounding:
 * K = kw·kh ≤ 256 goes through ColumnSum<ushort, uchar>'s fixed point, larger K through
 * round-half-even(s · (1/K)) in double; normalize false saturates s. f32: float64 mean.
 */
export function boxReference(src, shape, { ksize, normalize = true, border, borderValue = 0 }) {
  const { width, height, channels = 1 } = shape;
  const [kw, kh] = Array.isArray(ksize) ? ksize : [ksize, ksize];
  const at = reader(src, shape, border, borderValue);
  const u8 = !(src instanceof Float32Array);
  const K = kw * kh;
  let fixed = null;
  if (u8 && normalize && K > 1 && K <= 256) {
    const scalef = 2 ** 23 / K;
    let divScale = Math.floor(scalef), divDelta = Math.floor(K / 2);
    if (scalef - divScale < 0.5) divDelta++;
    else divScale++;
    fixed = { divScale, divDelta };
  }
  const out = u8 ? new Uint8Array(width * height * channels) : new Float32Array(width * height * channels);
  const ax = kw >> 1, ay = kh >> 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let j = 0; j < kh; j++) for (let i = 0; i < kw; i++) s += at(x - ax + i, y - ay + j, c);
        let v;
        if (!u8) v = normalize ? s / K : s;
        else if (!normalize || K === 1) v = Math.min(s, 255);
        else if (fixed) v = Number((BigInt(s + fixed.divDelta) * BigInt(fixed.divScale)) >> 23n);
        else v = roundHalfEven(s * (1 / K));
        out[(y * width + x) * channels + c] = v;
      }
    }
  }
  return out;
}

/** getGaussianKernelBitExact in float64 (OpenCV's fixed kernels for sigma ≤ 0 and n ≤ 9). */
export function gaussianKernelReference(n, sigma) {
  const small = { 1: [1], 3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 7: [1, 3.5, 7, 9, 7, 3.5, 1], 9: [4, 13, 30, 51, 60, 51, 30, 13, 4] };
  if (sigma <= 0 && small[n]) {
    const t = small[n], total = t.reduce((a, b) => a + b, 0);
    return t.map((v) => v / total);
  }
  const s = sigma > 0 ? sigma : ((n - 1) * 0.5 - 1) * 0.3 + 0.8;
  const e = [];
  for (let i = 0; i < n; i++) e.push(Math.exp(-((i - (n - 1) / 2) ** 2) / (2 * s * s)));
  const half = (n - 1) / 2;
  const sum = 2 * e.slice(0, half).reduce((a, b) => a + b, 0) + 1;
  return e.map((v) => v / sum);
}

/** The 8-bit taps in 1/256: error diffusion from the outside in, the centre taking the rest. */
export function gaussianFixedReference(n, sigma) {
  const k = gaussianKernelReference(n, sigma);
  const q = new Array(n);
  let err = 0;
  for (let i = 0; i < (n - 1) / 2; i++) {
    const adj = k[i] * 256 + err;
    q[i] = q[n - 1 - i] = roundHalfEven(adj);
    err = adj - q[i];
  }
  q[(n - 1) / 2] = 256 - 2 * q.slice(0, (n - 1) / 2).reduce((a, b) => a + b, 0);
  return q;
}

/** The window sizes and sigmas cv.GaussianBlur settles on. */
export function gaussianSizes(shape, { sigma = 0, sigmaY = 0, ksize = 0, border = "reflect101" }, u8) {
  let [kw, kh] = Array.isArray(ksize) ? ksize : [ksize, ksize];
  const sy = sigmaY > 0 ? sigmaY : sigma;
  if (kw === 0) kw = roundHalfEven(sigma * (u8 ? 3 : 4) * 2 + 1) | 1;
  if (kh === 0) kh = roundHalfEven(sy * (u8 ? 3 : 4) * 2 + 1) | 1;
  if (border !== "constant") {
    if (shape.height === 1) kh = 1;
    if (shape.width === 1) kw = 1;
  }
  return { kw, kh, sx: Math.max(sigma, 0), sy: Math.max(sy, 0) };
}

/**
 * cv.GaussianBlur. 8-bit: OpenCV 4's fixed point, (Σ kxᵢ·kyⱼ·src + 2¹⁵) >> 16 with the
 * taps in 1/256, exact. f32: sepFilter2D's f32 arithmetic in its order.
 */
export function gaussianReference(src, shape, opts) {
  const u8 = !(src instanceof Float32Array);
  const { kw, kh, sx, sy } = gaussianSizes(shape, opts, u8);
  if (u8) {
    const kx = gaussianFixedReference(kw, sx), ky = gaussianFixedReference(kh, sy);
    return separable(src, shape, opts, kx, ky, (acc) => Math.min(255, Math.floor((acc + 32768) / 65536)), "u8");
  }
  const kx = gaussianKernelReference(kw, sx).map(Math.fround), ky = gaussianKernelReference(kh, sy).map(Math.fround);
  return sepF32(src, shape, opts, kx, ky);
}

/** Σⱼ Σᵢ kxᵢ·kyⱼ·pixel in exact integers, then `finish`. */
function separable(src, shape, { border, borderValue = 0 }, kx, ky, finish) {
  const { width, height, channels = 1 } = shape;
  const at = reader(src, shape, border, borderValue);
  const rx = kx.length >> 1, ry = ky.length >> 1;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let j = 0; j < ky.length; j++) {
          let row = 0;
          for (let i = 0; i < kx.length; i++) row += kx[i] * at(x - rx + i, y - ry + j, c);
          acc += ky[j] * row;
        }
        out[(y * width + x) * channels + c] = finish(acc);
      }
    }
  }
  return out;
}

/**
 * sepFilter2D on f32 as OpenCV.js computes it: rows first (≤ 5 taps: centre, then pairs
 * outwards; more: left to right), then columns (centre, then pairs), each step in f32.
 */
export function sepF32(src, shape, { border, borderValue = 0 }, kx, ky) {
  const { width, height, channels = 1 } = shape;
  const at = reader(src, shape, border, borderValue);
  const f = Math.fround;
  const rx = kx.length >> 1, ry = ky.length >> 1;
  const rowAt = (x, y, c) => {
    if (kx.length <= 5) {
      let s = f(at(x, y, c) * kx[rx]);
      for (let p = 1; p <= rx; p++) s = f(s + f(f(at(x - p, y, c) + at(x + p, y, c)) * kx[rx + p]));
      return s;
    }
    let s = f(kx[0] * at(x - rx, y, c));
    for (let i = 1; i < kx.length; i++) s = f(s + f(kx[i] * at(x - rx + i, y, c)));
    return s;
  };
  const out = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let s = f(ky[ry] * rowAt(x, y, c));
        for (let p = 1; p <= ry; p++) s = f(s + f(ky[ry + p] * f(rowAt(x, y + p, c) + rowAt(x, y - p, c))));
        out[(y * width + x) * channels + c] = s;
      }
    }
  }
  return out;
}

/** cv.adaptiveThreshold on an 8-bit gray image. */
export function adaptiveReference(src, shape, { maxValue, method, type = "binary", blockSize, C = 0 }) {
  const { width, height } = shape;
  const kw = width === 1 ? 1 : blockSize, kh = height === 1 ? 1 : blockSize;
  let mean;
  if (method === "mean") mean = boxReference(src, shape, { ksize: [kw, kh], border: "replicate" });
  else {
    const f32 = new Float32Array(width * height);
    const s = shape.stride ?? width;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) f32[y * width + x] = src[y * s + x];
    const blurred = sepF32(f32, { width, height }, { border: "replicate" }, gaussianKernelReference(kw, 0).map(Math.fround), gaussianKernelReference(kh, 0).map(Math.fround));
    mean = blurred.map((v) => Math.min(255, Math.max(0, roundHalfEven(v))));
  }
  const imax = maxValue < 0 ? 0 : Math.min(255, roundHalfEven(maxValue));
  const idelta = type === "binary" ? Math.ceil(C) : Math.floor(C);
  const out = new Uint8Array(width * height);
  const s = shape.stride ?? width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = src[y * s + x] - mean[y * width + x];
      const hit = type === "binary" ? d > -idelta : d <= -idelta;
      out[y * width + x] = hit ? imax : 0;
    }
  }
  return out;
}

/**
 * A fuzzed image size: mostly small and odd, some 1 to 3 on a side, some up to `wide`
 * pixels wide (1 to 3 tall) or `tall` pixels tall (1 to 3 wide).
 */
export function randomSize(rand, wide, tall) {
  const r = rand();
  if (r < 0.1) return [1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 3)];
  if (r < 0.2) return [wide / 2 + Math.floor(rand() * wide / 2), 1 + Math.floor(rand() * 3)];
  if (r < 0.3) return [1 + Math.floor(rand() * 3), tall / 2 + Math.floor(rand() * tall / 2)];
  return [1 + Math.floor(rand() * 80), 1 + Math.floor(rand() * 50)];
}
