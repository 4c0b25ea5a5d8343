// Depthwise 3×3 at stride 2 from NCHW to NCHW, each channel plane read where it lies and
// written where it goes: a v128 holds four neighbouring outputs of one channel's row
// (XNNPACK's CHW kernels have the same shape). No gather into channel quads, no
// transposes back: about 50 instructions an output quad's worth, where the gather, the
// NC4HW4 window kernel and the transposes back spend about 64 (docs/decisions/depthwise.md).
//
// Output column ox reads input columns 2·ox − pl + kx. For a block of four outputs whose
// first reads column q, tap kx = 0 is the even lanes of columns q..q+7, kx = 1 the odd
// ones, kx = 2 tap 0's last three lanes and column q+8: three loads (the last one float)
// and three shuffles a row. Two output
// rows go at a time: their five input rows include one both read (stride 2), taken apart
// once. The nine weights stay in registers for the whole plane; with the two sums and a
// row's three taps that is fifteen v128, all V8 before 12 has, so nothing else is held.
//
// Edges: rows in the padding read a row of zeros in scratch; a left padding column (the
// first block reads column −1) is lane 0 of tap 0, zeroed, and one right padding column
// (the last output reads column w, as "same" padding at stride 2 has on even widths) lane 3
// of tap 2. A row's last outputs short of four are a whole block ending at the row's end,
// which computes a few outputs twice. Where a block may not read in place (its wanted
// columns reach further into the right padding, or on the input's last plane it would read
// past the row, past the input's end), it reads a zero-padded copy of its columns in
// scratch and stores its outputs lane by lane.
import { ACT_NONE, Config, DepthwiseArgs, PLANAR_SCRATCH_BLOCK_BYTES, PLANAR_SCRATCH_BYTES } from "../runtime/schema.gen";
import { epilogueInMemory, storePixels } from "../simd/epilogue";

// A thread's scratch, PLANAR_SCRATCH_BYTES and PLANAR_SCRATCH_BLOCK_BYTES a block of four
// output columns: the plane's epilogue (three v128); two v128 for the partial sums of
// blocks not stored in place; five padded rows of PADDED_ROW bytes; 64 zero bytes (a first
// block reads column −1); then the zero row, every column a block reads (8 a block, 9
// past the last) and more: 64 bytes and 32 a block.
const PADDED_ROW: usize = 64;
const ZERO_ROW_AT: usize = 48 + 32 + 5 * PADDED_ROW + 64;

// A row's three taps for four outputs from column q at p, weighted and summed into acc
// (`first`: they start the sum, instead of adding to +0. The one difference: a sum of −0
// products stays −0, which the epilogue's bias addition makes +0.)
@inline function taps(p: usize, w0: v128, w1: v128, w2: v128, acc: v128, leftPad: bool, rightPad: bool, first: bool = false): v128 {
  const a = v128.load(p), b = v128.load(p, 16);
  let t0 = i32x4.shuffle(a, b, 0, 2, 4, 6);
  if (leftPad) t0 = i32x4.replace_lane(t0, 0, 0);
  acc = first ? f32x4.mul(t0, w0) : f32x4.add(acc, f32x4.mul(t0, w0));
  acc = f32x4.add(acc, f32x4.mul(i32x4.shuffle(a, b, 1, 3, 5, 7), w1));
  return f32x4.add(acc, f32x4.mul(thirdTap(p, t0, rightPad), w2));
}

// Tap 2 of four outputs from column q at p: columns q + 2, q + 4, q + 6 (tap 0's last three,
// t0) and q + 8 (`rightPad`: the right padding's, zero).
@inline function thirdTap(p: usize, t0: v128, rightPad: bool): v128 {
  return i32x4.shuffle(t0, rightPad ? i32x4.splat(0) : v128.load32_zero(p, 32), 1, 2, 3, 4);
}

// The sum of an output's first two tap rows, pA and pB. (`pinned`: each partial sum is
// stored as it completes, at s0, and s1 for a pair's second row. V8 before 12 would
// otherwise hoist all of a block's loads to the top and spill; the stores keep them in
// order. Elsewhere they cost a twelfth.)
@inline function topRows(pA: usize, pB: usize, s0: usize, w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, leftPad: bool, rightPad: bool, pinned: bool): v128 {
  const acc = taps(pA, w00, w01, w02, f32x4.splat(0), leftPad, rightPad, true);
  if (pinned) v128.store(s0, acc);
  const sum = taps(pB, w10, w11, w12, acc, leftPad, rightPad);
  if (pinned) v128.store(s0, sum);
  return sum;
}

// Four outputs of two rows (the first `lanes` of them at o0 and o1): rows pA, pB, pC give
// the first, pC, pD, pE the second.
@inline function pairOfFour(
  pA: usize, pB: usize, pC: usize, pD: usize, pE: usize, o0: usize, o1: usize, lanes: i32, s0: usize, s1: usize,
  w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
  epilogue: usize, leftPad: bool, rightPad: bool, pinned: bool,
): void {
  let acc = topRows(pA, pB, s0, w00, w01, w02, w10, w11, w12, leftPad, rightPad, pinned);
  // The shared row, taken apart once for both.
  const a = v128.load(pC), b = v128.load(pC, 16);
  let t0 = i32x4.shuffle(a, b, 0, 2, 4, 6);
  if (leftPad) t0 = i32x4.replace_lane(t0, 0, 0);
  const t1 = i32x4.shuffle(a, b, 1, 3, 5, 7);
  const t2 = thirdTap(pC, t0, rightPad);
  acc = f32x4.add(acc, f32x4.mul(t0, w20));
  acc = f32x4.add(acc, f32x4.mul(t1, w21));
  acc = f32x4.add(acc, f32x4.mul(t2, w22));
  storePixels(o0, acc, epilogue, lanes);
  let acc1 = f32x4.mul(t0, w00);
  acc1 = f32x4.add(acc1, f32x4.mul(t1, w01));
  acc1 = f32x4.add(acc1, f32x4.mul(t2, w02));
  if (pinned) v128.store(s1, acc1);
  acc1 = taps(pD, w10, w11, w12, acc1, leftPad, rightPad);
  if (pinned) v128.store(s1, acc1);
  acc1 = taps(pE, w20, w21, w22, acc1, leftPad, rightPad);
  storePixels(o1, acc1, epilogue, lanes);
}

export function planarGroup(ctrl: usize, group: i32, tid: i32): void {
  const n = DepthwiseArgs.n(ctrl), c = DepthwiseArgs.c(ctrl);
  const h = DepthwiseArgs.h(ctrl), w = DepthwiseArgs.w(ctrl);
  const oh = DepthwiseArgs.oh(ctrl), ow = DepthwiseArgs.ow(ctrl);
  const pt = DepthwiseArgs.pt(ctrl), pl = DepthwiseArgs.pl(ctrl);
  const act = DepthwiseArgs.act(ctrl);
  const fused = DepthwiseArgs.bias(ctrl) != 0 || act != ACT_NONE;
  const pinned = Config.depthwisePinned(ctrl);
  const per = DepthwiseArgs.quadsPerGroup(ctrl);
  const quadBlocks = (DepthwiseArgs.oc4(ctrl) + per - 1) / per;
  const b = group / quadBlocks;
  const c0 = (group % quadBlocks) * per * 4, c1 = min(c, c0 + per * 4);

  const scratch = DepthwiseArgs.scratch(ctrl) + <usize>tid * DepthwiseArgs.scratchStride(ctrl);
  const blocks = (ow + 3) >> 2;
  if (<usize>PLANAR_SCRATCH_BYTES != ZERO_ROW_AT + 64 || PLANAR_SCRATCH_BLOCK_BYTES != 32) ERROR("the planner's scratch (src/ops/schema.mjs) is not this layout");
  const epilogue = scratch, partial = epilogue + 48;
  const zeroRow = scratch + ZERO_ROW_AT;
  memory.fill(zeroRow - 64, 0, 128 + (<usize>blocks << 5));

  const rowBytes = <usize>w << 2, planeBytes = <usize>h * rowBytes;
  const outRow = <usize>ow << 2, outPlane = <usize>oh * outRow;
  // Blocks [0, fast) want no column past the row (no right padding); on the input's last
  // plane, blocks [0, fastLast) read none past it at all.
  let fast = blocks;
  while (fast > 0 && 2 * min(4 * fast - 1, ow - 1) - pl + 2 >= w) fast--; // its last valid lane's last column
  let fastLast = fast;
  while (fastLast > 0 && 8 * (fastLast - 1) - pl + 9 >= w) fastLast--;
  const whole = min(fast, ow >> 2);
  // The last block, outputs ow − 4 .. ow − 1, goes in place where the blocks before it do:
  // it overlaps the one before (a row's last outputs short of four), or its last output reads
  // the one right padding column (`rightPad`: lane 3 of its tap 2, zeroed), or both.
  const rightPad = 2 * (ow - 1) - pl + 2 == w;
  const tailFits = 2 * (ow - 1) - pl + 2 <= w && 2 * (ow - 4) - pl >= 0;

  for (let ch = c0; ch < c1; ch++) {
    const at = <usize>(b * c + ch);
    // The input's last plane: no block may read past its rows.
    const lastPlane = b == n - 1 && ch == c - 1;
    const readable = lastPlane ? fastLast : fast;
    const input = DepthwiseArgs.input(ctrl) + at * planeBytes, out = DepthwiseArgs.out(ctrl) + at * outPlane;
    const wq = DepthwiseArgs.weights(ctrl) + (<usize>(ch >> 2) * 9 << 4) + (<usize>(ch & 3) << 2);
    const inPlace = min(whole, readable);
    // (Otherwise the last blocks go lane by lane through padded copies in scratch.)
    const tail = tailFits && inPlace == blocks - 1 && (!lastPlane || 2 * (ow - 4) - pl + 9 < w) ? ow - 4 : -1;
    if (fused) {
      epilogueInMemory(epilogue, DepthwiseArgs.bias(ctrl) ? load<f32>(DepthwiseArgs.bias(ctrl) + (<usize>ch << 2)) : 0, act);
      if (pinned) planeFusedPinned(input, out, wq, h, w, oh, ow, pt, pl, epilogue, partial, zeroRow, inPlace, readable, tail, rightPad);
      else planeFused(input, out, wq, h, w, oh, ow, pt, pl, epilogue, partial, zeroRow, inPlace, readable, tail, rightPad);
    } else if (pinned) {
      planePlainPinned(input, out, wq, h, w, oh, ow, pt, pl, partial, zeroRow, inPlace, readable, tail, rightPad);
    } else {
      planePlain(input, out, wq, h, w, oh, ow, pt, pl, partial, zeroRow, inPlace, readable, tail, rightPad);
    }
  }
}

// One channel's plane, with the epilogue at `epilogue` (Fused) or none, with partial sums
// stored as they complete (Pinned) or not: four copies, so that none spends instructions
// on what it does not do (the epilogue is a sixth of the arithmetic's).
function planeFusedPinned(
  input: usize, out: usize, wq: usize, h: i32, w: i32, oh: i32, ow: i32, pt: i32, pl: i32,
  epilogue: usize, partial: usize, zeroRow: usize, inPlace: i32, readable: i32, tail: i32, rightPad: bool,
): void {
  plane(input, out, wq, h, w, oh, ow, pt, pl, epilogue, partial, zeroRow, inPlace, readable, tail, rightPad, true);
}

function planeFused(
  input: usize, out: usize, wq: usize, h: i32, w: i32, oh: i32, ow: i32, pt: i32, pl: i32,
  epilogue: usize, partial: usize, zeroRow: usize, inPlace: i32, readable: i32, tail: i32, rightPad: bool,
): void {
  plane(input, out, wq, h, w, oh, ow, pt, pl, epilogue, partial, zeroRow, inPlace, readable, tail, rightPad, false);
}

function planePlainPinned(
  input: usize, out: usize, wq: usize, h: i32, w: i32, oh: i32, ow: i32, pt: i32, pl: i32,
  partial: usize, zeroRow: usize, inPlace: i32, readable: i32, tail: i32, rightPad: bool,
): void {
  plane(input, out, wq, h, w, oh, ow, pt, pl, 0, partial, zeroRow, inPlace, readable, tail, rightPad, true);
}

function planePlain(
  input: usize, out: usize, wq: usize, h: i32, w: i32, oh: i32, ow: i32, pt: i32, pl: i32,
  partial: usize, zeroRow: usize, inPlace: i32, readable: i32, tail: i32, rightPad: bool,
): void {
  plane(input, out, wq, h, w, oh, ow, pt, pl, 0, partial, zeroRow, inPlace, readable, tail, rightPad, false);
}

// Four outputs of one row (the first `lanes` at o0): rows pA, pB, pC.
@inline function rowOfFour(
  pA: usize, pB: usize, pC: usize, o0: usize, lanes: i32, s0: usize,
  w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
  epilogue: usize, leftPad: bool, rightPad: bool, pinned: bool,
): void {
  const acc = topRows(pA, pB, s0, w00, w01, w02, w10, w11, w12, leftPad, rightPad, pinned);
  storePixels(o0, taps(pC, w20, w21, w22, acc, leftPad, rightPad), epilogue, lanes);
}

// Four outputs of two rows, or (`two` false) of one, with a padding column on the left or
// on the right or none.
@inline function block(
  two: bool, pA: usize, pB: usize, pC: usize, pD: usize, pE: usize, o0: usize, o1: usize, lanes: i32, s0: usize, s1: usize,
  w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
  epilogue: usize, leftPad: bool, pinned: bool, rightPad: bool = false,
): void {
  if (two) pairOfFour(pA, pB, pC, pD, pE, o0, o1, lanes, s0, s1, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, leftPad, rightPad, pinned);
  else rowOfFour(pA, pB, pC, o0, lanes, s0, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, leftPad, rightPad, pinned);
}

@inline function plane(
  input: usize, out: usize, wq: usize, h: i32, w: i32, oh: i32, ow: i32, pt: i32, pl: i32,
  epilogue: usize, partial: usize, zeroRow: usize, inPlace: i32, readable: i32, tail: i32, rightPad: bool, pinned: bool,
): void {
  const w00 = v128.load32_splat(wq), w01 = v128.load32_splat(wq + 16), w02 = v128.load32_splat(wq + 32);
  const w10 = v128.load32_splat(wq + 48), w11 = v128.load32_splat(wq + 64), w12 = v128.load32_splat(wq + 80);
  const w20 = v128.load32_splat(wq + 96), w21 = v128.load32_splat(wq + 112), w22 = v128.load32_splat(wq + 128);
  const rowBytes = <usize>w << 2, outRow = <usize>ow << 2;
  let row = input - <usize>pt * rowBytes; // input row 2·oy − pt
  let o0 = out;
  let oy = 0;
  for (; oy + 1 < oh; oy += 2) {
    const r = 2 * oy - pt;
    let pA = row, pB = row + rowBytes, pC = row + 2 * rowBytes, pD = row + 3 * rowBytes, pE = row + 4 * rowBytes;
    if (r < 0 || r + 4 >= h) {
      pA = rowAt(input, rowBytes, r, h, zeroRow);
      pB = rowAt(input, rowBytes, r + 1, h, zeroRow);
      pC = rowAt(input, rowBytes, r + 2, h, zeroRow);
      pD = rowAt(input, rowBytes, r + 3, h, zeroRow);
      pE = rowAt(input, rowBytes, r + 4, h, zeroRow);
    }
    blocksOfRows(true, pA, pB, pC, pD, pE, o0, o0 + outRow, w, ow, pl, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, partial, inPlace, readable, tail, rightPad, pinned);
    row += rowBytes << 2; // two output rows: four input rows
    o0 += outRow << 1;
  }
  if (oy < oh) {
    const r = 2 * oy - pt;
    const pA = rowAt(input, rowBytes, r, h, zeroRow), pB = rowAt(input, rowBytes, r + 1, h, zeroRow), pC = rowAt(input, rowBytes, r + 2, h, zeroRow);
    blocksOfRows(false, pA, pB, pC, 0, 0, o0, 0, w, ow, pl, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, partial, inPlace, readable, tail, rightPad, pinned);
  }
}

// A row's blocks (of two output rows, or of one): the first, its column −1 in the
// padding; then straight to the output; then the block ending at the row's end (`tail`:
// its first output column, or −1), or the rest lane by lane, those that may not read in
// place from padded copies of their columns.
@inline function blocksOfRows(
  two: bool, pA: usize, pB: usize, pC: usize, pD: usize, pE: usize, o0: usize, o1: usize, w: i32, ow: i32, pl: i32,
  w00: v128, w01: v128, w02: v128, w10: v128, w11: v128, w12: v128, w20: v128, w21: v128, w22: v128,
  epilogue: usize, partial: usize, inPlace: i32, readable: i32, tail: i32, rightPad: bool, pinned: bool,
): void {
  const padded = partial + 32;
  let bx = 0;
  if (pl == 1 && inPlace > 0) {
    block(two, pA - 4, pB - 4, pC - 4, pD - 4, pE - 4, o0, o1, 4, o0, o1, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, true, pinned);
    bx = 1;
  }
  for (; bx < inPlace; bx++) {
    const at = <usize>(8 * bx - pl) << 2, to = <usize>bx << 4;
    block(two, pA + at, pB + at, pC + at, pD + at, pE + at, o0 + to, o1 + to, 4, o0 + to, o1 + to, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, false, pinned);
  }
  if (tail >= 0) {
    const at = <usize>(2 * tail - pl) << 2, to = <usize>tail << 2;
    pA += at; pB += at; pC += at; pD += at; pE += at;
    if (rightPad) block(two, pA, pB, pC, pD, pE, o0 + to, o1 + to, 4, o0 + to, o1 + to, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, false, pinned, true);
    else block(two, pA, pB, pC, pD, pE, o0 + to, o1 + to, 4, o0 + to, o1 + to, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, false, pinned);
    return;
  }
  const blocks = (ow + 3) >> 2;
  for (; bx < blocks; bx++) {
    const q = 8 * bx - pl;
    let rA = padded, rB = padded + PADDED_ROW, rC = padded + 2 * PADDED_ROW, rD = padded + 3 * PADDED_ROW, rE = padded + 4 * PADDED_ROW;
    if (bx < readable && q >= 0) {
      const at = <usize>q << 2;
      rA = pA + at; rB = pB + at; rC = pC + at; rD = pD + at; rE = pE + at;
    } else {
      padColumns(pA, q, w, rA);
      padColumns(pB, q, w, rB);
      padColumns(pC, q, w, rC);
      if (two) {
        padColumns(pD, q, w, rD);
        padColumns(pE, q, w, rE);
      }
    }
    const to = <usize>bx << 4;
    block(two, rA, rB, rC, rD, rE, o0 + to, o1 + to, min(4, ow - 4 * bx), partial, partial + 16, w00, w01, w02, w10, w11, w12, w20, w21, w22, epilogue, false, pinned);
  }
}

// Input row r of a plane, or the zero row where r lies in the padding.
@inline function rowAt(plane: usize, rowBytes: usize, r: i32, h: i32, zeroRow: usize): usize {
  return r >= 0 && r < h ? plane + <usize>r * rowBytes : zeroRow;
}

// Columns q .. q + 9 of a row (zero outside 0 .. w − 1) at `to`.
function padColumns(row: usize, q: i32, w: i32, to: usize): void {
  for (let j = 0; j < 10; j++) {
    const col = q + j;
    store<f32>(to + (<usize>j << 2), col >= 0 && col < w ? load<f32>(row + (<usize>col << 2)) : 0);
  }
}
