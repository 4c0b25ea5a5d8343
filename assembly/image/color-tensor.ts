// toTensor: 8-bit interleaved pixels to f32 (x·scale − mean[c]) / std[c], computed as
// x·a[c] + b[c] with a = scale/std and b = −mean/std (rounded to f32 by the plan), into
// NCHW planes (`planeStride` bytes apart) or interleaved pixels (NHWC; NC4HW4, which for at most four channels is
// pixels of four floats, channels past c zero). A work-group is `rows` rows.
//
// Four pixels at a time: one load, one byte swizzle by a map the plan computed (channel
// order, alpha dropped, padding lanes zero: index 0x80), which puts the bytes in the
// order of the floats stored; each four bytes widen to an f32x4, scaled and offset by
// the a and b vectors of its position, and stored. `consts` holds the map (16 bytes),
// then a₀…a₃ and b₀…b₃ (16 bytes each): for NCHW vector k is channel k's a splatted,
// interleaved it is the a of the floats k·4 … k·4+3 of the four pixels. The pixels left
// at a row's end go one at a time through the same map and the same f32 arithmetic.
import { ToTensorArgs } from "../runtime/schema.gen";

// Signed conversion (bytes are 0…255 either way): cvtdq2ps, where the unsigned one is a
// sequence of eight instructions on x64.
@inline function bytesToF32(v: v128, k: i32): v128 {
  const h = k < 2 ? i16x8.extend_low_i8x16_u(v) : i16x8.extend_high_i8x16_u(v);
  return f32x4.convert_i32x4_s((k & 1) == 0 ? i32x4.extend_low_i16x8_u(h) : i32x4.extend_high_i16x8_u(h));
}

@inline function affine(v: v128, k: i32, a: v128, b: v128): v128 {
  return f32x4.add(f32x4.mul(bytesToF32(v, k), a), b);
}

export function tensorGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const cn = ToTensorArgs.cn(ctrl), width = ToTensorArgs.width(ctrl), height = ToTensorArgs.height(ctrl);
  const planar = ToTensorArgs.planar(ctrl), lanes = ToTensorArgs.lanes(ctrl), oc = ToTensorArgs.oc(ctrl);
  const srcStride = ToTensorArgs.srcStride(ctrl), consts = ToTensorArgs.consts(ctrl), rows = ToTensorArgs.rows(ctrl);
  // The constants in locals: loads in the loop would be repeated (stores may alias them).
  const map = v128.load(consts);
  const a0 = v128.load(consts, 16), a1 = v128.load(consts, 32), a2 = v128.load(consts, 48), a3 = v128.load(consts, 64);
  const b0 = v128.load(consts, 80), b1 = v128.load(consts, 96), b2 = v128.load(consts, 112), b3 = v128.load(consts, 128);
  const vectors = planar ? oc : lanes;
  // Bytes from one output vector to the next, and per pixel.
  const kStride: usize = planar ? ToTensorArgs.planeStride(ctrl) : 16;
  const pixelBytes: usize = planar ? 4 : <usize>lanes << 2;
  const step: usize = planar ? 4 : 1; // the map's and the constants' index of channel c: c·step
  const y0 = group * rows, y1 = min(height, y0 + rows);
  for (let y = y0; y < y1; y++) {
    const s = ToTensorArgs.src(ctrl) + <usize>y * srcStride;
    const d = ToTensorArgs.dst(ctrl) + <usize>y * width * pixelBytes;
    let x = 0;
    for (; (width - x) * cn >= 16; x += 4) {
      const v = i8x16.swizzle(v128.load(s + <usize>x * cn), map);
      const o = d + <usize>x * pixelBytes;
      v128.store(o, affine(v, 0, a0, b0));
      if (vectors > 1) v128.store(o + kStride, affine(v, 1, a1, b1));
      if (vectors > 2) v128.store(o + 2 * kStride, affine(v, 2, a2, b2));
      if (vectors > 3) v128.store(o + 3 * kStride, affine(v, 3, a3, b3));
    }
    for (; x < width; x++) {
      const o = d + <usize>x * pixelBytes;
      const channels = planar ? oc : lanes;
      for (let c = 0; c < channels; c++) {
        const at = <usize>c * step;
        const from = load<u8>(consts + at);
        const value: f32 = from < 16 ? <f32>load<u8>(s + <usize>x * cn + from) : 0;
        store<f32>(o + (planar ? <usize>c * kStride : <usize>c << 2), value * load<f32>(consts + 16 + (at << 2)) + load<f32>(consts + 80 + (at << 2)));
      }
    }
  }
}
