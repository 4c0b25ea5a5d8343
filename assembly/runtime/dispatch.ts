// OpenCL-style execution of one phase of a job: every thread calls runPhase,
// claims work-group ids from an atomic counter until none are left, and runs
// the op's kernel on each (dispatch.gen.ts, from the op declarations). Waiting between
// phases is done by the caller (src/pool.ts, src/worker.ts), which may spin or sleep.
import { OP, PHASE0, PHASE_WORDS } from "./schema.gen";
import { aborted } from "./job";
import { runGroup } from "./dispatch.gen";

// Returns 1 when this thread completed the phase's last group (it must wake the waiters).
export function runPhase(ctrl: usize, phase: i32, tid: i32): i32 {
  const op = load<i32>(ctrl + (<usize>OP << 2));
  const counters = ctrl + (<usize>(PHASE0 + phase * PHASE_WORDS) << 2);
  const total = load<i32>(counters, 8);
  let completedLast = 0;
  while (!aborted(ctrl)) {
    const group = atomic.add<i32>(counters, 1);
    if (group >= total) break;
    runGroup(ctrl, op, phase, group, tid);
    if (atomic.add<i32>(counters + 4, 1) + 1 == total) completedLast = 1;
  }
  return completedLast;
}
