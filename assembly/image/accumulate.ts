// Row accumulation for float input: one output row of the integral from the carry,
// the strip's local sums and this row's prefix sums. Two f64 a step, scalar tail.

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
