// Chromium for the specs: Debian's package, headless, with nothing that reaches the network.
// Playwright gives every launch a fresh temporary profile (its own --user-data-dir).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.BERTH_URL;
export const TOKEN = process.env.BERTH_ADMIN_TOKEN;

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // Refused calls (a wrong token, a bad filter) are part of the specs; the page reports them itself.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  return { browser, page, problems };
}

/** Saves a screenshot as docs/console/<name>.png when the runner was asked to. */
export async function screenshot(page, name) {
  const folder = process.env.BERTH_SCREENSHOTS;
  if (!folder) return;
  mkdirSync(folder, { recursive: true });
  // The status toast would cover part of the page in a full-page picture.
  await page.evaluate(() => { document.getElementById("message").textContent = ""; });
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
}

export async function signIn(page) {
  await page.goto(`${BASE}/console/`);
  await page.fill("#token", TOKEN);
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector("#create-form");
}

