// What every kernel may ask of the job descriptor besides its arguments (which it reads
// through the generated readers in schema.gen.ts): whether the job was called off.
import { STATE, STATE_RUNNING } from "./schema.gen";

@inline export function aborted(ctrl: usize): bool {
  return atomic.load<i32>(ctrl + (<usize>STATE << 2)) != STATE_RUNNING;
}
