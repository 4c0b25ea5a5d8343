// The plain call's weight cache: conv2d given the same Float32Array of weights again uses
// the weights it packed the first time, as tfjs and onnxruntime do with their immutable
// tensors. A Float32Array can change between calls, so each entry keeps a copy in the
// context's memory and a call uses the packing only while the array still holds the very
// same bits: the array is copied in and compared there (assembly/tensor/same-bits.ts),
// a v128 at a time, far cheaper than packing and than comparing element by element in
// JavaScript. An array is kept from its second call on: its first call packs into memory
// freed when the call is done, so arrays used once (new weights every call) neither fill
// the cache nor touch memory the context has never used (docs/decisions/weight-cache.md).
// Entries are dropped least recently used first beyond the context's `weightCacheMiB`,
// when their array is garbage-collected, and with the context's memory on dispose().
import { DeviceBuffer } from "../../buffer.ts";
import { recheckLength } from "../../errors.ts";
import { view, type Engine } from "../../run.ts";

/** A packing for a call, and whether the call frees it when done. */
export interface Prepared {
  packed: DeviceBuffer<Float32Array>;
  owned: boolean;
}

interface Entry {
  /** What the packing is for: algorithm, weight shape, groups. */
  key: string;
  /** The weights when they were packed. */
  copy: DeviceBuffer<Float32Array>;
  packed: DeviceBuffer<Float32Array>;
  /** Bytes the entry holds: the packing in the context's memory and the copy. */
  bytes: number;
}

export class WeightCache {
  private readonly byWeights = new WeakMap<Float32Array, Entry>();
  /** Arrays met once and not kept, with the key they were packed for. */
  private readonly metOnce = new WeakMap<Float32Array, string>();
  /** Live entries, least recently used first. */
  private readonly lru = new Set<Entry>();
  private bytes = 0;
  private readonly finalizer: FinalizationRegistry<Entry> | null;

  constructor(
    private readonly engine: Engine,
    private readonly maxBytes: number,
  ) {
    this.finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry((e) => this.evict(e)) : null;
  }

  /**
   * The packing of `weights` for `key`: the cached one while the array holds the same bits,
   * else `length` floats packed now by `pack`, kept when the array has been met before and
   * they fit the cache. `owned`: the caller frees the packing when its call is done. A hit
   * checked on the caller at once comes back as it is, not as a promise (a small layer's
   * call would pay for the promises). May throw (a detached array, a failed pool): callers
   * are async functions, where that rejects their call.
   */
  get(weights: Float32Array, key: string, length: number, pack: (at: number) => Promise<void>): Prepared | Promise<Prepared> {
    const hit = this.byWeights.get(weights);
    if (hit && hit.key === key) {
      const same = this.unchanged(hit, weights);
      if (same === true) return this.use(hit);
      if (same instanceof Promise) return same.then((yes) => (yes ? this.use(hit) : this.repack(weights, key, length, pack, hit)));
    }
    return this.repack(weights, key, length, pack, hit);
  }

  private use(e: Entry): Prepared {
    this.lru.delete(e);
    this.lru.add(e);
    return { packed: e.packed, owned: false };
  }

  // A miss: the array is new, changed, or packed for another key (`hit`: its entry, if any).
  private async repack(weights: Float32Array, key: string, length: number, pack: (at: number) => Promise<void>, hit: Entry | undefined): Promise<Prepared> {
    if (hit) this.evict(hit);
    const again = hit !== undefined || this.metOnce.get(weights) === key;
    const bytes = length * 4 + weights.byteLength;
    const arena = this.engine.arena;
    const packed = new DeviceBuffer(arena, Float32Array, length, arena.alloc(length * 4));
    try {
      await pack(packed.offset);
    } catch (e) {
      packed.dispose();
      throw e;
    }
    if (!again) this.metOnce.set(weights, key);
    if (!again || bytes > this.maxBytes) return { packed, owned: true };
    this.metOnce.delete(weights);
    for (const old of this.lru) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.evict(old);
    }
    const copy = new DeviceBuffer(arena, Float32Array, weights.length, arena.alloc(weights.byteLength));
    copy.array.set(weights);
    const entry: Entry = { key, copy, packed, bytes };
    this.byWeights.set(weights, entry);
    this.lru.add(entry);
    this.bytes += bytes;
    this.finalizer?.register(weights, entry, entry);
    return { packed, owned: false };
  }

  private evict(e: Entry): void {
    if (!this.lru.delete(e)) return;
    this.bytes -= e.bytes;
    e.packed.dispose();
    e.copy.dispose();
  }

  /**
   * Whether `weights` still holds the bits of the entry's copy: the array copied into the
   * context's memory and compared there by a job on the caller, an answer at once when the
   * pool can take the job now, else a promise of one.
   */
  private unchanged(e: Entry, weights: Float32Array): boolean | Promise<boolean> {
    const length = weights.length;
    if (e.copy.length !== length) return false;
    const arena = this.engine.arena;
    const { base, offsets: [given, result] } = arena.carve([length * 4, 16]);
    let done: Promise<void> | void;
    try {
      // (Carving may grow the memory, which detaches an array that is a view of it.)
      recheckLength("conv2d weight", weights, length);
      view(arena, Float32Array, given, length).set(weights);
      done = this.engine.runSolo("sameBits", { a: e.copy.offset, b: given, bytes: length * 4, result }, [1]);
    } catch (err) {
      arena.release(base);
      throw err;
    }
    const answer = () => view(arena, Int32Array, result, 1)[0] === 1;
    if (done) return done.then(answer).finally(() => arena.release(base));
    const same = answer();
    arena.release(base);
    return same;
  }

  /** The context is gone, and its memory with it: forget every entry, free nothing. */
  dispose(): void {
    for (const e of this.lru) this.finalizer?.unregister(e);
    this.lru.clear();
    this.bytes = 0;
  }
}
