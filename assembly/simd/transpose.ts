// 4×4 transposes of 32-bit lanes, shared by the GEMM and convolution packing and the
// NC4HW4 layouts.

// Four rows of four lanes, x0..x3, stored as four columns, one v128 after another at dst.
@inline export function storeTransposed(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize): void {
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
  v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
  v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
}

// Load four rows of four lanes (`stride` bytes apart) and store them as four columns,
// one v128 after another at dst.
@inline export function transpose4x4(src: usize, stride: usize, dst: usize): void {
  storeTransposed(v128.load(src), v128.load(src + stride), v128.load(src + 2 * stride), v128.load(src + 3 * stride), dst);
}

// The inverse: four consecutive v128 at src become four rows `stride` bytes apart.
@inline export function transpose4x4Out(src: usize, dst: usize, stride: usize): void {
  const x0 = v128.load(src);
  const x1 = v128.load(src, 16);
  const x2 = v128.load(src, 32);
  const x3 = v128.load(src, 48);
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}
