// Row prefix sums of float input: rp[j] = sum of src[i] for i <= j with i ≡ j (mod cn),
// the running sum of each channel along one row of interleaved pixels.
// (8-bit rows are fused with their accumulation in rows-u8.ts.)

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
