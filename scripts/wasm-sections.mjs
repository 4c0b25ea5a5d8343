// Reads the few facts about a .wasm binary that the build enforces: what it imports,
// whether it has data segments, and whether it has mutable globals.

function reader(bytes, pos) {
  return {
    pos,
    u32() {
      let result = 0, shift = 0, b;
      do {
        b = bytes[this.pos++];
        result |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80);
      return result >>> 0;
    },
    name() {
      const len = this.u32();
      const s = new TextDecoder().decode(bytes.subarray(this.pos, this.pos + len));
      this.pos += len;
      return s;
    },
  };
}

/** @param {Uint8Array} bytes */
export function inspectWasm(bytes) {
  const facts = { imports: [], dataSegments: 0, mutableGlobals: 0 };
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const r = reader(bytes, pos);
    const size = r.u32();
    const body = r.pos;
    if (id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const module = r.name();
        const field = r.name();
        const kind = bytes[r.pos++];
        facts.imports.push({ module, field, kind });
        if (kind === 0) r.u32();
        else if (kind === 2) { const flags = bytes[r.pos++]; r.u32(); if (flags & 1) r.u32(); }
        else if (kind === 3) { r.pos++; r.pos++; }
        else if (kind === 1) { r.pos++; const flags = bytes[r.pos++]; r.u32(); if (flags & 1) r.u32(); }
      }
    } else if (id === 6) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.pos++; // value type (no v128/ref globals with immediates that need more)
        if (bytes[r.pos++] === 1) facts.mutableGlobals++;
        while (bytes[r.pos] !== 0x0b) r.pos++; // skip the init expression
        r.pos++;
      }
    } else if (id === 11) {
      facts.dataSegments = r.u32();
    }
    pos = body + size;
  }
  return facts;
}
