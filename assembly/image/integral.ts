// Integral images (summed-area tables), OpenCV's layout: (H+1)×(W+1)×cn, the first
// row and column zero, channels interleaved.
//
// One thread runs one group over all rows: each output row is the row above plus the
// row's prefix sums (prefix.ts, accumulate.ts). Several threads split the image into
// strips of rows and run three phases separated by barriers:
//   0 totals: each strip sums its own rows into a row vector (its bottom row, alone);
//   1 scan:   over column chunks, each strip's carry becomes the sum of the strips above;
//   2 rows:   each strip writes its rows starting from its carry.
// Inputs are read twice, outputs written once. u8 sums are exact integers, so every
// split gives the same bits. f32 sums are not associative, so their strip height is
// fixed by the caller and the strip's own sum is kept apart from the carry: every
// thread count then performs the very same additions.
import { aborted } from "../runtime/job";
import { Config, IntegralArgs, KIND_F32_F64, KIND_U8_I32, SPLIT_BANDS, SPLIT_NONE } from "../runtime/schema.gen";
import { prefixF32 } from "./prefix";
import { addF64, addRowF64Local } from "./accumulate";
import { integralRowU8 } from "./rows-u8";

// Bytes of one scratch or carry row of n elements: room for f64 plus a 16-byte overhang.
@inline function rowPitch(n: i32): usize {
  return ((<usize>n << 3) + 31) & ~(<usize>15);
}

@inline function scratchRow(ctrl: usize, tid: i32, row: i32): usize {
  const n = IntegralArgs.width(ctrl) * IntegralArgs.cn(ctrl);
  return IntegralArgs.scratch(ctrl) + <usize>tid * IntegralArgs.scratchStride(ctrl) + <usize>row * rowPitch(n);
}

// First data element (column 1) of output row r.
@inline function outRow(ctrl: usize, base: usize, r: i32, esz: usize): usize {
  const cn = <usize>IntegralArgs.cn(ctrl);
  return base + (<usize>r * (<usize>IntegralArgs.width(ctrl) + 1) * cn + cn) * esz;
}

// Zero the first column (cn elements of esz bytes) just before a row's data: a few
// stores, cheaper than a memory.fill call per row.
@inline function zeroBorder(rowData: usize, cn: i32, esz: usize): void {
  const start = rowData - <usize>cn * esz;
  for (let p = start; p < rowData; p += 4) store<i32>(p, 0);
}

@inline function srcRow(ctrl: usize, r: i32): usize {
  const esz: usize = IntegralArgs.kind(ctrl) == KIND_F32_F64 ? 4 : 1;
  return IntegralArgs.src(ctrl) + <usize>r * IntegralArgs.srcStride(ctrl) * esz;
}

@inline function carryRow(ctrl: usize, rows: usize, s: i32): usize {
  const n = IntegralArgs.width(ctrl) * IntegralArgs.cn(ctrl);
  return rows + <usize>s * rowPitch(n);
}

export function integralGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const split = IntegralArgs.split(ctrl);
  if (split == SPLIT_NONE) {
    writeRows(ctrl, 0, IntegralArgs.strips(ctrl), tid);
  } else if (split == SPLIT_BANDS) {
    writeBands(ctrl);
  } else if (phase == 0) {
    stripTotals(ctrl, group, tid);
  } else if (phase == 1) {
    scanCarries(ctrl, group);
  } else {
    writeRows(ctrl, group, group + 1, tid);
    // The caller may be copying strips out as they finish (src/ops/image/integral.ts).
    const done = IntegralArgs.done(ctrl);
    if (done != 0) signal(done + (<usize>group << 2));
  }
}

// Output rows of strips [s0, s1), and the zero border they own.
function writeRows(ctrl: usize, s0: i32, s1: i32, tid: i32): void {
  const kind = IntegralArgs.kind(ctrl);
  const squared = IntegralArgs.squared(ctrl);
  const cn = IntegralArgs.cn(ctrl);
  const n = IntegralArgs.width(ctrl) * cn;
  const strip = IntegralArgs.strip(ctrl);
  const r0 = s0 * strip;
  const r1 = min(IntegralArgs.height(ctrl), s1 * strip);
  const sum = IntegralArgs.sum(ctrl);
  const sqsum = IntegralArgs.sqsum(ctrl);
  const esz: usize = kind == KIND_U8_I32 ? 4 : 8;
  if (r0 == 0 && IntegralArgs.topGiven(ctrl) == 0) {
    memory.fill(sum, 0, <usize>(n + cn) * esz);
    if (squared) memory.fill(sqsum, 0, <usize>(n + cn) << 3);
  }
  if (kind == KIND_F32_F64) {
    writeRowsF32(ctrl, s0, s1, tid);
    return;
  }
  const pairs = Config.integralBytePairs(ctrl);
  for (let r = r0; r < r1; r++) {
    // The first row of a strip below the top starts from the strip's carry.
    const fromCarry = r == r0 && r0 > 0;
    const out = outRow(ctrl, sum, r + 1, esz);
    zeroBorder(out, cn, esz);
    const above = fromCarry ? carryRow(ctrl, IntegralArgs.carry(ctrl), s0) : outRow(ctrl, sum, r, esz);
    let out2: usize = 0;
    let above2: usize = 0;
    if (squared) {
      out2 = outRow(ctrl, sqsum, r + 1, 8);
      zeroBorder(out2, cn, 8);
      above2 = fromCarry ? carryRow(ctrl, IntegralArgs.carry2(ctrl), s0) : outRow(ctrl, sqsum, r, 8);
    }
    integralRowU8(srcRow(ctrl, r), n, cn, out, above, kind != KIND_U8_I32, out2, above2, squared, pairs);
  }
}

// 8-bit rows into plain arrays on several threads: one Worker writes bands of `strip` rows
// (`strips` of them) into two window slots at `sum` (and `sqsum`), in turn, while the
// caller copies each band out as its flag is set (src/ops/image/integral.ts). Row 0 of a slot
// holds the row above its band: zeros, or the other slot's last row. Flags at `done`:
// done[b] (set here), then copied[b] (set by the caller), one i32 each. A slot is
// rewritten only after the caller has copied the band it held: the two work in cache.
function writeBands(ctrl: usize): void {
  const kind = IntegralArgs.kind(ctrl);
  const squared = IntegralArgs.squared(ctrl);
  const cn = IntegralArgs.cn(ctrl);
  const n = IntegralArgs.width(ctrl) * cn;
  const height = IntegralArgs.height(ctrl);
  const band = IntegralArgs.strip(ctrl);
  const bands = IntegralArgs.strips(ctrl);
  const pairs = Config.integralBytePairs(ctrl);
  const f64out = kind != KIND_U8_I32;
  const esz: usize = f64out ? 8 : 4;
  const pitch = (<usize>n + <usize>cn) * esz; // bytes of a table row
  const pitch2 = (<usize>n + <usize>cn) << 3;
  const slots = IntegralArgs.sum(ctrl);
  const slots2 = IntegralArgs.sqsum(ctrl);
  const slotBytes = IntegralArgs.slot(ctrl);
  const slotBytes2 = IntegralArgs.slot2(ctrl);
  const done = IntegralArgs.done(ctrl);
  const copied = done + (<usize>bands << 2);
  for (let b = 0; b < bands; b++) {
    if (b >= 2) {
      const flag = copied + (<usize>(b - 2) << 2);
      while (atomic.load<i32>(flag) == 0) if (aborted(ctrl)) return;
    }
    const r0 = b * band;
    const h = min(band, height - r0);
    const slot = <usize>(b & 1);
    const base = slots + slot * slotBytes;
    const base2 = slots2 + slot * slotBytes2;
    if (b == 0) {
      memory.fill(base, 0, pitch);
      if (squared) memory.fill(base2, 0, pitch2);
    } else {
      // The band above's last row, in the other slot.
      memory.copy(base, slots + (slot ^ 1) * slotBytes + <usize>band * pitch, pitch);
      if (squared) memory.copy(base2, slots2 + (slot ^ 1) * slotBytes2 + <usize>band * pitch2, pitch2);
    }
    for (let r = 0; r < h; r++) {
      const above = base + <usize>r * pitch + <usize>cn * esz;
      const out = above + pitch;
      zeroBorder(out, cn, esz);
      let above2: usize = 0, out2: usize = 0;
      if (squared) {
        above2 = base2 + <usize>r * pitch2 + (<usize>cn << 3);
        out2 = above2 + pitch2;
        zeroBorder(out2, cn, 8);
      }
      integralRowU8(srcRow(ctrl, r0 + r), n, cn, out, above, f64out, out2, above2, squared, pairs);
    }
    signal(done + (<usize>b << 2));
  }
}

// Set a flag the caller waits on (Atomics.waitAsync), and wake it.
@inline function signal(flag: usize): void {
  atomic.store<i32>(flag, 1);
  atomic.notify(flag, 1);
}

// Float rows: out = carry + local, where local is the strip's own running sum. One
// thread over many strips folds each strip's local sum into its running carry at the
// strip's end, the same addition the scan phase makes when strips are split.
function writeRowsF32(ctrl: usize, s0: i32, s1: i32, tid: i32): void {
  const squared = IntegralArgs.squared(ctrl);
  const cn = IntegralArgs.cn(ctrl);
  const n = IntegralArgs.width(ctrl) * cn;
  const strip = IntegralArgs.strip(ctrl);
  const height = IntegralArgs.height(ctrl);
  const sum = IntegralArgs.sum(ctrl);
  const sqsum = IntegralArgs.sqsum(ctrl);
  const rp = scratchRow(ctrl, tid, 0);
  const rp2 = scratchRow(ctrl, tid, 1);
  const local = scratchRow(ctrl, tid, 2);
  const local2 = scratchRow(ctrl, tid, 3);
  const split = IntegralArgs.split(ctrl) != SPLIT_NONE;
  const rowBytes = <usize>n << 3;
  let carry = scratchRow(ctrl, tid, 4);
  let carry2 = scratchRow(ctrl, tid, 5);
  if (split) {
    carry = carryRow(ctrl, IntegralArgs.carry(ctrl), s0);
    carry2 = carryRow(ctrl, IntegralArgs.carry2(ctrl), s0);
  } else {
    memory.fill(carry, 0, rowBytes);
    memory.fill(carry2, 0, rowBytes);
  }
  for (let s = s0; s < s1; s++) {
    memory.fill(local, 0, rowBytes);
    memory.fill(local2, 0, rowBytes);
    const r1 = min(height, (s + 1) * strip);
    for (let r = s * strip; r < r1; r++) {
      prefixF32(srcRow(ctrl, r), n, cn, rp, rp2, squared);
      const out = outRow(ctrl, sum, r + 1, 8);
      zeroBorder(out, cn, 8);
      addRowF64Local(out, carry, local, rp, n);
      if (squared) {
        const out2 = outRow(ctrl, sqsum, r + 1, 8);
        zeroBorder(out2, cn, 8);
        addRowF64Local(out2, carry2, local2, rp2, n);
      }
    }
    if (!split) {
      addF64(carry, local, n);
      if (squared) addF64(carry2, local2, n);
    }
  }
}

// Phase 0: strip s's own sum of its rows, prefixed along the row, in its carry row.
function stripTotals(ctrl: usize, s: i32, tid: i32): void {
  const kind = IntegralArgs.kind(ctrl);
  const squared = IntegralArgs.squared(ctrl);
  const cn = IntegralArgs.cn(ctrl);
  const n = IntegralArgs.width(ctrl) * cn;
  const strip = IntegralArgs.strip(ctrl);
  const r0 = s * strip;
  const r1 = min(IntegralArgs.height(ctrl), r0 + strip);
  const total = carryRow(ctrl, IntegralArgs.carry(ctrl), s);
  const total2 = carryRow(ctrl, IntegralArgs.carry2(ctrl), s);
  const rp = scratchRow(ctrl, tid, 0);
  const rp2 = scratchRow(ctrl, tid, 1);
  const rowBytes = <usize>n << 3;
  if (kind == KIND_F32_F64) {
    // Exactly the local sums writeRowsF32 builds: rows' prefix sums added in order.
    // Without squares there is no A_CARRY2 region (its pointer is 0): never touch it.
    memory.fill(total, 0, rowBytes);
    if (squared) memory.fill(total2, 0, rowBytes);
    for (let r = r0; r < r1; r++) {
      prefixF32(srcRow(ctrl, r), n, cn, rp, rp2, squared);
      addF64(total, rp, n);
      if (squared) addF64(total2, rp2, n);
    }
    return;
  }
  if (squared) columnSumsSquaredU8(ctrl, r0, r1, n, rp, rp2);
  else columnSumsU8Plain(ctrl, r0, r1, n, rp, rp2);
  // Prefix the column sums along the row, per channel, into the carry type.
  const back = <usize>cn;
  for (let e = 0; e < n; e++) {
    const at = <usize>e;
    if (kind == KIND_U8_I32) {
      const prev = e >= cn ? load<i32>(total + ((at - back) << 2)) : 0;
      store<i32>(total + (at << 2), prev + load<i32>(rp + (at << 2)));
    } else {
      const prev = e >= cn ? load<f64>(total + ((at - back) << 3)) : 0.0;
      store<f64>(total + (at << 3), prev + <f64>load<u32>(rp + (at << 2)));
    }
    if (squared) {
      const prev2 = e >= cn ? load<f64>(total2 + ((at - back) << 3)) : 0.0;
      store<f64>(total2 + (at << 3), prev2 + <f64>load<u32>(rp2 + (at << 2)));
    }
  }
}

// Sums of each column over rows [r0, r1) into rp (u32), and of their squares into rp2 (u32).
// A strip has at most MAX_STRIP_ROWS (256) rows, so 65025 · 256 fits u32.
function columnSumsSquaredU8(ctrl: usize, r0: i32, r1: i32, n: i32, rp: usize, rp2: usize): void {
  memory.fill(rp, 0, <usize>n << 2);
  memory.fill(rp2, 0, <usize>n << 2);
  const n16 = n & ~15;
  for (let r = r0; r < r1; r++) {
    const row = srcRow(ctrl, r);
    for (let e = 0; e < n16; e += 16) {
      const b = v128.load(row + <usize>e);
      const lo = i16x8.extend_low_i8x16_u(b);
      const hi = i16x8.extend_high_i8x16_u(b);
      const at = rp + (<usize>e << 2);
      v128.store(at, i32x4.add(v128.load(at), i32x4.extend_low_i16x8_u(lo)));
      v128.store(at, i32x4.add(v128.load(at, 16), i32x4.extend_high_i16x8_u(lo)), 16);
      v128.store(at, i32x4.add(v128.load(at, 32), i32x4.extend_low_i16x8_u(hi)), 32);
      v128.store(at, i32x4.add(v128.load(at, 48), i32x4.extend_high_i16x8_u(hi)), 48);
      const slo = i16x8.mul(lo, lo);
      const shi = i16x8.mul(hi, hi);
      const at2 = rp2 + (<usize>e << 2);
      v128.store(at2, i32x4.add(v128.load(at2), i32x4.extend_low_i16x8_u(slo)));
      v128.store(at2, i32x4.add(v128.load(at2, 16), i32x4.extend_high_i16x8_u(slo)), 16);
      v128.store(at2, i32x4.add(v128.load(at2, 32), i32x4.extend_low_i16x8_u(shi)), 32);
      v128.store(at2, i32x4.add(v128.load(at2, 48), i32x4.extend_high_i16x8_u(shi)), 48);
    }
    for (let e = n16; e < n; e++) {
      const v = <u32>load<u8>(row + <usize>e);
      const at = <usize>e << 2;
      store<u32>(rp + at, load<u32>(rp + at) + v);
      store<u32>(rp2 + at, load<u32>(rp2 + at) + v * v);
    }
  }
}

// Without squares: each column's sum over rows [r0, r1) into rp (u32), summing four rows
// at a time in u16 lanes (4 · 255 fits) into u16 column sums at acc16 (a strip has at
// most MAX_STRIP_ROWS = 256 rows, and 255 · 256 < 65536), widened once at the end. A quarter of the loads
// and stores of u32 sums per row (docs/decisions/integral-rows.md).
function columnSumsU8Plain(ctrl: usize, r0: i32, r1: i32, n: i32, rp: usize, acc16: usize): void {
  const n16 = n & ~15;
  memory.fill(acc16, 0, <usize>n16 << 1);
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const a = srcRow(ctrl, r), b = srcRow(ctrl, r + 1), c = srcRow(ctrl, r + 2), d = srcRow(ctrl, r + 3);
    for (let e = 0; e < n16; e += 16) {
      const at = <usize>e;
      const x0 = v128.load(a + at), x1 = v128.load(b + at), x2 = v128.load(c + at), x3 = v128.load(d + at);
      const lo = i16x8.add(
        i16x8.add(i16x8.extend_low_i8x16_u(x0), i16x8.extend_low_i8x16_u(x1)),
        i16x8.add(i16x8.extend_low_i8x16_u(x2), i16x8.extend_low_i8x16_u(x3)));
      const hi = i16x8.add(
        i16x8.add(i16x8.extend_high_i8x16_u(x0), i16x8.extend_high_i8x16_u(x1)),
        i16x8.add(i16x8.extend_high_i8x16_u(x2), i16x8.extend_high_i8x16_u(x3)));
      const to = acc16 + (at << 1);
      v128.store(to, i16x8.add(v128.load(to), lo));
      v128.store(to, i16x8.add(v128.load(to, 16), hi), 16);
    }
  }
  for (; r < r1; r++) {
    const row = srcRow(ctrl, r);
    for (let e = 0; e < n16; e += 16) {
      const x = v128.load(row + <usize>e);
      const to = acc16 + (<usize>e << 1);
      v128.store(to, i16x8.add(v128.load(to), i16x8.extend_low_i8x16_u(x)));
      v128.store(to, i16x8.add(v128.load(to, 16), i16x8.extend_high_i8x16_u(x)), 16);
    }
  }
  for (let e = 0; e < n16; e += 8) {
    const v = v128.load(acc16 + (<usize>e << 1));
    const to = rp + (<usize>e << 2);
    v128.store(to, i32x4.extend_low_i16x8_u(v));
    v128.store(to, i32x4.extend_high_i16x8_u(v), 16);
  }
  for (let e = n16; e < n; e++) {
    let t: u32 = 0;
    for (let q = r0; q < r1; q++) t += <u32>load<u8>(srcRow(ctrl, q) + <usize>e);
    store<u32>(rp + (<usize>e << 2), t);
  }
}

// Phase 1: exclusive prefix over strips of the carry rows, for one chunk of columns.
// Rows are padded to 16 bytes, so the loop runs whole vectors past n harmlessly.
function scanCarries(ctrl: usize, chunk: i32): void {
  const kind = IntegralArgs.kind(ctrl);
  const squared = IntegralArgs.squared(ctrl);
  const n = IntegralArgs.width(ctrl) * IntegralArgs.cn(ctrl);
  const strips = IntegralArgs.strips(ctrl);
  const per = IntegralArgs.chunk(ctrl);
  const e0 = chunk * per;
  const e1 = min(n, e0 + per);
  if (kind == KIND_U8_I32) {
    scan(IntegralArgs.carry(ctrl), rowPitch(n), strips, <usize>e0 << 2, <usize>e1 << 2, false);
  } else {
    scan(IntegralArgs.carry(ctrl), rowPitch(n), strips, <usize>e0 << 3, <usize>e1 << 3, true);
  }
  if (squared) scan(IntegralArgs.carry2(ctrl), rowPitch(n), strips, <usize>e0 << 3, <usize>e1 << 3, true);
}

// Running exclusive sum down the strips, one vector of columns at a time: i32 lanes for
// the exact 32-bit tables, f64 lanes otherwise.
function scan(base: usize, pitch: usize, strips: i32, b0: usize, b1: usize, f64: bool): void {
  for (let b = b0; b < b1; b += 16) {
    let acc = i32x4.splat(0); // all-zero bits: 0 in either lane type
    for (let s = 0; s < strips; s++) {
      const at = base + <usize>s * pitch + b;
      const t = v128.load(at);
      v128.store(at, acc);
      acc = f64 ? f64x2.add(acc, t) : i32x4.add(acc, t);
    }
  }
}
