// Gaussian taps exactly as OpenCV 4 makes them (smooth.dispatch.cpp): the kernel in double
// (getGaussianKernelBitExact, with its fixed small kernels when sigma ≤ 0), f32 taps for
// f32 images, and for 8-bit ones taps in 1/256 by error diffusion (getGaussianKernelFixedPoint_ED).

/** cvRound: to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** OpenCV's size from sigma: cvRound(σ·(3 for 8-bit, 4 otherwise)·2 + 1) | 1. */
export function gaussianSize(sigma: number, u8: boolean): number {
  return roundHalfEven(sigma * (u8 ? 3 : 4) * 2 + 1) | 1;
}

const SMALL: Record<number, number[]> = {
  1: [1],
  3: [0.25, 0.5, 0.25],
  5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
  7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
  9: [4, 13, 30, 51, 60, 51, 30, 13, 4].map((v) => v / 256),
};

/** getGaussianKernelBitExact: n taps in double (n odd). */
export function gaussianKernel(n: number, sigma: number): number[] {
  if (sigma <= 0 && SMALL[n]) return SMALL[n].slice();
  const s = sigma > 0 ? sigma : n * 0.15 + 0.35; // OpenCV: mulAdd(n, 0.15, 0.35)
  const scale2X = -0.125 / (s * s);
  const half = (n - 1) >> 1;
  const values: number[] = [];
  let sum = 0;
  for (let i = 0, x = 1 - n; i < half; i++, x += 2) {
    const t = Math.exp(x * x * scale2X);
    values.push(t);
    sum += t;
  }
  sum = sum * 2 + 1;
  const mul = 1 / sum;
  const k = new Array<number>(n);
  for (let i = 0; i < half; i++) k[i] = k[n - 1 - i] = values[i] * mul;
  k[half] = mul;
  return k;
}

/** The f32 taps cv.getGaussianKernel(n, sigma, CV_32F) gives. */
export function gaussianTaps(n: number, sigma: number): Float32Array {
  return Float32Array.from(gaussianKernel(n, sigma));
}

/** The 8-bit path's taps in 1/256: error diffusion outside in, the centre takes the rest. */
export function gaussianTapsFixed(n: number, sigma: number): Int32Array {
  const k = gaussianKernel(n, sigma);
  const out = new Int32Array(n);
  const half = n >> 1;
  let err = 0, sum = 0;
  for (let i = 0; i < half; i++) {
    const adj = k[i] * 256 + err;
    const v = roundHalfEven(adj);
    err = adj - v;
    out[i] = out[n - 1 - i] = v;
    sum += v;
  }
  out[half] = 256 - 2 * sum;
  return out;
}
