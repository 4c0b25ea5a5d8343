// Loads build/bench/ceiling*.wasm (bench/ceiling.as.ts) and measures GFLOP/s.
import { readFileSync } from "node:fs";
import { median } from "../common.js";

/** build/bench/ceiling.wasm (or its relaxed-SIMD build), instantiated; null where the engine cannot compile it. */
async function ceilingModule(relaxed = false): Promise<WebAssembly.Instance | null> {
  const bytes = readFileSync(new URL(relaxed ? "./ceiling-relaxed.wasm" : "./ceiling.wasm", new URL("..", import.meta.url)));
  if (!WebAssembly.validate(bytes)) return null;
  return (await WebAssembly.instantiate(bytes, {})).instance;
}

export async function wasmCeiling(relaxed: boolean): Promise<number | null> {
  const instance = await ceilingModule(relaxed);
  if (!instance) return null;
  const ceiling = instance.exports.ceiling as (iterations: number, seed: number) => number;
  const iterations = 2_000_000;
  const ms = await median(() => ceiling(iterations, 1e-7), { time: 500, iterations: 10 });
  return (12 * 8 * iterations) / (ms * 1e6);
}

/** A store-only pass over `bytes` (bench/ceiling.as.ts storeOnly): the write floor. */
export async function writeFloor(bytes: number): Promise<() => void> {
  const { reserve, storeOnly } = (await ceilingModule())!.exports as { reserve(b: number): number; storeOnly(p: number, b: number): void };
  const base = reserve(bytes);
  if (base === 0) throw new RangeError(`writeFloor: ${bytes} bytes do not fit in one Wasm memory`);
  return () => storeOnly(base, bytes);
}

/**
 * The read-and-write floor of a resampling (bench/ceiling.as.ts readRowsStore): the rows
 * `rows` of `image` (rows `rowBytes` apart, copied into the module once) read whole, then
 * `outBytes` stored.
 */
export async function readRowsFloor(image: Uint8Array, rowBytes: number, rows: Int32Array, outBytes: number): Promise<() => void> {
  const { memory, reserve, readRowsStore } = (await ceilingModule())!.exports as {
    memory: WebAssembly.Memory; reserve(b: number): number;
    readRowsStore(src: number, rowBytes: number, rows: number, count: number, dst: number, outBytes: number): number;
  };
  const rowsAt = image.length, dst = rowsAt + rows.length * 4 + 64;
  const base = reserve(dst + outBytes);
  if (base === 0) throw new RangeError(`readRowsFloor: ${dst + outBytes} bytes do not fit in one Wasm memory`);
  new Uint8Array(memory.buffer, base, image.length).set(image);
  new Int32Array(memory.buffer, base + rowsAt, rows.length).set(rows);
  return () => readRowsStore(base, rowBytes, base + rowsAt, rows.length, base + dst, outBytes);
}
