// Node, Deno and Bun: every portable suite plus those that read files.
import "./all.js";
import "./examples.test.js";
