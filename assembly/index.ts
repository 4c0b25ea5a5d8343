// The module's exports. Kernels are pure functions over byte offsets into the
// imported shared memory; all scheduling state lives in the job descriptor.
export { runPhase } from "./runtime/dispatch";
