// Image preprocessing with integral images: a box filter (mean over a square window)
// costs four lookups per pixel whatever the radius. Shared by the examples below.

/** Mean of each pixel's (2r+1)² window, clamped at the borders, from an integral table. */
export function boxMean(sum, width, height, channels, radius) {
  const out = new Uint8ClampedArray(width * height * channels);
  const pitch = (width + 1) * channels;
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius), y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius), x1 = Math.min(width, x + radius + 1);
      const area = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < channels; c++) {
        const s = sum[y1 * pitch + x1 * channels + c] - sum[y0 * pitch + x1 * channels + c]
          - sum[y1 * pitch + x0 * channels + c] + sum[y0 * pitch + x0 * channels + c];
        out[(y * width + x) * channels + c] = s / area;
      }
    }
  }
  return out;
}
