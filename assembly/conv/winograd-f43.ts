// The transforms of Winograd F(4×4, 3×3) (Lavin & Gray): 6×6 input patches, 36 products
// per channel pair for 16 outputs (2.25 per output, against F(2×2, 3×3)'s 4 and direct 9).
// winograd.ts runs the products and picks the F; these act on v128s, four channels at once.
//   Bᵀ rows: (4, 0, −5, 0, 1, 0), (0, −4, −4, 1, 1, 0), (0, 4, −4, −1, 1, 0),
//            (0, −2, −1, 2, 1, 0), (0, 2, −1, −2, 1, 0), (0, 4, 0, −5, 0, 1)
//   Aᵀ rows: (1, 1, 1, 1, 1, 0), (0, 1, −1, 2, −2, 0), (0, 1, 1, 4, 4, 0), (0, 1, −1, 8, −8, 1)
import { storeOutput } from "../simd/epilogue";

@inline function mul(x: v128, k: f32): v128 {
  return f32x4.mul(x, f32x4.splat(k));
}

// Bᵀ applied to six values, stored at `to`, `step` apart.
@inline function storeB(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, to: usize, step: usize): void {
  const d4m2 = f32x4.sub(d4, d2); // d4 − d2
  const d3m1 = f32x4.sub(d3, d1); // d3 − d1
  v128.store(to, f32x4.add(f32x4.sub(mul(d0, 4), mul(d2, 5)), d4));
  v128.store(to + step, f32x4.sub(f32x4.add(d3, d4), mul(f32x4.add(d1, d2), 4)));
  v128.store(to + 2 * step, f32x4.add(f32x4.sub(d4, d3), mul(f32x4.sub(d1, d2), 4)));
  v128.store(to + 3 * step, f32x4.add(mul(d3m1, 2), d4m2));
  v128.store(to + 4 * step, f32x4.sub(d4m2, mul(d3m1, 2)));
  v128.store(to + 5 * step, f32x4.add(f32x4.sub(mul(d1, 4), mul(d3, 5)), d5));
}

// Bᵀ·d·B of the 6×6 patch at (y0, x0) of a channel plane (rows w pixels long), pixels
// outside the image read as zero; its 36 v128s to dst, xiStep apart (ξ = 6·row + column).
export function transformInput43(plane: usize, h: i32, w: i32, y0: i32, x0: i32, dst: usize, xiStep: usize): void {
  const rowBytes = <usize>w << 4;
  const inside = y0 >= 0 && x0 >= 0 && y0 + 6 <= h && x0 + 6 <= w;
  const zero = f32x4.splat(0);
  // Columns of Bᵀ·d: element (r, c) at dst + (6r + c)·xiStep.
  for (let c = 0; c < 6; c++) {
    const x = x0 + c;
    const at = plane + (<usize>x << 4) + <usize>y0 * rowBytes;
    let d0 = zero, d1 = zero, d2 = zero, d3 = zero, d4 = zero, d5 = zero;
    if (inside) {
      d0 = v128.load(at); d1 = v128.load(at + rowBytes); d2 = v128.load(at + 2 * rowBytes);
      d3 = v128.load(at + 3 * rowBytes); d4 = v128.load(at + 4 * rowBytes); d5 = v128.load(at + 5 * rowBytes);
    } else if (<u32>x < <u32>w) {
      if (<u32>y0 < <u32>h) d0 = v128.load(at);
      if (<u32>(y0 + 1) < <u32>h) d1 = v128.load(at + rowBytes);
      if (<u32>(y0 + 2) < <u32>h) d2 = v128.load(at + 2 * rowBytes);
      if (<u32>(y0 + 3) < <u32>h) d3 = v128.load(at + 3 * rowBytes);
      if (<u32>(y0 + 4) < <u32>h) d4 = v128.load(at + 4 * rowBytes);
      if (<u32>(y0 + 5) < <u32>h) d5 = v128.load(at + 5 * rowBytes);
    }
    storeB(d0, d1, d2, d3, d4, d5, dst + <usize>c * xiStep, 6 * xiStep);
  }
  // Then ·B, row by row, in place.
  for (let r = 0; r < 6; r++) {
    const row = dst + <usize>(6 * r) * xiStep;
    storeB(v128.load(row), v128.load(row + xiStep), v128.load(row + 2 * xiStep),
      v128.load(row + 3 * xiStep), v128.load(row + 4 * xiStep), v128.load(row + 5 * xiStep), row, xiStep);
  }
}

// Aᵀ applied to six values: the four results, stored `step` apart.
@inline function storeA(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, to: usize, step: usize): void {
  const p12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2);
  const p34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
  v128.store(to, f32x4.add(f32x4.add(m0, p12), p34));
  v128.store(to + step, f32x4.add(d12, mul(d34, 2)));
  v128.store(to + 2 * step, f32x4.add(p12, mul(p34, 4)));
  v128.store(to + 3 * step, f32x4.add(f32x4.add(d12, mul(d34, 8)), m5));
}

// Aᵀ·M·A of the 36 v128s at src (xiStep apart): the 4×4 outputs at out (rows rowBytes
// apart), only the first `rows` rows and `cols` columns (the output's edge), with bias and
// activation. `tmp` holds Aᵀ·M (24 v128s).
export function transformOutput43(
  src: usize, xiStep: usize, tmp: usize, out: usize, rowBytes: usize, rows: i32, cols: i32, bias: usize, act: i32,
): void {
  for (let c = 0; c < 6; c++) {
    const at = src + <usize>c * xiStep;
    storeA(v128.load(at), v128.load(at + 6 * xiStep), v128.load(at + 12 * xiStep),
      v128.load(at + 18 * xiStep), v128.load(at + 24 * xiStep), v128.load(at + 30 * xiStep), tmp + (<usize>c << 4), 96);
  }
  // Row r of Aᵀ·M is at tmp + 96r; its Aᵀ-combinations are the output row's four pixels,
  // written to tmp's tail first, then stored with the epilogue.
  const row4 = tmp + 384;
  for (let r = 0; r < rows; r++) {
    const at = tmp + <usize>(96 * r);
    storeA(v128.load(at), v128.load(at, 16), v128.load(at, 32), v128.load(at, 48), v128.load(at, 64), v128.load(at, 80), row4, 16);
    const to = out + <usize>r * rowBytes;
    for (let x = 0; x < cols; x++) storeOutput(to + (<usize>x << 4), v128.load(row4 + (<usize>x << 4)), bias, act);
  }
}
