// AssemblyScript, compiled by scripts/bench.mjs into build/bench/ceiling{,-relaxed}.wasm:
// the machine's ceilings. `ceiling` is the f32x4 arithmetic ceiling: twelve independent
// multiply-add chains held in registers (twelve hide the 6-cycle mul+add latency at two
// of each per cycle). Each chain step is 8 FLOP: 4 multiplies and 4 adds, or one
// relaxed_madd (FMA) of 4 lanes.
export function ceiling(iterations: i32, seed: f32): f32 {
  const a = f32x4.splat(0.9999999);
  const b = f32x4.splat(seed);
  let c0 = f32x4.splat(1), c1 = f32x4.splat(2), c2 = f32x4.splat(3), c3 = f32x4.splat(4);
  let c4 = f32x4.splat(5), c5 = f32x4.splat(6), c6 = f32x4.splat(7), c7 = f32x4.splat(8);
  let c8 = f32x4.splat(9), c9 = f32x4.splat(10), c10 = f32x4.splat(11), c11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    c0 = step(c0, a, b); c1 = step(c1, a, b); c2 = step(c2, a, b); c3 = step(c3, a, b);
    c4 = step(c4, a, b); c5 = step(c5, a, b); c6 = step(c6, a, b); c7 = step(c7, a, b);
    c8 = step(c8, a, b); c9 = step(c9, a, b); c10 = step(c10, a, b); c11 = step(c11, a, b);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))), 0);
}

@inline function step(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(c, a, b);
  return f32x4.add(f32x4.mul(c, a), b);
}

// The write floor: `bytes` of v128 stores from the module's heap, nothing computed, the
// fastest any kernel could write a table of that size (Wasm has no non-temporal stores,
// so every line written is also read for ownership, as in a real kernel).
export function reserve(bytes: usize): usize {
  const base = (__heap_base + 63) & ~(<usize>63);
  const need = <i32>((base + bytes + 0xffff) >>> 16) - memory.size();
  if (need > 0 && memory.grow(need) < 0) return 0;
  return base;
}

export function storeOnly(dst: usize, bytes: usize): void {
  const v = i32x4.splat(1);
  const end = dst + (bytes & ~(<usize>63));
  for (let p = dst; p < end; p += 64) {
    v128.store(p, v);
    v128.store(p, v, 16);
    v128.store(p, v, 32);
    v128.store(p, v, 48);
  }
}

// The read floor of a resampling: every byte of `count` source rows loaded (their indices
// at `rows`, i32), four v128 a step folded into independent sums so no load is dropped,
// then `outBytes` stored: what any kernel that reads those rows and writes that result
// moves at the least.
export function readRowsStore(src: usize, rowBytes: usize, rows: usize, count: i32, dst: usize, outBytes: usize): i32 {
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (let i = 0; i < count; i++) {
    const p = src + <usize>load<i32>(rows + (<usize>i << 2)) * rowBytes;
    const end = p + (rowBytes & ~(<usize>63));
    for (let q = p; q < end; q += 64) {
      a0 = v128.xor(a0, v128.load(q));
      a1 = v128.xor(a1, v128.load(q, 16));
      a2 = v128.xor(a2, v128.load(q, 32));
      a3 = v128.xor(a3, v128.load(q, 48));
    }
  }
  storeOnly(dst, outBytes);
  return i32x4.extract_lane(v128.xor(v128.xor(a0, a1), v128.xor(a2, a3)), 0);
}
