// SPDX-License-Identifier: MIT
// The page in headless Chromium (Debian's, driven by playwright-core), against a profd that is
// sampling known-answer workloads. Prints one "PASS name" / "FAIL name: why" line per check and
// saves a screenshot per step.
//
// Environment: PW_CORE (path of the playwright-core package), BASE (http://127.0.0.1:PORT),
// ART (screenshot folder), WL_PID (split3's pid), HOSTILE_PID (the process named
// "<img src=x onerror=alert(1)>"), SHARE (work_a's designed share, %), TOL (points).
import { createRequire } from "node:module";
import path from "node:path";
import fs from "node:fs";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW_CORE);
const BASE = process.env.BASE;
const ART = process.env.ART;
const WL_PID = Number(process.env.WL_PID);
const HOSTILE_PID = Number(process.env.HOSTILE_PID || 0);
const SHARE = Number(process.env.SHARE || 60);
const TOL = Number(process.env.TOL || 5);
const HOSTILE = "<img src=x onerror=alert(1)>".slice(0, 15); // the kernel keeps 15 bytes

let failures = 0;
const pass = (name) => console.log("PASS browser." + name);
const fail = (name, why) => {
	failures++;
	console.log("FAIL browser." + name + ": " + String(why).replace(/\s+/g, " ").slice(0, 400));
};
const check = (name, ok, why) => (ok ? pass(name) : fail(name, why));
const near = (got, want, tol) => Number.isFinite(got) && Math.abs(got - want) <= tol;

async function shot(page, name) {
	await page.screenshot({ path: path.join(ART, name + ".png") });
}

// Waits until the graph shown in container (not one still loading) comes from a URL that
// contains every string in want and has frames drawn.
async function waitGraph(page, container, want, timeout = 20000) {
	await page.waitForFunction(
		([id, want]) => {
			const objs = document.querySelectorAll("#" + id + " object:not(.loading)");
			const o = objs[objs.length - 1];
			if (!o || !want.every((w) => o.data.includes(w))) return false;
			const d = o.contentDocument;
			return !!(d && d.querySelector("svg g.f, svg #empty"));
		},
		[container, want],
		{ timeout },
	);
}

// Facts about the flame graph shown in container, from inside its document.
function graphFacts(page, container, name) {
	return page.evaluate(
		([id, name]) => {
			const objs = document.querySelectorAll("#" + id + " object:not(.loading)");
			const o = objs[objs.length - 1];
			const d = o.contentDocument;
			const frames = Array.from(d.querySelectorAll("g.f")).map((g) => {
				const r = g.querySelector("rect");
				return {
					title: g.querySelector("title").textContent,
					d: +g.getAttribute("data-d"),
					n: +g.getAttribute("data-n"),
					x: +r.getAttribute("x"),
					y: +r.getAttribute("y"),
					w: +r.getAttribute("width"),
					fill: r.getAttribute("fill"),
					hidden: g.classList.contains("hide"),
				};
			});
			const root = frames.find((f) => f.d === 0);
			const hits = frames.filter((f) => f.title.startsWith(name + " ("));
			const ob = o.getBoundingClientRect();
			let box = null;
			const g = Array.from(d.querySelectorAll("g.f")).find((g) =>
				g.querySelector("title").textContent.startsWith(name + " ("));
			if (g) {
				const b = g.querySelector("rect").getBoundingClientRect();
				box = { x: ob.x + b.x + b.width / 2, y: ob.y + b.y + b.height / 2 };
			}
			return {
				url: o.data,
				title: (d.getElementById("title") || {}).textContent || "",
				rootW: root ? root.w : 0,
				rootY: root ? root.y : 0,
				hitsW: hits.reduce((s, f) => s + f.w, 0),
				hitsN: hits.reduce((s, f) => s + f.n, 0),
				rootN: root ? root.n : 0,
				hitY: hits.length ? hits[0].y : -1,
				hitW: hits.length ? Math.max(...hits.map((f) => f.w)) : 0,
				searched: frames.filter((f) => f.fill === "rgb(230,0,230)").length,
				unzoomOff: d.getElementById("unzoom") ? d.getElementById("unzoom").classList.contains("off") : null,
				imgs: d.getElementsByTagNameNS("*", "img").length + d.getElementsByTagNameNS("*", "script").length - 1,
				titles: frames.map((f) => f.title),
				box,
			};
		},
		[container, name],
	);
}

// Samples of frames named child drawn inside the span of the frame named parent (a comm), and
// the parent's own: the graph may hold other programs with frames of the same name.
function nestedSamples(page, container, parent, child) {
	return page.evaluate(
		([id, parent, child]) => {
			const objs = document.querySelectorAll("#" + id + " object:not(.loading)");
			const d = objs[objs.length - 1].contentDocument;
			const frames = Array.from(d.querySelectorAll("g.f")).map((g) => {
				const r = g.querySelector("rect");
				return { title: g.querySelector("title").textContent, d: +g.getAttribute("data-d"),
					n: +g.getAttribute("data-n"), x: +r.getAttribute("x"), w: +r.getAttribute("width") };
			});
			const p = frames.find((f) => f.title.startsWith(parent + " ("));
			if (!p) return { parentN: 0, childN: 0 };
			const inside = (f) => f.d > p.d && f.x >= p.x - 0.01 && f.x + f.w <= p.x + p.w + 0.01;
			const childN = frames.filter((f) => f.title.startsWith(child + " (") && inside(f))
				.reduce((s, f) => s + f.n, 0);
			return { parentN: p.n, childN };
		},
		[container, parent, child],
	);
}

async function main() {
	const browser = await chromium.launch({
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
	});
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
	const origin = new URL(BASE).origin;
	const requests = [], external = [], dialogs = [], errors = [];
	// The network is off as far as the page knows: anything not for profd is refused and counted.
	await context.route("**/*", (route) => {
		const url = route.request().url();
		requests.push(url);
		if (new URL(url).origin === origin) return route.continue();
		external.push(url);
		return route.abort();
	});
	const page = await context.newPage();
	page.on("dialog", (d) => {
		dialogs.push(d.type() + ": " + d.message());
		d.dismiss().catch(() => {});
	});
	page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
	page.on("console", (m) => {
		if (m.type() === "error") errors.push("console: " + m.text());
	});

	await page.goto(BASE + "/", { waitUntil: "load" });
	const wlValue = JSON.stringify({ pid: WL_PID, comm: "split3" });
	await page.waitForFunction((v) => Array.from(document.querySelectorAll("#pd-target option")).some((o) => o.value === v), wlValue, { timeout: 20000 });
	await waitGraph(page, "pd-graph", ["/flamegraph.svg"]);
	pass("page_loads");
	await shot(page, "01-all-processes");

	// Keyboard: Tab reaches the process picker.
	let focused = "";
	for (let i = 0; i < 10 && focused !== "pd-target"; i++) {
		await page.keyboard.press("Tab");
		focused = await page.evaluate(() => (document.activeElement || {}).id || "");
	}
	check("keyboard_reaches_picker", focused === "pd-target", "focus went to " + focused);

	// Hold the picture still while measuring; then pick the workload.
	await page.click("#pd-live");
	check("live_toggle", (await page.getAttribute("#pd-live", "aria-pressed")) === "false", "Live did not switch to Paused");
	await page.selectOption("#pd-target", wlValue);
	await waitGraph(page, "pd-graph", ["pid=" + WL_PID]);
	let f = await graphFacts(page, "pd-graph", "work_a");
	const drawn = (100 * f.hitsW) / f.rootW;
	check("work_a_width", near(drawn, SHARE, TOL),
		`work_a drawn ${drawn.toFixed(1)}% of the width (${f.hitsN}/${f.rootN} samples), want ${SHARE} ± ${TOL}`);
	console.log(`# work_a drawn at ${drawn.toFixed(1)}% (${f.hitsN} of ${f.rootN} samples)`);
	await shot(page, "02-split3");

	// Search: the graph's own search, from the page's search box.
	await page.fill("#pd-search", "^work_a$");
	await page.press("#pd-search", "Enter");
	await page.waitForFunction(() => /Matched/.test(document.getElementById("pd-matched").textContent), null, { timeout: 5000 });
	const matchedText = await page.textContent("#pd-matched");
	const matched = parseFloat((matchedText.match(/([\d.]+)%/) || [])[1]);
	f = await graphFacts(page, "pd-graph", "work_a");
	check("search_matched_share", near(matched, SHARE, TOL) && f.searched >= 1,
		`"${matchedText}" with ${f.searched} highlighted frames, want ${SHARE} ± ${TOL}%`);
	await shot(page, "03-search");

	// Click work_a: it fills the width, Reset Zoom appears.
	if (!f.box) {
		fail("zoom", "no work_a frame to click");
	} else {
		const before = f.hitW;
		await page.mouse.click(f.box.x, f.box.y);
		await page.waitForTimeout(300);
		f = await graphFacts(page, "pd-graph", "work_a");
		check("zoom", f.hitW >= 0.98 * f.rootW && f.hitW > before && f.unzoomOff === false,
			`work_a width ${before} -> ${f.hitW} of ${f.rootW}, unzoom off=${f.unzoomOff}`);
		check("zoom_pauses_live", (await page.getAttribute("#pd-live", "aria-pressed")) === "false", "still live after zoom");
		await shot(page, "04-zoom");
	}

	// Icicle: root at the top.
	await page.check("#pd-icicle");
	await waitGraph(page, "pd-graph", ["pid=" + WL_PID, "icicle=1"]);
	f = await graphFacts(page, "pd-graph", "work_a");
	check("icicle", /Icicle/.test(f.title) && f.rootY < f.hitY, `title "${f.title}", root y ${f.rootY}, work_a y ${f.hitY}`);
	await shot(page, "05-icicle");
	await page.uncheck("#pd-icicle");

	// Top functions: a table, sortable.
	await page.click("#pd-tab-top");
	await page.waitForFunction(() => document.querySelectorAll("#pd-top tbody tr").length > 0, null, { timeout: 10000 });
	const firstName = await page.textContent("#pd-top tbody tr td.name");
	check("top_table", firstName === "work_a", `first row by self is "${firstName}"`);
	await page.click("#pd-top th:nth-child(3) button");
	const sortAttr = await page.getAttribute("#pd-top th:nth-child(3)", "aria-sort");
	// By total: the column falls row by row, a root frame (on every stack) comes first, and
	// work_a's total is its share of split3.
	const rows = await page.$$eval("#pd-top tbody tr", (trs) => trs.map((tr) => {
		const td = tr.querySelectorAll("td");
		return { name: td[0].textContent, pct: parseFloat((td[2].textContent.match(/\(([\d.]+)%\)/) || [])[1]) };
	}));
	const falling = rows.length > 1 && rows.every((r, i) => i === 0 || r.pct <= rows[i - 1].pct);
	const wa = rows.find((r) => r.name === "work_a");
	check("top_sort_total", sortAttr === "descending" && falling && rows[0].pct >= 98 && wa && near(wa.pct, SHARE, TOL),
		`sort by total: aria-sort ${sortAttr}, falling ${falling}, first "${rows[0] && rows[0].name}" ` +
		`${rows[0] && rows[0].pct}%, work_a ${wa && wa.pct}% (want ${SHARE} ± ${TOL})`);
	await shot(page, "06-top");

	// Diff: two halves of the run so far.
	await page.click("#pd-tab-diff");
	await waitGraph(page, "pd-diff", ["/diff.svg", "a=", "b="]);
	f = await graphFacts(page, "pd-diff", "work_a");
	check("diff_view", /Differential/.test(f.title) && f.titles.some((t) => / vs base\)$/.test(t)),
		`title "${f.title}", ${f.titles.length} frames`);
	await shot(page, "07-diff");
	await page.click("#pd-tab-flame");

	// Download folded: the same selection as the page shows.
	const [download] = await Promise.all([page.waitForEvent("download", { timeout: 10000 }), page.click("#pd-dl-folded")]);
	const saved = path.join(ART, "download.folded");
	await download.saveAs(saved);
	const folded = fs.readFileSync(saved, "utf8");
	check("download_folded", /^split3;.*work_a.* \d+$/m.test(folded) && !/^(?!split3;)/m.test(folded.trim()),
		`${folded.length} bytes: ${folded.slice(0, 200)}`);

	// A hostile process name is text everywhere: picker, graph, no element or script injected.
	if (HOSTILE_PID) {
		const opts = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-target option")).map((o) => o.textContent));
		check("hostile_name_in_picker_as_text", opts.some((t) => t.startsWith(HOSTILE)), "options: " + opts.slice(0, 8).join(" | "));
		const hv = JSON.stringify({ pid: HOSTILE_PID, comm: HOSTILE });
		await page.selectOption("#pd-target", hv);
		await waitGraph(page, "pd-graph", ["pid=" + HOSTILE_PID]);
		f = await graphFacts(page, "pd-graph", HOSTILE);
		check("hostile_name_in_graph_as_text", f.titles.some((t) => t.startsWith(HOSTILE + " (")) && f.imgs === 0,
			`frames ${f.titles.slice(0, 4).join(" | ")}; img/extra script elements ${f.imgs}`);
		await shot(page, "08-hostile");
		await page.selectOption("#pd-target", "");
		await waitGraph(page, "pd-graph", ["/flamegraph.svg"]);
		await page.click("#pd-tab-top");
		await page.waitForTimeout(500);
	}
	const injected = await page.evaluate(() => document.querySelectorAll("img, body script, iframe").length);
	check("no_injected_elements", injected === 0, `${injected} img/script/iframe elements in the page body`);
	check("no_dialogs", dialogs.length === 0, dialogs.join("; "));
	check("no_page_errors", errors.length === 0, errors.join("; "));
	check("no_external_requests", external.length === 0 && requests.length > 0,
		`${external.length} of ${requests.length} requests left 127.0.0.1: ${external.slice(0, 3).join(" ")}`);
	console.log(`# ${requests.length} requests, all to ${origin}`);

	// Readable at 1280x800: nothing wider than the window but the graph's own scroller.
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	check("fits_1280", overflow <= 0, `page is ${overflow}px wider than the window`);
	await page.click("#pd-tab-flame");
	await page.click("#pd-live");
	await page.waitForTimeout(500);
	await shot(page, "09-final");
	await browser.close();
}

// Against profd agent: the history picker sets a wall-clock range, the graph and the downloads
// use it, the URL carries it and reproduces the view.
async function agentMain() {
	const browser = await chromium.launch({
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
	});
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await context.newPage();
	const errors = [];
	page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
	page.on("console", (m) => {
		if (m.type() === "error") errors.push("console: " + m.text());
	});
	await page.goto(BASE + "/", { waitUntil: "load" });
	await page.waitForSelector("#pd-history:not([hidden])", { timeout: 20000 });
	await page.waitForFunction(() => /^Stored: /.test(document.getElementById("pd-store").textContent), null, { timeout: 20000 });
	pass("agent.picker_shown");

	// Labels name the inputs, so a screen reader (and getByLabel) finds them.
	const from = page.getByLabel("From", { exact: true }), to = page.getByLabel("to", { exact: true });
	check("agent.picker_labels", (await from.getAttribute("id")) === "pd-wall-from" && (await to.getAttribute("id")) === "pd-wall-to",
		"labels do not name the inputs");

	// The range: what split3 ran through, typed into the picker in local time, sent with the keyboard.
	const local = (ms) => page.evaluate((ms) => {
		const d = new Date(ms), p = (n) => String(n).padStart(2, "0");
		return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" +
			p(d.getMinutes()) + ":" + p(d.getSeconds());
	}, ms);
	const fromMs = Math.floor(Number(process.env.WALL_FROM_MS) / 1000) * 1000;
	const toMs = Math.ceil(Number(process.env.WALL_TO_MS) / 1000) * 1000;
	await from.fill(await local(fromMs));
	await to.fill(await local(toMs));
	await to.press("Enter");
	const wantFrom = new Date(fromMs).toISOString().replace(/\.000Z$/, "Z");
	const wantTo = new Date(toMs).toISOString().replace(/\.000Z$/, "Z");
	const enc = (v) => new URLSearchParams({ x: v }).toString().slice(2);
	await waitGraph(page, "pd-graph", ["from=" + enc(wantFrom), "to=" + enc(wantTo)]);
	let f = await graphFacts(page, "pd-graph", "work_a");
	const s3 = await nestedSamples(page, "pd-graph", "split3", "work_a");
	const subtitle = await page.evaluate(() => {
		const o = document.querySelector("#pd-graph object:not(.loading)");
		const el = o && o.contentDocument.getElementById("subtitle");
		return el ? el.textContent : "";
	});
	// Of split3's samples (counted inside its frame: other programs have a work_a too), work_a
	// takes its designed share.
	const rangeShare = (100 * s3.childN) / s3.parentN;
	check("agent.range_graph_has_work_a", near(rangeShare, SHARE, TOL) && / UTC$/.test(subtitle),
		`work_a ${s3.childN} of split3's ${s3.parentN} samples (${rangeShare.toFixed(1)}%, want ${SHARE} ± ${TOL}), ` +
		`subtitle "${subtitle}", ${f.url}`);
	const u = new URL(page.url());
	check("agent.url_carries_range", u.searchParams.get("from") === wantFrom && u.searchParams.get("to") === wantTo,
		`page URL ${page.url()}, want from=${wantFrom} to=${wantTo}`);
	const dl = await page.getAttribute("#pd-dl-folded", "href");
	check("agent.downloads_use_range", dl.includes("from=" + enc(wantFrom)) && dl.includes("to=" + enc(wantTo)), "folded link " + dl);
	await shot(page, "10-agent-range");

	// The link alone reproduces the view.
	const link = page.url();
	const page2 = await context.newPage();
	await page2.goto(link, { waitUntil: "load" });
	await waitGraph(page2, "pd-graph", ["from=" + enc(wantFrom), "to=" + enc(wantTo)]);
	const f2 = await graphFacts(page2, "pd-graph", "work_a");
	const v2 = await page2.inputValue("#pd-wall-from");
	// A datetime-local input drops ":00" seconds: compare the times, not the spellings.
	const v2ms = await page2.evaluate((v) => new Date(v).getTime(), v2);
	check("agent.link_reproduces", f2.rootN === f.rootN && f2.hitsN === f.hitsN && v2ms === fromMs,
		`${f2.rootN} samples vs ${f.rootN}, from input "${v2}"`);
	await page2.close();

	// A quick button, from the keyboard: the last 15 minutes hold split3 too.
	await page.focus("#pd-history button[data-last='900']");
	await page.keyboard.press("Enter");
	await page.waitForFunction((old) => new URL(location.href).searchParams.get("from") !== old, wantFrom, { timeout: 10000 });
	const q = new URL(page.url()).searchParams;
	const span = Date.parse(q.get("to")) - Date.parse(q.get("from"));
	await waitGraph(page, "pd-graph", ["from=" + enc(q.get("from"))]);
	f = await graphFacts(page, "pd-graph", "work_a");
	check("agent.quick_last_15_min", span === 900000 && f.hitsN > 0, `span ${span} ms, work_a ${f.hitsN} samples`);
	await shot(page, "11-agent-quick");

	// Back to live: the range leaves the URL.
	await page.click("#pd-wall-clear");
	await page.waitForFunction(() => !location.search, null, { timeout: 5000 });
	check("agent.back_to_live", (await page.getAttribute("#pd-live", "aria-pressed")) === "true", "Live not back on");
	check("agent.no_page_errors", errors.length === 0, errors.join("; "));
	await browser.close();
}

(process.env.AGENT ? agentMain() : main()).catch((e) => {
	fail("run", e && e.stack ? e.stack.split("\n").slice(0, 3).join(" ") : e);
	process.exit(1);
}).then(() => process.exit(failures ? 1 : 0));
