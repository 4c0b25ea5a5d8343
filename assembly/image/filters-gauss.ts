// The 8-bit Gaussian blur, bit-exact with OpenCV 4's fixed point (GaussianBlurFixedPoint):
// taps k in 1/256 that sum to 256, dst = (Σᵢ Σⱼ kxᵢ·kyⱼ·src + 2¹⁵) >> 16. Every partial
// sum is an exact integer, so the passes may go in any order: vertical first, straight
// from the source rows (no ring of rows to keep), into 16-bit sums V = Σⱼ kyⱼ·src (at most
// 255·256; the two rows of a symmetric pair add first, k ≤ 128 for them), then
// horizontal in 32 bits, two taps per i32x4.dot_i16x8_s, then round and narrow.
// A work-group is a band of output rows; its source rows stay in L2 from row to row.
import { FiltersGaussArgs as A } from "../runtime/schema.gen";
import { fillMargins, rowAddress } from "./filters-border";

export function filtersGaussGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const width = A.width(ctrl), height = A.height(ctrl), cn = A.cn(ctrl);
  const kw = A.kw(ctrl), kh = A.kh(ctrl), rx = kw >> 1, ry = kh >> 1;
  const border = A.border(ctrl), constRow = A.constRow(ctrl);
  const src = A.src(ctrl), srcStride = A.srcStride(ctrl);
  const kx = A.taps(ctrl), ky = kx + (<usize>kw << 2), pairs = ky + (<usize>kh << 2);
  const rows = A.rows(ctrl);
  const y0 = group * rows, y1 = min(height, y0 + rows);
  const n = width * cn;
  const table = A.scratch(ctrl) + <usize>tid * A.scratchStride(ctrl); // kh row addresses
  const m = (width + kw - 1) * cn; // V's elements
  const V = table + ((<usize>kh << 2) + 15 & ~15); // m u16, x = −rx first, then cn + 8 spare
  const Wp = V + ((<usize>(m + cn + 8) << 1) + 15 & ~15); // m + 8 pairs of i16
  const inner = V + (<usize>(rx * cn) << 1);
  const constV = A.value(ctrl) << 8;
  for (let y = y0; y < y1; y++) {
    for (let j = 0; j < kh; j++) store<usize>(table + (<usize>j << 2), rowAddress(y - ry + j, height, border, src, srcStride, constRow));
    vertical(table, ky, ry, inner, n);
    fillMargins<u16>(inner, width, cn, rx, rx, border, <u16>constV);
    horizontal(V, Wp, kx, pairs, kw, cn, A.dst(ctrl) + <usize>y * A.dstStride(ctrl), n);
  }
}

/** V = Σⱼ kyⱼ·row_j over n bytes, the rows from the table (the middle one is row y). */
function vertical(table: usize, ky: usize, ry: i32, V: usize, n: i32): void {
  const mid = table + (<usize>ry << 2);
  const k0 = v128.load16_splat(ky + (<usize>ry << 2));
  let e = 0;
  for (; e + 32 <= n; e += 32) {
    const c = load<usize>(mid) + e;
    let l0 = i16x8.mul(v128.load8x8_u(c), k0), h0 = i16x8.mul(v128.load8x8_u(c, 8), k0);
    let l1 = i16x8.mul(v128.load8x8_u(c, 16), k0), h1 = i16x8.mul(v128.load8x8_u(c, 24), k0);
    for (let p = 1; p <= ry; p++) {
      const a = load<usize>(mid - (<usize>p << 2)) + e, b = load<usize>(mid + (<usize>p << 2)) + e;
      const k = v128.load16_splat(ky + (<usize>(ry + p) << 2));
      l0 = i16x8.add(l0, i16x8.mul(i16x8.add(v128.load8x8_u(a), v128.load8x8_u(b)), k));
      h0 = i16x8.add(h0, i16x8.mul(i16x8.add(v128.load8x8_u(a, 8), v128.load8x8_u(b, 8)), k));
      l1 = i16x8.add(l1, i16x8.mul(i16x8.add(v128.load8x8_u(a, 16), v128.load8x8_u(b, 16)), k));
      h1 = i16x8.add(h1, i16x8.mul(i16x8.add(v128.load8x8_u(a, 24), v128.load8x8_u(b, 24)), k));
    }
    const o = V + (<usize>e << 1);
    v128.store(o, l0);
    v128.store(o, h0, 16);
    v128.store(o, l1, 32);
    v128.store(o, h1, 48);
  }
  for (; e + 16 <= n; e += 16) {
    const c = load<usize>(mid) + e;
    let lo = i16x8.mul(v128.load8x8_u(c), k0), hi = i16x8.mul(v128.load8x8_u(c, 8), k0);
    for (let p = 1; p <= ry; p++) {
      const a = load<usize>(mid - (<usize>p << 2)) + e, b = load<usize>(mid + (<usize>p << 2)) + e;
      const k = v128.load16_splat(ky + (<usize>(ry + p) << 2));
      lo = i16x8.add(lo, i16x8.mul(i16x8.add(v128.load8x8_u(a), v128.load8x8_u(b)), k));
      hi = i16x8.add(hi, i16x8.mul(i16x8.add(v128.load8x8_u(a, 8), v128.load8x8_u(b, 8)), k));
    }
    v128.store(V + (<usize>e << 1), lo);
    v128.store(V + (<usize>e << 1), hi, 16);
  }
  for (; e < n; e++) {
    let s: i32 = 0;
    for (let j = -ry; j <= ry; j++) s += load<i32>(ky + (<usize>(ry + j) << 2)) * <i32>load<u8>(load<usize>(mid + (<isize>j << 2)) + e);
    store<u16>(V + (<usize>e << 1), <u16>s);
  }
}

/**
 * dst = (Σᵢ kxᵢ·V[e + i·cn] + 2¹⁵) >> 16 over n elements (V starts at x = −rx), with
 * i32x4.dot_i16x8_s doing two taps per multiply: a plane Wp interleaves V − 2¹⁵ (signed
 * 16-bit) with itself cn elements on, (V[t], V[t + cn]) in adjacent lanes, so one dot of
 * Wp at t = e + 2q·cn with (k₂q, k₂q₊₁) gives both taps of output e. An odd kw pads one
 * zero tap; the bias comes back as 2¹⁵·Σk = 2²³.
 */
function horizontal(V: usize, Wp: usize, kx: usize, pairs: usize, kw: i32, cn: i32, dst: usize, n: i32): void {
  const m = n + (kw - 1) * cn; // V's elements
  const flip = i16x8.splat(-32768);
  for (let t = 0; t < m; t += 8) {
    const a = v128.xor(v128.load(V + (<usize>t << 1)), flip), b = v128.xor(v128.load(V + (<usize>(t + cn) << 1)), flip);
    v128.store(Wp + (<usize>t << 2), i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(Wp + (<usize>t << 2), i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  }
  const bias = i32x4.splat((1 << 23) + (1 << 15));
  const pairStep = <usize>cn << 3; // two taps on: 2·cn elements of Wp's pairs, 4 bytes each
  const half = <usize>((kw + 1) >> 1) << 2; // bytes of the tap pairs
  let e = 0;
  for (; e + 32 <= n; e += 32) {
    let a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias;
    let p = Wp + (<usize>e << 2);
    for (let q: usize = 0; q < half; q += 4, p += pairStep) {
      const k = v128.load32_splat(pairs + q);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load(p), k));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load(p, 16), k));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load(p, 32), k));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load(p, 48), k));
      a4 = i32x4.add(a4, i32x4.dot_i16x8_s(v128.load(p, 64), k));
      a5 = i32x4.add(a5, i32x4.dot_i16x8_s(v128.load(p, 80), k));
      a6 = i32x4.add(a6, i32x4.dot_i16x8_s(v128.load(p, 96), k));
      a7 = i32x4.add(a7, i32x4.dot_i16x8_s(v128.load(p, 112), k));
    }
    const w0 = i16x8.narrow_i32x4_s(i32x4.shr_s(a0, 16), i32x4.shr_s(a1, 16));
    const w1 = i16x8.narrow_i32x4_s(i32x4.shr_s(a2, 16), i32x4.shr_s(a3, 16));
    const w2 = i16x8.narrow_i32x4_s(i32x4.shr_s(a4, 16), i32x4.shr_s(a5, 16));
    const w3 = i16x8.narrow_i32x4_s(i32x4.shr_s(a6, 16), i32x4.shr_s(a7, 16));
    v128.store(dst + e, i8x16.narrow_i16x8_u(w0, w1));
    v128.store(dst + e, i8x16.narrow_i16x8_u(w2, w3), 16);
  }
  for (; e < n; e++) {
    let s: u32 = 1 << 15;
    for (let i = 0; i < kw; i++) s += <u32>load<i32>(kx + (<usize>i << 2)) * <u32>load<u16>(V + (<usize>(e + i * cn) << 1));
    store<u8>(dst + e, <u8>min<u32>(s >> 16, 255));
  }
}
