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
