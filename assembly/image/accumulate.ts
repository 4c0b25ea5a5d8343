// Row accumulation: one output row of the integral from the row above and this row's
// prefix sums. All loops run four elements a step with a scalar tail.

// out = above + rp, exact in i32.
export function addRowI32(out: usize, above: usize, rp: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>j << 2;
    v128.store(out + at, i32x4.add(v128.load(above + at), v128.load(rp + at)));
  }
  for (; j < n; j++) {
    const at = <usize>j << 2;
    store<i32>(out + at, load<i32>(above + at) + load<i32>(rp + at));
  }
}

// out = above + f64(rp) with rp in u32 lanes; exact while the sums stay below 2⁵³.
export function addRowF64U32(out: usize, above: usize, rp: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const q = v128.load(rp + (<usize>j << 2));
    const at = out + (<usize>j << 3);
    const up = above + (<usize>j << 3);
    v128.store(at, f64x2.add(v128.load(up), f64x2.convert_low_i32x4_u(q)));
    v128.store(at, f64x2.add(v128.load(up, 16), f64x2.convert_low_i32x4_u(i32x4.shuffle(q, q, 2, 3, 2, 3))), 16);
  }
  for (; j < n; j++) {
    store<f64>(out + (<usize>j << 3), load<f64>(above + (<usize>j << 3)) + <f64>load<u32>(rp + (<usize>j << 2)));
  }
}

// Float input: local += rp (the strip's own running sum), out = carry + local.
// Keeping the strip's sum apart from the carry makes the additions the same
// whether the strip above was summed by this thread or another.
export function addRowF64Local(out: usize, carry: usize, local: usize, rp: usize, n: i32): void {
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const at = <usize>j << 3;
    const l = f64x2.add(v128.load(local + at), v128.load(rp + at));
    v128.store(local + at, l);
    v128.store(out + at, f64x2.add(v128.load(carry + at), l));
  }
  for (; j < n; j++) {
    const at = <usize>j << 3;
    const l = load<f64>(local + at) + load<f64>(rp + at);
    store<f64>(local + at, l);
    store<f64>(out + at, load<f64>(carry + at) + l);
  }
}

// dst += src over n f64.
export function addF64(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const at = <usize>j << 3;
    v128.store(dst + at, f64x2.add(v128.load(dst + at), v128.load(src + at)));
  }
  for (; j < n; j++) {
    const at = <usize>j << 3;
    store<f64>(dst + at, load<f64>(dst + at) + load<f64>(src + at));
  }
}
