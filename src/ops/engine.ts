// What an op needs from the context: the arena, the thread count, and dispatch.
import type { Arena } from "../memory.ts";

export interface Engine {
  readonly arena: Arena;
  /** Threads a job runs on, the caller included. */
  readonly threads: number;
  /** Run a job; `solo` keeps it on the calling thread (small work, not worth a dispatch). */
  run(op: number, args: ArrayLike<number>, phases: number[], options?: { solo?: boolean }): Promise<void>;
}
