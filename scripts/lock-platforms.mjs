// npm ci refuses a lock file that lacks any optional dependency of a package, and the
// registry reachable here serves only the linux-x64 build of Deno, so `npm install`
// cannot record the others. This adds lock entries (platform constraints only) for
// Deno's other platform packages, which npm then skips on this platform as it should.
// Run after `npm install` changes package-lock.json: node scripts/lock-platforms.mjs
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const deno = lock.packages["node_modules/deno"];
const platforms = {
  "win32-x64": { os: ["win32"], cpu: ["x64"] },
  "win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "linux-x64-glibc": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "linux-arm64-glibc": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
};
let added = 0;
for (const [name, constraints] of Object.entries(platforms)) {
  const key = `node_modules/@deno/${name}`;
  if (lock.packages[key] || !deno?.optionalDependencies?.[`@deno/${name}`]) continue;
  lock.packages[key] = { version: deno.version, dev: true, optional: true, license: "MIT", ...constraints };
  added++;
}
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
console.log(`lock-platforms: added ${added} entries`);
