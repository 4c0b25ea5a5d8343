// Shared by the integration tests (run by Node from scripts/test.mjs): paths, the
// runtimes' binaries, and a child-process runner that times each run.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("../..", import.meta.url));
export const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const bin = (name) => `${repo}node_modules/.bin/${name}`;
export const denoDir = `${repo}.cache/deno`;
mkdirSync(denoDir, { recursive: true });

/** How each runtime runs a script; Deno with exactly the permissions given. */
export const runtimes = {
  node: (file) => [process.execPath, [file]],
  deno: (file, permissions = []) => [bin("deno"), ["run", "--quiet", "--no-prompt", ...permissions, file]],
  bun: (file) => [bin("bun"), [file]],
};

/**
 * Run a command to its end or until `timeoutMs` (then kill it). Resolves to
 * { status, signal, stdout, stderr, ms, timedOut }.
 */
export function run(cmd, args, { cwd = repo, timeoutMs = 60000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, DENO_DIR: denoDir, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "", timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

/** A one-line account of a run, for assertion messages and the log. */
export const describeRun = (r) =>
  `${r.timedOut ? "timed out" : `exit ${r.status ?? r.signal}`} after ${r.ms.toFixed(0)} ms` +
  (r.status !== 0 || r.timedOut ? `\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}` : "");

/** The box filter the edge handler computes, straight from its definition. */
export function boxReference(pixels, width, height, radius) {
  const out = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0, n = 0;
      for (let v = Math.max(0, y - radius); v <= Math.min(height - 1, y + radius); v++) {
        for (let u = Math.max(0, x - radius); u <= Math.min(width - 1, x + radius); u++) { s += pixels[v * width + u]; n++; }
      }
      out[y * width + x] = s / n;
    }
  }
  return out;
}
