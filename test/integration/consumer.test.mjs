// The package as a user gets it: `npm pack`, then a fresh project in a temporary folder
// that installs the tarball offline (simdcl has no dependencies), runs it in Node, Deno and
// Bun, type-checks a strict TypeScript file against it, and bundles a page with esbuild
// and with Vite that runs threaded in Chromium (cross-origin isolated by COOP/COEP headers).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRun, fixtures, repo, run, runtimes } from "./util.mjs";

const test = suite("consumer");
const work = mkdtempSync(join(tmpdir(), "simdcl-consumer-"));
const project = join(work, "project");
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
let tarball;

test("npm pack: each build once, the embedded entry, a built dist/", async () => {
  // The build just ran (npm test builds first), so skip prepack's rebuild.
  const r = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work]);
  assert.is(r.status, 0, describeRun(r));
  const [info] = JSON.parse(r.stdout);
  tarball = join(work, info.filename);
  const files = info.files.map((f) => f.path);
  console.log(`  ${info.filename}: ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked, ${files.length} files`);
  for (const wasm of ["simdcl.wasm", "simdcl-relaxed.wasm", "simdcl-single.wasm"]) {
    assert.equal(files.filter((f) => f.endsWith(wasm)), [`dist/${wasm}`]);
  }
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/embedded.js", "dist/embedded.d.ts", "dist/wasm.gen.js"]) assert.ok(files.includes(f), `${f} missing`);
  assert.not.ok(files.includes("src/wasm.gen.ts"), "src/wasm.gen.ts ships a third copy of the builds");
  // No import() at all in the shipped JavaScript (a computed one stopped Miniflare).
  for (const f of files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"))) {
    assert.not.match(readFileSync(join(repo, f), "utf8"), /\bimport\s*\(\s*[^\s)]/, `${f} has an import(…)`);
  }
  // Each build ships once as a .wasm; besides them only the embedded entry carries them.
  // (The kernels' AssemblyScript sources under assembly/ cannot hold a build; the generated
  // window kernels among them are over 100 KiB of source.)
  const big = info.files.filter((f) => f.size > 100 * 1024 && !f.path.endsWith(".wasm") && !f.path.startsWith("assembly/")).map((f) => f.path);
  assert.equal(big, ["dist/wasm.gen.js"], "only the embedded entry's builds are over 100 KiB");
});

test("npm install <tarball> into a fresh project, offline", async () => {
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  const r = await run("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", tarball], { cwd: project });
  assert.is(r.status, 0, describeRun(r));
  assert.ok(existsSync(join(project, "node_modules/simdcl/dist/simdcl.wasm")));
  for (const f of readdirSync(join(fixtures, "consumer"))) copyFileSync(join(fixtures, "consumer", f), join(project, f));
});

for (const [name, runtime] of Object.entries(runtimes)) {
  test(`${name}: both entries from node_modules, two threads, and the process exits`, async () => {
    // Deno reads the .wasm from node_modules: --allow-read, nothing else.
    const r = await run(...runtime("main.mjs", ["--allow-read"]), { cwd: project, timeoutMs: 30000 });
    console.log(`  ${name}: ${describeRun(r)}: ${r.stdout.trim().replace(/\n/g, "; ")}`);
    assert.is(r.status, 0, describeRun(r));
    assert.match(r.stdout, /^simdcl: 2 threads, (simd|relaxed) build, sum correct$/m);
    assert.match(r.stdout, /^simdcl\/embedded: 2 threads, (simd|relaxed) build, sum correct$/m);
  });
}

test("deno: simdcl/embedded needs no permission at all", async () => {
  const [deno, args] = runtimes.deno("main.mjs");
  const r = await run(deno, args, { cwd: project, timeoutMs: 30000 });
  const r2 = await run(deno, [...args, "--embedded-only"], { cwd: project, timeoutMs: 30000 });
  console.log(`  deno, no permissions: simdcl ${r.status === 0 ? "ran" : "asks for --allow-read"}; simdcl/embedded ${describeRun(r2)}`);
  assert.is(r2.status, 0, describeRun(r2));
  assert.match(r2.stdout, /^simdcl\/embedded: 2 threads, (simd|relaxed) build, sum correct$/m);
  assert.match(r.stderr, /--allow-read/, "the default entry's error names the permission");
});

for (const resolution of ["bundler", "nodenext"]) {
  test(`TypeScript, strict, moduleResolution ${resolution}: the published types check`, async () => {
    const module = resolution === "bundler" ? "esnext" : "nodenext";
    const config = {
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: false, target: "es2022", module, moduleResolution: resolution,
        lib: ["es2022", "dom"], types: [], exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: false,
      },
      files: ["index.ts"],
    };
    writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify(config, null, 2));
    const r = await run(process.execPath, [`${repo}node_modules/typescript/bin/tsc`, "-p", `tsconfig.${resolution}.json`], { cwd: project });
    assert.is(r.status, 0, describeRun(r));
  });
}

test("chromium: esbuild and Vite bundles of a page run on two threads, cross-origin isolated", async () => {
  const { chromium } = await import("playwright-core");
  const { build: viteBuild } = await import("vite");
  const { serve } = await import("../../scripts/serve.mjs");
  const site = join(project, "site");
  mkdirSync(site);
  // Vite copies each new URL("./simdcl*.wasm", import.meta.url) as an asset by itself.
  const viteRoot = join(project, "vite-page");
  mkdirSync(viteRoot);
  copyFileSync(join(project, "page.mjs"), join(viteRoot, "page.mjs"));
  writeFileSync(join(viteRoot, "vite.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="./page.mjs"></script>\n`);
  await viteBuild({
    root: viteRoot, configFile: false, logLevel: "error", resolve: { alias: { SIMDCL_ENTRY: "simdcl" } },
    build: { outDir: site, emptyOutDir: false, target: "es2022", rollupOptions: { input: join(viteRoot, "vite.html") } },
  });
  const viteAssets = readdirSync(join(site, "assets"));
  const viteJs = viteAssets.filter((f) => f.endsWith(".js")).reduce((n, f) => n + readFileSync(join(site, "assets", f)).length, 0);
  console.log(`  Vite build: ${kb(viteJs)} of JavaScript; assets ${viteAssets.filter((f) => f.endsWith(".wasm")).join(", ")}`);
  assert.is(viteAssets.filter((f) => f.endsWith(".wasm")).length, 3);
  const pages = { located: "simdcl", embedded: "simdcl/embedded" };
  const sizes = {};
  for (const [page, entry] of Object.entries(pages)) {
    const outfile = join(site, `${page}.js`);
    await build({ entryPoints: [join(project, "page.mjs")], bundle: true, format: "esm", platform: "browser", alias: { SIMDCL_ENTRY: entry }, absWorkingDir: project, outfile, logLevel: "error" });
    sizes[page] = readFileSync(outfile).length;
    writeFileSync(join(site, `${page}.html`), `<!doctype html><meta charset="utf-8"><script type="module" src="./${page}.js"></script>\n`);
  }
  // esbuild leaves new URL("./simdcl*.wasm", import.meta.url) as is: the files go beside the bundle.
  for (const f of ["simdcl.wasm", "simdcl-relaxed.wasm", "simdcl-single.wasm"]) copyFileSync(join(project, "node_modules/simdcl/dist", f), join(site, f));
  console.log(`  page bundles: simdcl ${kb(sizes.located)} (+ the one .wasm it fetches), simdcl/embedded ${kb(sizes.embedded)}`);
  // The embedded entry carries the three builds (over 300 KB of base64); the located one none.
  assert.ok(sizes.embedded - sizes.located > 300 * 1024, JSON.stringify(sizes));

  const server = await serve({ root: site, isolated: true });
  const profile = mkdtempSync(join(tmpdir(), "simdcl-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const page of [...Object.keys(pages), "vite"]) {
      const tab = await browser.newPage();
      const wasm = [];
      tab.on("request", (request) => request.url().endsWith(".wasm") && wasm.push(request.url().split("/").pop()));
      await tab.goto(`http://127.0.0.1:${server.address().port}/${page}.html`);
      await tab.waitForFunction(() => window.result, null, { timeout: 30000 });
      const result = await tab.evaluate(() => window.result);
      console.log(`  chromium ${page}: ${JSON.stringify(result)}, fetched ${wasm.join(", ") || "no .wasm"}`);
      assert.is(result.error, undefined, result.error);
      assert.equal([result.isolated, result.threads, result.correct], [true, 2, true]);
      assert.equal(wasm.map((f) => f.replace(/-[\w-]{8}\.wasm$/, ".wasm")), page === "embedded" ? [] : ["simdcl-relaxed.wasm"]);
      await tab.close();
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
