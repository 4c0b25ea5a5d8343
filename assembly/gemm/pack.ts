// Packing (BLIS): copy a block of A into MR-row micro-panels and a block of B into
// NR-column micro-panels, k-major, so the microkernel reads both with unit stride.
// Transposes are absorbed here. Rows or columns past the matrix edge are zero, so the
// microkernel always computes a whole MR×NR tile.
import { MR, NR } from "../runtime/schema.gen";
import { transpose4x4 } from "../simd/transpose";

// Byte offset of B's packed panel `panel` in the KC block starting at p0.
// Layout: KC blocks one after another, each holding all panels of kc·NR floats.
@inline export function packedPanel(packed: usize, n: i32, p0: i32, kc: i32, panel: i32): usize {
  const npad = <usize>((n + NR - 1) / NR) * NR;
  return packed + ((<usize>p0 * npad + <usize>panel * <usize>kc * NR) << 2);
}

// A block: rows [i0, i0+mc) × k range [p0, p0+kc) of op(A) into dst, panel after panel:
// panel r holds, for each k, the MR values op(A)[i0+r·MR .. +MR][k].
export function packA(a: usize, lda: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  let out = dst;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    if (rows == MR) {
      out = transA ? packPanelT(a, lda, i0 + ir, p0, kc, out) : packPanelN(a, lda, i0 + ir, p0, kc, out);
      continue;
    }
    // A last panel of fewer rows: zeros, then each real row's values in its lane.
    memory.fill(out, 0, <usize>kc * MR * 4);
    for (let r = 0; r < rows; r++) {
      const i = i0 + ir + r;
      let at = transA ? a + ((<usize>p0 * <usize>lda + <usize>i) << 2) : a + ((<usize>i * <usize>lda + <usize>p0) << 2);
      const step: usize = transA ? <usize>lda << 2 : 4;
      let to = out + (<usize>r << 2);
      for (let p = 0; p < kc; p++) {
        store<f32>(to, load<f32>(at));
        at += step;
        to += MR * 4;
      }
    }
    out += <usize>kc * MR * 4;
  }
}

// One B micro-panel: columns [j0, j0+NR) × k range [p0, p0+kc) of op(B), k-major.
export function packBPanel(b: usize, ldb: i32, transB: bool, n: i32, j0: i32, p0: i32, kc: i32, dst: usize): void {
  const cols = min(NR, n - j0);
  let out = dst;
  if (!transB && cols == NR) {
    // Row-major B, whole panel: two vector copies per k.
    for (let p = 0; p < kc; p++) {
      const src = b + ((<usize>(p0 + p) * <usize>ldb + <usize>j0) << 2);
      v128.store(out, v128.load(src));
      v128.store(out, v128.load(src, 16), 16);
      out += NR << 2;
    }
    return;
  }
  for (let p = 0; p < kc; p++) {
    const kk = p0 + p;
    for (let c = 0; c < NR; c++) {
      let v: f32 = 0;
      if (c < cols) {
        const j = j0 + c;
        v = transB ? load<f32>(b + ((<usize>j * <usize>ldb + <usize>kk) << 2)) : load<f32>(b + ((<usize>kk * <usize>ldb + <usize>j) << 2));
      }
      store<f32>(out, v);
      out += 4;
    }
  }
}

// A whole panel of row-major A: four rows, four k at a time, transposed in registers.
function packPanelN(a: usize, lda: i32, i: i32, p0: i32, kc: i32, out: usize): usize {
  const stride = <usize>lda << 2;
  const r0 = a + ((<usize>i * <usize>lda + <usize>p0) << 2);
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    transpose4x4(r0 + (<usize>p << 2), stride, out);
    out += 64;
  }
  for (; p < kc; p++) {
    const at = r0 + (<usize>p << 2);
    store<f32>(out, load<f32>(at));
    store<f32>(out, load<f32>(at + stride), 4);
    store<f32>(out, load<f32>(at + 2 * stride), 8);
    store<f32>(out, load<f32>(at + 3 * stride), 12);
    out += 16;
  }
  return out;
}

// A whole panel of transposed A (stored k×m): a k's four values are already adjacent.
function packPanelT(a: usize, lda: i32, i: i32, p0: i32, kc: i32, out: usize): usize {
  let at = a + ((<usize>p0 * <usize>lda + <usize>i) << 2);
  const stride = <usize>lda << 2;
  for (let p = 0; p < kc; p++) {
    v128.store(out, v128.load(at));
    at += stride;
    out += 16;
  }
  return out;
}
