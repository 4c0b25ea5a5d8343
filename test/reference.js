// Plain scalar references the kernels are checked against.

/**
 * Integral image in float64, OpenCV's layout: (h+1) × (w+1) × cn, first row and column 0.
 * Each element is the running row sum plus the element above: exact for 8-bit input.
 * With `square`, sums squares. `stride` is in elements.
 */
export function integralReference(src, w, h, cn, { stride = w * cn, square = false } = {}) {
  const pitch = (w + 1) * cn;
  const out = new Float64Array((h + 1) * pitch);
  const row = new Float64Array(cn);
  for (let y = 0; y < h; y++) {
    row.fill(0);
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < cn; c++) {
        const v = src[y * stride + x * cn + c];
        row[c] += square ? v * v : v;
        const at = (y + 1) * pitch + (x + 1) * cn + c;
        out[at] = out[at - pitch] + row[c];
      }
    }
  }
  return out;
}

/**
 * C = alpha·op(A)·op(B) + beta·C + bias, activated, in float64, with row strides.
 * Also returns, per element, the magnitude the rounding error scales with:
 * |alpha|·Σ|a||b| + |beta·c| + |bias|.
 */
export function gemmReference(A, B, { m, n, k, transA = false, transB = false, alpha = 1, beta = 0, c = null, bias = null, activation = "none", lda, ldb, ldc }) {
  lda ??= transA ? m : k;
  ldb ??= transB ? k : n;
  ldc ??= n;
  const out = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, s2 = 0;
      for (let l = 0; l < k; l++) {
        const a = transA ? A[l * lda + i] : A[i * lda + l];
        const b = transB ? B[j * ldb + l] : B[l * ldb + j];
        s += a * b;
        s2 += Math.abs(a * b);
      }
      let v = alpha * s;
      let mag = Math.abs(alpha) * s2;
      if (beta !== 0) {
        v += beta * c[i * ldc + j];
        mag += Math.abs(beta * c[i * ldc + j]);
      }
      if (bias) {
        v += bias[j];
        mag += Math.abs(bias[j]);
      }
      if (activation !== "none" && !Number.isNaN(v)) v = Math.max(v, 0);
      if (activation === "relu6" && !Number.isNaN(v)) v = Math.min(v, 6);
      out[i * n + j] = v;
      scale[i * n + j] = mag;
    }
  }
  return { out, scale };
}

/** NCHW or NHWC → NC4HW4 ([n][⌈c/4⌉][h][w][4], padded channels 0), element by element. */
export function toNC4HW4Reference(x, [n, c, h, w], from = "NCHW") {
  const c4 = Math.ceil(c / 4);
  const out = new Float32Array(n * c4 * h * w * 4);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const v = from === "NCHW" ? x[((b * c + ch) * h + y) * w + xx] : x[((b * h + y) * w + xx) * c + ch];
          out[(((b * c4 + (ch >> 2)) * h + y) * w + xx) * 4 + (ch & 3)] = v;
        }
      }
    }
  }
  return out;
}

/**
 * Direct 2-D convolution in float64, NCHW in and out, weight OIHW [oc][c/groups][kh][kw].
 * pad is [top, left, bottom, right]. Also returns, per output, the magnitude the rounding
 * error scales with: Σ|x·w| + |bias|.
 */
export function conv2dReference(x, [n, c, h, w], weight, [oc, cg, kh, kw], { stride = [1, 1], pad = [0, 0, 0, 0], dilation = [1, 1], groups = 1, bias = null, activation = "none" } = {}) {
  const [sh, sw] = stride, [dh, dw] = dilation;
  const oh = Math.floor((h + pad[0] + pad[2] - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pad[1] + pad[3] - dw * (kw - 1) - 1) / sw) + 1;
  const ocg = oc / groups;
  const out = new Float64Array(n * oc * oh * ow);
  const scale = new Float64Array(out.length);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < oc; o++) {
      const g = Math.floor(o / ocg);
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let s = bias ? bias[o] : 0, mag = bias ? Math.abs(bias[o]) : 0;
          for (let ci = 0; ci < cg; ci++) {
            const ch = g * cg + ci;
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * sh - pad[0] + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xx * sw - pad[1] + kx * dw;
                if (ix < 0 || ix >= w) continue;
                const t = x[((b * c + ch) * h + iy) * w + ix] * weight[((o * cg + ci) * kh + ky) * kw + kx];
                s += t;
                mag += Math.abs(t);
              }
            }
          }
          if (activation !== "none" && !Number.isNaN(s)) s = Math.max(s, 0);
          if (activation === "relu6" && !Number.isNaN(s)) s = Math.min(s, 6);
          const at = ((b * oc + o) * oh + y) * ow + xx;
          out[at] = s;
          scale[at] = mag;
        }
      }
    }
  }
  return { out, scale, oh, ow };
}

/** NCHW → NHWC. */
export function toNHWCReference(x, [n, c, h, w]) {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
    }
  }
  return out;
}
