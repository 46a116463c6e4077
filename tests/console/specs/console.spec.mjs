// The operator's main paths through the console, in a real browser against the real server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { BASE, TOKEN, launch, screenshot, signIn } from "./browser.mjs";

describe("Berth console", () => {
  let browser;
  let page;
  let problems;
  const name = `E2E_Shop_${Date.now()}`;

  before(async () => {
    ({ browser, page, problems } = await launch());
  });

  after(async () => {
    await browser?.close();
  });

  test("refuses a wrong admin token and signs in with the right one", async () => {
    await page.goto(`${BASE}/console/`);
    await page.waitForSelector("#sign-in-form");
    assert.equal(await page.isVisible("#sign-out"), false);
    await screenshot(page, "sign-in");
    await page.fill("#token", "not-the-token");
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForSelector("#message.error");
    assert.match(await page.textContent("#message"), /not valid/);
    assert.equal(await page.isVisible("#create-form"), false);

    await signIn(page);
    assert.equal(await page.isVisible("#sign-out"), true);
    // The token is kept for this tab only, never in localStorage.
    assert.equal(await page.evaluate(() => localStorage.length), 0);
  });

  test("creates a backend, shows its keys once and lists it with its counts", async () => {
    await page.fill("#backend-name", name);
    await page.click("#create-form button[type=submit]");
    await page.waitForSelector("#created-secrets");
    const secrets = await page.textContent("#created-secrets");
    assert.match(secrets, /Monaca app API key/);
    assert.match(secrets, /Management API key/);
    const row = page.locator("tr", { has: page.locator("a.backend-link", { hasText: name }) });
    await row.waitFor();
    await row.locator('[data-count="users"]', { hasText: "0" }).waitFor();
    await screenshot(page, "backends");
  });

  test("edits the backend and moves it to the trash and back", async () => {
    await page.click(`a.backend-link:has-text("${name}")`);
    await page.waitForSelector("#edit-form");
    await page.fill("#edit-form textarea[name=desc]", "Made by the console e2e test");
    await page.click("#edit-form button[type=submit]");
    await page.waitForSelector("#message.ok");
    assert.equal(await page.inputValue("#edit-form textarea[name=desc]"), "Made by the console e2e test");
    await screenshot(page, "backend");

    page.once("dialog", (dialog) => dialog.accept());
    await page.click("button:has-text('Move to the trash')");
    await page.waitForSelector(".title .badge.danger");
    // A trashed backend's data pages say why they show nothing.
    await page.click("nav.tabs a:has-text('Collections')");
    await page.waitForSelector("text=Restore this backend");
    await page.click("nav.tabs a:has-text('Overview')");
    await page.click("button:has-text('Restore from the trash')");
    await page.waitForSelector("button:has-text('Move to the trash')");
    assert.equal(await page.isVisible(".title .badge.danger"), false);
  });

  test("creates and revokes a management key", async () => {
    await page.click("nav.tabs a:has-text('Keys')");
    await page.waitForSelector("#key-form");
    await page.fill("#key-form input[name=label]", "e2e-deploy");
    await page.click("#key-form button[type=submit]");
    await page.waitForSelector(".notice .secret");
    const keyRow = page.locator("tr", { hasText: "e2e-deploy" });
    await keyRow.waitFor();
    await screenshot(page, "keys");
    page.once("dialog", (dialog) => dialog.accept());
    await keyRow.locator("button:has-text('Revoke')").click();
    await keyRow.waitFor({ state: "detached" });
  });

  test("creates a collection, inserts an item and finds it with a MonaQL filter", async () => {
    await page.click("nav.tabs a:has-text('Collections')");
    await page.fill("#collection-name", "GameScore");
    await page.click("#collection-form button[type=submit]");
    await page.click("a.collection-link:has-text('GameScore')");
    await page.waitForSelector("#item-filter");

    for (const [player, score] of [["Sean Plott", 1337], ["Ada", 12]]) {
      await page.click("#new-item");
      await page.fill("#item-json", JSON.stringify({ playerName: player, score }));
      await page.click("#item-form button[type=submit]");
      await page.waitForSelector(`td:has-text("${player}")`);
    }
    assert.match(await page.textContent("#item-count"), /^2 items/);

    await page.fill("#criteria", "score > ?");
    await page.fill("#item-filter input[name=bindParams]", "[1000]");
    await page.click("#item-filter button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#item-count")?.textContent.startsWith("1 item,"));
    assert.equal(await page.locator("td:has-text('Sean Plott')").count(), 1);
    assert.equal(await page.locator("td:has-text('Ada')").count(), 0);
    await screenshot(page, "items");

    // A broken filter is reported in plain words and leaves the list as it was.
    await page.fill("#criteria", "score >>> 1");
    await page.fill("#item-filter input[name=bindParams]", "");
    await page.click("#item-filter button[type=submit]");
    await page.waitForSelector("#message.error");
    assert.match(await page.textContent("#message"), /criteria/);
  });

  test("creates a user and finds it by name", async () => {
    await page.click("nav.tabs a:has-text('Users')");
    await page.fill("#user-form input[name=username]", "joe@example.com");
    await page.fill("#user-form input[name=password]", "s3cret-pass");
    await page.fill("#user-form input[name=properties]", '{"age": 21}');
    await page.click("#user-form button[type=submit]");
    await page.waitForSelector("td:has-text('joe@example.com')");
    await page.fill("#user-search input[name=nameFilter]", "nobody-like-this");
    await page.click("#user-search button[type=submit]");
    await page.waitForSelector("text=No users match.");
    await page.fill("#user-search input[name=nameFilter]", "joe@");
    await page.click("#user-search button[type=submit]");
    await page.waitForSelector("td:has-text('joe@example.com')");
    await screenshot(page, "users");
  });

  test("changes the app settings and shows the analytics and mail pages", async () => {
    await page.click("nav.tabs a:has-text('Settings')");
    await page.waitForSelector("#settings-form");
    await page.fill("#settings-form input[name=minPasswordLength]", "9");
    await page.uncheck("#settings-form input[name=registrationOpen]");
    await page.click("#settings-form button[type=submit]");
    await page.waitForSelector("#message.ok");
    await page.reload();
    await page.waitForSelector("#settings-form");
    assert.equal(await page.inputValue("#settings-form input[name=minPasswordLength]"), "9");
    assert.equal(await page.isChecked("#settings-form input[name=registrationOpen]"), false);
    // Out of range: refused with the reason, nothing stored.
    await page.fill("#settings-form input[name=minPasswordLength]", "-3");
    await page.click("#settings-form button[type=submit]");
    await page.waitForSelector("#message.error");
    await page.reload();
    await page.waitForSelector("#settings-form");
    assert.equal(await page.inputValue("#settings-form input[name=minPasswordLength]"), "9");

    await page.click("nav.tabs a:has-text('Analytics')");
    await page.waitForSelector("text=No events yet");
    await page.click("nav.tabs a:has-text('Mail outbox')");
    await page.waitForSelector("text=The outbox is empty.");
  });

  test("creates a role and gives it to a user", async () => {
    await page.click("nav.tabs a:has-text('Settings')");
    await page.fill("#role-form input[name=name]", "editor");
    await page.click("#role-form button[type=submit]");
    await page.waitForSelector("td:has-text('editor')");

    await page.click("nav.tabs a:has-text('Users')");
    const row = page.locator("tr", { hasText: "joe@example.com" });
    await row.locator("button:has-text('Edit')").click();
    await page.check("fieldset.roles input[value=editor]");
    await page.click("button:has-text('Save user')");
    await page.waitForSelector("#message.ok");
    await row.locator("button:has-text('Edit')").click();
    await page.waitForSelector("fieldset.roles");
    assert.equal(await page.isChecked("fieldset.roles input[value=editor]"), true);
    await page.click("button:has-text('Cancel')");
  });

  test("shows the counts and this node's traffic", async () => {
    await page.click("nav.tabs a:has-text('Overview')");
    await page.waitForSelector(".tiles");
    const tiles = await page.locator(".tile").allTextContents();
    assert.ok(tiles.some((text) => /^1\s*users$/.test(text)), tiles.join(" | "));
    assert.ok(tiles.some((text) => /^2\s*items$/.test(text)), tiles.join(" | "));

    await page.click("header a.brand");
    await page.waitForSelector(".chart svg rect.bar");
    await page.waitForSelector(".figure");
    const summary = await page.textContent("#traffic-summary");
    assert.match(summary, /requests this minute/);
    const hour = Number(summary.match(/(\d+) in the last hour/)[1]);
    assert.ok(hour > 0, summary);
    await screenshot(page, "dashboard");
  });

  test("signs out and forgets the token", async () => {
    await page.click("#sign-out");
    await page.waitForSelector("#sign-in-form");
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.waitForSelector("#sign-in-form");
    assert.equal(await page.isVisible("#create-form"), false);
  });

  test("left no script errors in the page", () => {
    assert.deepEqual(problems, []);
  });
});
