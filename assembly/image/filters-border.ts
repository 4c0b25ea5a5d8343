// What the filter kernels share: OpenCV's border rule (borderInterpolate) and the rows and
// columns it maps outside the image to.
import { BORDER_CONSTANT, BORDER_REPLICATE } from "../runtime/schema.gen";

/**
 * OpenCV's borderInterpolate: the index inside [0, len) that p outside it reads, reflecting
 * as often as a window wider than the image needs; −1 for a constant border.
 */
export function borderIndex(p: i32, len: i32, border: i32): i32 {
  if (<u32>p < <u32>len) return p;
  if (border == BORDER_REPLICATE) return p < 0 ? 0 : len - 1;
  if (border == BORDER_CONSTANT) return -1;
  if (len == 1) return 0;
  do {
    p = p < 0 ? -p : 2 * len - 2 - p; // reflect101: gfedcb|abcdefgh|gfedcba
  } while (<u32>p >= <u32>len);
  return p;
}

/** The address of row y of an image of `height` rows: outside, the row the border names. */
@inline export function rowAddress(y: i32, height: i32, border: i32, src: usize, stride: usize, constRow: usize): usize {
  const r = borderIndex(y, height, border);
  return r < 0 ? constRow : src + <usize>r * stride;
}

/**
 * The border's columns of a row of `width` pixels of cn channels of T at `inner`: `left`
 * pixels before it and `right` after, each copied from the column the border maps it to,
 * or `value` for a constant border.
 */
export function fillMargins<T>(inner: usize, width: i32, cn: i32, left: i32, right: i32, border: i32, value: T): void {
  for (let x = -left; x < width + right; x++) {
    if (x == 0) x = width;
    if (x >= width + right) break;
    const from = borderIndex(x, width, border);
    const to = inner + <usize>(x * cn) * sizeof<T>();
    for (let c = 0; c < cn; c++) {
      store<T>(to + <usize>c * sizeof<T>(), from < 0 ? value : load<T>(inner + <usize>(from * cn + c) * sizeof<T>()));
    }
  }
}
