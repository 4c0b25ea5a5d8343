// Cloudflare Workers entry (wrangler bundles it): the .wasm import yields a compiled
// WebAssembly.Module, which createContext takes as `module`. In your project import
// "simdcl/simdcl-single.wasm" and "simdcl" instead of the relative paths.
import simdclModule from "../dist/simdcl-single.wasm";
import { createHandler } from "./edge-handler.mjs";

const handle = createHandler(simdclModule);
export default { fetch: (request) => handle(request) };
