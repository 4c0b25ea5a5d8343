// Runs test/all.js in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// on a page served from 127.0.0.1: once cross-origin isolated (threads), once not
// (the single-threaded fallback). Prints uvu's output; exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TIMEOUT_MS = 10 * 60 * 1000;

// A fresh Debian machine lacks Chromium; as root, install Debian's package (never a download).
if (!existsSync(CHROMIUM) && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
  console.log("test-browser: installing Debian's chromium package");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
}
if (!existsSync(CHROMIUM)) {
  console.error(`test-browser: no Chromium at ${CHROMIUM}; install it with 'apt-get install -y chromium' (or set CHROMIUM_PATH)`);
  process.exit(1);
}

async function runPage(isolated) {
  const server = await serve({ isolated });
  const profile = mkdtempSync(join(tmpdir(), "simdcl-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let text = "";
  try {
    const page = await browser.newPage();
    const finished = new Promise((resolve) => {
      page.on("console", (m) => {
        const line = m.text().replace(/\x1b\[[0-9;]*m/g, "");
        text += line; // uvu writes its own newlines, one console message per write
        if (/Duration:/.test(line)) resolve();
      });
    });
    page.on("pageerror", (e) => (text += `UNCAUGHT ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${server.address().port}/test/browser.html`);
    const coi = await page.evaluate(() => globalThis.crossOriginIsolated);
    text = `chromium (${isolated ? "cross-origin isolated" : "not isolated"}: crossOriginIsolated=${coi})\n` + text;
    await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), TIMEOUT_MS))]);
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return text;
}

let failed = false;
for (const isolated of [true, false]) {
  const text = await runPage(isolated);
  process.stdout.write(text);
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  if (!(total > 0) || passed !== total || /UNCAUGHT/.test(text)) failed = true;
}
process.exit(failed ? 1 : 0);
