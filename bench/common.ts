// What every suite shares: timing with tinybench, the machine's line, the copy
// bandwidth ceiling, and a table a person can read at a glance.
import { Bench } from "tinybench";
import { cpus } from "node:os";

export interface Row {
  case: string;
  impl: string;
  ms: number;
  /** The figure of merit: GB/s or GFLOP/s. */
  rate: number;
  /** The same figure for the row this one is compared with, if any. */
  vs?: number;
  note?: string;
}

/** Median time in ms of `fn` (sync or async), after warm-up. */
export async function median(fn: () => unknown, { time = 500, iterations = 10 } = {}): Promise<number> {
  const bench = new Bench({ time, iterations, warmupTime: 100, warmupIterations: 3 });
  bench.add("task", fn as () => void);
  await bench.run();
  const result = bench.tasks[0].result as { latency?: { p50: number }; error?: unknown; state?: string };
  if (!result.latency) throw new Error(`benchmark task failed: ${String(result.error ?? result.state)}`);
  return result.latency.p50;
}

export interface Measured {
  /** Median over the rounds of the per-round median time, ms. */
  ms: number;
  /** Median over the rounds of the peer's time over this one's in the same round. */
  ratio: number;
}

/**
 * Rounds of the peer (forms[0]) then every other form, each timed by median(): a form's
 * figure is the median over the rounds, and its ratio to the peer the median of the
 * same-round ratios, so a slow spell of this shared machine moves both sides of a ratio.
 */
export async function measureRounds(forms: (() => unknown)[], opts: { time: number; iterations: number }, rounds = 3): Promise<Measured[]> {
  const times = forms.map(() => [] as number[]);
  const ratios = forms.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    const peer = await median(forms[0], opts);
    for (const [i, fn] of forms.entries()) {
      const ms = i === 0 ? peer : await median(fn, opts);
      times[i].push(ms);
      ratios[i].push(peer / ms);
    }
  }
  const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return forms.map((_, i) => ({ ms: middle(times[i]), ratio: middle(ratios[i]) }));
}

/**
 * A two-thread peer's row for a case, placed before simdcl's two-thread rows, which get
 * their ratio to it in their note; its own ratio is to the case's first row (the
 * one-thread peer).
 */
export function addTwoThreadPeer(rows: Row[], caseName: string, impl: string, ms: number, rate: number): void {
  const own = rows.filter((r) => r.case === caseName);
  const simdcl2 = own.filter((r) => r.impl.startsWith("simdcl") && r.impl.includes("2 threads"));
  rows.splice(rows.indexOf(simdcl2[0]), 0, { case: caseName, impl, ms, rate, vs: own[0].rate });
  const peer = impl.split(",")[0]; // its name, before the thread count
  for (const r of simdcl2) r.note = [r.note, `${(r.rate / rate).toFixed(2)}× ${peer} 2T`].filter(Boolean).join(", ");
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return `${cpu}, ${cpus().length} cores, Node ${process.versions.node} (V8 ${process.versions.v8})`;
}

/**
 * A new array of `length` floats made as simdcl's plain calls make their results (src/run.ts,
 * newResult: from 64 KiB, not zero-filled where Buffer.allocUnsafe exists), for the copy
 * floors: the least a plain call must do is this allocation and its copies, no more.
 */
export function newResultLike(length: number): Float32Array {
  const allocUnsafe = (globalThis as { Buffer?: { allocUnsafe?: (size: number) => Uint8Array } }).Buffer?.allocUnsafe;
  const bytes = length * 4;
  if (allocUnsafe && bytes >= 64 << 10) {
    const b = allocUnsafe(bytes);
    if (b.byteOffset === 0 && b.buffer.byteLength === bytes) return new Float32Array(b.buffer, 0, length);
  }
  return new Float32Array(length);
}

/** GB/s of TypedArray.prototype.set over 64 MiB, counting bytes read plus written. */
export async function copyBandwidth(): Promise<number> {
  const n = 64 << 20;
  const src = new Uint8Array(n).fill(1);
  const dst = new Uint8Array(n);
  const ms = await median(() => dst.set(src), { time: 1000, iterations: 10 });
  return (2 * n) / (ms * 1e6);
}

export function printTable(title: string, unit: string, rows: Row[], vsLabel: string): void {
  const header = ["case", "implementation", "median ms", unit, vsLabel];
  const body = rows.map((r) => [
    r.case,
    r.impl,
    r.ms.toFixed(3),
    r.rate.toFixed(2),
    r.vs ? `${(r.rate / r.vs).toFixed(2)}×` : "",
  ].concat(r.note ? [r.note] : []));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const b of body) console.log(line(b));
}
