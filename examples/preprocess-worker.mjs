// Cloudflare Workers entry for preprocess-handler.mjs: the .wasm import yields a compiled
// WebAssembly.Module (Workers forbid compiling Wasm from bytes), handed to createContext.
import module from "simdcl/simdcl-single.wasm";
import { createPreprocessHandler } from "./preprocess-handler.mjs";

const handle = createPreprocessHandler({ module });
export default { fetch: (request) => handle(request) };
