/** Debian's Chromium, driven by playwright-core (which never downloads a browser of its own). */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { tempDir } from "./helpers.ts";

export const CHROMIUM = "/usr/bin/chromium";
/** Without the networking flags, Chromium's background connections are refused here, many at a time. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
export const ARTIFACTS = join(import.meta.dirname, "..", "test-artifacts");

/** A headless Chromium with a fresh profile. */
export async function openBrowser(): Promise<BrowserContext> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  return chromium.launchPersistentContext(tempDir("br-chromium-"), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** Runs in the page (as text: the tests are typed without the DOM's types): collects, for each
 * change of a live log, the time since its newest line was printed (the line's at= stamp). */
export const WATCH_LOG_LATENCY = `(() => {
  const latencies = [];
  window.brLatencies = latencies;
  new MutationObserver(() => {
    for (const pre of document.querySelectorAll("pre.log")) {
      const stamps = [...(pre.textContent || "").matchAll(/at=(\\d+)/g)];
      const last = stamps.at(-1);
      if (last) latencies.push(Date.now() - Number(last[1]));
    }
  }).observe(document.getElementById("streams"), { childList: true, subtree: true, characterData: true });
})()`;

export const percentile = (values: readonly number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? Number.NaN;
