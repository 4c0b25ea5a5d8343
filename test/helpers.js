// Shared by the test files: a seeded random source, the scalar reference, and assertions
// that work the same on Node, Deno, Bun and browsers.
import * as assert from "uvu/assert";

/** mulberry32: a small seeded generator, so a failing case can be replayed. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomU8(rand, n) {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 256) | 0;
  return a;
}

/** n floats uniform in [−scale, scale). */
export function randomF32(rand, n, scale = 100) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

/** Expect `promise` to reject with an error of class `Type` whose message matches `pattern`. */
export async function rejects(promise, Type, pattern) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected a ${Type.name} matching ${pattern}, but the call succeeded`);
  assert.instance(error, Type, `expected a ${Type.name}, got ${error && error.name}: ${error && error.message}`);
  assert.match(error.message, pattern);
  return error;
}

/** Index of the first difference between two arrays, or -1. */
export function firstDifference(a, b) {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

export function assertSame(actual, expected, what) {
  const i = firstDifference(actual, expected);
  if (i === -2) assert.unreachable(`${what}: length ${actual.length}, expected ${expected.length}`);
  if (i >= 0) assert.unreachable(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
}

/**
 * Run fn with a new context and dispose it however fn ends: a failed assertion must not
 * leave Workers that keep the process from exiting.
 */
export async function withContext(createContext, options, fn) {
  const cl = await createContext(options);
  try {
    return await fn(cl);
  } finally {
    cl.dispose();
  }
}

/**
 * One context per thread count, created before the suite's tests and disposed after.
 * Returns the object the contexts appear in, keyed by thread count.
 */
export function contextsPerThreadCount(test, createContext, threadCounts) {
  const contexts = {};
  test.before(async () => {
    for (const t of threadCounts) contexts[t] = await createContext({ threads: t });
  });
  test.after(() => {
    for (const t of threadCounts) contexts[t].dispose();
  });
  return contexts;
}

/** Whether this runtime can run threaded contexts (shared memory, cross-origin isolated). */
export const threaded = typeof SharedArrayBuffer === "function" && globalThis.crossOriginIsolated !== false;

/** `promise`, or a rejection naming `what` if it does not settle within `ms`. */
export async function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}
