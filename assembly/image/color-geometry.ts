// Geometry on interleaved pixels of any size (1, 2, 3, 4 bytes for 8-bit, 4, 8, 12, 16 for
// f32): a source rectangle copied into a canvas at (x, y), mirrored along either axis,
// the rest of the canvas filled with one pixel value. crop, flip and place are all this
// kernel. A work-group is `rows` canvas rows.
//
// Mirroring reverses pixels within sixteen-byte vectors by one byte shuffle (pixels of
// 1, 2, 4, 8 bytes), or within 48-byte blocks (3 and 12 bytes, which 16 does not divide)
// where each output vector is one shuffle of two overlapping loads of the block. The fill
// is a 48-byte period (every pixel size divides 48) read from a 64-byte pattern, so a
// vector can start at any phase.
import { ColorGeometryArgs } from "../runtime/schema.gen";

function fillBytes(d: usize, start: usize, end: usize, pattern: usize): void {
  let o = start;
  for (; o + 16 <= end; o += 16) v128.store(d + o, v128.load(pattern + o % 48));
  for (; o < end; o++) store<u8>(d + o, load<u8>(pattern + o % 48));
}

// Mirror `width` pixels of `ps` bytes from s into d.
function mirrorRow(s: usize, d: usize, width: i32, ps: i32): void {
  const bytes = <usize>width * ps;
  let o: usize = 0; // bytes of d written
  if (ps == 3 || ps == 12) {
    for (; o + 48 <= bytes; o += 48) {
      const b = s + bytes - o - 48; // the source block that ends where d's block starts, mirrored
      if (ps == 3) {
        v128.store(d + o, i8x16.shuffle(v128.load(b, 30), v128.load(b, 32), 15, 30, 31, 12, 13, 14, 9, 10, 11, 6, 7, 8, 3, 4, 5, 0));
        v128.store(d + o, i8x16.shuffle(v128.load(b, 15), v128.load(b, 17), 30, 31, 12, 13, 14, 9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1), 16);
        v128.store(d + o, i8x16.shuffle(v128.load(b), v128.load(b, 2), 31, 12, 13, 14, 9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2), 32);
      } else {
        v128.store(d + o, i8x16.shuffle(v128.load(b, 24), v128.load(b, 32), 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31, 0, 1, 2, 3));
        v128.store(d + o, i8x16.shuffle(v128.load(b, 12), v128.load(b, 20), 24, 25, 26, 27, 28, 29, 30, 31, 0, 1, 2, 3, 4, 5, 6, 7), 16);
        v128.store(d + o, i8x16.shuffle(v128.load(b), v128.load(b, 8), 28, 29, 30, 31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 32);
      }
    }
  } else {
    for (; o + 16 <= bytes; o += 16) {
      const v = v128.load(s + bytes - o - 16);
      let m: v128;
      if (ps == 1) m = i8x16.shuffle(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      else if (ps == 2) m = i16x8.shuffle(v, v, 7, 6, 5, 4, 3, 2, 1, 0);
      else if (ps == 4) m = i32x4.shuffle(v, v, 3, 2, 1, 0);
      else if (ps == 8) m = i32x4.shuffle(v, v, 2, 3, 0, 1);
      else m = v;
      v128.store(d + o, m);
    }
  }
  // The pixels left over, one at a time.
  for (; o < bytes; o += ps) {
    const from = s + bytes - o - ps;
    for (let k: usize = 0; k < <usize>ps; k++) store<u8>(d + o + k, load<u8>(from + k));
  }
}

export function geometryGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const ps = ColorGeometryArgs.ps(ctrl), width = ColorGeometryArgs.width(ctrl), height = ColorGeometryArgs.height(ctrl);
  const flipX = ColorGeometryArgs.flipX(ctrl), flipY = ColorGeometryArgs.flipY(ctrl);
  const srcStride = ColorGeometryArgs.srcStride(ctrl), dstStride = ColorGeometryArgs.dstStride(ctrl);
  const x = ColorGeometryArgs.x(ctrl), y = ColorGeometryArgs.y(ctrl), fill = ColorGeometryArgs.fill(ctrl);
  const rowBytes = <usize>ColorGeometryArgs.canvasW(ctrl) * ps;
  const left = <usize>x * ps, right = left + <usize>width * ps;
  const rows = ColorGeometryArgs.rows(ctrl);
  const y0 = group * rows, y1 = min(ColorGeometryArgs.canvasH(ctrl), y0 + rows);
  for (let cy = y0; cy < y1; cy++) {
    const d = ColorGeometryArgs.dst(ctrl) + <usize>cy * dstStride;
    const iy = cy - y;
    if (iy < 0 || iy >= height) {
      if (fill) fillBytes(d, 0, rowBytes, fill);
      continue;
    }
    if (fill) {
      fillBytes(d, 0, left, fill);
      fillBytes(d, right, rowBytes, fill);
    }
    const s = ColorGeometryArgs.src(ctrl) + <usize>(flipY ? height - 1 - iy : iy) * srcStride;
    if (flipX) mirrorRow(s, d + left, width, ps);
    else memory.copy(d + left, s, right - left);
  }
}
