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
    // One row r of U at a time across the channels, so that stores go to n matrices at
    // once, not all n²: the matrices lie a multiple of 4 KiB apart in the larger layers,
    // where n² write streams fell in one cache set and went to memory.
    for (let r = 0; r < n; r++) {
      const r0 = g(G, r, 0), r1 = g(G, r, 1), r2 = g(G, r, 2);
      const row = out + <usize>(r * n) * plane + (<usize>(o * c) << 2);
      for (let ci = 0; ci < c; ci += 2) {
        const pair = ci + 1 < c; // an odd last channel goes alone, lane 1 a copy of lane 0
        const a = weight + (<usize>(o * c + ci) * 9 << 2);
        const b = pair ? a + 36 : a;
        // Row r of G·g, then U's row r = (G·g)_r · Gᵀ, stored at ξ = r·n + k.
        const t0 = f64x2.add(f64x2.add(f64x2.mul(r0, tap(a, b, 0)), f64x2.mul(r1, tap(a, b, 3))), f64x2.mul(r2, tap(a, b, 6)));
        const t1 = f64x2.add(f64x2.add(f64x2.mul(r0, tap(a, b, 1)), f64x2.mul(r1, tap(a, b, 4))), f64x2.mul(r2, tap(a, b, 7)));
        const t2 = f64x2.add(f64x2.add(f64x2.mul(r0, tap(a, b, 2)), f64x2.mul(r1, tap(a, b, 5))), f64x2.mul(r2, tap(a, b, 8)));
        let to = row + (<usize>ci << 2);
        for (let k = 0; k < n; k++, to += plane) {
          const u = f32x4.demote_f64x2_zero(f64x2.add(f64x2.add(f64x2.mul(t0, g(G, k, 0)), f64x2.mul(t1, g(G, k, 1))), f64x2.mul(t2, g(G, k, 2))));
          if (pair) v128.store64_lane(to, u, 0);
          else v128.store32_lane(to, u, 0);
        }
      }
    }
  }
}
