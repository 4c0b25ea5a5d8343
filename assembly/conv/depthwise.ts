// Depthwise convolution over NC4HW4 (groups = channels; output channel o reads input
// channel o / multiplier): a direct kernel, one v128 holding four channels of a pixel.
//
// A work-group is one (batch, output channel quad, block of output rows). It first copies
// the input rows those outputs read into its scratch, zero-padded left and right (and,
// with a channel multiplier, gathers each output channel's input channel), so that the
// loops that follow have no bounds checks. Taps whose row lies in the padding are
// skipped, as are columns every pixel of a block would read as zero. Eight outputs of a
// row accumulate in registers at a time, each tap's weight loaded once for all eight;
// for large kernels (31×31, bound by memory traffic) that turns nine loads into eight
// multiply-adds, all from L1 or L2.
import { argI32 as arg, argPtr } from "../runtime/job";
import { madd, storeQuad } from "../gemm/micro";

const A_N = 0;
const A_C = 1; // input channels
const A_H = 2;
const A_W = 3;
const A_OC4 = 4;
const A_OH = 5;
const A_OW = 6;
const A_KH = 7;
const A_KW = 8;
const A_SH = 9;
const A_SW = 10;
const A_PT = 11;
const A_PL = 12;
const A_DH = 13;
const A_DW = 14;
const A_MULT = 15; // output channels per input channel
const A_IN = 16;
const A_WEIGHTS = 17; // [oc4][kh·kw] v128, padded channels zero
const A_BIAS = 18; // oc4·4 floats, 0: none
const A_ACT = 19;
const A_OUT = 20;
const A_SCRATCH = 21;
const A_SCRATCH_STRIDE = 22;
const A_ROWS = 23; // output rows per group
const A_PADDED_W = 24; // scratch row width in pixels: pl + w + right padding

export function depthwiseGroup(ctrl: usize, group: i32, tid: i32): void {
  const oh = arg(ctrl, A_OH), ow = arg(ctrl, A_OW), oc4 = arg(ctrl, A_OC4);
  const rows = arg(ctrl, A_ROWS);
  const rowBlocks = (oh + rows - 1) / rows;
  const rb = group % rowBlocks;
  const oq = (group / rowBlocks) % oc4;
  const b = group / (rowBlocks * oc4);
  const oy0 = rb * rows, oy1 = min(oh, oy0 + rows);
  const h = arg(ctrl, A_H), w = arg(ctrl, A_W);
  const kh = arg(ctrl, A_KH), kw = arg(ctrl, A_KW);
  const sh = arg(ctrl, A_SH), sw = arg(ctrl, A_SW);
  const pt = arg(ctrl, A_PT), pl = arg(ctrl, A_PL);
  const dh = arg(ctrl, A_DH), dw = arg(ctrl, A_DW);
  const wp = arg(ctrl, A_PADDED_W);
  // Input rows [r0, r1) feed these outputs.
  const r0 = max(0, oy0 * sh - pt);
  const r1 = min(h, (oy1 - 1) * sh - pt + (kh - 1) * dh + 1);
  const scratch = argPtr(ctrl, A_SCRATCH) + <usize>tid * argPtr(ctrl, A_SCRATCH_STRIDE);
  copyRows(ctrl, b, oq, r0, r1, w, pl, wp, scratch);

  const rowBytes = <usize>wp << 4;
  const weights = argPtr(ctrl, A_WEIGHTS) + (<usize>oq * <usize>(kh * kw) << 4);
  const bias = argPtr(ctrl, A_BIAS);
  const biasAt: usize = bias ? bias + (<usize>oq << 4) : 0;
  const act = arg(ctrl, A_ACT);
  const out = argPtr(ctrl, A_OUT) + ((<usize>(b * oc4 + oq) * <usize>oh * <usize>ow) << 4);
  const step = <usize>sw << 4;
  for (let oy = oy0; oy < oy1; oy++) {
    // Taps ky whose input row exists.
    const top = oy * sh - pt;
    const kyLo = top >= r0 ? 0 : (r0 - top + dh - 1) / dh;
    const kyHi = r1 > top ? min(kh, (r1 - 1 - top) / dh + 1) : 0;
    const rowAt = scratch + <usize>(top + kyLo * dh - r0) * rowBytes;
    const rowStep = <usize>dh * rowBytes;
    const wAt = weights + (<usize>(kyLo * kw) << 4);
    const taps = kyHi - kyLo;
    const outRow = out + ((<usize>oy * <usize>ow) << 4);
    let ox = 0;
    for (; ox + 8 <= ow; ox += 8) {
      // Columns some pixel of the block reads inside the image (scratch column = ix + pl).
      const kxLo = max(0, (pl - (ox + 7) * sw + dw - 1) / dw);
      const kxHi = min(kw, (w - 1 + pl - ox * sw) / dw + 1);
      block8(rowAt + (<usize>(ox * sw) << 4), rowStep, step, <usize>dw << 4, wAt, <usize>kw << 4, taps, kxLo, kxHi,
        outRow + (<usize>ox << 4), biasAt, act);
    }
    for (; ox < ow; ox++) {
      const kxLo = max(0, (pl - ox * sw + dw - 1) / dw);
      const kxHi = min(kw, (w - 1 + pl - ox * sw) / dw + 1);
      pixel1(rowAt + (<usize>(ox * sw) << 4), rowStep, <usize>dw << 4, wAt, <usize>kw << 4, taps, kxLo, kxHi,
        outRow + (<usize>ox << 4), biasAt, act);
    }
  }
}

// Eight outputs `step` bytes apart in the scratch rows; taps rows × [kxLo, kxHi).
function block8(
  at: usize, rowStep: usize, step: usize, tapStep: usize, wAt: usize, wRow: usize,
  taps: i32, kxLo: i32, kxHi: i32, out: usize, bias: usize, act: i32,
): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
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
      a4 = madd(v128.load(p + 4 * step), k, a4);
      a5 = madd(v128.load(p + 5 * step), k, a5);
      a6 = madd(v128.load(p + 6 * step), k, a6);
      a7 = madd(v128.load(p + 7 * step), k, a7);
      p += tapStep;
      pw += 16;
    }
    at += rowStep;
    wAt += wRow;
  }
  storeQuad(out, a0, 1, 0, true, true, bias, act);
  storeQuad(out + 16, a1, 1, 0, true, true, bias, act);
  storeQuad(out + 32, a2, 1, 0, true, true, bias, act);
  storeQuad(out + 48, a3, 1, 0, true, true, bias, act);
  storeQuad(out + 64, a4, 1, 0, true, true, bias, act);
  storeQuad(out + 80, a5, 1, 0, true, true, bias, act);
  storeQuad(out + 96, a6, 1, 0, true, true, bias, act);
  storeQuad(out + 112, a7, 1, 0, true, true, bias, act);
}

// One output (a row's last few): two accumulators, alternate columns, to halve the chain.
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
  storeQuad(out, f32x4.add(x, y), 1, 0, true, true, bias, act);
}

// Input rows [r0, r1) of the channels output quad oq reads, into scratch rows wp pixels
// wide: pl zero pixels, the row, zeros to the end.
function copyRows(ctrl: usize, b: i32, oq: i32, r0: i32, r1: i32, w: i32, pl: i32, wp: i32, scratch: usize): void {
  const h = arg(ctrl, A_H);
  const c = arg(ctrl, A_C);
  const mult = arg(ctrl, A_MULT);
  const c4 = (c + 3) >> 2;
  const plane = (<usize>h * <usize>w) << 4;
  const input = argPtr(ctrl, A_IN) + <usize>(b * c4) * plane;
  const zero = v128.splat<i32>(0);
  for (let r = r0; r < r1; r++) {
    let to = scratch + ((<usize>(r - r0) * <usize>wp) << 4);
    for (let i = 0; i < pl; i++) { v128.store(to, zero); to += 16; }
    const from = (<usize>r * <usize>w) << 4;
    if (mult == 1) {
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
