// OpenCL-style execution of one phase of a job: every thread calls runPhase,
// claims work-group ids from an atomic counter until none are left, and runs
// the operation's kernel on each. Waiting between phases is done by the caller
// (src/pool.ts, src/worker.ts), which may spin or sleep as its thread allows.
import { OP, OP_CONV, OP_DEPTHWISE, OP_WINOGRAD, OP_GEMM, OP_INTEGRAL, OP_LAYOUT, PHASE0, PHASE_WORDS, aborted } from "./job";
import { integralGroup } from "../image/integral";
import { gemmGroup } from "../gemm/gemm";
import { layoutGroup } from "../conv/layout";
import { convGemmGroup } from "../conv/conv-gemm";
import { depthwiseGroup } from "../conv/depthwise";
import { winogradGroup } from "../conv/winograd";
import { debugGroup } from "./debug";

// Returns 1 when this thread completed the phase's last group (it must wake the waiters).
export function runPhase(ctrl: usize, phase: i32, tid: i32): i32 {
  const op = load<i32>(ctrl + (<usize>OP << 2));
  const counters = ctrl + (<usize>(PHASE0 + phase * PHASE_WORDS) << 2);
  const total = load<i32>(counters, 8);
  let completedLast = 0;
  while (!aborted(ctrl)) {
    const group = atomic.add<i32>(counters, 1);
    if (group >= total) break;
    if (op == OP_GEMM) gemmGroup(ctrl, phase, group, tid);
    else if (op == OP_INTEGRAL) integralGroup(ctrl, phase, group, tid);
    else if (op == OP_CONV) convGemmGroup(ctrl, phase, group, tid);
    else if (op == OP_DEPTHWISE) depthwiseGroup(ctrl, group, tid);
    else if (op == OP_WINOGRAD) winogradGroup(ctrl, group, tid);
    else if (op == OP_LAYOUT) layoutGroup(ctrl, group);
    else debugGroup(ctrl, op, tid);
    if (atomic.add<i32>(counters + 4, 1) + 1 == total) completedLast = 1;
  }
  return completedLast;
}
