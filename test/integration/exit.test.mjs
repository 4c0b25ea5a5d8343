// DESIGN.md rule 10 in real processes: idle Workers never keep the process alive, a call
// in flight does. Each script runs in Node, Deno and Bun with a timeout.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { describeRun, fixtures, run, runtimes } from "./util.mjs";

const test = suite("exit");
const TIMEOUT_MS = 20000;

// Deno reads dist/simdcl*.wasm from disk: --allow-read is the one permission it needs.
const permissions = { deno: ["--allow-read"] };

for (const [name, runtime] of Object.entries(runtimes)) {
  const command = (file) => runtime(file, permissions[name]);
  test(`${name}: a script that never calls dispose() exits by itself`, async () => {
    const r = await run(...command(`${fixtures}no-dispose.mjs`), { timeoutMs: TIMEOUT_MS });
    console.log(`  ${name} no-dispose.mjs: ${describeRun(r)}: ${r.stdout.trim()}`);
    assert.ok(!r.timedOut && r.status === 0, describeRun(r));
    assert.match(r.stdout, /threads \d+, sum 307200/);
  });

  test(`${name}: calls in flight hold the process until they settle`, async () => {
    const r = await run(...command(`${fixtures}pending-call.mjs`), { timeoutMs: TIMEOUT_MS });
    console.log(`  ${name} pending-call.mjs: ${describeRun(r)}`);
    assert.ok(!r.timedOut && r.status === 0, describeRun(r));
    assert.match(r.stdout, /integral done, last sum 2073600/);
    assert.match(r.stdout, /stalled call rejected after \d+ ms: .*no progress/);
    assert.ok(r.ms > 800, `exited after ${r.ms} ms, before the stalled call could time out`);
  });

  test(`${name}: a call whose only Worker has died settles before the process exits`, async () => {
    const r = await run(...command(`${fixtures}dead-worker-call.mjs`), { timeoutMs: TIMEOUT_MS });
    console.log(`  ${name} dead-worker-call.mjs: ${describeRun(r)}: ${r.stdout.trim()}`);
    assert.ok(!r.timedOut && r.status === 0, describeRun(r));
    assert.match(r.stdout, /call settled: (done|rejected: simdcl: (worker 1|a worker))/);
  });
}

test("deno: the JSR entry (src/embedded.ts) needs no permission flag", async () => {
  const r = await run(...runtimes.deno(`${fixtures}jsr-style.mjs`), { timeoutMs: TIMEOUT_MS });
  console.log(`  deno --no-prompt jsr-style.mjs: ${describeRun(r)}: ${r.stdout.trim()}`);
  assert.ok(!r.timedOut && r.status === 0, describeRun(r));
  assert.match(r.stdout, /threads \d+, sum 307200/);
});

test.run();
