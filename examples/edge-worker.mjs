// Cloudflare Workers entry (wrangler bundles it): the .wasm import yields a compiled
// WebAssembly.Module, which createContext takes as `module` (Workers forbid compiling
// Wasm from bytes). The bundle carries this one build and no other.
import simdclModule from "simdcl/simdcl-single.wasm";
import { createHandler } from "./edge-handler.mjs";

const handle = createHandler(simdclModule);
export default { fetch: (request) => handle(request) };
