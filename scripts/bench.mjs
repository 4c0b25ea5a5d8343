// npm run bench (after the build): compiles bench/*.ts and runs each suite in its own
// Node process. Pass suite names to pick some: npm run bench -- integral
// SIMDCL_NODE_FLAGS="--experimental-wasm-relaxed-simd" runs them with relaxed SIMD on.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const run = (args, cwd = ".") => spawnSync(process.execPath, args, { stdio: "inherit", cwd }).status === 0;
// From bench/, so that asc does not pick up the library's asconfig.json.
const asc = ["../node_modules/assemblyscript/bin/asc.js", "ceiling.as.ts", "-O3", "--noAssert", "--runtime", "stub"];
if (
  !run(["node_modules/typescript/bin/tsc", "-p", "bench/tsconfig.json"]) ||
  !run([...asc, "--enable", "simd", "-o", "../build/bench/ceiling.wasm"], "bench") ||
  !run([...asc, "--enable", "simd,relaxed-simd", "-o", "../build/bench/ceiling-relaxed.wasm"], "bench")
) process.exit(1);
const wanted = process.argv.slice(2);
const suites = readdirSync("build/bench").filter((f) => f.endsWith(".bench.js")).map((f) => f.replace(".bench.js", ""))
  .filter((s) => wanted.length === 0 || wanted.includes(s));
let failed = false;
for (const s of suites) {
  const flags = (process.env.SIMDCL_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const r = spawnSync(process.execPath, [...flags, `build/bench/${s}.bench.js`], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
