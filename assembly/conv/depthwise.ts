// Depthwise convolution over NC4HW4, NHWC or NCHW (groups = channels; output channel o
// reads input channel o / multiplier): a direct kernel, one v128 holding four channels of a
// pixel.
//
// A work-group is a block of output rows of one batch: with no NHWC side, of
// `quadsPerGroup` output channel quads; with NHWC on either side, of every quad. Taps whose
// row lies in the padding are skipped. Columns go one of two ways (src/ops/conv/depthwise.ts
// picks; docs/decisions/depthwise.md):
// - in place: outputs whose window lies inside the row go in blocks straight from the
//   input; the few at the left and right edges go one by one, each over its own taps,
//   unless a sliding-window kernel has an edge block for the row's padding (or, for a
//   row four to eight wide, a block of the whole row);
// - padded copy, for large kernels, where most windows cross an edge, for channel
//   multipliers, for NCHW input, and for NHWC input the window kernels cannot read in
//   place: the group first copies the rows it reads into scratch, zero-padded left and
//   right (gathering each output channel's input channel, each pixel's quad from NHWC, or
//   four pixels of four channel planes at a time through a 4×4 transpose from NCHW), then
//   every output goes in blocks with no bounds checks, skipping columns all of a block
//   reads as zero.
// NCHW output goes through scratch too: a row block of a quad in NC4HW4, then to its four
// channel planes through 4×4 transposes, while its lines are in L1.
// Eight outputs of a row accumulate in registers at a time, each tap's weight loaded once
// for all eight; for large kernels (31×31, bound by memory traffic) that turns nine loads
// into eight multiply-adds, all from L1 or L2. On V8 before 12 the kernels' pinned copies
// store each partial sum to its output as it is done, which keeps V8 from spilling
// (scripts/gen-windows.mjs says how and why only there).
import { Config, DepthwiseArgs, LAYOUT_NCHW, LAYOUT_NHWC } from "../runtime/schema.gen";
import { madd, storeOutput } from "../simd/epilogue";
import { quadsToPlanes, transpose4x4 } from "../simd/transpose";
import { planarGroup } from "./depthwise-planar";
import { LEFT_EDGE, RIGHT_EDGE, WHOLE, hasSevens, hasWindow, window4, window4N, window7, window7N, window8, window8N, windowRowN } from "./windows.gen";

// The job's own words, after the geometry (./geometry.ts).

export function depthwiseGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  if (DepthwiseArgs.planar(ctrl)) {
    planarGroup(ctrl, group, tid);
    return;
  }
  const oc4 = DepthwiseArgs.oc4(ctrl);
  const rowBlocks = (DepthwiseArgs.oh(ctrl) + DepthwiseArgs.rows(ctrl) - 1) / DepthwiseArgs.rows(ctrl);
  const rb = group % rowBlocks;
  if (DepthwiseArgs.inLayout(ctrl) != LAYOUT_NHWC && DepthwiseArgs.outLayout(ctrl) != LAYOUT_NHWC) {
    // `quadsPerGroup` quads, each with its row blocks one after another: its planes stream.
    const per = DepthwiseArgs.quadsPerGroup(ctrl);
    const quadBlocks = (oc4 + per - 1) / per;
    const rest = group / rowBlocks;
    const oq = (rest % quadBlocks) * per;
    rowBlock(ctrl, rest / quadBlocks, oq, min(per, oc4 - oq), rb, tid);
    return;
  }
  // NHWC on either side: a group is a row block, all its quads one after another. They
  // share the input's cache lines, and a pixel's quads share the output's: split among
  // threads, their stores would take the lines from one core to the other.
  rowBlock(ctrl, group / rowBlocks, 0, oc4, rb, tid);
}

// Row block rb of batch b, for output quads [oq0, oq0 + count): the column plan is made
// once for all of them. Quad by quad, or (NHWC where the window kernels cover the plan)
// all the quads of each block before the next block.
function rowBlock(ctrl: usize, b: i32, oq0: i32, count: i32, rb: i32, tid: i32): void {
  const oh = DepthwiseArgs.oh(ctrl), ow = DepthwiseArgs.ow(ctrl), oc4 = DepthwiseArgs.oc4(ctrl);
  const rows = DepthwiseArgs.rows(ctrl);
  const oy0 = rb * rows, oy1 = min(oh, oy0 + rows);
  const h = DepthwiseArgs.h(ctrl), w = DepthwiseArgs.w(ctrl);
  const kh = DepthwiseArgs.kh(ctrl), kw = DepthwiseArgs.kw(ctrl);
  const sh = DepthwiseArgs.sh(ctrl), sw = DepthwiseArgs.sw(ctrl);
  const pt = DepthwiseArgs.pt(ctrl), pl = DepthwiseArgs.pl(ctrl);
  const dh = DepthwiseArgs.dh(ctrl), dw = DepthwiseArgs.dw(ctrl);
  const wp = DepthwiseArgs.paddedW(ctrl);
  // Input rows [r0, r1) feed these outputs.
  const r0 = max(0, oy0 * sh - pt);
  const r1 = min(h, (oy1 - 1) * sh - pt + (kh - 1) * dh + 1);
  // Where input row r0 is, and the column of input column 0 there: the zero-padded
  // scratch copy, or (wp = 0) the input itself, where only whole windows take the blocks.
  // NHWC in place (the planner's choice for window shapes with whole quads): pixels are
  // ps = 4·c bytes apart instead of 16, and the window kernels' N copies step by it.
  const copy = wp != 0;
  const nhwcIn = DepthwiseArgs.inLayout(ctrl) == LAYOUT_NHWC;
  const c = DepthwiseArgs.c(ctrl);
  const scratchAt = DepthwiseArgs.scratch(ctrl) + <usize>tid * DepthwiseArgs.scratchStride(ctrl);
  // Quad oq0's rows (the copy is made per quad, below), and how far the next quad's are.
  let rowsAt: usize, rowBytes: usize, colShift: i32, ps: usize = 16;
  if (copy) {
    rowsAt = scratchAt;
    rowBytes = <usize>wp << 4;
    colShift = pl;
  } else if (nhwcIn) {
    ps = <usize>c << 2;
    rowBytes = <usize>w * ps;
    rowsAt = DepthwiseArgs.input(ctrl) + (<usize>(b * h + r0) * rowBytes) + (<usize>oq0 << 4);
    colShift = 0;
  } else {
    rowBytes = <usize>w << 4;
    rowsAt = DepthwiseArgs.input(ctrl) + (<usize>(b * DepthwiseArgs.c4(ctrl) + oq0) * <usize>h + <usize>r0) * rowBytes;
    colShift = 0;
  }
  // Output columns [start, end) may go in blocks: all of them in the padded copy; in the
  // input, those whose window lies inside the row.
  const lastTap = (kw - 1) * dw;
  const start = copy ? 0 : min(ow, (pl + sw - 1) / sw);
  const end = copy ? ow : (w - 1 + pl - lastTap < 0 ? 0 : min(ow, (w - 1 + pl - lastTap) / sw + 1));

  const bias = DepthwiseArgs.bias(ctrl);
  const act = DepthwiseArgs.act(ctrl);
  // NC4HW4 output goes straight to its plane. NHWC goes straight to its pixels (os = 4·oc
  // bytes apart) from the window kernels when the quads are whole, else a row at a time
  // through scratch. NCHW goes a row block at a time through scratch.
  const window = hasWindow(kw, sw, dw);
  const oc = c * DepthwiseArgs.mult(ctrl);
  const nhwcOut = DepthwiseArgs.outLayout(ctrl) == LAYOUT_NHWC;
  const nchwOut = DepthwiseArgs.outLayout(ctrl) == LAYOUT_NCHW;
  const direct = !nhwcOut || (window && (oc & 3) == 0);
  const os: usize = nhwcOut && direct ? <usize>oc << 2 : 16;
  const pin = Config.depthwisePinned(ctrl);
  const half = (kw - 1) >> 1;
  // A row four to eight wide, too narrow for a left and a right edge block, may be one
  // block with its padding skipped (in place, or the copy's zeros), and nothing else: the
  // planner says so, and which edges are padded. (Not from the copy where a whole block of
  // four, seven or eight fits the row: those have a copy without the N copy's pointer steps.)
  const rowEdges = DepthwiseArgs.rowBlock(ctrl);
  const narrow = rowEdges != 0 && !(copy && (ow == 4 || ow == 8 || (ow == 7 && hasSevens(kw, sw, WHOLE))));
  // Quads a block at a time: their input pixels share cache lines (NHWC), so each block
  // reads its lines once from L1, not once per quad from L2; and NC4HW4 planes with narrow
  // rows, whose blocks are too small to pay for a call and a row plan per quad (the
  // strided kernels, at 16 bytes a pixel).
  // (Not into NCHW's row block, which holds one quad.)
  const manyQuads = window && !copy && direct && !nchwOut && (ps != 16 || os != 16 || narrow);
  const strided = ps != 16 || os != 16 || manyQuads;
  const quads = manyQuads ? count : 1;
  const quadIn: usize = nhwcIn ? 16 : (<usize>h * <usize>w) << 4;
  const quadOut: usize = nhwcOut ? 16 : nchwOut ? 0 : (<usize>oh * <usize>ow) << 4;
  const quadWeights = <usize>(kh * kw) << 4;
  const rowBuf = scratchAt + DepthwiseArgs.outRowAt(ctrl);
  // (NCHW: row oy0 of every quad's row block is at rowBuf; the address arithmetic wraps.)
  const out0 = nchwOut ? rowBuf - ((<usize>oy0 * <usize>ow) << 4) : DepthwiseArgs.out(ctrl) + (nhwcOut
    ? ((<usize>b * <usize>oh * <usize>ow * <usize>oc) << 2) + (<usize>oq0 << 4)
    : (<usize>(b * oc4 + oq0) * <usize>oh * <usize>ow) << 4);
  // 3- and 5-wide kernels at stride 1 or 2 (MobileNet's): a sliding window in registers.
  // Its blocks take every tap column: whole windows, or zero padding in the copy. In place,
  // a row padded by (kw - 1) / 2 (PyTorch's and TensorFlow's usual) starts and ends with a
  // block that skips the padding columns, so its edge pixels need no passes of their own.
  const leftEdge = window && !copy && half > 0 && pl == half;
  // Blocks go up to `stop`, the right edge block's first column if there is one. Where
  // blocks of seven exist, `sevens` of them (the left edge block first) and blocks of
  // eight tile [0 or start, stop) exactly: a 14-wide row takes two sevens, not an eight
  // and an overlapping eight. The right edge block is seven wide where that lets them
  // tile and eight would not.
  const from0 = leftEdge ? 0 : start;
  const withSevens = window && !narrow && hasSevens(kw, sw, WHOLE) && (!leftEdge || hasSevens(kw, sw, LEFT_EDGE));
  const canRight = window && !copy && !narrow && half > 0 && (ow - 1) * sw - pl + kw - 1 == w - 1 + half;
  const right7 = canRight && withSevens && hasSevens(kw, sw, RIGHT_EDGE) && ow - 7 >= start
    && tiles(ow - 7 - from0) && !(ow - 8 >= start && tiles(ow - 8 - from0));
  const rightWidth = right7 ? 7 : 8;
  const rightBlock = canRight && ow - rightWidth >= start;
  const stop = rightBlock ? ow - rightWidth : end;
  const sevens = withSevens ? exactSevens(stop - from0) : 0;
  const leftBlock = leftEdge && end >= (sevens > 0 ? 7 : 8);
  for (let oq = oq0; oq < oq0 + count; oq += quads) {
    // This quad's input rows (copied into the one scratch, or where they lie), weights,
    // bias and output.
    const k = oq - oq0;
    if (copy) copyRows(ctrl, b, oq, r0, r1, w, pl, wp, scratchAt);
    const from = copy ? rowsAt : rowsAt + <usize>k * quadIn;
    const weights = DepthwiseArgs.weights(ctrl) + (<usize>oq * quadWeights);
    const biasAt: usize = bias ? bias + (<usize>oq << 4) : 0;
    const out = out0 + <usize>k * quadOut;
    quadRows(ctrl, b, oq, oy0, oy1, r0, r1, from, rowBytes, colShift, ps, os, weights, biasAt, out, quads, quadIn, quadOut, quadWeights, rowBuf, direct, strided, window, narrow, rowEdges, leftBlock, rightBlock, rightWidth, sevens, start, stop, act, pin);
    if (nchwOut) writeBlock(ctrl, b, oq, oy0, oy1, rowBuf);
  }
}

// The rows [oy0, oy1) of quad oq (with `quads` > 1, of that many quads a block), by the
// plan rowBlock made.
@inline function quadRows(
  ctrl: usize, b: i32, oq: i32, oy0: i32, oy1: i32, r0: i32, r1: i32, rowsAt: usize, rowBytes: usize, colShift: i32, ps: usize, os: usize,
  weights: usize, biasAt: usize, out: usize, quads: i32, quadIn: usize, quadOut: usize, quadWeights: usize, rowBuf: usize,
  direct: bool, strided: bool, window: bool, narrow: bool, rowEdges: i32, leftBlock: bool, rightBlock: bool, rightWidth: i32, sevens: i32, start: i32, stop: i32, act: i32, pin: bool,
): void {
  const ow = DepthwiseArgs.ow(ctrl), w = DepthwiseArgs.w(ctrl);
  const kh = DepthwiseArgs.kh(ctrl), kw = DepthwiseArgs.kw(ctrl);
  const sh = DepthwiseArgs.sh(ctrl), sw = DepthwiseArgs.sw(ctrl);
  const pt = DepthwiseArgs.pt(ctrl), pl = DepthwiseArgs.pl(ctrl);
  const dh = DepthwiseArgs.dh(ctrl), dw = DepthwiseArgs.dw(ctrl);
  // Bytes from one output's first tap to the next output's, and from tap to tap.
  const step = <usize>sw * ps;
  const tapStep = <usize>dw * ps;
  const wRow = <usize>kw << 4;
  const rowStep = <usize>dh * rowBytes;
  const rowAdvance = <usize>sh * rowBytes, outAdvance = <usize>ow * os;
  for (let oy = oy0; oy < oy1;) {
    // Taps ky whose input row exists.
    const top = oy * sh - pt;
    // (Without a division at dilation 1: a division costs as much as a few taps.)
    const kyLo = top >= r0 ? 0 : dh == 1 ? r0 - top : (r0 - top + dh - 1) / dh;
    const kyHi = r1 <= top ? 0 : min(kh, dh == 1 ? r1 - top : (r1 - 1 - top) / dh + 1);
    // The rows from here whose taps all lie inside [r0, r1) share one column plan, run
    // over all of them at once (the window kernels loop over rows themselves); a row with
    // taps in the padding, or bound for the row buffer, goes alone.
    const n = kyLo == 0 && kyHi == kh && direct ? min(oy1, (r1 - 1 - (kh - 1) * dh + pt) / sh + 1) - oy : 1;
    const rowAt = rowsAt + <usize>(top + kyLo * dh - r0) * rowBytes;
    const wAt = weights + (<usize>(kyLo * kw) << 4);
    const taps = kyHi - kyLo;
    const outRow = direct ? out + <usize>oy * <usize>ow * os : rowBuf;
    let ox = 0, sev = sevens;
    if (narrow) {
      windowRowN(kw, sw, ow, rowEdges, pin, rowAt + <usize>(colShift - pl) * ps, rowStep, wAt, taps, outRow, biasAt, act, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      ox = ow;
    } else if (leftBlock && sev > 0) {
      if (strided) window7N(kw, sw, LEFT_EDGE, pin, rowAt - <usize>pl * ps, rowStep, wAt, taps, outRow, biasAt, act, 1, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else window7(kw, sw, LEFT_EDGE, pin, rowAt - (<usize>pl << 4), rowStep, wAt, taps, outRow, biasAt, act, 1, n, rowAdvance, outAdvance);
      ox = 7;
      sev--;
    } else if (leftBlock) {
      if (strided) window8N(kw, sw, LEFT_EDGE, pin, rowAt - <usize>pl * ps, rowStep, wAt, taps, outRow, biasAt, act, 1, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else window8(kw, sw, LEFT_EDGE, pin, rowAt - (<usize>pl << 4), rowStep, wAt, taps, outRow, biasAt, act, 1, n, rowAdvance, outAdvance);
      ox = 8;
    }
    for (; ox < start; ox++) ones(n, rowAdvance, outAdvance, quads, quadIn, quadOut, quadWeights, sw, pl, dw, w, kw, colShift, rowAt, rowStep, tapStep, wAt, wRow, taps, ox, outRow, biasAt, act, ps, os);
    if (sev > 0) {
      const at = rowAt + <usize>(ox * sw - pl + colShift) * ps;
      if (strided) window7N(kw, sw, WHOLE, pin, at, rowStep, wAt, taps, outRow + <usize>ox * os, biasAt, act, sev, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else window7(kw, sw, WHOLE, pin, at, rowStep, wAt, taps, outRow + (<usize>ox << 4), biasAt, act, sev, n, rowAdvance, outAdvance);
      ox += 7 * sev;
    }
    // Blocks of eight, then four, up to the right edge block if there is one; a remainder
    // too short for a block is covered by one that overlaps the block before (its outputs
    // come out the same), not pixel by pixel.
    if (window && stop - ox >= 8) {
      const blocks = (stop - ox) >> 3;
      const at = rowAt + <usize>(ox * sw - pl + colShift) * ps;
      if (strided) window8N(kw, sw, WHOLE, pin, at, rowStep, wAt, taps, outRow + <usize>ox * os, biasAt, act, blocks, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else window8(kw, sw, WHOLE, pin, at, rowStep, wAt, taps, outRow + (<usize>ox << 4), biasAt, act, blocks, n, rowAdvance, outAdvance);
      ox += blocks << 3;
    }
    if (!window && stop - ox >= 8) {
      // Tap by tap, row by row (never strided: only the window kernels step by pixels).
      const blocks = (stop - ox) >> 3;
      for (let r = 0; r < n; r++) {
        const ra = rowAt + <usize>r * rowAdvance, oa = outRow + <usize>r * outAdvance;
        for (let i = 0; i < blocks; i++) eight(pin, sw, pl, dw, w, kw, colShift, ra, rowStep, step, tapStep, wAt, wRow, taps, ox + (i << 3), oa, biasAt, act);
      }
      ox += blocks << 3;
    }
    if (stop - ox > 4 && stop - 8 >= start) {
      if (window && strided) window8N(kw, sw, WHOLE, pin, rowAt + <usize>((stop - 8) * sw - pl + colShift) * ps, rowStep, wAt, taps, outRow + <usize>(stop - 8) * os, biasAt, act, 1, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else if (window) window8(kw, sw, WHOLE, pin, rowAt + (<usize>((stop - 8) * sw - pl + colShift) << 4), rowStep, wAt, taps, outRow + (<usize>(stop - 8) << 4), biasAt, act, 1, n, rowAdvance, outAdvance);
      else for (let r = 0; r < n; r++) eight(pin, sw, pl, dw, w, kw, colShift, rowAt + <usize>r * rowAdvance, rowStep, step, tapStep, wAt, wRow, taps, stop - 8, outRow + <usize>r * outAdvance, biasAt, act);
      ox = stop;
    }
    if (ox < stop && stop - 4 >= start) {
      const x4 = min(ox, stop - 4);
      const at = rowAt + <usize>(x4 * sw - pl + colShift) * ps;
      if (strided) window4N(kw, sw, pin, at, rowStep, wAt, taps, outRow + <usize>x4 * os, biasAt, act, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else if (window) window4(kw, sw, pin, at, rowStep, wAt, taps, outRow + (<usize>x4 << 4), biasAt, act, n, rowAdvance, outAdvance);
      else for (let r = 0; r < n; r++) block4(at + <usize>r * rowAdvance, rowStep, step, tapStep, wAt, wRow, taps, kxFirst(x4 + 3, sw, pl, dw), kxEnd(x4, sw, pl, dw, w, kw), outRow + (<usize>x4 << 4) + <usize>r * outAdvance, biasAt, act);
      ox = max(ox, x4 + 4);
    }
    if (rightBlock) {
      for (; ox < stop; ox++) ones(n, rowAdvance, outAdvance, quads, quadIn, quadOut, quadWeights, sw, pl, dw, w, kw, colShift, rowAt, rowStep, tapStep, wAt, wRow, taps, ox, outRow, biasAt, act, ps, os);
      const at = rowAt + <usize>(stop * sw - pl) * ps;
      if (rightWidth == 7) {
        if (strided) window7N(kw, sw, RIGHT_EDGE, pin, at, rowStep, wAt, taps, outRow + <usize>stop * os, biasAt, act, 1, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
        else window7(kw, sw, RIGHT_EDGE, pin, at, rowStep, wAt, taps, outRow + (<usize>stop << 4), biasAt, act, 1, n, rowAdvance, outAdvance);
      } else if (strided) window8N(kw, sw, RIGHT_EDGE, pin, at, rowStep, wAt, taps, outRow + <usize>stop * os, biasAt, act, 1, n, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights);
      else window8(kw, sw, RIGHT_EDGE, pin, at, rowStep, wAt, taps, outRow + (<usize>stop << 4), biasAt, act, 1, n, rowAdvance, outAdvance);
      ox = ow;
    }
    for (; ox < ow; ox++) ones(n, rowAdvance, outAdvance, quads, quadIn, quadOut, quadWeights, sw, pl, dw, w, kw, colShift, rowAt, rowStep, tapStep, wAt, wRow, taps, ox, outRow, biasAt, act, ps, os);
    if (!direct) writeRow(ctrl, b, oq, oy, rowBuf);
    oy += n;
  }
}

// Output row oy of quad oq, computed into `row` (a v128 per pixel), to an NHWC output:
// each pixel's quad at its pixel stride; a last quad of fewer than four channels lane by
// lane, so that no store reaches another quad's channels (another group's, maybe another
// thread's).
function writeRow(ctrl: usize, b: i32, oq: i32, oy: i32, row: usize): void {
  const oh = DepthwiseArgs.oh(ctrl), ow = DepthwiseArgs.ow(ctrl);
  const oc = DepthwiseArgs.c(ctrl) * DepthwiseArgs.mult(ctrl);
  const lanes = min(4, oc - 4 * oq);
  const stride = <usize>oc << 2;
  let to = DepthwiseArgs.out(ctrl) + ((<usize>b * <usize>oh * <usize>ow + <usize>oy * <usize>ow) * <usize>oc + <usize>(4 * oq) << 2);
  if (lanes == 4) {
    for (let x = 0; x < ow; x++, to += stride) v128.store(to, v128.load(row + (<usize>x << 4)));
    return;
  }
  for (let x = 0; x < ow; x++, to += stride) {
    for (let l = 0; l < lanes; l++) store<f32>(to + (<usize>l << 2), load<f32>(row + (<usize>x << 4) + (<usize>l << 2)));
  }
}

// Output rows [oy0, oy1) of quad oq, computed into `block` (a v128 per pixel, the rows one
// after another), to an NCHW output, where the same rows of a channel plane lie one after
// another too: four pixels of each channel a store, through 4×4 transposes; a last quad of
// fewer than four channels lane by lane, so that no store reaches a channel past oc.
function writeBlock(ctrl: usize, b: i32, oq: i32, oy0: i32, oy1: i32, block: usize): void {
  const oh = DepthwiseArgs.oh(ctrl), ow = DepthwiseArgs.ow(ctrl);
  const oc = DepthwiseArgs.c(ctrl) * DepthwiseArgs.mult(ctrl);
  const planeStride = (<usize>oh * <usize>ow) << 2;
  const to = DepthwiseArgs.out(ctrl) + <usize>(b * oc + 4 * oq) * planeStride + ((<usize>oy0 * <usize>ow) << 2);
  quadsToPlanes(block, to, planeStride, (oy1 - oy0) * ow, min(4, oc - 4 * oq));
}

// Whether blocks of seven and eight tile `width` columns exactly (none for 0).
@inline function tiles(width: i32): bool {
  return width >= 0 && ((width & 7) == 0 || exactSevens(width) > 0);
}

// How many blocks of seven, with blocks of eight, tile `width` columns exactly in the
// fewest blocks: 0 if eights alone do, or if no such tiling exists.
function exactSevens(width: i32): i32 {
  const blocks = (width + 7) >> 3;
  const short = 8 * blocks - width;
  return width > 0 && short <= blocks ? short : 0;
}

// Eight outputs from column ox, tap by tap (shapes without a sliding window).
@inline function eight(
  pin: bool, sw: i32, pl: i32, dw: i32, w: i32, kw: i32, colShift: i32, rowAt: usize, rowStep: usize, step: usize,
  tapStep: usize, wAt: usize, wRow: usize, taps: i32, ox: i32, outRow: usize, biasAt: usize, act: i32,
): void {
  const at = rowAt + (<usize>(ox * sw - pl + colShift) << 4);
  const out = outRow + (<usize>ox << 4);
  if (pin) block8Pinned(at, rowStep, step, tapStep, wAt, wRow, taps, kxFirst(ox + 7, sw, pl, dw), kxEnd(ox, sw, pl, dw, w, kw), out, biasAt, act);
  else block8(at, rowStep, step, tapStep, wAt, wRow, taps, kxFirst(ox + 7, sw, pl, dw), kxEnd(ox, sw, pl, dw, w, kw), out, biasAt, act);
}

// Output column ox alone, on n rows (rowAdvance and outAdvance bytes apart) and `quads`
// quads, over the taps inside the row; pixels ps bytes apart in the input (tapStep =
// dilation · ps) and os in the output.
@inline function ones(
  n: i32, rowAdvance: usize, outAdvance: usize, quads: i32, quadIn: usize, quadOut: usize, quadWeights: usize,
  sw: i32, pl: i32, dw: i32, w: i32, kw: i32, colShift: i32, rowAt: usize, rowStep: usize, tapStep: usize,
  wAt: usize, wRow: usize, taps: i32, ox: i32, outRow: usize, biasAt: usize, act: i32, ps: usize, os: usize,
): void {
  const kxLo = kxFirst(ox, sw, pl, dw), kxHi = kxEnd(ox, sw, pl, dw, w, kw);
  const from = rowAt + <usize>(ox * sw - pl + colShift) * ps, into = outRow + <usize>ox * os;
  for (let r = 0; r < n; r++) {
    for (let q = 0; q < quads; q++) {
      pixel1(from + <usize>r * rowAdvance + <usize>q * quadIn, rowStep, tapStep, wAt + <usize>q * quadWeights, wRow, taps, kxLo, kxHi,
        into + <usize>r * outAdvance + <usize>q * quadOut, biasAt ? biasAt + (<usize>q << 4) : 0, act);
    }
  }
}

// The first tap column that output column `last` (a block's last) reads inside the image:
// columns before it read only left padding for every pixel of the block. Away from the
// left edge it is 0, found without a division.
@inline function kxFirst(last: i32, sw: i32, pl: i32, dw: i32): i32 {
  const before = pl - last * sw; // padding columns left of the pixel's first tap
  return before <= 0 ? 0 : (before + dw - 1) / dw;
}

// One past the last tap column that output column `first` (a block's first) reads inside
// the image: kw away from the right edge, found without a division.
@inline function kxEnd(first: i32, sw: i32, pl: i32, dw: i32, w: i32, kw: i32): i32 {
  const room = w - 1 + pl - first * sw; // columns from the pixel's first tap to the image's last
  if (room >= (kw - 1) * dw) return kw;
  return room < 0 ? 0 : room / dw + 1;
}

// Eight outputs `step` bytes apart; taps rows × [kxLo, kxHi). Two copies: the pinned one
// stores each partial sum as it is done, for V8 before 12, where that ends the spills;
// newer engines only pay for the stores (scripts/gen-windows.mjs,
// docs/decisions/engine-variants.md).
function block8(
  at: usize, rowStep: usize, step: usize, tapStep: usize, wAt: usize, wRow: usize,
  taps: i32, kxLo: i32, kxHi: i32, out: usize, bias: usize, act: i32,
): void {
  blockOf8(at, rowStep, step, tapStep, wAt, wRow, taps, kxLo, kxHi, out, bias, act, false);
}

function block8Pinned(
  at: usize, rowStep: usize, step: usize, tapStep: usize, wAt: usize, wRow: usize,
  taps: i32, kxLo: i32, kxHi: i32, out: usize, bias: usize, act: i32,
): void {
  blockOf8(at, rowStep, step, tapStep, wAt, wRow, taps, kxLo, kxHi, out, bias, act, true);
}

@inline function blockOf8(
  at: usize, rowStep: usize, step: usize, tapStep: usize, wAt: usize, wRow: usize,
  taps: i32, kxLo: i32, kxHi: i32, out: usize, bias: usize, act: i32, pin: bool,
): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  const skip = <usize>kxLo;
  for (let t = 0; t < taps; t++) {
    let p = at + skip * tapStep;
    let pw = wAt + (skip << 4);
    const wEnd = wAt + (<usize>kxHi << 4);
    if (step == 16) {
      // Stride 1, the common case: the eight loads take constant offsets; two taps a turn
      // (an odd last tap goes through the loop below).
      for (; pw + 16 < wEnd; pw += 32, p += 2 * tapStep) {
        const k = v128.load(pw);
        const k2 = v128.load(pw, 16);
        const p2 = p + tapStep;
        // Pinned: the partial sums stored as they are done keep V8 11 from hoisting all
        // 18 loads and spilling.
        a0 = madd(v128.load(p2), k2, madd(v128.load(p), k, a0)); if (pin) v128.store(out, a0);
        a1 = madd(v128.load(p2, 16), k2, madd(v128.load(p, 16), k, a1)); if (pin) v128.store(out, a1, 16);
        a2 = madd(v128.load(p2, 32), k2, madd(v128.load(p, 32), k, a2)); if (pin) v128.store(out, a2, 32);
        a3 = madd(v128.load(p2, 48), k2, madd(v128.load(p, 48), k, a3)); if (pin) v128.store(out, a3, 48);
        a4 = madd(v128.load(p2, 64), k2, madd(v128.load(p, 64), k, a4)); if (pin) v128.store(out, a4, 64);
        a5 = madd(v128.load(p2, 80), k2, madd(v128.load(p, 80), k, a5)); if (pin) v128.store(out, a5, 80);
        a6 = madd(v128.load(p2, 96), k2, madd(v128.load(p, 96), k, a6)); if (pin) v128.store(out, a6, 96);
        a7 = madd(v128.load(p2, 112), k2, madd(v128.load(p, 112), k, a7)); if (pin) v128.store(out, a7, 112);
      }
    }
    for (; pw < wEnd; pw += 16, p += tapStep) {
      const k = v128.load(pw);
      a0 = madd(v128.load(p), k, a0); if (pin) v128.store(out, a0);
      a1 = madd(v128.load(p + step), k, a1); if (pin) v128.store(out, a1, 16);
      a2 = madd(v128.load(p + 2 * step), k, a2); if (pin) v128.store(out, a2, 32);
      a3 = madd(v128.load(p + 3 * step), k, a3); if (pin) v128.store(out, a3, 48);
      a4 = madd(v128.load(p + 4 * step), k, a4); if (pin) v128.store(out, a4, 64);
      a5 = madd(v128.load(p + 5 * step), k, a5); if (pin) v128.store(out, a5, 80);
      a6 = madd(v128.load(p + 6 * step), k, a6); if (pin) v128.store(out, a6, 96);
      a7 = madd(v128.load(p + 7 * step), k, a7); if (pin) v128.store(out, a7, 112);
    }
    at += rowStep;
    wAt += wRow;
  }
  store4(out, a0, a1, a2, a3, bias, act);
  store4(out + 64, a4, a5, a6, a7, bias, act);
}

// Four outputs: a row's remainder after the blocks of eight (overlapping the last one
// when fewer than four remain).
function block4(
  at: usize, rowStep: usize, step: usize, tapStep: usize, wAt: usize, wRow: usize,
  taps: i32, kxLo: i32, kxHi: i32, out: usize, bias: usize, act: i32,
): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const skip = <usize>kxLo;
  for (let t = 0; t < taps; t++) {
    let p = at + skip * tapStep;
    let pw = wAt + (skip << 4);
    const wEnd = wAt + (<usize>kxHi << 4);
    while (pw < wEnd) {
      const k = v128.load(pw);
      a0 = madd(v128.load(p), k, a0);
      a1 = madd(v128.load(p + step), k, a1);
      a2 = madd(v128.load(p + 2 * step), k, a2);
      a3 = madd(v128.load(p + 3 * step), k, a3);
      p += tapStep;
      pw += 16;
    }
    at += rowStep;
    wAt += wRow;
  }
  store4(out, a0, a1, a2, a3, bias, act);
}

// Four finished outputs side by side, with bias and activation.
@inline function store4(out: usize, a0: v128, a1: v128, a2: v128, a3: v128, bias: usize, act: i32): void {
  storeOutput(out, a0, bias, act);
  storeOutput(out + 16, a1, bias, act);
  storeOutput(out + 32, a2, bias, act);
  storeOutput(out + 48, a3, bias, act);
}

// One output (at a row's edges, where no block fits): two accumulators, alternate
// columns, to halve the chain of dependent adds.
function pixel1(
  at: usize, rowStep: usize, tapStep: usize, wAt: usize, wRow: usize,
  taps: i32, kxLo: i32, kxHi: i32, out: usize, bias: usize, act: i32,
): void {
  let x = f32x4.splat(0), y = x;
  for (let t = 0; t < taps; t++) {
    let p = at + <usize>kxLo * tapStep;
    let kx = kxLo;
    for (; kx + 2 <= kxHi; kx += 2) {
      x = madd(v128.load(p), v128.load(wAt + (<usize>kx << 4)), x);
      y = madd(v128.load(p + tapStep), v128.load(wAt + (<usize>kx << 4), 16), y);
      p += 2 * tapStep;
    }
    if (kx < kxHi) x = madd(v128.load(p), v128.load(wAt + (<usize>kx << 4)), x);
    at += rowStep;
    wAt += wRow;
  }
  storeOutput(out, f32x4.add(x, y), bias, act);
}

// Input rows [r0, r1) of the channels output quad oq reads, into scratch rows wp pixels
// wide: pl zero pixels, the row, zeros to the end.
function copyRows(ctrl: usize, b: i32, oq: i32, r0: i32, r1: i32, w: i32, pl: i32, wp: i32, scratch: usize): void {
  const h = DepthwiseArgs.h(ctrl);
  const c = DepthwiseArgs.c(ctrl);
  const mult = DepthwiseArgs.mult(ctrl);
  const c4 = DepthwiseArgs.c4(ctrl);
  const plane = (<usize>h * <usize>w) << 4;
  const layout = DepthwiseArgs.inLayout(ctrl);
  const plain = layout == LAYOUT_NHWC || layout == LAYOUT_NCHW;
  const input = DepthwiseArgs.input(ctrl) + (plain ? (<usize>b * <usize>c * <usize>h * <usize>w) << 2 : <usize>(b * c4) * plane);
  // A plain layout's steps from pixel to pixel and from channel to channel, in bytes.
  const pixelStep: usize = layout == LAYOUT_NHWC ? <usize>c << 2 : 4;
  const channelStep: usize = layout == LAYOUT_NHWC ? 4 : (<usize>h * <usize>w) << 2;
  const zero = v128.splat<i32>(0);
  for (let r = r0; r < r1; r++) {
    let to = scratch + ((<usize>(r - r0) * <usize>wp) << 4);
    for (let i = 0; i < pl; i++) { v128.store(to, zero); to += 16; }
    const from = (<usize>r * <usize>w) << 4;
    if (plain) {
      gatherRow(input + <usize>r * <usize>w * pixelStep, pixelStep, channelStep, c, w, oq, mult, to);
    } else if (mult == 1) {
      memory.copy(to, input + <usize>oq * plane + from, <usize>w << 4);
    } else {
      // Output channel 4·oq + l reads input channel (4·oq + l) / mult.
      const oc = oq * 4;
      for (let x = 0; x < w; x++) {
        const px = input + from + (<usize>x << 4);
        for (let l = 0; l < 4; l++) {
          const ci = (oc + l) / mult;
          const v: f32 = ci < c ? load<f32>(px + <usize>(ci >> 2) * plane + (<usize>(ci & 3) << 2)) : 0;
          store<f32>(to + (<usize>x << 4) + (<usize>l << 2), v);
        }
      }
    }
    to += <usize>w << 4;
    for (let i = pl + w; i < wp; i++) { v128.store(to, zero); to += 16; }
  }
}

// An input row (`row`: its first pixel's channel 0) of the channels output quad oq reads,
// from a plain layout (pixels pixelStep bytes apart, channels channelStep), as a v128 per
// pixel at `to`: from NHWC each pixel's quad, from NCHW four pixels of four planes through
// a 4×4 transpose, or lane by lane (a last quad of fewer than four channels, a
// multiplier), zero past c.
@inline function gatherRow(row: usize, pixelStep: usize, channelStep: usize, c: i32, w: i32, oq: i32, mult: i32, to: usize): void {
  const c0 = 4 * oq; // the first output channel; with a multiplier, input channel (c0 + l) / mult
  let x = 0;
  if (mult == 1 && c0 + 4 <= c) {
    const from = row + <usize>c0 * channelStep;
    if (channelStep == 4) {
      for (; x < w; x++) v128.store(to + (<usize>x << 4), v128.load(from + <usize>x * pixelStep));
      return;
    }
    // (NCHW: simd/transpose.ts's planesToQuads does this too, but here its copy measured 5%
    // slower on 3×3/2 layers, where the gather is a large share of the call.)
    for (; x + 4 <= w; x += 4) transpose4x4(from + (<usize>x << 2), channelStep, to + (<usize>x << 4));
    // A row's last pixels: one more transpose over its last four, the same values again
    // where it overlaps (lane by lane, with a division each, cost more than the kernel).
    if (x < w && w >= 4) {
      transpose4x4(from + (<usize>(w - 4) << 2), channelStep, to + (<usize>(w - 4) << 4));
      return;
    }
  }
  for (; x < w; x++) {
    for (let l = 0; l < 4; l++) {
      const v: f32 = c0 + l < c * mult ? load<f32>(row + <usize>x * pixelStep + <usize>((c0 + l) / mult) * channelStep) : 0;
      store<f32>(to + (<usize>x << 4) + (<usize>l << 2), v);
    }
  }
}
