// The fused epilogue every kernel ends in: alpha, beta·C (or the partial sum C holds),
// bias, activation, store. GEMM's microkernel uses all of it; convolution, depthwise and
// Winograd store finished outputs (storeOutput). madd is a multiply-add: FMA in the
// relaxed-SIMD build, a multiply and an add in the plain one.
import { ACT_NONE, ACT_RELU6 } from "../runtime/schema.gen";

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// ACT_RELU clamps below only; ACT_RELU6 also above. NaN stays NaN. pmax(v, 0) is
// v < 0 ? 0 : v and pmin(v, 6) is 6 < v ? 6 : v: one instruction each on x86 and Arm,
// where max and min (NaN- and signed-zero-exact) take V8 about eight on x86. They differ
// from max only on -0, which they pass through: sums that start at +0 never hold it, and
// storeQuad, where alpha and beta can make one, adds +0 after.
@inline function activate(v: v128, act: i32): v128 {
  if (act == ACT_NONE) return v;
  v = f32x4.pmax(v, f32x4.splat(0));
  return act == ACT_RELU6 ? f32x4.pmin(v, f32x4.splat(6)) : v;
}

@inline export function activateScalar(v: f32, act: i32): f32 {
  if (act == ACT_NONE) return v;
  v = v > 0 ? v : (v != v ? v : 0); // NaN stays NaN, as f32x4.pmax keeps it
  return act == ACT_RELU6 ? (v < 6 ? v : (v != v ? v : 6)) : v;
}

// One row of eight results: two quads, `quadBytes` apart (16 in a row-major C; a
// channel plane apart in an NC4HW4 tensor).
@inline export function storeRow(c: usize, quadBytes: usize, x0: v128, x1: v128, alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32): void {
  storeQuad(c, x0, alpha, beta, first, last, bias, act);
  storeQuad(c + quadBytes, x1, alpha, beta, first, last, bias ? bias + 16 : 0, act);
}

// The epilogue on four results: alpha, beta·C (or the partial sum C holds), bias, activation.
@inline export function storeQuad(c: usize, x: v128, alpha: f32, beta: f32, first: bool, last: bool, bias: usize, act: i32): void {
  x = f32x4.mul(x, f32x4.splat(alpha));
  if (!first) x = f32x4.add(x, v128.load(c));
  else if (beta != 0) x = madd(f32x4.splat(beta), v128.load(c), x);
  if (last) {
    if (bias) x = f32x4.add(x, v128.load(bias));
    // (+0: -0 from alpha < 0 or beta·C leaves the clamp as +0, as max would give.)
    if (act != ACT_NONE) x = f32x4.add(activate(x, act), f32x4.splat(0));
  }
  v128.store(c, x);
}

// An epilogue kept in memory, for kernels with no register to spare: three v128 at `at`,
// the bias to add and the activation's bounds for pmax and pmin (−∞ and +∞ where it has
// none, which pass every value through as activate does), so that a store takes three
// loads and no branches.
export function epilogueInMemory(at: usize, bias: f32, act: i32): void {
  v128.store(at, f32x4.splat(bias));
  v128.store(at, f32x4.splat(act == ACT_NONE ? -Infinity : 0), 16);
  v128.store(at, f32x4.splat(act == ACT_RELU6 ? 6 : Infinity), 32);
}

// Finished outputs of one channel, four pixels' or the first `lanes`, through the epilogue
// at `at` (epilogueInMemory; 0: none, the sums as they are).
@inline export function storePixels(out: usize, x: v128, at: usize, lanes: i32): void {
  if (at) x = f32x4.pmin(f32x4.pmax(f32x4.add(x, v128.load(at)), v128.load(at, 16)), v128.load(at, 32));
  if (lanes == 4) {
    v128.store(out, x);
    return;
  }
  if (lanes & 2) v128.store64_lane(out, x, 0);
  if (lanes == 1) v128.store32_lane(out, x, 0);
  if (lanes == 3) v128.store32_lane(out, x, 2, 8);
}

// A finished output quad: bias (a v128 of four channels' values, 0: none), activation, store.
@inline export function storeOutput(out: usize, x: v128, bias: usize, act: i32): void {
  if (bias) x = f32x4.add(x, v128.load(bias));
  v128.store(out, activate(x, act));
}
