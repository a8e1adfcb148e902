// Drives code-server in headless Chromium (playwright-core, Debian's chromium): opens storage/main.tf,
// waits for Advisor's squiggle and the status bar total, applies the io1 → gp3 quick fix, saves, and checks
// the file on disk and that the code lenses show the new figures, as the status bar does. Then the same on
// batch/ (a root module of two files calling two local modules), where lenses, hover, squiggles, status bar
// and the cost tree are checked against prices worked out here and against `advisor cost`. Screenshots go
// to $ADVISOR_E2E_OUT. Started by run.sh, which passes the environment.
import { execFileSync } from "node:child_process";
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
const BATCH_VOLUMES = join(WORKSPACE, "batch", "volumes.tf");

// AWS's published on-demand prices, us-east-1 (EBS and EC2 pricing pages), USD per month or hour
const IO1_GB = 0.125; // per GB-month
const IO1_IOPS = 0.065; // per provisioned IOPS-month
const GP3_GB = 0.08; // per GB-month, 3,000 IOPS and 125 MB/s included
const M5_LARGE_HOUR = 0.096; // Linux on demand; AWS's month is 730 hours
const STAGING_IO1 = 200 * IO1_GB + 3000 * IO1_IOPS; // batch/volumes.tf: io1, 200 GB, 3,000 IOPS
const STAGING_GP3 = 200 * GP3_GB;
const LOGS = 100 * GP3_GB; // batch/volumes.tf: gp3, 100 GB
const SCRATCH = 500 * IO1_GB + 10000 * IO1_IOPS; // module "scratch": io1, 500 GB, 10,000 IOPS
const WORKER = M5_LARGE_HOUR * 730 + 20 * GP3_GB; // module "worker": m5.large, 20 GB gp3 root volume
const STORAGE_FIXED = 3018.0; // examples/storage once its scratch volume is gp3 (the figure checked above)
const dollars = (x) => `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
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

async function openFile(relative) {
  step(`open ${relative} (Go to File)`);
  await page.keyboard.press("F1"); // the palette without its ">": Go to File
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(relative);
  const name = relative.split("/").pop();
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".tab.active", { hasText: name }).waitFor({ timeout: 30_000 });
}

async function goTo(where) {
  await page.keyboard.press(`${MOD}+G`);
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(where);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden", timeout: 15_000 });
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

  // -- batch/: a root module of two files whose main.tf only calls local modules ----------------------
  await openFile("batch/main.tf");
  const mainTotal = `${dollars(SCRATCH + WORKER)}/mo`;
  const lensesOf = () => editor.locator(".codelens-decoration");
  await lensesOf().filter({ hasText: `Advisor: ${mainTotal} in this file (0 resources, 2 module calls)` }).first().waitFor({ state: "attached", timeout: 60_000 });
  await lensesOf().filter({ hasText: `${dollars(SCRATCH)}/mo · 1 finding` }).first().waitFor({ state: "attached", timeout: 15_000 });
  await lensesOf().filter({ hasText: `${dollars(WORKER)}/mo · 1 finding` }).first().waitFor({ state: "attached", timeout: 15_000 });
  await page.locator(".statusbar-item", { hasText: mainTotal }).first().waitFor({ state: "visible", timeout: 30_000 });
  step(`batch/main.tf lenses: ${(await lensesOf().allInnerTexts()).map((t) => t.trim()).join(" | ")}`);

  await openFile("batch/volumes.tf");
  await editor.locator(".squiggly-warning").first().waitFor({ state: "attached", timeout: 60_000 });
  await lensesOf().filter({ hasText: new RegExp(`^\\s*\\${dollars(STAGING_IO1)}/mo\\s*$`) }).first().waitFor({ state: "attached", timeout: 30_000 });
  await page.locator(".statusbar-item", { hasText: `${dollars(STAGING_IO1 + LOGS)}/mo` }).first().waitFor({ state: "visible", timeout: 30_000 });
  step(`batch/volumes.tf: squiggle, lenses ${(await lensesOf().allInnerTexts()).map((t) => t.trim()).join(" | ")}`);

  const batchFix = `Change io1 to gp3 (saves ${dollars(STAGING_IO1 - STAGING_GP3)}/mo)`;
  step(`go to line 4:23 and apply "${batchFix}" from the quick fix menu`);
  await goTo(":4:23");
  await page.keyboard.press(`${MOD}+.`);
  const batchRow = menu.locator(".monaco-list-row", { hasText: batchFix }).first();
  await batchRow.waitFor({ state: "visible", timeout: 30_000 });
  await batchRow.click();
  await page.locator(".tab.active.dirty", { hasText: "volumes.tf" }).waitFor({ timeout: 30_000 });
  await page.keyboard.press(`${MOD}+S`);
  await until("volumes.tf on disk to be fixed", () => /"staging"\s*\{[^}]*type\s+=\s+"gp3"/.test(readFileSync(BATCH_VOLUMES, "utf8")), 30_000);
  step("batch/volumes.tf on disk: the staging volume is gp3");

  // after the edit: the squiggle goes; lenses, status bar and hover show the gp3 figure
  const fileAfter = `${dollars(STAGING_GP3 + LOGS)}/mo`;
  await lensesOf().filter({ hasText: `Advisor: ${fileAfter} in this file (2 resources)` }).first().waitFor({ state: "attached", timeout: 60_000 });
  await lensesOf().filter({ hasText: new RegExp(`^\\s*\\${dollars(STAGING_GP3)}/mo\\s*$`) }).first().waitFor({ state: "attached", timeout: 30_000 });
  await page.locator(".statusbar-item", { hasText: fileAfter }).first().waitFor({ state: "visible", timeout: 30_000 });
  const batchLenses = (await lensesOf().allInnerTexts()).map((t) => t.trim());
  if (batchLenses.some((t) => t.includes(dollars(STAGING_IO1)))) throw new Error(`stale lens: ${batchLenses.join(" | ")}`);
  const squiggles = editor.locator(".squiggly-warning, .squiggly-error, .squiggly-info");
  const cleared = Date.now() + 30_000;
  while ((await squiggles.count()) > 0) {
    if (Date.now() > cleared) throw new Error(`a squiggle is left on batch/volumes.tf after the fix`);
    await page.waitForTimeout(200);
  }
  step(`after the fix: no squiggle, status bar ${fileAfter}, lenses ${batchLenses.join(" | ")}`);
  await goTo(":2:12");
  await command("Show or Focus Hover");
  const hover = page.locator(".monaco-hover", { hasText: "aws_ebs_volume.staging" }).first();
  await hover.waitFor({ state: "visible", timeout: 30_000 });
  const hoverText = (await hover.innerText()).replace(/\s+/g, " ");
  if (!hoverText.includes(dollars(STAGING_GP3)) || hoverText.includes(dollars(STAGING_IO1))) {
    throw new Error(`hover after the fix: ${hoverText}`);
  }
  step(`hover: ${hoverText.slice(0, 160)}`);
  await shoot("4-batch-fixed");
  await page.keyboard.press("Escape");

  // the workspace: the cost tree's total is `advisor cost` on the saved folders, and the prices' sum
  const workspaceTotal = STORAGE_FIXED + STAGING_GP3 + LOGS + SCRATCH + WORKER;
  const cost = JSON.parse(execFileSync(ADVISOR_BIN, ["cost", "-f", "json", WORKSPACE], { encoding: "utf8" }));
  if (dollars(cost.total) !== dollars(workspaceTotal)) {
    throw new Error(`advisor cost says ${cost.total}, the prices ${dollars(workspaceTotal)}`);
  }
  step("Advisor: Show Workspace Costs (the cost tree in the Explorer)");
  await command("Advisor: Show Workspace Costs");
  const rows = page.locator(".monaco-list-row");
  const top = rows.filter({ hasText: "Workspace" }).filter({ hasText: `${dollars(cost.total)}/mo` }).first();
  await top.waitFor({ state: "visible", timeout: 60_000 });
  const root = rows.filter({ hasText: "storage" }).filter({ hasText: "$3,018.00/mo" }).first();
  await root.waitFor({ state: "visible", timeout: 15_000 });
  const batchRoot = rows.filter({ hasText: "batch" }).filter({ hasText: `${dollars(workspaceTotal - STORAGE_FIXED)}/mo` }).first();
  await batchRoot.waitFor({ state: "visible", timeout: 15_000 });
  const line = async (row) => (await row.innerText()).replace(/\s+/g, " ").trim();
  step(`cost tree: ${await line(top)} | ${await line(root)} | ${await line(batchRoot)}`);
  // the picture of the view in the README: the folder list folded away, the side bar made wider
  await page.locator(".pane-header", { hasText: /^\s*workspace/i }).first().click().catch(() => {});
  const sidebar = page.locator(".part.sidebar").first();
  const box = await sidebar.boundingBox();
  if (box) {
    await page.mouse.move(box.x + box.width + 1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width + 220, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
  }
  // open three files to their resources
  const volumesRow = rows.filter({ hasText: "batch/volumes.tf" }).filter({ hasText: fileAfter }).first();
  await volumesRow.locator(".monaco-tl-twistie").click();
  await rows.filter({ hasText: "aws_ebs_volume.staging" }).filter({ hasText: `${dollars(STAGING_GP3)}/mo` }).first().waitFor({ state: "visible", timeout: 15_000 });
  await rows.filter({ hasText: "batch/modules/disk/main.tf" }).first().locator(".monaco-tl-twistie").click();
  await rows.filter({ hasText: "storage/main.tf" }).first().locator(".monaco-tl-twistie").click();
  await rows.filter({ hasText: "aws_ebs_volume.ledger" }).first().waitFor({ state: "visible", timeout: 15_000 });
  await rows.filter({ hasText: "module.scratch.aws_ebs_volume.this" }).filter({ hasText: `${dollars(SCRATCH)}/mo` }).first().waitFor({ state: "visible", timeout: 15_000 });
  await shoot("5-costs");
  await page.waitForTimeout(500);
  const area = await sidebar.evaluate((el) => {
    const side = el.getBoundingClientRect();
    const bottoms = [...el.querySelectorAll(".monaco-list-row")]
      .map((row) => row.getBoundingClientRect())
      .filter((r) => r.height > 0)
      .map((r) => r.bottom);
    return { x: side.x, y: side.y, width: side.width, height: Math.min(side.height, Math.max(...bottoms) - side.y + 12) };
  });
  await page.screenshot({ path: join(OUT, "tree-view.png"), clip: area });
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
