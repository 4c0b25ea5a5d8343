// Edge functions for real: examples/edge-worker.mjs bundled as wrangler would (esbuild,
// the .wasm import left as a separate module) and served by workerd through Miniflare;
// the same handler in Vercel's edge-runtime with Wasm code generation off, as on Vercel;
// dist/ loaded unbundled by Miniflare; and what a Worker that forgets `module` is told.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { build } from "esbuild";
import { Miniflare, Log, LogLevel } from "miniflare";
import { EdgeRuntime, runServer } from "edge-runtime";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createHandler } from "../../examples/edge-handler.mjs";
import { decodeImage, preprocessOptions } from "../../examples/preprocess-handler.mjs";
import { createContext } from "simdcl";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { bin, boxReference, denoDir, fixtures, repo } from "./util.mjs";

const test = suite("edge");
const out = mkdtempSync(join(tmpdir(), "simdcl-edge-"));
const width = 7, height = 5, radius = 1;
const pixels = new Uint8Array(width * height).map((_, i) => (i * 37) % 256);

/**
 * Bundle `entry` for an edge runtime: `.wasm` imports stay imports of a module beside the
 * bundle, as wrangler does. Returns the bundle's path and size and the .wasm files it
 * imports (copied beside it).
 */
// The start of a .wasm file ("\0asm", version 1) in base64: found only in an embedded build.
const WASM_BASE64 = "AGFzbQEAAAA";

async function bundle(entry, { conditions, format = "esm", alias = {} }) {
  const wasm = [];
  const outfile = join(out, `${basename(entry, ".mjs")}-${format}${Object.values(alias).map((a) => `-${a.replace(/\W/g, "")}`).join("")}.js`);
  await build({
    entryPoints: [entry],
    bundle: true,
    format,
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions,
    alias,
    outfile,
    logLevel: "error",
    plugins: [{
      name: "wasm-module",
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, async (args) => {
          if (args.pluginData === "wasm") return undefined;
          const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "wasm" });
          if (r.errors.length) return { errors: r.errors };
          wasm.push(r.path);
          copyFileSync(r.path, join(out, basename(r.path)));
          return { path: `./${basename(r.path)}`, external: true };
        });
      },
    }],
  });
  return { path: outfile, bytes: readFileSync(outfile).length, wasm };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

async function withMiniflare(options, fn) {
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, compatibilityDate: "2025-01-01", cf: false, log: new Log(LogLevel.WARN), ...options });
  try {
    return await fn(await mf.ready);
  } finally {
    await mf.dispose();
  }
}

const post = (base, query, body = pixels, handle = fetch) => handle(new Request(new URL(query, base), { method: "POST", body }));

/** POST to a server (or straight to a handler) and check the box filter and a bad request. */
async function checkBoxFilter(base, handle = fetch) {
  const response = await post(base, `/?width=${width}&height=${height}&radius=${radius}`, pixels, handle);
  assert.is(response.status, 200, await response.clone().text());
  assert.equal(Array.from(new Uint8Array(await response.arrayBuffer())), Array.from(boxReference(pixels, width, height, radius)));
  const bad = await post(base, "/?width=-1&height=5", pixels, handle);
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /width must be an integer/);
}

test("workerd (Miniflare): examples/edge-worker.mjs bundled carries one .wasm and box-filters a POST", async () => {
  const b = await bundle(`${repo}examples/edge-worker.mjs`, { conditions: ["workerd", "worker", "browser"] });
  const wasmBytes = b.wasm.reduce((s, f) => s + readFileSync(f).length, 0);
  console.log(`  edge-worker bundle: ${kb(b.bytes)} JS + ${b.wasm.map((f) => basename(f)).join(", ")} (${kb(wasmBytes)})`);
  assert.equal(b.wasm.map((f) => basename(f)), ["simdcl-single.wasm"]);
  assert.not.ok(readFileSync(b.path, "latin1").includes(WASM_BASE64), `the bundle (${kb(b.bytes)}) carries an embedded build`);
  await withMiniflare({
    modulesRoot: out,
    modules: [{ type: "ESModule", path: b.path }, { type: "CompiledWasm", path: join(out, "simdcl-single.wasm") }],
  }, checkBoxFilter);
});

test("workerd (Miniflare): dist/ loads unbundled, no computed import()", async () => {
  await withMiniflare({
    modulesRoot: repo,
    scriptPath: `${fixtures}unbundled-worker.mjs`,
    modules: true,
    modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
  }, async (base) => {
    const response = await fetch(base, { method: "POST", body: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    assert.is(response.status, 200, await response.clone().text());
    assert.equal(await response.json(), { variant: "single", sum: [0, 0, 0, 0, 0, 0, 1, 3, 6, 10, 0, 6, 14, 24, 36] });
  });
});

for (const entry of ["simdcl", "simdcl/embedded"]) {
  test(`workerd (Miniflare): without module, ${entry} says to pass one and how`, async () => {
    const b = await bundle(`${fixtures}no-module-worker.mjs`, { conditions: ["workerd", "worker", "browser"], alias: { SIMDCL_ENTRY: entry } });
    await withMiniflare({ modulesRoot: out, modules: [{ type: "ESModule", path: b.path }] }, async (base) => {
      const response = await fetch(base);
      const text = await response.text();
      console.log(`  ${entry}: ${text.slice(0, 160)}…`);
      assert.is(response.status, 500, text);
      assert.match(text, /createContext\(\{.*module/);
      if (entry === "simdcl/embedded") assert.match(text, /forbids compiling WebAssembly.*import module from "simdcl\/simdcl-single\.wasm"/);
    });
  });
}

// Vercel's edge runtime emulator, with Wasm compilation forbidden as on Vercel.
async function withEdgeRuntime(bundlePath, globals, fn) {
  const runtime = new EdgeRuntime({
    initialCode: readFileSync(bundlePath, "utf8"),
    codeGeneration: { strings: false, wasm: false },
    extend: (context) => Object.assign(context, globals),
  });
  const server = await runServer({ runtime, host: "127.0.0.1", port: 0 });
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

test("edge-runtime (Vercel): the same handler box-filters a POST with the module handed in", async () => {
  const b = await bundle(`${fixtures}vercel-edge.mjs`, { conditions: ["edge-light", "worker", "browser"], format: "iife" });
  console.log(`  vercel-edge bundle: ${kb(b.bytes)} JS`);
  assert.not.ok(readFileSync(b.path, "latin1").includes(WASM_BASE64), `the bundle (${kb(b.bytes)}) carries an embedded build`);
  const module = await WebAssembly.compile(readFileSync(`${repo}dist/simdcl-single.wasm`));
  await withEdgeRuntime(b.path, { SIMDCL_WASM: module }, checkBoxFilter);
});

test("examples/edge-handler.mjs: a context that failed to start is dropped; the next request works", async () => {
  const module = await WebAssembly.compile(readFileSync(`${repo}dist/simdcl-single.wasm`));
  const handle = createHandler(module);
  // The first instantiation fails, as a transient out-of-memory would; later ones work.
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = () => {
    WebAssembly.instantiate = instantiate;
    return Promise.reject(new Error("WebAssembly.instantiate(): Out of memory (simulated)"));
  };
  try {
    const first = await post("http://edge.test", `/?width=${width}&height=${height}`, pixels, handle);
    assert.is(first.status, 500);
    assert.match(await first.text(), /Out of memory \(simulated\)/);
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  // Before: the rejected context was kept, and every later request failed the same way.
  await checkBoxFilter("http://edge.test", handle);
});

test("edge-runtime (Vercel): without module, simdcl/embedded says to pass one and how", async () => {
  const b = await bundle(`${fixtures}no-module-vercel.mjs`, { conditions: ["edge-light", "worker", "browser"], format: "iife", alias: { SIMDCL_ENTRY: "simdcl/embedded" } });
  await withEdgeRuntime(b.path, {}, async (base) => {
    const response = await fetch(base);
    const text = await response.text();
    console.log(`  ${text.slice(0, 160)}…`);
    assert.is(response.status, 500, text);
    assert.match(text, /forbids compiling WebAssembly.*import module from "simdcl\/simdcl-single\.wasm"/);
  });
});

test.after(() => rmSync(out, { recursive: true, force: true }));
// --- Preprocessing before inference: a JPEG or PNG in, the model's tensor out. ---

/** Real pictures: a gradient with detail, encoded by libvips (sharp) as JPEG and as PNG. */
async function pictures() {
  const sharp = createRequire(import.meta.url)("sharp");
  const [w, h] = [97, 61];
  const raw = new Uint8Array(w * h * 3).map((_, i) => ((i % 3) * 80 + Math.floor(i / 3) * 7 + ((i * 13) % 29)) & 255);
  const input = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return {
    jpeg: new Uint8Array(await input.clone().jpeg({ quality: 90 }).toBuffer()),
    png: new Uint8Array(await input.clone().ensureAlpha().png().toBuffer()),
  };
}

/** What a request must answer: the same decoder and preprocess() on the single build, here. */
async function expectedTensor(bytes, query) {
  const module = await WebAssembly.compile(readFileSync(`${repo}dist/simdcl-single.wasm`));
  const cl = await createContext({ threads: 1, module });
  try {
    const { data, shape } = await cl.preprocess(decodeImage(bytes), preprocessOptions(new URL(query, "http://x/")));
    return { data, shape };
  } finally {
    cl.dispose();
  }
}

async function checkPreprocess(base, images) {
  for (const [kind, bytes] of Object.entries(images)) {
    for (const query of ["/?size=64&fit=contain", "/?size=32&fit=cover", "/?size=48"]) {
      const response = await fetch(new URL(query, base), { method: "POST", body: bytes });
      assert.is(response.status, 200, await response.clone().text());
      const want = await expectedTensor(bytes, query);
      assert.is(response.headers.get("X-Tensor-Shape"), want.shape.join(","));
      const got = new Float32Array(await response.arrayBuffer());
      assert.equal(Array.from(got), Array.from(want.data), `${kind} ${query}`);
    }
  }
  const bad = await fetch(new URL("/?size=64", base), { method: "POST", body: new Uint8Array([1, 2, 3]) });
  assert.is(bad.status, 400);
  assert.match(await bad.text(), /neither a JPEG nor a PNG/);
}

test("workerd (Miniflare): examples/preprocess-worker.mjs decodes a posted JPEG and PNG and answers the tensor", async () => {
  const images = await pictures();
  const b = await bundle(`${repo}examples/preprocess-worker.mjs`, { conditions: ["workerd", "worker", "browser"] });
  console.log(`  preprocess-worker bundle: ${kb(b.bytes)} JS (decoders included) + ${b.wasm.map((f) => basename(f)).join(", ")}`);
  assert.equal(b.wasm.map((f) => basename(f)), ["simdcl-single.wasm"]);
  await withMiniflare({
    modulesRoot: out,
    modules: [{ type: "ESModule", path: b.path }, { type: "CompiledWasm", path: join(out, "simdcl-single.wasm") }],
  }, (base) => checkPreprocess(base, images));
});

/** Start examples/preprocess-server.mjs under `cmd`, on a free port; resolves to { base, stop }. */
function startServer(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, "0"], { cwd: repo, env: { ...process.env, DENO_DIR: denoDir, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`no server after 30 s:\n${output}`)); }, 30000);
    const look = (d) => {
      output += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ base: m[1], stop: () => new Promise((r) => { child.once("close", r); child.kill("SIGTERM"); }) });
      }
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.on("error", reject);
  });
}

for (const [name, cmd, args] of [
  ["deno", bin("deno"), ["run", "--quiet", "--allow-net=127.0.0.1", "--allow-read", "--allow-env", "examples/preprocess-server.mjs"]],
  ["bun", bin("bun"), ["examples/preprocess-server.mjs"]],
]) {
  test(`${name}'s HTTP server: the same handler answers a posted JPEG and PNG with the tensor`, async () => {
    const images = await pictures();
    const server = await startServer(cmd, args);
    try {
      await checkPreprocess(server.base, images);
    } finally {
      await server.stop();
    }
  });
}

test.run();
