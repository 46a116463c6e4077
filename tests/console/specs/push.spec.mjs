// Push from the console: configure FCM (a local stand-in), a device registers as the Monaca
// runtime does, the operator composes and sends, and the delivery counts update to "delivered".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { BASE, launch, screenshot, signIn } from "./browser.mjs";

const FCM = process.env.FAKE_FCM_URL;
const SERVICE_ACCOUNT = process.env.FAKE_FCM_SERVICE_ACCOUNT;

describe("Berth console: push", () => {
  let browser;
  let page;
  let problems;
  const name = `Push_E2E_${Date.now()}`;

  before(async () => {
    ({ browser, page, problems } = await launch());
  });

  after(async () => {
    await browser?.close();
  });

  test("sends a notification to a registered device and shows it delivered", async () => {
    await signIn(page);
    await page.fill("#backend-name", name);
    await page.click("#create-form button[type=submit]");
    await page.waitForSelector("#created-secrets");
    await page.click(`#created-secrets a:has-text("Open ${name}")`);
    await page.click("nav.tabs a:has-text('Push')");

    await page.fill("#service-account", SERVICE_ACCOUNT);
    await page.click("#push-config-form button[type=submit]");
    await page.waitForSelector("#push-form");
    const project = (await page.locator("dt:has-text('Push project id') + dd").textContent()).trim();
    assert.ok(project.length > 0);

    // The device registers itself, as the Monaca runtime does on start.
    const registered = await fetch(`${BASE}/v1/push/register/${encodeURIComponent(project)}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        platform: "android",
        deviceId: "e2e-device-1",
        registrationId: "fcm-token-e2e-1",
        buildType: "release",
      }),
    });
    assert.equal(registered.status, 200, await registered.text());

    await page.fill("#push-message", "Hello from the console");
    await page.fill("#push-form input[name=title]", "Berth");
    await page.click("#push-form button[type=submit]");
    await page.waitForSelector("[data-state=sent]");
    assert.equal((await page.textContent(".pushed-count")).trim(), "1");
    await page.waitForSelector(".delivery .part.delivered");
    await screenshot(page, "push");

    const received = await (await fetch(`${FCM}/_received`)).json();
    assert.equal(received.length, 1);
    assert.equal(received[0].token, "fcm-token-e2e-1");
    assert.equal(received[0].data.message, "Hello from the console");
    assert.equal(received[0].data.title, "Berth");
    assert.equal(received[0].data.push_project_id, project);
    assert.deepEqual(problems, []);
  });

  test("lists the registered devices and finds one by its id", async () => {
    const project = (await page.locator("dt:has-text('Push project id') + dd").textContent()).trim();
    const registered = await fetch(`${BASE}/v1/push/register/${encodeURIComponent(project)}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        platform: "android",
        deviceId: "e2e-device-2",
        registrationId: "fcm-token-e2e-2",
        buildType: "debug",
      }),
    });
    assert.equal(registered.status, 200, await registered.text());

    await page.click("nav.tabs a:has-text('Devices')");
    await page.waitForSelector("#device-search");
    await page.waitForSelector("td:has-text('e2e-device-2')");
    assert.match(await page.textContent(".pager .count"), /^2 devices/);
    const rows = page.locator("table tbody tr");
    assert.equal(await rows.count(), 2);
    // The latest registration comes first.
    assert.match(await rows.nth(0).textContent(), /e2e-device-2/);
    await screenshot(page, "devices");

    await page.fill("#device-search input[name=q]", "device-1");
    await page.click("#device-search button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("table tbody tr").length === 1);
    const row = await rows.nth(0).textContent();
    assert.match(row, /e2e-device-1/);
    assert.match(row, /android \(fcm, release\)/);
    assert.match(row, /active/);
    assert.deepEqual(problems, []);
  });
});
