// The job descriptor: control words at the bottom of the shared memory.
// The TypeScript side (src/job.ts) mirrors these offsets; keep both in step.
// Words are i32, indexed from the control base.

export const SEQ: i32 = 0; // bumped by the caller to publish a job
export const STATE: i32 = 1; // 0 running, 1 shutdown, 2 abort
export const OP: i32 = 2; // which operation the job runs
export const NPHASES: i32 = 3; // phases separated by barriers
export const ACK: i32 = 4; // workers that have left the current job
export const PHASE0: i32 = 16; // per phase: NEXT, DONE, TOTAL, (pad)
export const PHASE_WORDS: i32 = 4;
export const MAX_PHASES: i32 = 8;
export const ARGS: i32 = 64; // operation arguments start here (word index)

export const STATE_RUNNING: i32 = 0;

// Operation ids (src/job.ts mirrors them).
export const OP_INTEGRAL: i32 = 1;
export const OP_GEMM: i32 = 2;
export const OP_LAYOUT: i32 = 3;
export const OP_CONV: i32 = 4;
export const OP_DEPTHWISE: i32 = 5;
export const OP_WINOGRAD: i32 = 6;
export const OP_DEBUG_STALL: i32 = 90;
export const OP_DEBUG_TRAP: i32 = 91;

@inline export function argU32(ctrl: usize, i: i32): u32 {
  return load<u32>(ctrl + (<usize>(ARGS + i) << 2));
}

@inline export function argPtr(ctrl: usize, i: i32): usize {
  return <usize>argU32(ctrl, i);
}

@inline export function argI32(ctrl: usize, i: i32): i32 {
  return <i32>argU32(ctrl, i);
}

@inline export function argF32(ctrl: usize, i: i32): f32 {
  return reinterpret<f32>(argU32(ctrl, i));
}

@inline export function aborted(ctrl: usize): bool {
  return atomic.load<i32>(ctrl + (<usize>STATE << 2)) != STATE_RUNNING;
}
