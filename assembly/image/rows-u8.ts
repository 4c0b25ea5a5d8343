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

// Store above + q for four elements starting at element j, as i32 or f64. Row sums
// below 2³¹ convert as signed (one cvtdq2pd on x64; the unsigned form takes several).
@inline function emit(out: usize, above: usize, j: usize, q: v128, f64out: bool, unsigned: bool = false): void {
  if (!f64out) {
    const at = j << 2;
    v128.store(out + at, i32x4.add(v128.load(above + at), q));
  } else {
    const o = out + (j << 3);
    const a = above + (j << 3);
    const hi = i32x4.shuffle(q, q, 2, 3, 2, 3);
    if (unsigned) {
      v128.store(o, f64x2.add(v128.load(a), f64x2.convert_low_i32x4_u(q)));
      v128.store(o, f64x2.add(v128.load(a, 16), f64x2.convert_low_i32x4_u(hi)), 16);
    } else {
      v128.store(o, f64x2.add(v128.load(a), f64x2.convert_low_i32x4_s(q)));
      v128.store(o, f64x2.add(v128.load(a, 16), f64x2.convert_low_i32x4_s(hi)), 16);
    }
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

// cn ∈ {1, 2, 4}: sixteen bytes a step.
@inline function rowVec(src: usize, n: i32, cn: i32, out: usize, above: usize, f64out: bool, sq: usize, sqAbove: usize, squared: bool): void {
  let carry = i32x4.splat(0);
  let carry2 = carry;
  // 255 · 8421504 < 2³¹: narrower rows convert their sums as signed.
  const wideSum = n > 8421504 * cn;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const b = v128.load(src + <usize>j);
    const lo = i16x8.extend_low_i8x16_u(b);
    const hi = i16x8.extend_high_i8x16_u(b);
    const pl = prefix16(lo, cn);
    const ph = i16x8.add(prefix16(hi, cn), last16(pl, cn));
    const q3 = i32x4.add(i32x4.extend_high_i16x8_u(ph), carry);
    emit(out, above, <usize>j, i32x4.add(i32x4.extend_low_i16x8_u(pl), carry), f64out, wideSum);
    emit(out, above, <usize>j + 4, i32x4.add(i32x4.extend_high_i16x8_u(pl), carry), f64out, wideSum);
    emit(out, above, <usize>j + 8, i32x4.add(i32x4.extend_low_i16x8_u(ph), carry), f64out, wideSum);
    emit(out, above, <usize>j + 12, q3, f64out, wideSum);
    carry = last32(q3, cn);
    if (squared) {
      // 65025 · 33025 < 2³¹: narrower rows convert their sums of squares as signed.
      const wide = n > 33025 * cn;
      const slo = i16x8.mul(lo, lo);
      const shi = i16x8.mul(hi, hi);
      let s = prefix32(i32x4.extend_low_i16x8_u(slo), carry2, cn);
      emit(sq, sqAbove, <usize>j, s, true, wide);
      s = prefix32(i32x4.extend_high_i16x8_u(slo), last32(s, cn), cn);
      emit(sq, sqAbove, <usize>j + 4, s, true, wide);
      s = prefix32(i32x4.extend_low_i16x8_u(shi), last32(s, cn), cn);
      emit(sq, sqAbove, <usize>j + 8, s, true, wide);
      s = prefix32(i32x4.extend_high_i16x8_u(shi), last32(s, cn), cn);
      emit(sq, sqAbove, <usize>j + 12, s, true, wide);
      carry2 = last32(s, cn);
    }
  }
  for (; j < n; j++) {
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

// Constant cn and output type per instance let every shuffle and branch fold away.
function rowI32C1(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize, squared: bool): void { rowVec(src, n, 1, out, above, false, sq, sqAbove, squared); }
function rowI32C2(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize, squared: bool): void { rowVec(src, n, 2, out, above, false, sq, sqAbove, squared); }
function rowI32C4(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize, squared: bool): void { rowVec(src, n, 4, out, above, false, sq, sqAbove, squared); }
function rowF64C1(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize, squared: bool): void { rowVec(src, n, 1, out, above, true, sq, sqAbove, squared); }
function rowF64C2(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize, squared: bool): void { rowVec(src, n, 2, out, above, true, sq, sqAbove, squared); }
function rowF64C4(src: usize, n: i32, out: usize, above: usize, sq: usize, sqAbove: usize, squared: bool): void { rowVec(src, n, 4, out, above, true, sq, sqAbove, squared); }

export function integralRowU8(src: usize, n: i32, cn: i32, out: usize, above: usize, f64out: bool, sq: usize, sqAbove: usize, squared: bool): void {
  if (cn == 3) rowC3(src, n, out, above, f64out, sq, sqAbove, squared);
  else if (!f64out) {
    if (cn == 1) rowI32C1(src, n, out, above, sq, sqAbove, squared);
    else if (cn == 2) rowI32C2(src, n, out, above, sq, sqAbove, squared);
    else rowI32C4(src, n, out, above, sq, sqAbove, squared);
  } else {
    if (cn == 1) rowF64C1(src, n, out, above, sq, sqAbove, squared);
    else if (cn == 2) rowF64C2(src, n, out, above, sq, sqAbove, squared);
    else rowF64C4(src, n, out, above, sq, sqAbove, squared);
  }
}
