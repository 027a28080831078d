// SPDX-License-Identifier: MIT
// The page's cost in headless Chromium, as the DevTools protocol measures it. Prints figures;
// asserts nothing.
//
//   MODE=first BASE=...  a navigation to the first drawn graph (the page's "pd-first-graph"
//              mark, from the navigation's start, so the server's time is in) and the bytes
//              that crossed the network for it.
//   MODE=svg   BASE=...  /flamegraph.svg of the same profile, loaded alone.
//   MODE=idle  BASE=...  SECONDS=N  a live page left open: the share of the time its main
//              thread was busy (Performance.getMetrics TaskDuration), and what it fetched.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW_CORE);
const BASE = process.env.BASE;

async function launch() {
	return chromium.launch({
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
	});
}

// Bytes received (encoded: what crossed the wire, headers included) per request, by URL.
async function network(page) {
	const cdp = await page.context().newCDPSession(page);
	const urls = new Map(), seen = { bytes: 0, requests: 0, notModified: 0 };
	cdp.on("Network.responseReceived", (e) => {
		urls.set(e.requestId, e.response.url);
		if (e.response.status === 304) seen.notModified++;
	});
	cdp.on("Network.loadingFinished", (e) => {
		seen.bytes += e.encodedDataLength;
		seen.requests++;
	});
	await cdp.send("Network.enable");
	await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
	return { cdp, seen };
}

async function firstGraph(browser, url) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
	const net = await network(page);
	await page.goto(url, { waitUntil: "commit" });
	await page.waitForFunction(() => performance.getEntriesByName("pd-first-graph").length > 0, null, { timeout: 60000 });
	const ms = await page.evaluate(() => performance.getEntriesByName("pd-first-graph")[0].startTime);
	await page.close();
	return { ms, bytes: net.seen.bytes, requests: net.seen.requests };
}

// One navigation to the first drawn graph: "MS BYTES REQUESTS".
async function firstMain() {
	const browser = await launch();
	const r = await firstGraph(browser, BASE + "/");
	console.log(`${r.ms.toFixed(0)} ${r.bytes} ${r.requests}`);
	await browser.close();
}

// The same profile as the standalone SVG the page used to load: "MS BYTES FRAMES".
async function svgMain() {
	const browser = await launch();
	const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
	const net = await network(page);
	const t0 = Date.now();
	await page.goto(BASE + "/flamegraph.svg?width=1260", { waitUntil: "load", timeout: 120000 });
	const ms = Date.now() - t0;
	const frames = await page.evaluate(() => document.querySelectorAll("g.f").length);
	console.log(`${ms} ${net.seen.bytes} ${frames}`);
	await browser.close();
}

async function idleMain() {
	const seconds = Number(process.env.SECONDS || 20);
	const browser = await launch();
	const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
	const net = await network(page);
	await page.goto(BASE + "/", { waitUntil: "load" });
	await page.waitForFunction(() => performance.getEntriesByName("pd-first-graph").length > 0, null, { timeout: 60000 });
	await page.waitForTimeout(2000);
	const cdp = net.cdp;
	await cdp.send("Performance.enable");
	const metric = async (name) => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === name).value;
	const task0 = await metric("TaskDuration"), bytes0 = net.seen.bytes, req0 = net.seen.requests, nm0 = net.seen.notModified;
	const draws0 = await page.evaluate(() => Number(document.getElementById("pd-graph").dataset.draws));
	const t0 = Date.now();
	await page.waitForTimeout(seconds * 1000);
	const task1 = await metric("TaskDuration"), wall = (Date.now() - t0) / 1000;
	const draws1 = await page.evaluate(() => Number(document.getElementById("pd-graph").dataset.draws));
	const status = await page.textContent("#pd-status");
	console.log(`live page open ${wall.toFixed(1)} s: main thread busy ${(task1 - task0).toFixed(3)} s = ` +
		`${((100 * (task1 - task0)) / wall).toFixed(2)} % of the time; ${net.seen.requests - req0} requests ` +
		`(${net.seen.notModified - nm0} answered 304), ${((net.seen.bytes - bytes0) / 1e3).toFixed(0)} kB, ` +
		`${draws1 - draws0} redraws; status "${status}"`);
	await browser.close();
}

const modes = { first: firstMain, svg: svgMain, idle: idleMain };
modes[process.env.MODE]().catch((e) => {
	console.log("bench_page: " + (e && e.stack ? e.stack.split("\n").slice(0, 2).join(" ") : e));
	process.exit(1);
});
