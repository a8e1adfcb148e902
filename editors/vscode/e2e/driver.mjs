// Drives code-server in headless Chromium (playwright-core, Debian's chromium): opens storage/main.tf,
// waits for Advisor's squiggle and the status bar total, applies the io1 → gp3 quick fix, saves, and checks
// the file on disk and that the code lenses show the new figures, as the status bar does. Screenshots go
// to $ADVISOR_E2E_OUT. Started by run.sh, which passes the environment.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run e2e/run.sh)`);
  return value;
};
const URL = env("ADVISOR_E2E_URL");
const WORKSPACE = env("ADVISOR_E2E_WORKSPACE");
const OUT = env("ADVISOR_E2E_OUT");
const CHROMIUM = env("ADVISOR_E2E_CHROMIUM");
const CODE_SERVER_PID = Number(env("ADVISOR_E2E_CODE_SERVER_PID"));
const MACHINE_SETTINGS = env("ADVISOR_E2E_MACHINE_SETTINGS");
const ADVISOR_BIN = env("ADVISOR_BIN");
const TIMEOUT_S = Number(process.env.ADVISOR_E2E_TIMEOUT ?? "300");
const require = createRequire(join(env("ADVISOR_E2E_DRIVER_DEPS"), "node_modules", "x.js"));
const { chromium } = require("playwright-core");

const FILE = join(WORKSPACE, "storage", "main.tf");
const FIX_TITLE = /Change io1 to gp3 \(saves \$637\.50\/mo\)/;
const MOD = "Control";
const t0 = Date.now();
const step = (msg) => console.log(`== e2e ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${msg}`);

const original = readFileSync(FILE, "utf8");
if (!/type\s+=\s+"io1"\s*\n\s*size\s+=\s+500/.test(original)) {
  throw new Error(`${FILE} is not the storage example with the io1 scratch volume`);
}

const profile = process.env.ADVISOR_E2E_PROFILE || mkdtempSync(join(tmpdir(), "advisor-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 760 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
  ],
});
const killer = setTimeout(() => {
  console.error(`e2e: no result after ${TIMEOUT_S} s`);
  void shoot("timeout").finally(() => process.exit(1));
}, TIMEOUT_S * 1000);

let page;
async function shoot(name, options = {}) {
  if (!page) return;
  try {
    await page.screenshot({ path: join(OUT, `${name}.png`), ...options });
  } catch (err) {
    console.error(`screenshot ${name}: ${err}`);
  }
}

async function command(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: 15_000 });
  await page.keyboard.press("Enter");
}

async function statusTotal(timeout) {
  const item = page.locator(".statusbar-item", { hasText: /\$[0-9,]+\.[0-9]{2}\/mo/ }).first();
  await item.waitFor({ state: "visible", timeout });
  return (await item.innerText()).trim();
}

function parentOf(pid) {
  // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function descendsFrom(pid, ancestor) {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === ancestor) return true;
    p = parentOf(p);
  }
  return false;
}

/** Process ids of the `advisor serve` language servers that this code-server started (from /proc). */
function serverPids() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const isServer = argv.some((a) => /(^|\/)advisor$/.test(a)) && argv.includes("serve");
      if (isServer && descendsFrom(Number(entry), CODE_SERVER_PID)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function until(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let failed = false;
try {
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  step(`open ${URL}`);
  await page.goto(URL, { waitUntil: "domcontentloaded" });
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 90_000 });
  await page.locator(".explorer-folders-view, .explorer-viewlet").first().waitFor({ timeout: 60_000 });

  step("open storage/main.tf (Go to File)");
  await page.locator(".monaco-workbench").click({ position: { x: 640, y: 400 } });
  await page.keyboard.press(`${MOD}+P`);
  const quickOpen = page.locator(".quick-input-widget input");
  await quickOpen.waitFor({ state: "visible", timeout: 15_000 });
  await quickOpen.fill("storage/main.tf");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "main.tf" }).first().waitFor();
  await page.keyboard.press("Enter");
  const editor = page.locator(".editor-instance .monaco-editor").first();
  await editor.waitFor({ state: "visible", timeout: 30_000 });
  await page.locator(".tab.active", { hasText: "main.tf" }).waitFor({ timeout: 30_000 });

  step("advisor.serverPath points nowhere: wait for the offer to install the server");
  const toast = page.locator(".notification-toast", { hasText: "advisor.serverPath is" }).first();
  await toast.waitFor({ state: "visible", timeout: 90_000 });
  for (const button of ["Install with pip", "Set Server Path…"]) {
    await toast.locator(".monaco-button", { hasText: button }).first().waitFor({ timeout: 10_000 });
  }
  await page.locator(".statusbar-item", { hasText: "Advisor" }).first().waitFor({ timeout: 10_000 });
  step(`offer shown: ${(await toast.locator(".notification-list-item-message").innerText()).trim()}`);
  await shoot("0-not-installed");
  if (serverPids().length !== 0) throw new Error("a server runs although advisor.serverPath is wrong");
  await toast.hover();
  await toast.locator(".codicon-notifications-clear, .codicon-close").first().click().catch(() => {});

  step("set advisor.serverPath to the real server: the extension restarts by itself");
  writeFileSync(MACHINE_SETTINGS, `${JSON.stringify({ "advisor.serverPath": ADVISOR_BIN }, null, 2)}\n`);
  await until("the server to start", () => serverPids().length === 1, 90_000);

  step("wait for the diagnostic (squiggle)");
  const squiggle = editor.locator(".squiggly-warning").first();
  await squiggle.waitFor({ state: "attached", timeout: 180_000 });
  step("squiggle shown");
  const before = await statusTotal(60_000);
  step(`status bar: ${before}`);
  if (!before.includes("$3,655.50/mo")) throw new Error(`unexpected status bar total: ${before}`);
  const lens = editor.locator(".contentWidgets .codelens-decoration, .codelens-decoration").first();
  await lens.waitFor({ state: "attached", timeout: 30_000 });
  step(`code lens: ${(await lens.innerText()).trim()}`);
  await shoot("1-diagnostics");

  step("go to line 15:23 and open the quick fix menu");
  await page.keyboard.press(`${MOD}+G`);
  await quickOpen.waitFor({ state: "visible", timeout: 15_000 });
  await quickOpen.fill(":15:23");
  await page.keyboard.press("Enter");
  await quickOpen.waitFor({ state: "hidden", timeout: 15_000 });
  await page.keyboard.press(`${MOD}+.`);
  const menu = page.locator(".action-widget");
  const fix = menu.locator(".action-widget-action-list .monaco-list-row, .monaco-list-row", { hasText: FIX_TITLE }).first();
  await fix.waitFor({ state: "visible", timeout: 30_000 });
  const titles = (await menu.locator(".monaco-list-row").allInnerTexts()).map((s) => s.trim()).filter(Boolean);
  step(`quick fixes: ${titles.join(" | ")}`);
  await fix.hover();
  await shoot("2-quickfix"); // docs/images/vscode-quickfix.png is this picture

  step("apply the fix and save");
  await fix.click();
  await fix.waitFor({ state: "hidden", timeout: 15_000 });
  // the edit arrives after codeAction/resolve: save once the buffer is modified
  const activeTab = page.locator(".tab.active", { hasText: "main.tf" });
  await page.locator(".tab.active.dirty", { hasText: "main.tf" }).waitFor({ timeout: 30_000 });
  await editor.locator(".view-line", { hasText: /type\s+=\s+"gp3"/ }).first().waitFor({ timeout: 15_000 });
  step('the buffer has type = "gp3"');
  await page.keyboard.press(`${MOD}+S`);
  await page.waitForFunction((el) => !el.classList.contains("dirty"), await activeTab.elementHandle(), {
    timeout: 30_000,
  });

  const deadline = Date.now() + 30_000;
  let saved = original;
  while (Date.now() < deadline) {
    saved = readFileSync(FILE, "utf8");
    if (saved !== original) break;
    await page.waitForTimeout(200);
  }
  const scratch = saved.split('resource "aws_ebs_volume" "ledger"')[0];
  if (!/type\s+=\s+"gp3"/.test(scratch) || /"io1"/.test(scratch)) {
    throw new Error(`the file on disk was not fixed:\n${saved}`);
  }
  if (!/"ledger"\s*\{[^}]*type\s+=\s+"io1"/.test(saved)) {
    throw new Error(`the fix touched more than the scratch volume:\n${saved}`);
  }
  step("file on disk changed: scratch volume is gp3, ledger still io1");

  const after = await page
    .locator(".statusbar-item", { hasText: "$3,018.00/mo" })
    .first()
    .waitFor({ state: "visible", timeout: 60_000 })
    .then(() => "$3,018.00/mo");
  step(`status bar after the fix: ${after}`);
  // the lenses show the same analysis as the status bar and the diagnostics: the new file total, and
  // the fixed volume's own lens (gp3 now), with nothing left of the io1 figures
  const lenses = editor.locator(".codelens-decoration");
  await lenses.filter({ hasText: "Advisor: $3,018.00/mo in this file" }).first().waitFor({ state: "attached", timeout: 60_000 });
  await lenses.filter({ hasText: /^\s*\$75\.00\/mo\s*$/ }).first().waitFor({ state: "attached", timeout: 30_000 });
  const lensTexts = (await lenses.allInnerTexts()).map((t) => t.trim());
  step(`code lenses after the fix: ${lensTexts.join(" | ")}`);
  const stale = lensTexts.filter((t) => t.includes("$3,655.50") || t.includes("$712.50"));
  if (stale.length > 0) throw new Error(`stale code lenses after the fix: ${stale.join(" | ")}`);
  if (!(await statusTotal(5_000)).includes("$3,018.00/mo")) throw new Error("the status bar and the lenses disagree");
  await shoot("3-fixed");

  const oldPids = serverPids();
  if (oldPids.length !== 1) throw new Error(`expected one language server, found pids ${oldPids.join(", ") || "none"}`);
  step(`Advisor: Restart Language Server (server pid ${oldPids[0]})`);
  await command("Advisor: Restart Language Server");
  const newPids = await until(
    "a new server process",
    () => {
      const now = serverPids();
      return now.length === 1 && now[0] !== oldPids[0] ? now : undefined;
    },
    60_000,
  );
  step(`new server pid ${newPids[0]}; the old one has exited`);
  await page.locator(".statusbar-item", { hasText: "$3,018.00/mo" }).first().waitFor({ state: "visible", timeout: 90_000 });
  await editor.locator(".squiggly-warning").first().waitFor({ state: "attached", timeout: 90_000 });
  step("total and diagnostics are back");

  step("Advisor: Show Workspace Costs (the cost tree in the Explorer)");
  await command("Advisor: Show Workspace Costs");
  const rows = page.locator(".monaco-list-row");
  const top = rows.filter({ hasText: "Workspace" }).filter({ hasText: "$3,018.00/mo" }).first();
  await top.waitFor({ state: "visible", timeout: 60_000 });
  const root = rows.filter({ hasText: "storage" }).filter({ hasText: "$3,018.00/mo" }).first();
  await root.waitFor({ state: "visible", timeout: 15_000 });
  step(`cost tree: ${(await top.innerText()).replace(/\s+/g, " ").trim()} | ${(await root.innerText()).replace(/\s+/g, " ").trim()}`);
  await shoot("4-costs");
} catch (err) {
  failed = true;
  console.error(`e2e: ${err?.stack ?? err}`);
  await shoot("failure");
} finally {
  clearTimeout(killer);
  await context.close().catch(() => {});
  if (!process.env.ADVISOR_E2E_PROFILE) rmSync(profile, { recursive: true, force: true });
}
step(failed ? "FAILED" : "passed");
process.exit(failed ? 1 : 0);
