// Runs the console's end-to-end specs: starts the real `berth` binary on a free port with a fresh
// data folder and a known admin token, then runs specs/*.spec.mjs with Node's test runner, which
// drive Debian's Chromium through playwright-core.
//
//   node run.mjs [--screenshots]      (from tests/console; `npm test` does the same)
//
// BERTH_BIN names the binary (default: target/debug/berth, or under CARGO_TARGET_DIR);
// CHROMIUM names the browser (default /usr/bin/chromium); --screenshots writes docs/console/*.png.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { startFakeFcm } from "./fake-fcm.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
const binary = process.env.BERTH_BIN ?? join(targetDir, "debug", "berth");
if (!existsSync(binary)) {
  console.error(`berth binary not found at ${binary}: run \`cargo build\` first or set BERTH_BIN`);
  process.exit(2);
}

// Push goes to a local FCM stand-in, and the worker looks for work often, so a send lands at once.
const fcm = await startFakeFcm();
const dataDir = mkdtempSync(join(tmpdir(), "berth-console-e2e-"));
const token = `console-e2e-${randomBytes(16).toString("hex")}`;
const server = spawn(binary, ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dataDir, "data")], {
  env: {
    ...process.env,
    BERTH_ADMIN_TOKEN: token,
    BERTH_DATABASE_URL: "",
    BERTH_FCM_URL: `${fcm.url}/`,
    BERTH_FCM_TOKEN_URL: `${fcm.url}/token`,
    BERTH_PUSH_POLL_MS: "50",
    RUST_LOG: "info",
  },
  stdio: ["ignore", "ignore", "pipe"],
});
let serverLog = "";

function cleanUp() {
  server.kill("SIGTERM");
  fcm.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const address = await new Promise((resolveAddress, reject) => {
  const timer = setTimeout(() => reject(new Error(`berth did not start in 30 s; its log:\n${serverLog}`)), 30_000);
  server.stderr.setEncoding("utf8");
  server.stderr.on("data", (chunk) => {
    serverLog += chunk;
    const found = serverLog.match(/listening on (http:\/\/[^\s]+)/);
    if (found) {
      clearTimeout(timer);
      resolveAddress(found[1]);
    }
  });
  server.on("exit", (code) => reject(new Error(`berth exited with ${code}; its log:\n${serverLog}`)));
}).catch((error) => {
  console.error(error.message);
  cleanUp();
  process.exit(2);
});
console.log(`berth is serving at ${address} (data in ${dataDir})`);

const screenshots = process.argv.includes("--screenshots") ? join(repo, "docs", "console") : "";
const specs = readdirSync(join(here, "specs"))
  .filter((name) => name.endsWith(".spec.mjs"))
  .sort()
  .map((name) => join(here, "specs", name));
const tests = spawn(process.execPath, ["--test", "--test-concurrency=1", "--test-timeout=60000", "--test-reporter=spec", ...specs], {
  env: {
    ...process.env,
    BERTH_URL: address,
    BERTH_ADMIN_TOKEN: token,
    BERTH_SCREENSHOTS: screenshots,
    FAKE_FCM_URL: fcm.url,
    FAKE_FCM_SERVICE_ACCOUNT: JSON.stringify(fcm.serviceAccount),
  },
  stdio: "inherit",
});
const code = await new Promise((done) => tests.on("exit", (exitCode) => done(exitCode ?? 1)));
if (code !== 0) {
  console.error(`--- berth log ---\n${serverLog.split("\n").slice(-40).join("\n")}`);
}
cleanUp();
process.exit(code);
