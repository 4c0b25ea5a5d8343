// preprocess-handler.mjs behind Deno's or Bun's HTTP server, on 127.0.0.1:
//   deno run -A examples/preprocess-server.mjs 8787   ·   bun examples/preprocess-server.mjs 8787
// then: curl --data-binary @photo.jpg "http://127.0.0.1:8787/?size=224&fit=cover" > tensor.f32
import { createPreprocessHandler } from "./preprocess-handler.mjs";

const port = Number(globalThis.Deno?.args?.[0] ?? globalThis.process?.argv?.[2] ?? 8787);
const handle = createPreprocessHandler();
const hostname = "127.0.0.1";
if (globalThis.Deno) {
  Deno.serve({ port, hostname, onListen: ({ port }) => console.log(`listening on http://${hostname}:${port}/`) }, handle);
} else if (globalThis.Bun) {
  const server = Bun.serve({ port, hostname, fetch: handle });
  console.log(`listening on http://${hostname}:${server.port}/`);
} else {
  console.error("run it with deno or bun (Node has no fetch-style server built in)");
  process.exit(1);
}
