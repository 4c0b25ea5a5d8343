// The body of an edge function: POST a grayscale image's bytes to
// ?width=W&height=H&radius=R and get them back box-filtered.
// Edge runtimes (Cloudflare Workers, Vercel Edge) forbid compiling Wasm from bytes
// and have no threads, so the caller passes the module its bundler imported
// (see edge-worker.mjs) and the context runs on one thread.
import { createContext } from "simdcl";
import { boxMean } from "./box-filter.mjs";

export function createHandler(module) {
  // Created on the first request and kept while the isolate lives. A context that failed
  // to start is dropped, so the next request tries again instead of failing forever.
  let context = null;
  const getContext = () => {
    if (context) return context;
    const starting = createContext({ threads: 1, module });
    starting.catch(() => {
      if (context === starting) context = null;
    });
    return (context = starting);
  };
  return async function handle(request) {
    if (request.method !== "POST") return new Response("POST an 8-bit grayscale image\n", { status: 405 });
    const url = new URL(request.url);
    const width = Number(url.searchParams.get("width"));
    const height = Number(url.searchParams.get("height"));
    const radius = Number(url.searchParams.get("radius") ?? 4);
    const pixels = new Uint8Array(await request.arrayBuffer());
    try {
      const cl = await getContext();
      const { sum } = await cl.integral(pixels, { width, height });
      return new Response(boxMean(sum, width, height, 1, radius), { headers: { "Content-Type": "application/octet-stream" } });
    } catch (e) {
      return new Response(`${e.message}\n`, { status: e instanceof RangeError || e instanceof TypeError ? 400 : 500 });
    }
  };
}
