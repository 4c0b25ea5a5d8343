// An edge function's whole job before inference: POST a JPEG or PNG to
// ?size=224&fit=contain (fit: fill, contain or cover) and get back the model's input, an
// f32 NCHW tensor of [1, 3, size, size] normalised with ImageNet's mean and std, as raw
// bytes; the headers say its shape and where the picture lies in it (to map boxes back).
// Decoding is not simdcl's job: jpeg-js and fast-png (pure JavaScript) do it, in any runtime.
// Runs on one thread with a module handed in, as edge runtimes require (see
// preprocess-worker.mjs for Cloudflare Workers, preprocess-server.mjs for Deno and Bun).
import { createContext } from "simdcl";
import jpeg from "jpeg-js";
import { decode as decodePng } from "fast-png";

const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];

/** RGBA pixels of a JPEG or PNG, told apart by their first bytes. */
export function decodeImage(bytes) {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { data, width, height, channels: 4 };
  }
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const png = decodePng(bytes);
    if (png.depth !== 8) throw new RangeError(`a ${png.depth}-bit PNG: send an 8-bit one`);
    return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length), width: png.width, height: png.height, channels: png.channels };
  }
  throw new RangeError("the body is neither a JPEG nor a PNG");
}

/** The tensor a request asks for, from the decoded picture (exported for tests). */
export function preprocessOptions(url) {
  const size = Number(url.searchParams.get("size") ?? 224);
  const fit = url.searchParams.get("fit") ?? "fill";
  return { resize: { width: size, height: size, fit }, pad: 114, mean: MEAN, std: STD, layout: "NCHW" };
}

export function createPreprocessHandler(options = {}) {
  // Created on the first request and kept while the isolate lives; one that failed to
  // start is dropped, so the next request tries again.
  let context = null;
  const getContext = () => {
    if (context) return context;
    const starting = createContext({ threads: 1, ...options });
    starting.catch(() => {
      if (context === starting) context = null;
    });
    return (context = starting);
  };
  return async function handle(request) {
    if (request.method !== "POST") return new Response("POST a JPEG or PNG to ?size=224&fit=contain\n", { status: 405 });
    try {
      const image = decodeImage(new Uint8Array(await request.arrayBuffer()));
      const cl = await getContext();
      const { data, shape, placement: p } = await cl.preprocess(image, preprocessOptions(new URL(request.url)));
      return new Response(data, {
        headers: {
          "Content-Type": "application/octet-stream",
          "X-Tensor-Shape": shape.join(","),
          "X-Placement": JSON.stringify({ x: p.x, y: p.y, width: p.width, height: p.height, scaleX: p.scaleX, scaleY: p.scaleY }),
        },
      });
    } catch (e) {
      return new Response(`${e.message}\n`, { status: e instanceof RangeError || e instanceof TypeError ? 400 : 500 });
    }
  };
}
