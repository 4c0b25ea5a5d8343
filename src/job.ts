// The job descriptor's words, as the pool and the Workers use them: the control layout
// declared in src/ops/schema.mjs (through its generated module), and the phase counters.
import { control } from "./ops/schema.gen.ts";

export const { SEQ, STATE, OP, NPHASES, ACK, CONFIG, PHASE0, PHASE_WORDS, MAX_PHASES, ARGS, MAX_ARGS, HEARTBEAT0, BUSY0, MAX_THREADS } = control;
export const { STATE_RUNNING, STATE_SHUTDOWN, STATE_ABORT } = control;

/** Bytes reserved for control words; the arena starts above them. */
export const CONTROL_BYTES = 65536;

/** Word indices of one phase's counters. */
export function phaseWords(phase: number) {
  const base = PHASE0 + phase * PHASE_WORDS;
  return { next: base, done: base + 1, total: base + 2 };
}
