// One output row of an 8-bit integral, fused: out[j] = above[j] + (running sum of the
// row's channel up to j), computed and stored in one pass.
//
// OpenCV's scheme (sumpixels.simd.hpp): sixteen bytes widen to two u16x8, whose lane
// prefix is taken in u16 by shift-and-add (16 · 255 fits u16), with one shift per
// doubling of the pixel size: three steps for gray, one for RGBA. The high half adds
// the low half's last pixel; both widen to four i32x4, add the carry from the previous
// sixteen bytes and the row above, and are stored. Squares (255² needs all of u16) take
// their prefix in i32 lanes instead. Sums go out as i32, or as f64 for large images.

// Lane shifts take the zeros from the end of z, so each shuffle is a run of consecutive
// bytes of z:v, which V8 lowers to one palignr (a shuffle with lanes 0, 8, 9, … is not).
@inline function prefix16(v: v128, cn: i32): v128 {
  const z = i16x8.splat(0);
  if (cn == 1) v = i16x8.add(v, i16x8.shuffle(z, v, 7, 8, 9, 10, 11, 12, 13, 14));
  if (cn <= 2) v = i16x8.add(v, i16x8.shuffle(z, v, 6, 7, 8, 9, 10, 11, 12, 13));
  return i16x8.add(v, i16x8.shuffle(z, v, 4, 5, 6, 7, 8, 9, 10, 11));
}

// The last pixel of v repeated across the vector (the carry into what follows).
@inline function last16(v: v128, cn: i32): v128 {
  if (cn == 1) return i16x8.shuffle(v, v, 7, 7, 7, 7, 7, 7, 7, 7);
  if (cn == 2) return i16x8.shuffle(v, v, 6, 7, 6, 7, 6, 7, 6, 7);
  return i16x8.shuffle(v, v, 4, 5, 6, 7, 4, 5, 6, 7);
}

@inline function last32(q: v128, cn: i32): v128 {
  if (cn == 1) return i32x4.shuffle(q, q, 3, 3, 3, 3);
  if (cn == 2) return i32x4.shuffle(q, q, 2, 3, 2, 3);
  return q;
}

// Lane prefix of four i32 holding pixels of cn channels, plus the carry.
@inline function prefix32(q: v128, carry: v128, cn: i32): v128 {
  const z = i32x4.splat(0);
  if (cn == 1) q = i32x4.add(q, i32x4.shuffle(z, q, 3, 4, 5, 6));
  if (cn <= 2) q = i32x4.add(q, i32x4.shuffle(z, q, 2, 3, 4, 5));
  return i32x4.add(q, carry);
}

// Store above + q for four elements starting at element j, as i32 or f64 (rowC3's
// pixel a step).
@inline function emit(out: usize, above: usize, j: usize, q: v128, f64out: bool, unsigned: bool = false): void {
  if (!f64out) {
    const at = j << 2;
    v128.store(out + at, i32x4.add(v128.load(above + at), q));
  } else {
    const o = out + (j << 3);
    const a = above + (j << 3);
    v128.store(o, f64x2.add(v128.load(a), toF64(q, unsigned)));
    v128.store(o, f64x2.add(v128.load(a, 16), toF64(high(q), unsigned)), 16);
  }
}

// Scalar element j: the row's running sum so far is what the previous pixel stored
// minus what it added from above (exact in i32 and in f64 below 2⁵³).
@inline function emitScalar(out: usize, above: usize, j: i32, cn: i32, v: u32, f64out: bool): void {
  const at = <usize>j;
  const back = <usize>cn;
  if (!f64out) {
    const run = j >= cn ? load<i32>(out + ((at - back) << 2)) - load<i32>(above + ((at - back) << 2)) : 0;
    store<i32>(out + (at << 2), load<i32>(above + (at << 2)) + run + <i32>v);
  } else {
    const run = j >= cn ? load<f64>(out + ((at - back) << 3)) - load<f64>(above + ((at - back) << 3)) : 0.0;
    store<f64>(out + (at << 3), load<f64>(above + (at << 3)) + run + <f64>v);
  }
}

// Sixteen elements: above + q0..q3 into out, as i32 or f64, at literal offsets from
// pointers that step once per sixteen bytes (an index per access costs V8 an lea each).
@inline function emit16(out: usize, above: usize, q0: v128, q1: v128, q2: v128, q3: v128, f64out: bool, unsigned: bool): void {
  if (!f64out) {
    v128.store(out, i32x4.add(v128.load(above), q0));
    v128.store(out, i32x4.add(v128.load(above, 16), q1), 16);
    v128.store(out, i32x4.add(v128.load(above, 32), q2), 32);
    v128.store(out, i32x4.add(v128.load(above, 48), q3), 48);
  } else {
    v128.store(out, f64x2.add(v128.load(above), toF64(q0, unsigned)));
    v128.store(out, f64x2.add(v128.load(above, 16), toF64(high(q0), unsigned)), 16);
    v128.store(out, f64x2.add(v128.load(above, 32), toF64(q1, unsigned)), 32);
    v128.store(out, f64x2.add(v128.load(above, 48), toF64(high(q1), unsigned)), 48);
    v128.store(out, f64x2.add(v128.load(above, 64), toF64(q2, unsigned)), 64);
    v128.store(out, f64x2.add(v128.load(above, 80), toF64(high(q2), unsigned)), 80);
    v128.store(out, f64x2.add(v128.load(above, 96), toF64(q3, unsigned)), 96);
    v128.store(out, f64x2.add(v128.load(above, 112), toF64(high(q3), unsigned)), 112);
  }
}

@inline function high(q: v128): v128 {
  return i32x4.shuffle(q, q, 2, 3, 2, 3);
}

// The low two lanes as f64. Row sums below 2³¹ convert as signed (one cvtdq2pd on x64;
// the unsigned form takes several).
@inline function toF64(q: v128, unsigned: bool): v128 {
  return unsigned ? f64x2.convert_low_i32x4_u(q) : f64x2.convert_low_i32x4_s(q);
}

// cn ∈ {1, 2, 4}: sixteen bytes a step. `squared` is constant per instance, so the loop
// without squares carries nothing for them: a run-time test in the loop, its live values
// and per-access index arithmetic cost the plain path spills and an lea per access.
// The loop comes in two copies, by how f64 outputs convert (see toF64), so that choice
// is not a branch per conversion, which was eight a step (docs/decisions/integral-rows.md).
@inline function rowVec(src: usize, n: i32, cn: i32, out: usize, above: usize, f64out: bool, sq: usize, sqAbove: usize, squared: bool, pairs: bool = false): void {
  // Sums past 2³¹ (255 · 8421504) and squares past it (65025 · 33025) convert as unsigned.
  const wide = (f64out && n > 8421504 * cn) || (squared && n > 33025 * cn);
  if (wide) rowLoop(src, n, cn, out, above, f64out, sq, sqAbove, squared, true, pairs);
  else rowLoop(src, n, cn, out, above, f64out, sq, sqAbove, squared, false, pairs);
}

@inline function rowLoop(src: usize, n: i32, cn: i32, out: usize, above: usize, f64out: bool, sq: usize, sqAbove: usize, squared: bool, unsigned: bool, pairs: bool): void {
  let carry = i32x4.splat(0);
  let carry2 = carry;
  const width: usize = f64out ? 128 : 64; // bytes of sixteen sums
  let s = src, o = out, a = above, so = sq, sa = sqAbove;
  const vecEnd = src + <usize>(n & ~15);
  while (s < vecEnd) {
    const b = v128.load(s);
    const lo = i16x8.extend_low_i8x16_u(b); // for the u16 prefix and the squares
    const hi = i16x8.extend_high_i8x16_u(b);
    let pl: v128, ph: v128;
    if (pairs) {
      // Gray (cn = 1, no squares): the prefix of the eight byte pairs' sums is the prefix
      // at odd bytes; less the odd byte, at even ones. Interleaved, they are the sixteen
      // prefixes in order: 12 vector operations where widening and two 8-lane prefixes
      // take 18. V8 only: JavaScriptCore runs it slower (src/platform.ts, defaultKernels;
      // docs/decisions/engine-variants.md).
      const oddBytes = i16x8.shr_u(b, 8);
      const odd = prefix16(i16x8.extadd_pairwise_i8x16_u(b), 1);
      const even = i16x8.sub(odd, oddBytes);
      pl = i16x8.shuffle(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
      ph = i16x8.shuffle(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
    } else {
      pl = prefix16(lo, cn);
      ph = i16x8.add(prefix16(hi, cn), last16(pl, cn));
    }
    const q3 = i32x4.add(i32x4.extend_high_i16x8_u(ph), carry);
    emit16(o, a,
      i32x4.add(i32x4.extend_low_i16x8_u(pl), carry), i32x4.add(i32x4.extend_high_i16x8_u(pl), carry),
      i32x4.add(i32x4.extend_low_i16x8_u(ph), carry), q3, f64out, unsigned);
    carry = last32(q3, cn);
    if (squared) {
      const slo = i16x8.mul(lo, lo);
      const shi = i16x8.mul(hi, hi);
      const s0 = prefix32(i32x4.extend_low_i16x8_u(slo), carry2, cn);
      const s1 = prefix32(i32x4.extend_high_i16x8_u(slo), last32(s0, cn), cn);
      const s2 = prefix32(i32x4.extend_low_i16x8_u(shi), last32(s1, cn), cn);
      const s3 = prefix32(i32x4.extend_high_i16x8_u(shi), last32(s2, cn), cn);
      emit16(so, sa, s0, s1, s2, s3, true, unsigned);
      carry2 = last32(s3, cn);
      so += 128;
      sa += 128;
    }
    s += 16;
    o += width;
    a += width;
  }
  for (let j = n & ~15; j < n; j++) {
    const v = <u32>load<u8>(src + <usize>j);
    emitScalar(out, above, j, cn, v, f64out);
    if (squared) emitScalar(sq, sqAbove, j, cn, v * v, true);
  }
}

// cn = 3: one pixel a step in the low three lanes. The four-lane store writes one
// element past the pixel, which the next pixel overwrites; the last pixel is scalar.
function rowC3(src: usize, n: i32, out: usize, above: usize, f64out: bool, sq: usize, sqAbove: usize, squared: bool): void {
  const mask = i32x4(-1, -1, -1, 0);
  let acc = i32x4.splat(0);
  let acc2 = acc;
  let j = 0;
  for (; j + 3 < n; j += 3) {
    // Reads one byte past the pixel: the arena pads every region.
    const px = v128.and(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(src + <usize>j))), mask);
    acc = i32x4.add(acc, px);
    emit(out, above, <usize>j, acc, f64out);
    if (squared) {
      acc2 = i32x4.add(acc2, i32x4.mul(px, px));
      emit(sq, sqAbove, <usize>j, acc2, true, n > 33025 * 3);
    }
  }
  for (; j < n; j++) {
    const v = <u32>load<u8>(src + <usize>j);
    emitScalar(out, above, j, 3, v, f64out);
    if (squared) emitScalar(sq, sqAbove, j, 3, v * v, true);
  }
}

// Constant cn, output type and squares per instance let every shuffle and branch fold away.
function rowI32C1(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 1, out, above, false, 0, 0, false); }
function rowI32C1Pairs(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 1, out, above, false, 0, 0, false, true); }
function rowI32C2(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 2, out, above, false, 0, 0, false); }
function rowI32C4(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 4, out, above, false, 0, 0, false); }
function rowF64C1(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 1, out, above, true, 0, 0, false); }
function rowF64C1Pairs(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 1, out, above, true, 0, 0, false, true); }
function rowF64C2(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 2, out, above, true, 0, 0, false); }
function rowF64C4(src: usize, n: i32, out: usize, above: usize): void { rowVec(src, n, 4, out, above, true, 0, 0, false); }
function rowI32C1Sq(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize): void { rowVec(src, n, 1, out, above, false, sq, sqAbove, true); }
function rowI32C2Sq(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize): void { rowVec(src, n, 2, out, above, false, sq, sqAbove, true); }
function rowI32C4Sq(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize): void { rowVec(src, n, 4, out, above, false, sq, sqAbove, true); }
function rowF64C1Sq(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize): void { rowVec(src, n, 1, out, above, true, sq, sqAbove, true); }
function rowF64C2Sq(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize): void { rowVec(src, n, 2, out, above, true, sq, sqAbove, true); }
function rowF64C4Sq(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize): void { rowVec(src, n, 4, out, above, true, sq, sqAbove, true); }

// `pairs`: gray rows without squares take the byte-pair prefix (see rowLoop).
export function integralRowU8(src: usize, n: i32, cn: i32, out: usize, above: usize, f64out: bool, sq: usize, sqAbove: usize, squared: bool, pairs: bool): void {
  if (cn == 3) rowC3(src, n, out, above, f64out, sq, sqAbove, squared);
  else if (squared) {
    if (!f64out) {
      if (cn == 1) rowI32C1Sq(src, n, out, above, sq, sqAbove);
      else if (cn == 2) rowI32C2Sq(src, n, out, above, sq, sqAbove);
      else rowI32C4Sq(src, n, out, above, sq, sqAbove);
    } else {
      if (cn == 1) rowF64C1Sq(src, n, out, above, sq, sqAbove);
      else if (cn == 2) rowF64C2Sq(src, n, out, above, sq, sqAbove);
      else rowF64C4Sq(src, n, out, above, sq, sqAbove);
    }
  } else if (!f64out) {
    if (cn == 1) { if (pairs) rowI32C1Pairs(src, n, out, above); else rowI32C1(src, n, out, above); }
    else if (cn == 2) rowI32C2(src, n, out, above);
    else rowI32C4(src, n, out, above);
  } else {
    if (cn == 1) { if (pairs) rowF64C1Pairs(src, n, out, above); else rowF64C1(src, n, out, above); }
    else if (cn == 2) rowF64C2(src, n, out, above);
    else rowF64C4(src, n, out, above);
  }
}
