// npm run bench (after the build): compiles bench/*.ts and runs each suite in its own
// Node process. Pass suite names to pick some: npm run bench -- integral
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "bench/tsconfig.json"], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(1);
const wanted = process.argv.slice(2);
const suites = readdirSync("build/bench").filter((f) => f.endsWith(".bench.js")).map((f) => f.replace(".bench.js", ""))
  .filter((s) => wanted.length === 0 || wanted.includes(s));
let failed = false;
for (const s of suites) {
  const r = spawnSync(process.execPath, [`build/bench/${s}.bench.js`], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
