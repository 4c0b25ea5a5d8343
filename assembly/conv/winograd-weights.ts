// Winograd's weight transform: U = G·g·Gᵀ for every (oc, c) pair of OIHW 3×3 weights, in
// f64 and rounded to f32 once, into [ξ][oc][c] (each ξ an oc×c matrix the GEMM packer
// takes as is). A work-group is `ocPerGroup` output channels; two input channels go
// through the arithmetic at once, one in each f64 lane, in the order the products were
// always summed: (G·g)[r][j] = G[r][0]·g[0][j] + G[r][1]·g[1][j] + G[r][2]·g[2][j], then
// U[r][k] = (G·g)[r][0]·G[k][0] + (G·g)[r][1]·G[k][1] + (G·g)[r][2]·G[k][2].
import { WinogradWeightsArgs } from "../runtime/schema.gen";

// G (the plan's table, row-major f64), entry (r, k) in both lanes.
@inline function g(G: usize, r: i32, k: i32): v128 {
  return v128.load64_splat(G + (<usize>(r * 3 + k) << 3));
}

/** Weight j (0…8, row-major) of the filters at a and b, one per f64 lane. */
@inline function tap(a: usize, b: usize, j: i32): v128 {
  return f64x2.promote_low_f32x4(v128.load32_lane(b + (<usize>j << 2), v128.load32_zero(a + (<usize>j << 2)), 1));
}

export function winogradWeightsGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const oc = WinogradWeightsArgs.oc(ctrl), c = WinogradWeightsArgs.c(ctrl);
  const G = WinogradWeightsArgs.g(ctrl);
  const n = WinogradWeightsArgs.tile(ctrl) + 2;
  const weight = WinogradWeightsArgs.weight(ctrl), out = WinogradWeightsArgs.out(ctrl);
  const plane = <usize>oc * <usize>c << 2; // bytes of one ξ's matrix
  const o0 = group * WinogradWeightsArgs.ocPerGroup(ctrl), o1 = min(oc, o0 + WinogradWeightsArgs.ocPerGroup(ctrl));
  for (let o = o0; o < o1; o++) {
    for (let ci = 0; ci < c; ci += 2) {
      const pair = ci + 1 < c; // an odd last channel goes alone, lane 1 a copy of lane 0
      const a = weight + (<usize>(o * c + ci) * 9 << 2);
      const b = pair ? a + 36 : a;
      const g00 = tap(a, b, 0), g01 = tap(a, b, 1), g02 = tap(a, b, 2);
      const g10 = tap(a, b, 3), g11 = tap(a, b, 4), g12 = tap(a, b, 5);
      const g20 = tap(a, b, 6), g21 = tap(a, b, 7), g22 = tap(a, b, 8);
      let to = out + (<usize>(o * c + ci) << 2);
      for (let r = 0; r < n; r++) {
        // Row r of G·g, then U's row r = (G·g)_r · Gᵀ, stored at ξ = r·n + k.
        const r0 = g(G, r, 0), r1 = g(G, r, 1), r2 = g(G, r, 2);
        const t0 = f64x2.add(f64x2.add(f64x2.mul(r0, g00), f64x2.mul(r1, g10)), f64x2.mul(r2, g20));
        const t1 = f64x2.add(f64x2.add(f64x2.mul(r0, g01), f64x2.mul(r1, g11)), f64x2.mul(r2, g21));
        const t2 = f64x2.add(f64x2.add(f64x2.mul(r0, g02), f64x2.mul(r1, g12)), f64x2.mul(r2, g22));
        for (let k = 0; k < n; k++, to += plane) {
          const u = f32x4.demote_f64x2_zero(f64x2.add(f64x2.add(f64x2.mul(t0, g(G, k, 0)), f64x2.mul(t1, g(G, k, 1))), f64x2.mul(t2, g(G, k, 2))));
          if (pair) v128.store64_lane(to, u, 0);
          else v128.store32_lane(to, u, 0);
        }
      }
    }
  }
}
