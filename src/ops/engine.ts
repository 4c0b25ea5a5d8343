// What an op needs from the context: the arena, the thread count, and dispatch.
import type { Arena } from "../memory.ts";
import type { RunOptions } from "../pool.ts";

export interface Engine {
  readonly arena: Arena;
  /** Threads a job runs on, the caller included. */
  readonly threads: number;
  /** Run a job (see RunOptions: `solo`, `overlap`). */
  run(op: number, args: ArrayLike<number>, phases: number[], options?: RunOptions): Promise<void>;
}
