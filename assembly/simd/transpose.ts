// 4×4 transposes of 32-bit lanes, shared by the GEMM and convolution packing and the
// NC4HW4 layouts.

// Four rows of four lanes, x0..x3, stored as four columns, one v128 after another at dst.
// (Not storeTransposedRows with a stride of 16: the stores keep constant offsets, which the
// optimizer did not fold from `dst + stride` in every caller.)
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

// Four rows of four lanes, x0..x3, stored as four columns `stride` bytes apart from dst.
@inline export function storeTransposedRows(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize, stride: usize): void {
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

// Load four rows of four lanes (`stride` bytes apart) and store them as four columns,
// one v128 after another at dst.
@inline export function transpose4x4(src: usize, stride: usize, dst: usize): void {
  storeTransposed(v128.load(src), v128.load(src + stride), v128.load(src + 2 * stride), v128.load(src + 3 * stride), dst);
}

// The inverse: four consecutive v128 at src become four rows `stride` bytes apart.
@inline export function transpose4x4Out(src: usize, dst: usize, stride: usize): void {
  storeTransposedRows(v128.load(src), v128.load(src, 16), v128.load(src, 32), v128.load(src, 48), dst, stride);
}

// `pixels` pixels of `lanes` (≤ 4) channel planes, `planeStride` bytes apart from src, as a
// v128 per pixel at dst (NCHW to NC4HW4): four pixels a 4×4 transpose while the quad is
// whole, lane by lane otherwise, zero past the last lane.
@inline export function planesToQuads(src: usize, planeStride: usize, dst: usize, pixels: i32, lanes: i32): void {
  let p = 0;
  if (lanes == 4) {
    for (; p + 4 <= pixels; p += 4) transpose4x4(src + (<usize>p << 2), planeStride, dst + (<usize>p << 4));
  }
  for (; p < pixels; p++) {
    for (let i = 0; i < 4; i++) {
      const v: f32 = i < lanes ? load<f32>(src + <usize>i * planeStride + (<usize>p << 2)) : 0;
      store<f32>(dst + (<usize>p << 4) + (<usize>i << 2), v);
    }
  }
}

// The inverse: `pixels` v128 at src to `lanes` channel planes `planeStride` bytes apart at
// dst; no store reaches a plane past the last lane.
@inline export function quadsToPlanes(src: usize, dst: usize, planeStride: usize, pixels: i32, lanes: i32): void {
  let p = 0;
  if (lanes == 4) {
    for (; p + 4 <= pixels; p += 4) transpose4x4Out(src + (<usize>p << 4), dst + (<usize>p << 2), planeStride);
  }
  for (; p < pixels; p++) {
    for (let i = 0; i < lanes; i++) store<f32>(dst + <usize>i * planeStride + (<usize>p << 2), load<f32>(src + (<usize>p << 4) + (<usize>i << 2)));
  }
}
