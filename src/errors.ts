// Argument checks shared by every op (and the context's options). Each throws a TypeError or RangeError that names
// the argument and says what was expected, before any byte is moved.
import { DeviceBuffer, type F32Operand } from "./buffer.ts";
import type { Arena } from "./memory.ts";
import type { Layout, Shape4 } from "./ops/tensor/types.ts";

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<unknown>).length}`;
  if (v instanceof DeviceBuffer) return `a device buffer of ${v.length} ${(v as DeviceBuffer).type.name} elements`;
  if (typeof v === "function") return `the function ${v.name || "(anonymous)"}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/**
 * An argument's name in an error message. A function builds a name from parts only when
 * a check fails: calls are checked every time, and most names are never printed.
 */
export type Label = string | (() => string);
const named = (name: Label) => (typeof name === "function" ? name() : name);

export function checkInt(name: Label, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number") throw new TypeError(`simdcl: ${named(name)} must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new RangeError(`simdcl: ${named(name)} must be ${range}, got ${v}`);
  }
  return v;
}

/** A boolean, or `fallback` when the option was left out (if one is given). */
export function checkBool(name: Label, v: unknown, fallback?: boolean): boolean {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "boolean") throw new TypeError(`simdcl: ${named(name)} must be true or false, got ${describe(v)}`);
  return v;
}

/** A number, or `fallback` when left out; with `min`, a finite one of at least min. */
export function checkNumber(name: Label, v: unknown, fallback: number, min?: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw new TypeError(`simdcl: ${named(name)} must be a number, got ${describe(v)}`);
  if (min !== undefined && !(Number.isFinite(v) && v >= min)) {
    throw new RangeError(`simdcl: ${named(name)} must be a finite number ≥ ${min}, got ${v}`);
  }
  return v;
}

/** Options must be a plain object whose keys are all known. */
export function checkOptions(name: Label, v: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TypeError(`simdcl: ${named(name)} must be an options object, got ${describe(v)}`);
  }
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) {
      throw new TypeError(`simdcl: unknown option ${named(name)}.${key}; known options: ${known.join(", ")}`);
    }
  }
  return v as Record<string, unknown>;
}

/** A typed array (or device buffer) of enough elements, whose buffer is still attached. */
export function checkLength(label: Label, v: { length: number; buffer?: ArrayBufferLike }, needed: number): void {
  if (v.length < needed) {
    const name = named(label);
    const detached = v.buffer !== undefined && isDetached(v.buffer);
    throw new RangeError(
      detached
        ? `simdcl: ${name} is detached (its buffer was transferred), so it cannot be read`
        : `simdcl: ${name} has ${v.length} elements, needs at least ${needed}`,
    );
  }
}

/**
 * Checked again when a queued call runs (rule 7: at copy-in, not only when the call is
 * made): the caller may have transferred an array's buffer or shrunk its resizable
 * buffer meanwhile. Device buffers are held by the call and cannot change.
 */
export function recheckLength(name: string, v: { length: number; buffer?: ArrayBufferLike } | null | undefined, needed: number): void {
  if (!v || ArrayBuffer.isView(v) === false || v.length >= needed) return;
  if (v.buffer !== undefined && isDetached(v.buffer)) {
    throw new RangeError(`simdcl: ${name} was detached after the call was made (its buffer was transferred); keep it until the call settles`);
  }
  throw new RangeError(
    `simdcl: ${name} shrank after the call was made (its resizable buffer was resized): it has ${v.length} elements, needs at least ${needed}; keep its size until the call settles`,
  );
}

/** A detached buffer and an empty one both have byteLength 0; only a view of the first throws. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** The device buffers among a call's operands: the ones it holds until it is done. */
export function deviceBuffers(...operands: unknown[]): DeviceBuffer[] {
  return operands.filter((v): v is DeviceBuffer => v instanceof DeviceBuffer);
}

/** A device buffer an op may use: not disposed, and of this context. */
export function checkDeviceBuffer(arena: Arena, name: string, b: DeviceBuffer): void {
  if (b.isDisposed) throw new TypeError(`simdcl: ${name} is a disposed buffer`);
  if (!b.belongsTo(arena)) throw new RangeError(`simdcl: ${name} belongs to another context`);
}

/** Handles made by packB and packConv: an object made from their prototype is not one. */
const packedHandles = new WeakSet<object>();

/** @internal Called by the handles' constructors. */
export function registerPacked(handle: object): void {
  packedHandles.add(handle);
}

/**
 * A packed handle (cl.packB, cl.packConv) an op may use: not disposed, and made by this
 * context. Its panels live in the memory of the context that packed them; another
 * context's offsets would point at unrelated bytes of this one.
 */
export function checkPacked(arena: Arena, name: string, handle: { readonly panels: DeviceBuffer; readonly isDisposed: boolean }, kind: string): void {
  if (!packedHandles.has(handle)) throw new TypeError(`simdcl: ${name} is not a ${kind} made by this library (forged from its prototype?)`);
  if (handle.isDisposed) throw new TypeError(`simdcl: ${name} is a disposed ${kind}`);
  if (!handle.panels.belongsTo(arena)) {
    throw new RangeError(`simdcl: ${name} belongs to another context: a ${kind} is used only by the context that packed it`);
  }
}


/** A Float32Array, or a device buffer of one (this context's, not disposed). */
export function checkF32Operand(arena: Arena, name: string, v: unknown): F32Operand {
  if (v instanceof DeviceBuffer && v.type === Float32Array) {
    checkDeviceBuffer(arena, name, v);
    return v as DeviceBuffer<Float32Array>;
  }
  if (!(v instanceof Float32Array)) {
    throw new TypeError(`simdcl: ${name} must be a Float32Array or a device buffer of one, got ${describe(v)}`);
  }
  return v;
}

export type Activation = "none" | "relu" | "relu6";
const ACTIVATIONS: Activation[] = ["none", "relu", "relu6"]; // their index is the kernels' ACT_* code

/**
 * The fused epilogue's options, as gemm and conv2d take them: `bias`, count values added to
 * the output's columns (channels), and `activation`, sent to the kernels as its ACT_* code.
 */
export function checkEpilogue(op: string, bias: unknown, activation: unknown, count: number, countName: string): { bias: Float32Array | null; act: number } {
  if (bias !== undefined) {
    if (!(bias instanceof Float32Array)) throw new TypeError(`simdcl: ${op} bias must be a Float32Array, got ${describe(bias)}`);
    if (bias.length !== count) throw new RangeError(`simdcl: ${op} bias must have ${countName} = ${count} elements, got ${bias.length}`);
  }
  const act = ACTIVATIONS.indexOf((activation ?? "none") as Activation);
  if (act < 0) throw new TypeError(`simdcl: ${op} activation must be "none", "relu" or "relu6", got ${describe(activation)}`);
  return { bias: (bias as Float32Array | undefined) ?? null, act };
}

/** A 4-D shape of integers, each at least min[i] and at most 2²⁴, named dims. */
export function checkShape(name: Label, shape: unknown, min = [0, 0, 0, 0], dims = ["n", "c", "h", "w"]): Shape4 {
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw new TypeError(`simdcl: ${named(name)} must be [${dims.join(", ")}], got ${describe(shape)}`);
  }
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) out[i] = checkInt(() => `${named(name)}[${i}] (${dims[i]})`, shape[i], min[i], 2 ** 24);
  return out;
}

const LAYOUTS: readonly Layout[] = ["NCHW", "NHWC", "NC4HW4"];

/** One of `allowed` layouts, or `fallback` when left out. */
export function checkLayout<L extends Layout>(name: Label, v: unknown, fallback: L, allowed: readonly L[] = LAYOUTS as readonly L[]): L {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as L)) throw new TypeError(`simdcl: ${named(name)} must be ${oneOf(allowed)}, got ${describe(v)}`);
  return v as L;
}

/** "a", "a" or "b", "a", "b" or "c": the values an option takes, quoted. */
export function oneOf(values: readonly string[]): string {
  const q = values.map((v) => `"${v}"`);
  return q.length < 2 ? q.join("") : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
}
