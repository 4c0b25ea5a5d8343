// Every test file, for runtimes that run one file (Deno, Bun, the browser page).
import "./integral.test.js";
import "./gemm.test.js";
import "./layout.test.js";
import "./conv2d.test.js";
import "./errors.test.js";
import "./buffer.test.js";
import "./pool.test.js";
import "./adversarial.test.js";
