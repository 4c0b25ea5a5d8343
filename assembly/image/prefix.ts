// Row prefix sums: rp[j] = sum of src[i] for i <= j with i ≡ j (mod cn), that is the
// running sum of each channel along one row of interleaved pixels.
//
// u8 rows are summed in i32 lanes (squares in u32 lanes: 65025·65536 < 2³²), 16 bytes
// a step. Within a v128 of four i32 the prefix is OpenCV's shift-and-add: shift by one
// pixel, add, shift by two, add; then the carry from the previous vector is added and
// the last pixel of the result becomes the next carry. With 4 channels a v128 is one
// pixel and the prefix is a plain running add.

// Lane prefix of four i32 holding pixels of `cn` channels (cn = 1, 2 or 4), plus carry.
@inline function prefixQuad(q: v128, carry: v128, cn: i32): v128 {
  const z = i32x4.splat(0);
  if (cn == 1) {
    q = i32x4.add(q, i32x4.shuffle(z, q, 0, 4, 5, 6));
    q = i32x4.add(q, i32x4.shuffle(z, q, 0, 0, 4, 5));
  } else if (cn == 2) {
    q = i32x4.add(q, i32x4.shuffle(z, q, 0, 0, 4, 5));
  }
  return i32x4.add(q, carry);
}

// The last pixel of q repeated across the vector: the carry into the next vector.
@inline function lastPixel(q: v128, cn: i32): v128 {
  if (cn == 1) return i32x4.shuffle(q, q, 3, 3, 3, 3);
  if (cn == 2) return i32x4.shuffle(q, q, 2, 3, 2, 3);
  return q;
}

// Scalar tail: continue the prefix from element `from` using the values already stored.
@inline function prefixTailU8(src: usize, from: i32, n: i32, cn: i32, rp: usize, rp2: usize, squared: bool): void {
  for (let j = from; j < n; j++) {
    const v = <u32>load<u8>(src + <usize>j);
    const at = <usize>j << 2;
    const back = <usize>cn << 2;
    store<u32>(rp + at, (j >= cn ? load<u32>(rp + at - back) : 0) + v);
    if (squared) store<u32>(rp2 + at, (j >= cn ? load<u32>(rp2 + at - back) : 0) + v * v);
  }
}

// cn ∈ {1, 2, 4}: sixteen bytes a step, four quads each.
function prefixU8Vec(src: usize, n: i32, cn: i32, rp: usize, rp2: usize, squared: bool): void {
  let carry = i32x4.splat(0);
  let carry2 = carry;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const b = v128.load(src + <usize>j);
    const lo = i16x8.extend_low_i8x16_u(b);
    const hi = i16x8.extend_high_i8x16_u(b);
    const out = rp + (<usize>j << 2);
    let q = prefixQuad(i32x4.extend_low_i16x8_u(lo), carry, cn);
    v128.store(out, q);
    q = prefixQuad(i32x4.extend_high_i16x8_u(lo), lastPixel(q, cn), cn);
    v128.store(out, q, 16);
    q = prefixQuad(i32x4.extend_low_i16x8_u(hi), lastPixel(q, cn), cn);
    v128.store(out, q, 32);
    q = prefixQuad(i32x4.extend_high_i16x8_u(hi), lastPixel(q, cn), cn);
    v128.store(out, q, 48);
    carry = lastPixel(q, cn);
    if (squared) {
      // 255² fits u16, so the squares are exact in 16-bit lanes.
      const slo = i16x8.mul(lo, lo);
      const shi = i16x8.mul(hi, hi);
      const out2 = rp2 + (<usize>j << 2);
      let s = prefixQuad(i32x4.extend_low_i16x8_u(slo), carry2, cn);
      v128.store(out2, s);
      s = prefixQuad(i32x4.extend_high_i16x8_u(slo), lastPixel(s, cn), cn);
      v128.store(out2, s, 16);
      s = prefixQuad(i32x4.extend_low_i16x8_u(shi), lastPixel(s, cn), cn);
      v128.store(out2, s, 32);
      s = prefixQuad(i32x4.extend_high_i16x8_u(shi), lastPixel(s, cn), cn);
      v128.store(out2, s, 48);
      carry2 = lastPixel(s, cn);
    }
  }
  prefixTailU8(src, j, n, cn, rp, rp2, squared);
}

// cn = 3: one pixel a step in the low three lanes. Each store writes one lane past the
// pixel, which the next pixel overwrites; buffers carry 16 bytes of padding for the last.
function prefixU8C3(src: usize, n: i32, rp: usize, rp2: usize, squared: bool): void {
  const mask = i32x4(-1, -1, -1, 0);
  let acc = i32x4.splat(0);
  let acc2 = acc;
  let j = 0;
  for (; j + 3 <= n; j += 3) {
    // Reads one byte past the pixel: the arena pads every region.
    const px = v128.and(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(src + <usize>j))), mask);
    acc = i32x4.add(acc, px);
    v128.store(rp + (<usize>j << 2), acc);
    if (squared) {
      acc2 = i32x4.add(acc2, i32x4.mul(px, px));
      v128.store(rp2 + (<usize>j << 2), acc2);
    }
  }
}

export function prefixU8(src: usize, n: i32, cn: i32, rp: usize, rp2: usize, squared: bool): void {
  if (cn == 3) prefixU8C3(src, n, rp, rp2, squared);
  else if (cn == 1) prefixU8Vec(src, n, 1, rp, rp2, squared);
  else if (cn == 2) prefixU8Vec(src, n, 2, rp, rp2, squared);
  else prefixU8Vec(src, n, 4, rp, rp2, squared);
}

// f32 rows are summed in f64, element by element in a fixed order, so that every
// thread count performs the very same additions.
export function prefixF32(src: usize, n: i32, cn: i32, rp: usize, rp2: usize, squared: bool): void {
  const back = <usize>cn << 3;
  for (let j = 0; j < n; j++) {
    const v = <f64>load<f32>(src + (<usize>j << 2));
    const at = <usize>j << 3;
    store<f64>(rp + at, (j >= cn ? load<f64>(rp + at - back) : 0.0) + v);
    if (squared) store<f64>(rp2 + at, (j >= cn ? load<f64>(rp2 + at - back) : 0.0) + v * v);
  }
}
