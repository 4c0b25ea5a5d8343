// npm test (after the build): the same uvu suites on Node, Deno, Bun and Chromium, then
// the integration suites in test/integration/.
// Prints each runtime's output, then one line per runtime and a closing
// "N passed, N failed" line; exits non-zero if any runtime fails or runs no test.
// SIMDCL_RUNTIMES=node,deno picks a subset.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const bin = (name) => `node_modules/.bin/${name}`;
mkdirSync(".cache/deno", { recursive: true });
const env = { ...process.env, DENO_DIR: ".cache/deno", NO_COLOR: "1", FORCE_COLOR: "0" };
const runtimes = {
  node: [process.execPath, ["test/node.js"]],
  deno: [bin("deno"), ["run", "-A", "--quiet", "test/node.js"]],
  bun: [bin("bun"), ["test/node.js"]],
  chromium: [process.execPath, ["scripts/test-browser.mjs"]],
  // First contact (test/integration/, run by Node): scripts that never dispose() exit by
  // themselves in Node, Deno and Bun; the edge handler in workerd (Miniflare) and Vercel's
  // edge-runtime, and the preprocessing handler there and under Deno's and Bun's HTTP
  // servers; the packed tarball in a fresh project (Node, Deno, Bun, strict TypeScript,
  // an esbuild page in Chromium).
  exit: [process.execPath, ["test/integration/exit.test.mjs"]],
  edge: [process.execPath, ["test/integration/edge.test.mjs"]],
  consumer: [process.execPath, ["test/integration/consumer.test.mjs"]],
  // The preprocessing page in Chromium, its drawn pixels checked against the ops in Node.
  page: [process.execPath, ["test/integration/page.test.mjs"]],
  // JSR serves src/ as TypeScript: `deno publish --dry-run` type-checks it as JSR would.
  jsr: [bin("deno"), ["publish", "--dry-run", "--allow-dirty"]],
};
const wanted = (process.env.SIMDCL_RUNTIMES ?? Object.keys(runtimes).join(",")).split(",");

let passed = 0, failed = 0;
const lines = [];
for (const name of wanted) {
  if (!runtimes[name]) throw new Error(`unknown runtime ${name}`);
  const [cmd, args] = runtimes[name];
  console.log(`\n## ${name}: ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { env, encoding: "utf8", maxBuffer: 64 << 20, timeout: 15 * 60 * 1000 });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  process.stdout.write(out);
  // uvu prints Total/Passed per page (Chromium runs two pages, so add them up); the JSR
  // check is one test that passes when deno says the dry run succeeded.
  const jsrOk = name === "jsr" && r.status === 0 && /Dry run complete/.test(out);
  const totals = name === "jsr" ? [1] : [...out.matchAll(/Total:\s+(\d+)/g)].map((m) => Number(m[1]));
  const passes = name === "jsr" ? [jsrOk ? 1 : 0] : [...out.matchAll(/Passed:\s+(\d+)/g)].map((m) => Number(m[1]));
  const total = totals.reduce((a, b) => a + b, 0);
  const ok = passes.reduce((a, b) => a + b, 0);
  const good = r.status === 0 && total > 0 && ok === total;
  passed += ok;
  failed += Math.max(total - ok, good ? 0 : 1);
  lines.push(`${name}: ${ok}/${total} passed${good ? "" : ` — FAILED (exit ${r.status ?? r.signal})`}`);
}
console.log("\n" + lines.join("\n"));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
