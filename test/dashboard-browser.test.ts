/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) during a real
 * parallel run of the built br: the page shows the streams and their live logs, follows the plan
 * within a second, and its buttons pause, resume, retry and stop. Screenshots go to test-artifacts/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { ARTIFACTS, openBrowser, percentile, WATCH_LOG_LATENCY } from "./browser.ts";
import { type Dashboard, startDashboard } from "./dashboard-server.ts";
import { brAsync, brOk, tempDir, waitFor } from "./helpers.ts";
import { parallelProject } from "./parallel-project.ts";

const taskStatus = (cwd: string, id: string) =>
  (JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")).tasks as { id: string; status: string }[]).find(
    (t) => t.id === id,
  )?.status;

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** `npm run screenshots` regenerates the README's picture of a parallel run from this test. */
async function readmeScreenshot(page: Page): Promise<void> {
  const target = process.env.BR_DASHBOARD_SCREENSHOT;
  if (!target) return;
  mkdirSync(dirname(target), { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: target });
}

/** Times from the moment a log line was printed (its at= stamp) to the moment the page showed it. */
async function logLatencies(page: Page): Promise<number[]> {
  return (await page.evaluate("window.brLatencies")) as number[];
}

async function watchLogLatency(page: Page): Promise<void> {
  await page.evaluate(WATCH_LOG_LATENCY);
}

async function clickStreamButton(page: Page, stream: string, label: "Pause" | "Resume"): Promise<void> {
  await page.locator(`.stream[data-stream="${stream}"] button`, { hasText: label }).click();
}

describe("the dashboard in Chromium", () => {
  it("follows a parallel run live, and its buttons pause, resume, retry and stop it", async () => {
    const gate = join(tempDir("br-gate-"), "go");
    const p = parallelProject(4, { FAKE_AGENT_WAIT_FOR: gate, FAKE_AGENT_CHATTER: "40" }, { dependsOn: () => [] });
    brOk(["tasks", "fail", "feature-4.core", "--reason", "the tests broke"], { cwd: p.cwd });
    const dashboard: Dashboard = await startDashboard(p.cwd);
    const browser = await openBrowser();
    const run = brAsync(["run", "--parallel", "2", "--auto", "--json"], { cwd: p.cwd, env: p.env, timeoutMs: 8 * 60_000 });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      page.setDefaultTimeout(30_000);
      page.on("dialog", (dialog) => void dialog.accept());
      await page.goto(dashboard.url);
      assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
      await page.locator("#conn", { hasText: "live" }).waitFor();
      for (const stream of ["stream-1", "stream-2"])
        await page.locator(`.stream[data-stream="${stream}"] .pill`, { hasText: "working" }).waitFor({ timeout: 60_000 });
      await watchLogLatency(page);
      await page.locator("pre.log", { hasText: "at=" }).first().waitFor();
      await new Promise((r) => setTimeout(r, 3000));
      const latencies = await logLatencies(page);
      assert.ok(latencies.length > 5, `log updates seen: ${latencies.length}`);
      const p95 = percentile(latencies, 0.95);
      console.log(`# log line → page: p50 ${percentile(latencies, 0.5)} ms, p95 ${p95} ms over ${latencies.length} updates`);
      assert.ok(p95 < 1000, `log lines reach the page within a second (p95 ${p95} ms)`);
      assert.equal(await page.locator('[data-column="running"] .task').count(), 2, "two tasks run");
      await screenshot(page, "dashboard-parallel-run");
      await readmeScreenshot(page);

      // Pause and resume one stream, then pause both so the run holds after its current tasks.
      await clickStreamButton(page, "stream-1", "Pause");
      await page.locator('.stream[data-stream="stream-1"] .pill', { hasText: "paused" }).waitFor();
      assert.ok(existsSync(join(p.cwd, ".buildrunner", "state", "streams", "stream-1.pause")));
      await clickStreamButton(page, "stream-1", "Resume");
      await page.locator('.stream[data-stream="stream-1"] .pill', { hasText: "paused" }).waitFor({ state: "detached" });
      assert.ok(!existsSync(join(p.cwd, ".buildrunner", "state", "streams", "stream-1.pause")));
      for (const stream of ["stream-1", "stream-2"]) {
        await clickStreamButton(page, stream, "Pause");
        await page.locator(`.stream[data-stream="${stream}"] .pill`, { hasText: "paused" }).waitFor();
      }

      // Retry the failed task from its card.
      await page.locator('[data-column="failed"] [data-task="feature-4.core"]').click();
      await page.locator("#detail #retry").click();
      await waitFor(() => taskStatus(p.cwd, "feature-4.core") !== "failed", "the retry to reset feature-4.core", 10_000);
      await page.locator('[data-column="ready"] [data-task="feature-4.core"]').waitFor();
      await page.locator("#detail button", { hasText: "Close" }).click();

      // Let the agents finish: the board follows the plan file within a second.
      const running = await page
        .locator('[data-column="running"] .task')
        .evaluateAll((cards) => cards.map((c) => c.getAttribute("data-task")));
      writeFileSync(gate, "go");
      const first = running[0] as string;
      await waitFor(() => taskStatus(p.cwd, first) === "done", `${first} to be done`, 120_000);
      const planChangedAt = Date.now();
      await page.locator(`[data-column="done"] [data-task="${first}"]`).waitFor();
      const boardLatency = Date.now() - planChangedAt;
      console.log(`# plan file → board: ${boardLatency} ms`);
      assert.ok(boardLatency < 1000, `the board follows the plan within a second (${boardLatency} ms)`);
      for (const id of running) await page.locator(`[data-column="done"] [data-task="${id}"]`).waitFor({ timeout: 120_000 });
      await screenshot(page, "dashboard-paused");

      // Stop the run: the paused streams take no more work and it ends.
      await page.locator("#stop").click();
      const result = await run;
      assert.ok(result.code === 0 || result.code === 1, `br run ended: ${result.code}\n${result.stderr}`);
      const summary = JSON.parse(result.stdout) as { stoppedBecause?: string; done: string[] };
      assert.match(summary.stoppedBecause ?? "", /stopped from the dashboard/);
      assert.deepEqual([...summary.done].sort(), [...running].sort(), "only the tasks in flight were finished");
      assert.equal(taskStatus(p.cwd, "feature-4.core"), "ready", "the retried task waits for the next run");
      await page.locator("#run", { hasText: "stopped" }).waitFor();
      await screenshot(page, "dashboard-stopped");
    } finally {
      await browser.close();
      await dashboard.stop();
      await run;
    }
  });
});
