// The job descriptor's layout in the control words at the bottom of the shared memory.
// Mirrors assembly/runtime/job.ts; keep both in step.

export const SEQ = 0;
export const STATE = 1;
export const OP = 2;
export const NPHASES = 3;
export const ACK = 4;
export const PHASE0 = 16;
export const PHASE_WORDS = 4;
export const MAX_PHASES = 8;
export const ARGS = 64;
export const MAX_ARGS = 64;

/** Bytes reserved for control words; the arena starts above them. */
export const CONTROL_BYTES = 65536;

export const STATE_RUNNING = 0;
export const STATE_SHUTDOWN = 1;
export const STATE_ABORT = 2;

export const OP_INTEGRAL = 1;
export const OP_GEMM = 2;
export const OP_LAYOUT = 3;
export const OP_CONV = 4;
export const OP_DEPTHWISE = 5;
export const OP_WINOGRAD = 6;
export const OP_DEBUG_STALL = 90;
export const OP_DEBUG_TRAP = 91;

/** Word indices of one phase's counters. */
export function phaseWords(phase: number) {
  const base = PHASE0 + phase * PHASE_WORDS;
  return { next: base, done: base + 1, total: base + 2 };
}
