// Test hooks for the failure paths of the pool: a group that never finishes on a
// Worker (until the job is aborted), and one that traps there. The caller's thread
// (tid 0) waits until a Worker has entered a group, so it cannot finish the job alone.
import { ARGS, OP_DEBUG_STALL, aborted } from "./job";

export function debugGroup(ctrl: usize, op: i32, tid: i32): void {
  const entered = ctrl + (<usize>ARGS << 2); // argument slot 0, zero when the job starts
  if (tid == 0) {
    while (atomic.load<i32>(entered) == 0 && !aborted(ctrl)) {}
    return;
  }
  atomic.store<i32>(entered, 1);
  if (op == OP_DEBUG_STALL) {
    while (!aborted(ctrl)) {}
    return;
  }
  unreachable();
}
