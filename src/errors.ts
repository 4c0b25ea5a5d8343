// Argument checks shared by every op. Each throws a TypeError or RangeError that names
// the argument and says what was expected, before any byte is moved.
import { DeviceBuffer } from "./buffer.ts";

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

export function checkInt(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number") throw new TypeError(`simdcl: ${name} must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new RangeError(`simdcl: ${name} must be ${range}, got ${v}`);
  }
  return v;
}

/** A boolean, or `fallback` when the option was left out (if one is given). */
export function checkBool(name: string, v: unknown, fallback?: boolean): boolean {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "boolean") throw new TypeError(`simdcl: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** A number, or `fallback` when left out; with `min`, a finite one of at least min. */
export function checkNumber(name: string, v: unknown, fallback: number, min?: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number") throw new TypeError(`simdcl: ${name} must be a number, got ${describe(v)}`);
  if (min !== undefined && !(Number.isFinite(v) && v >= min)) {
    throw new RangeError(`simdcl: ${name} must be a finite number ≥ ${min}, got ${v}`);
  }
  return v;
}

/** Options must be a plain object whose keys are all known. */
export function checkOptions(name: string, v: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TypeError(`simdcl: ${name} must be an options object, got ${describe(v)}`);
  }
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) {
      throw new TypeError(`simdcl: unknown option ${name}.${key}; known options: ${known.join(", ")}`);
    }
  }
  return v as Record<string, unknown>;
}

/** A typed array (or device buffer) of enough elements, whose buffer is still attached. */
export function checkLength(name: string, v: { length: number; buffer?: ArrayBufferLike }, needed: number): void {
  if (v.length < needed) {
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
