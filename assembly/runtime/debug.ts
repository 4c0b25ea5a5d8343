// Test hooks for the failure paths of the pool: a group that never finishes on a
// Worker (until the job is aborted), and one that traps there. The caller's thread
// (tid 0) waits until a Worker has entered a group, so it cannot finish the job alone.
import { DebugStallArgs, DebugTrapArgs } from "./schema.gen";
import { aborted } from "./job";

// Whether this thread is a Worker that entered; the caller waits for one to.
function enter(ctrl: usize, tid: i32, entered: usize): bool {
  if (tid == 0) {
    while (atomic.load<i32>(entered) == 0 && !aborted(ctrl)) {}
    return false;
  }
  atomic.store<i32>(entered, 1);
  return true;
}

export function debugStallGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  if (enter(ctrl, tid, ctrl + DebugStallArgs.OFFSET_ENTERED)) while (!aborted(ctrl)) {}
}

export function debugTrapGroup(ctrl: usize, phase: i32, group: i32, tid: i32): void {
  if (enter(ctrl, tid, ctrl + DebugTrapArgs.OFFSET_ENTERED)) unreachable();
}
