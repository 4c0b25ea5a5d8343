// Whether two regions hold the very same bytes: the weight cache's check that a plain
// call's weights are still those it packed (src/ops/conv/weight-cache.ts). A v128 at a
// time, differences or-ed together, stopping at the first 4 KiB block that differs. One
// work-group: it reads as fast as one core can.
import { SameBitsArgs } from "../runtime/schema.gen";

export function sameBitsGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  const a = SameBitsArgs.a(ctrl), b = SameBitsArgs.b(ctrl), bytes = SameBitsArgs.bytes(ctrl);
  const whole = bytes & ~15;
  let diff = v128.splat<i32>(0);
  for (let at: usize = 0; at < whole && !v128.any_true(diff);) {
    const end = min(whole, at + 4096);
    for (; at + 32 <= end; at += 32) {
      diff = v128.or(diff, v128.or(v128.xor(v128.load(a + at), v128.load(b + at)), v128.xor(v128.load(a + at, 16), v128.load(b + at, 16))));
    }
    if (at < end) {
      diff = v128.or(diff, v128.xor(v128.load(a + at), v128.load(b + at)));
      at += 16;
    }
  }
  let same = !v128.any_true(diff);
  for (let i = whole; same && i < bytes; i++) same = load<u8>(a + i) == load<u8>(b + i);
  store<i32>(SameBitsArgs.result(ctrl), same ? 1 : 0);
}
