// The preprocessing page (examples/preprocess.html) in Chromium, cross-origin isolated: it
// draws a picture, preprocesses it with per-step timings and draws the results; here the
// drawn pixels are read back and checked against the same ops run in Node on the page's
// own source pixels (8-bit resize, place, cvtColor and the Gaussian are integer arithmetic:
// the same bits on every build), and the tensor's first values against the letterbox.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createContext } from "simdcl";
import { serve } from "../../scripts/serve.mjs";

const test = suite("page");

test("examples/preprocess.html: the letterbox and the blurred gray drawn in the page equal the ops run here", async () => {
  const server = await serve({ isolated: true });
  const profile = mkdtempSync(join(tmpdir(), "simdcl-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const cl = await createContext({ threads: 2 });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/examples/preprocess.html`);
    await page.waitForFunction(() => window.simdclResult || document.getElementById("log").textContent.includes("Error"), null, { timeout: 60000 });
    assert.equal(errors, []);
    const pixels = (id) => page.evaluate((id) => {
      const c = document.getElementById(id);
      return Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data);
    }, id);
    const result = await page.evaluate(() => window.simdclResult);
    console.log(`  ${(await page.evaluate(() => document.getElementById("log").textContent)).trim().split("\n").join("\n  ")}`);
    assert.is(result.threads, 2, "threads on the isolated page");

    const source = { data: Uint8Array.from(await pixels("source")), width: 640, height: 360, channels: 4 };
    const p = result.placement;
    const resized = await cl.resize(source, { width: p.width, height: p.height });
    const letterbox = await cl.place(resized, { width: 320, height: 320, x: p.x, y: p.y, value: [114, 114, 114, 255] });
    assert.equal(await pixels("letterbox"), Array.from(letterbox.data), "the letterbox drawn");
    const blurred = await cl.gaussianBlur(await cl.cvtColor(source, "RGBA2GRAY"), { sigma: 2 });
    const drawn = await pixels("gray");
    const grayDrawn = drawn.filter((_, i) => i % 4 === 0);
    assert.equal(grayDrawn, Array.from(blurred.data), "the blurred gray drawn");
    // The tensor's first row is the letterbox's padding (the picture starts lower): 114/255.
    assert.ok(p.y > 0);
    assert.equal(result.tensor, Array(16).fill(Math.fround(114 * Math.fround(1 / 255))));
  } finally {
    cl.dispose();
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test.run();
