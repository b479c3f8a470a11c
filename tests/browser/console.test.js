// The console in a real browser: Debian's chromium, headless, driven by
// playwright-core. Run by tests/integration/console.sh, which starts the
// daemon, its sources' test API and a verifying receiver, and passes:
//   node console.test.js CONFIG.json
// CONFIG: { url, token, sources: [names], statusFile (the JSON edge-1's
// poll reads), receiverLog (JSONL), receiverMode (the mode file),
// artifacts (directory for the screenshots) }.
// Exits 0 when every step passed, 1 with "FAIL: why" otherwise.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const origin = new URL(cfg.url).origin;
const STEP_MS = 20000;		// the longest any one step may wait

function fail(why) {
  throw new Error(why);
}

function writeAtomic(file, text) {
  fs.writeFileSync(file + ".tmp", text);
  fs.renameSync(file + ".tmp", file);
}

// Lines of the receiver's log matching fn.
function received(fn) {
  if (!fs.existsSync(cfg.receiverLog)) return [];
  return fs.readFileSync(cfg.receiverLog, "utf8").split("\n").filter(Boolean)
    .map((l) => JSON.parse(l)).filter(fn);
}

async function waitUntil(what, fn, ms = STEP_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) fail("timed out (" + ms / 1000 + " s) waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(cfg.artifacts, name + ".png"), fullPage: true });
}

async function main() {
  fs.mkdirSync(cfg.artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: cfg.chromium || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const problems = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    // Nothing may come from elsewhere, and nothing may break (a CSP
    // violation is a console error).
    page.on("request", (r) => {
      if (!r.url().startsWith(origin + "/")) problems.push("request outside the daemon: " + r.url());
    });
    page.on("console", (m) => {
      if (m.type() === "error" && !/401 \(Unauthorized\)/.test(m.text()))
        problems.push("console error: " + m.text());
    });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("dialog", (d) => d.accept());

    // 1. A wrong token: a clear message, and the token form.
    await page.goto(cfg.url + "#token=not-the-token");
    await page.locator("#login").waitFor({ state: "visible" });
    const msg = await page.locator("#login-message").textContent();
    if (!/refused this token/.test(msg)) fail("wrong token: message " + JSON.stringify(msg));
    if (page.url().includes("#token")) fail("the token stayed in the URL: " + page.url());
    await shot(page, "1-wrong-token");
    console.log("ok: a wrong token shows: " + msg);

    // 2. The right one, typed in the form: every configured source.
    await page.fill("#token", cfg.token);
    await page.click("#token-save");
    await page.locator("#view-sources").waitFor({ state: "visible" });
    for (const name of cfg.sources)
      await page.locator(`#sources-body td[data-source="${name}"]`).waitFor();
    await waitUntil("every source up", async () =>
      (await page.locator("#sources-body .up").count()) === cfg.sources.length);
    const shown = await page.locator("#sources-body td[data-source]").count();
    if (shown !== cfg.sources.length) fail(shown + " sources shown, want " + cfg.sources.length);
    // The filter, by label.
    await page.fill("#source-filter", "role=core");
    await waitUntil("the filter to keep the core", async () =>
      (await page.locator("#sources-body td[data-source]").count()) === 1);
    if ((await page.locator("#sources-body td[data-source]").first().textContent()) !== "core-1")
      fail("the filter role=core did not keep core-1 alone");
    await page.fill("#source-filter", "");
    await waitUntil("the sparklines", async () =>
      (await page.locator("#sources-body svg.spark polyline").count()) === cfg.sources.length);
    await shot(page, "2-sources");
    console.log("ok: " + shown + " sources listed, up, filtered by label, with sparklines");

    // 3. A threshold crossing made now appears in the events without a reload.
    await page.click('nav button[data-view="events"]');
    const before = await page.locator('#events-body tr[data-event="cpu.high"]').count();
    writeAtomic(cfg.statusFile, '{"cpu": 97}\n');
    await page.locator('#events-body tr[data-event="cpu.high"]').nth(before).waitFor();
    await shot(page, "3-event");
    console.log("ok: the cpu.high event appeared live");

    // 4. Its delivery was refused (400): a dead letter, retried from the page.
    await waitUntil("the 400 at the receiver", () =>
      received((r) => r.status === 400 && JSON.parse(r.body).event === "cpu.high").length > 0);
    const eventId = received((r) => r.status === 400)[0] && JSON.parse(received((r) => r.status === 400)[0].body).id;
    await page.click('nav button[data-view="deliveries"]');
    const retryButton = page.locator("#deliveries-body button[data-retry]").first();
    await waitUntil("the dead letter listed", async () => {
      await page.selectOption("#delivery-state", "dead");
      return (await retryButton.count()) > 0;
    });
    await shot(page, "4-dead-letter");
    writeAtomic(cfg.receiverMode, "200\n\n");
    await retryButton.click();
    await page.locator("#delivery-result").filter({ hasText: "queued for another try" }).waitFor();
    await waitUntil("the retried delivery at the receiver", () =>
      received((r) => r.status === 200 && r.verified && JSON.parse(r.body).id === eventId).length > 0);
    await waitUntil("the dead letters to be empty", async () =>
      (await page.locator("#deliveries-body button[data-retry]").count()) === 0);
    console.log("ok: the dead letter " + eventId + " was retried from the page and delivered, verified");

    // 5. Subscribers: the configured one, with its state.
    await page.click('nav button[data-view="subscribers"]');
    await page.locator("#subscribers-body tr").filter({ hasText: "config" }).first().waitFor();
    await shot(page, "5-subscribers");
    console.log("ok: the subscribers listed");

    // 6. Silences: one made from the page is stored as given, listed active, then ended.
    await page.click('nav button[data-view="silences"]');
    await page.locator("#silences-body tr").filter({ hasText: "No silences." }).waitFor();
    await page.fill("#sil-labels", "role");
    await page.click("#sil-add");
    await page.locator("#sil-result").filter({ hasText: "a label matcher is name=glob" }).waitFor();
    await page.fill("#sil-source", "edge-*");
    await page.fill("#sil-rule", "cpu.high");
    await page.fill("#sil-labels", "role=edge");
    await page.fill("#sil-minutes", "30");
    await page.fill("#sil-comment", "console test");
    await page.click("#sil-add");
    await page.locator("#sil-result").filter({ hasText: "Added silence" }).waitFor();
    const silRow = page.locator("#silences-body tr[data-silence-row]").filter({ hasText: "active" });
    await silRow.first().waitFor();
    const listed = await (await fetch(origin + "/v1/silences",
      { headers: { Authorization: "Bearer " + cfg.token } })).json();
    const sil = (listed.silences || [])[0];
    if (!sil || listed.silences.length !== 1 || sil.matchers.source !== "edge-*" ||
        sil.matchers.rule !== "cpu.high" || (sil.matchers.labels || {}).role !== "edge" ||
        sil.comment !== "console test" || sil.creator !== "console" || sil.state !== "active")
      fail("the silence stored: " + JSON.stringify(listed));
    const minutes = (Date.parse(sil.ends) - Date.parse(sil.starts)) / 60000;
    if (Math.abs(minutes - 30) > 1) fail("the silence lasts " + minutes + " min, not 30");
    await shot(page, "6-silences");
    await page.locator("#silences-body button[data-silence]").first().click();
    await page.locator("#sil-result").filter({ hasText: "Ended silence " + sil.id }).waitFor();
    await page.locator("#silences-body tr").filter({ hasText: "No silences." }).waitFor();
    const after = await (await fetch(origin + "/v1/silences",
      { headers: { Authorization: "Bearer " + cfg.token } })).json();
    if ((after.silences || []).length !== 0) fail("after ending it: " + JSON.stringify(after));
    console.log("ok: a silence added from the page (a bad label refused first), stored as given, ended");

    // 7. A phone-width screen: the views still work, nothing wider than the screen but tables.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('nav button[data-view="sources"]');
    await page.locator("#sources-body td[data-source]").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) fail("at 390 px the page is " + overflow + " px wider than the screen");
    await shot(page, "7-phone");
    console.log("ok: usable at phone width");

    // 8. The token lives in this tab's sessionStorage only.
    const stored = await page.evaluate(() => [sessionStorage.getItem("pollhook-token"),
      localStorage.length, document.cookie]);
    if (stored[0] !== cfg.token || stored[1] !== 0 || stored[2] !== "")
      fail("token storage: " + JSON.stringify(stored));
    console.log("ok: the token is in sessionStorage, nothing in localStorage or cookies");
  } finally {
    await browser.close();
  }
  if (problems.length) fail(problems.join("; "));
}

main().then(() => process.exit(0), (e) => {
  console.log("FAIL: " + e.message);
  process.exit(1);
});
