// Separable f32 filters in OpenCV's own order of operations (sepFilter2D on CV_32F, as
// cv.GaussianBlur runs for f32 images and adaptiveThreshold's Gaussian runs on its float
// copy), so the sums come out bit-identical:
//   horizontal, kw ≤ 5 (SymmRowSmallFilter): k₀·x₀ + k₁·(x₋₁ + x₁) + k₂·(x₋₂ + x₂);
//   horizontal, kw > 5 (RowFilter): taps left to right, s = k₀·x₋ᵣ, s += kᵢ·x₋ᵣ₊ᵢ;
//   vertical (SymmColumnFilter): s = k₀·centre, then s += kₚ·(below + above) outwards;
// every product and sum rounded to f32 (no fused multiply-add, as OpenCV.js's wasm).
// The horizontal pass fills a ring of kh rows (each source row once per band); 8-bit
// sources convert to f32 on the way in. Output: f32, or adaptiveThreshold's comparison
// of the source with the mean rounded half-to-even to 8 bits (OpenCV's convertTo).
import { FiltersSepArgs as A, THRESH_BINARY_INV, THRESH_NONE } from "../runtime/schema.gen";
import { fillMargins, rowAddress } from "./filters-border";

export function filtersSepGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const width = A.width(ctrl), height = A.height(ctrl), cn = A.cn(ctrl);
  const kw = A.kw(ctrl), kh = A.kh(ctrl), ry = kh >> 1;
  const rows = A.rows(ctrl);
  const y0 = group * rows, y1 = min(height, y0 + rows);
  const n = width * cn;
  const pitch = <usize>((n + 3) & ~3) << 2; // a ring row's bytes
  const table = A.scratch(ctrl) + <usize>tid * A.scratchStride(ctrl); // kh ring rows, top to bottom
  const X = table + ((<usize>kh << 2) + 15 & ~15); // (width + kw − 1)·cn f32
  const ring = X + (<usize>(((width + kw - 1) * cn + 3) & ~3) << 2);
  for (let j = y0 - ry; j < y0 + ry; j++) rowPass(ctrl, j, ring + slot(j, kh) * pitch, X);
  for (let y = y0; y < y1; y++) {
    rowPass(ctrl, y + ry, ring + slot(y + ry, kh) * pitch, X);
    for (let j = 0; j < kh; j++) store<usize>(table + (<usize>j << 2), ring + slot(y - ry + j, kh) * pitch);
    columnPass(ctrl, y, table, n);
  }
}

@inline function slot(y: i32, kh: i32): usize {
  return <usize>(((y % kh) + kh) % kh);
}

/** Source row y, extended by the border into X, filtered horizontally into H. */
function rowPass(ctrl: usize, y: i32, H: usize, X: usize): void {
  const width = A.width(ctrl), height = A.height(ctrl), cn = A.cn(ctrl), border = A.border(ctrl);
  const kw = A.kw(ctrl), rx = kw >> 1;
  const n = width * cn;
  const row = rowAddress(y, height, border, A.src(ctrl), A.srcStride(ctrl), A.constRow(ctrl));
  const inner = X + (<usize>(rx * cn) << 2);
  let e = 0;
  if (A.srcF32(ctrl)) {
    memory.copy(inner, row, <usize>n << 2);
  } else {
    for (; e + 16 <= n; e += 16) {
      const v = v128.load(row + e);
      const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
      const o = inner + (<usize>e << 2);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)));
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), 16);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), 32);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), 48);
    }
    for (; e < n; e++) store<f32>(inner + (<usize>e << 2), <f32>load<u8>(row + e));
  }
  fillMargins<f32>(inner, width, cn, rx, rx, border, A.value(ctrl));
  const kx = A.taps(ctrl);
  const step = <usize>cn << 2;
  if (kw <= 5) {
    // SymmRowSmallFilter: the centre, then the pairs outwards.
    const k0 = load<f32>(kx + (<usize>rx << 2));
    const k0v = f32x4.splat(k0);
    e = 0;
    for (; e + 4 <= n; e += 4) {
      const c = inner + (<usize>e << 2);
      let s = f32x4.mul(v128.load(c), k0v);
      for (let p = 1; p <= rx; p++) {
        const d = <usize>p * step;
        s = f32x4.add(s, f32x4.mul(f32x4.add(v128.load(c - d), v128.load(c + d)), f32x4.splat(load<f32>(kx + (<usize>(rx + p) << 2)))));
      }
      v128.store(H + (<usize>e << 2), s);
    }
    for (; e < n; e++) {
      const c = inner + (<usize>e << 2);
      let s = load<f32>(c) * k0;
      for (let p = 1; p <= rx; p++) {
        const d = <usize>p * step;
        s += (load<f32>(c - d) + load<f32>(c + d)) * load<f32>(kx + (<usize>(rx + p) << 2));
      }
      store<f32>(H + (<usize>e << 2), s);
    }
  } else {
    // RowFilter: left to right.
    e = 0;
    for (; e + 8 <= n; e += 8) {
      let p = X + (<usize>e << 2);
      const k = f32x4.splat(load<f32>(kx));
      let s0 = f32x4.mul(k, v128.load(p)), s1 = f32x4.mul(k, v128.load(p, 16));
      for (let i = 1; i < kw; i++) {
        p += step;
        const ki = f32x4.splat(load<f32>(kx + (<usize>i << 2)));
        s0 = f32x4.add(s0, f32x4.mul(ki, v128.load(p)));
        s1 = f32x4.add(s1, f32x4.mul(ki, v128.load(p, 16)));
      }
      v128.store(H + (<usize>e << 2), s0);
      v128.store(H + (<usize>e << 2), s1, 16);
    }
    for (; e < n; e++) {
      let p = X + (<usize>e << 2);
      let s = load<f32>(kx) * load<f32>(p);
      for (let i = 1; i < kw; i++) {
        p += step;
        s += load<f32>(kx + (<usize>i << 2)) * load<f32>(p);
      }
      store<f32>(H + (<usize>e << 2), s);
    }
  }
}

/** Output row y from the ring rows in the table: the centre row times k₀, then the pairs outwards. */
function columnPass(ctrl: usize, y: i32, table: usize, n: i32): void {
  const kh = A.kh(ctrl), ry = kh >> 1;
  const ky = A.taps(ctrl) + (<usize>A.kw(ctrl) << 2) + (<usize>ry << 2); // the centre tap
  const mid = table + (<usize>ry << 2);
  const centre = load<usize>(mid);
  const dst = A.dst(ctrl) + <usize>y * A.dstStride(ctrl);
  const thresh = A.thresh(ctrl);
  const own = A.src(ctrl) + <usize>y * A.srcStride(ctrl);
  const limit = -A.threshDelta(ctrl), maxValue = A.maxValue(ctrl);
  const flip = thresh == THRESH_BINARY_INV;
  const limitV = i32x4.splat(limit), maxV = i32x4.splat(maxValue), flipV = i32x4.splat(flip ? -1 : 0);
  const k0 = f32x4.splat(load<f32>(ky));
  let e = 0;
  for (; e + 8 <= n; e += 8) {
    const o = <usize>e << 2;
    let s0 = f32x4.mul(k0, v128.load(centre + o)), s1 = f32x4.mul(k0, v128.load(centre + o, 16));
    for (let p = 1; p <= ry; p++) {
      const below = load<usize>(mid + (<usize>p << 2)) + o, above = load<usize>(mid - (<usize>p << 2)) + o;
      const k = f32x4.splat(load<f32>(ky + (<usize>p << 2)));
      s0 = f32x4.add(s0, f32x4.mul(k, f32x4.add(v128.load(below), v128.load(above))));
      s1 = f32x4.add(s1, f32x4.mul(k, f32x4.add(v128.load(below, 16), v128.load(above, 16))));
    }
    if (thresh == THRESH_NONE) {
      v128.store(dst + o, s0);
      v128.store(dst + o, s1, 16);
    } else {
      const m0 = i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(s0)), i32x4.splat(0)), i32x4.splat(255));
      const m1 = i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(s1)), i32x4.splat(0)), i32x4.splat(255));
      const v = i16x8.extend_low_i8x16_u(v128.load64_zero(own + e));
      const t0 = v128.and(v128.xor(i32x4.gt_s(i32x4.sub(i32x4.extend_low_i16x8_u(v), m0), limitV), flipV), maxV);
      const t1 = v128.and(v128.xor(i32x4.gt_s(i32x4.sub(i32x4.extend_high_i16x8_u(v), m1), limitV), flipV), maxV);
      const w = i16x8.narrow_i32x4_s(t0, t1);
      v128.store64_lane(dst + e, i8x16.narrow_i16x8_u(w, w), 0);
    }
  }
  for (; e < n; e++) {
    const o = <usize>e << 2;
    let s = load<f32>(ky) * load<f32>(centre + o);
    for (let p = 1; p <= ry; p++) {
      s += load<f32>(ky + (<usize>p << 2)) * (load<f32>(load<usize>(mid + (<usize>p << 2)) + o) + load<f32>(load<usize>(mid - (<usize>p << 2)) + o));
    }
    if (thresh == THRESH_NONE) store<f32>(dst + o, s);
    else store<u8>(dst + e, compare(load<u8>(own + e), s, limit, maxValue, flip));
  }
}

/** adaptiveThreshold's test: the mean rounded half-to-even and saturated to 8 bits. */
@inline function compare(v: u8, mean: f32, limit: i32, maxValue: i32, flip: bool): u8 {
  const m = min(max(<i32>nearest<f32>(mean), 0), 255);
  return <u8>(((<i32>v - m > limit) != flip) ? maxValue : 0);
}
