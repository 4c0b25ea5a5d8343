// Winograd F(2×2, 3×3) and F(4×4, 3×3) for 3×3 stride-1 convolutions over NC4HW4 (Lavin &
// Gray; MNN's ConvolutionWinograd): each 2×2 (4×4) block of outputs ("tile") comes from a
// 4×4 (6×6) input patch with 16 (36) multiplies per channel pair instead of 36 (144), so
// 2.25× (4×) less arithmetic. F(4×4)'s transforms are in winograd-f43.ts.
//
// A work-group is one (batch, block of tiles). For its tiles it
//   1 transforms every input patch, V = Bᵀ·d·B, into scratch as 16 (36) matrices V_ξ
//     packed as GEMM's A panels (per channel, four tiles in a v128);
//   2 multiplies, for each ξ, M_ξ = V_ξ · U_ξ, U_ξ = G·g·Gᵀ being the weights
//     transformed and packed once (src/ops/conv/conv2d.ts), with GEMM's 4×8 microkernel,
//     M_ξ stored as [output channel quad][tile][4];
//   3 transforms back, Y = Aᵀ·M·A, adds the bias, activates and stores the 2×2 outputs.
// The transforms add and subtract whole v128s: four channels at once.
import { Config, NR, WinogradArgs } from "../runtime/schema.gen";
import { packedPanel } from "../gemm/pack";
import { microkernel } from "../gemm/micro";
import { storeOutput } from "../simd/epilogue";
import { transpose4x4 } from "../simd/transpose";
import { transformInput43, transformOutput43 } from "./winograd-f43";

// The job's own words, after the geometry (./geometry.ts).

export function winogradGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const oh = WinogradArgs.oh(ctrl), ow = WinogradArgs.ow(ctrl);
  const tile = WinogradArgs.tile(ctrl);
  const patch = tile + 2; // input pixels per patch side
  const xis = patch * patch; // products per channel pair: 16 or 36
  const tw = (ow + tile - 1) / tile;
  const tilesAll = ((oh + tile - 1) / tile) * tw;
  const tiles = WinogradArgs.tiles(ctrl);
  const blocks = (tilesAll + tiles - 1) / tiles;
  const b = group / blocks;
  const t0 = (group - b * blocks) * tiles;
  const count = min(tiles, tilesAll - t0);
  const c4 = WinogradArgs.c4(ctrl), oc4 = WinogradArgs.oc4(ctrl);
  const h = WinogradArgs.h(ctrl), w = WinogradArgs.w(ctrl);
  const scratch = WinogradArgs.scratch(ctrl) + <usize>tid * WinogradArgs.scratchStride(ctrl);
  const vSize = (<usize>c4 * <usize>tiles) << 4; // one V_ξ: tiles/4 panels of c4·4 k
  const mStep = <usize>tiles << 4; // between output channel quads of one M_ξ
  const mSize = <usize>oc4 * mStep;
  const v = scratch;
  const m = scratch + <usize>xis * vSize;
  const stage = m + <usize>xis * mSize; // ξ × 4 tiles, then the output transform's rows

  // 1: input transform, four tiles at a time: each tile's v128s (four channels each) go
  // to a staging area, then each ξ's 4×4 block is transposed into V_ξ's panel.
  const plane = (<usize>h * <usize>w) << 4;
  const input = WinogradArgs.input(ctrl) + <usize>(b * c4) * plane;
  const pt = WinogradArgs.pt(ctrl), pl = WinogradArgs.pl(ctrl);
  const kq = c4;
  const panelBytes = <usize>kq << 6; // one tile-quad's panel in a V_ξ
  for (let i0 = 0; i0 < count; i0 += 4) {
    const n4 = min(4, count - i0);
    for (let q = 0; q < c4; q++) {
      const channels = input + <usize>q * plane;
      for (let i = 0; i < n4; i++) {
        const t = t0 + i0 + i;
        const ty = t / tw;
        const y0 = tile * ty - pt, x0 = tile * (t - ty * tw) - pl;
        const at = stage + (<usize>i << 4);
        if (tile == 4) transformInput43(channels, h, w, y0, x0, at, 64);
        else if (y0 >= 0 && x0 >= 0 && y0 + 4 <= h && x0 + 4 <= w) {
          transformInput(channels + ((<usize>y0 * <usize>w + <usize>x0) << 4), <usize>w << 4, at, 64);
        } else {
          transformInputEdge(channels, h, w, y0, x0, at, 64);
        }
      }
      const to = v + <usize>(i0 >> 2) * panelBytes + (<usize>q << 6);
      for (let xi = 0; xi < xis; xi++) transpose4x4(stage + (<usize>xi << 6), 16, to + <usize>xi * vSize);
    }
  }

  // 2: the products, GEMM's 4×8 tile over tile-quads × output channels eight at a time.
  const oc = WinogradArgs.oc(ctrl);
  const splats = Config.gemmPackedSplats(ctrl);
  const panels = (oc + NR - 1) / NR;
  const uSize = (<usize>kq * <usize>panels * NR) << 4;
  const packed = WinogradArgs.packed(ctrl);
  const nK = oc4 * 4;
  for (let xi = 0; xi < xis; xi++) {
    const vx = v + <usize>xi * vSize;
    const mx = m + <usize>xi * mSize;
    const u = packed + <usize>xi * uSize;
    for (let j = 0; j < nK; j += NR) {
      const bp = packedPanel(u, oc, 0, kq * 4, j / NR);
      const cq = mx + <usize>(j >> 2) * mStep;
      const nr = min(NR, nK - j);
      for (let i = 0; i < count; i += 4) {
        microkernel(kq * 4, vx + <usize>(i >> 2) * panelBytes, bp, cq + (<usize>i << 4), 16, mStep, min(4, count - i), nr, 1, 0, true, true, 0, 0, stage, splats);
      }
    }
  }

  // 3: output transform, bias, activation, store.
  const out = WinogradArgs.out(ctrl) + ((<usize>(b * oc4) * <usize>oh * <usize>ow) << 4);
  const outPlane = (<usize>oh * <usize>ow) << 4;
  const bias = WinogradArgs.bias(ctrl);
  const act = WinogradArgs.act(ctrl);
  for (let q = 0; q < oc4; q++) {
    const biasAt: usize = bias ? bias + (<usize>q << 4) : 0;
    for (let i = 0; i < count; i++) {
      const t = t0 + i;
      const ty = t / tw;
      const oy = tile * ty, ox = tile * (t - ty * tw);
      const at = out + <usize>q * outPlane + ((<usize>oy * <usize>ow + <usize>ox) << 4);
      const from = m + <usize>q * mStep + (<usize>i << 4);
      if (tile == 4) transformOutput43(from, mSize, stage, at, <usize>ow << 4, min(4, oh - oy), min(4, ow - ox), biasAt, act);
      else transformOutput(from, mSize, at, <usize>ow << 4, oy + 1 < oh, ox + 1 < ow, biasAt, act);
    }
  }
}

// Bᵀ·d·B of the 4×4 patch at src (rows rowBytes apart), its 16 v128s to dst, xiStep apart.
// Bᵀ rows: (1, 0, −1, 0), (0, 1, 1, 0), (0, −1, 1, 0), (0, 1, 0, −1).
@inline function transformInput(src: usize, rowBytes: usize, dst: usize, xiStep: usize): void {
  for (let c = 0; c < 4; c++) {
    const at = src + (<usize>c << 4);
    storeColumn(v128.load(at), v128.load(at + rowBytes), v128.load(at + 2 * rowBytes), v128.load(at + 3 * rowBytes), dst + <usize>c * xiStep, xiStep);
  }
  finishRows(dst, xiStep);
}

// The same for a patch that crosses the image's edge: pixels outside read as zero.
function transformInputEdge(plane: usize, h: i32, w: i32, y0: i32, x0: i32, dst: usize, xiStep: usize): void {
  const zero = f32x4.splat(0);
  const rowBytes = <usize>w << 4;
  for (let c = 0; c < 4; c++) {
    const x = x0 + c;
    const colIn = <u32>x < <u32>w;
    const at = plane + (<usize>x << 4);
    const d0 = colIn && <u32>y0 < <u32>h ? v128.load(at + <usize>y0 * rowBytes) : zero;
    const d1 = colIn && <u32>(y0 + 1) < <u32>h ? v128.load(at + <usize>(y0 + 1) * rowBytes) : zero;
    const d2 = colIn && <u32>(y0 + 2) < <u32>h ? v128.load(at + <usize>(y0 + 2) * rowBytes) : zero;
    const d3 = colIn && <u32>(y0 + 3) < <u32>h ? v128.load(at + <usize>(y0 + 3) * rowBytes) : zero;
    storeColumn(d0, d1, d2, d3, dst + <usize>c * xiStep, xiStep);
  }
  finishRows(dst, xiStep);
}

// Column c of Bᵀ·d from the patch's column d0..d3, stored at rows 0..3 of column c
// (element (r, c) at dst + (4r + c)·xiStep; `to` is column c's row 0).
@inline function storeColumn(d0: v128, d1: v128, d2: v128, d3: v128, to: usize, xiStep: usize): void {
  v128.store(to, f32x4.sub(d0, d2));
  v128.store(to + 4 * xiStep, f32x4.add(d1, d2));
  v128.store(to + 8 * xiStep, f32x4.sub(d2, d1));
  v128.store(to + 12 * xiStep, f32x4.sub(d1, d3));
}

// (Bᵀ·d)·B in place, row by row.
@inline function finishRows(dst: usize, xiStep: usize): void {
  for (let r = 0; r < 4; r++) {
    const row = dst + <usize>(r * 4) * xiStep;
    const t0 = v128.load(row), t1 = v128.load(row + xiStep);
    const t2 = v128.load(row + 2 * xiStep), t3 = v128.load(row + 3 * xiStep);
    v128.store(row, f32x4.sub(t0, t2));
    v128.store(row + xiStep, f32x4.add(t1, t2));
    v128.store(row + 2 * xiStep, f32x4.sub(t2, t1));
    v128.store(row + 3 * xiStep, f32x4.sub(t1, t3));
  }
}

// Aᵀ·M·A of the 16 v128s at src (xiStep apart): the 2×2 outputs at out (rows rowBytes
// apart), the second row and column only where the output has them.
// Aᵀ rows: (1, 1, 1, 0), (0, 1, −1, −1).
@inline function transformOutput(src: usize, xiStep: usize, out: usize, rowBytes: usize, row2: bool, col2: bool, bias: usize, act: i32): void {
  // Rows 0 and 1 of Aᵀ·M, column by column.
  const a0 = top(src, xiStep), b0 = bottom(src, xiStep);
  const a1 = top(src + xiStep, xiStep), b1 = bottom(src + xiStep, xiStep);
  const a2 = top(src + 2 * xiStep, xiStep), b2 = bottom(src + 2 * xiStep, xiStep);
  const a3 = top(src + 3 * xiStep, xiStep), b3 = bottom(src + 3 * xiStep, xiStep);
  storeOutput(out, f32x4.add(f32x4.add(a0, a1), a2), bias, act);
  if (col2) storeOutput(out + 16, f32x4.sub(f32x4.sub(a1, a2), a3), bias, act);
  if (row2) {
    storeOutput(out + rowBytes, f32x4.add(f32x4.add(b0, b1), b2), bias, act);
    if (col2) storeOutput(out + rowBytes + 16, f32x4.sub(f32x4.sub(b1, b2), b3), bias, act);
  }
}

// Aᵀ·M's two rows for one column of M (its four v128s 4·xiStep apart).
@inline function top(at: usize, xiStep: usize): v128 {
  return f32x4.add(f32x4.add(v128.load(at), v128.load(at + 4 * xiStep)), v128.load(at + 8 * xiStep));
}

@inline function bottom(at: usize, xiStep: usize): v128 {
  return f32x4.sub(f32x4.sub(v128.load(at + 4 * xiStep), v128.load(at + 8 * xiStep)), v128.load(at + 12 * xiStep));
}
