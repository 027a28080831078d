// SPDX-License-Identifier: MIT
// The page in headless Chromium (Debian's, driven by playwright-core), checked as a user sees
// it: pixels of the canvas the flame graph is drawn on, the text the page shows, the URL. Prints
// one "PASS name" / "FAIL name: why" line per check and saves a screenshot per step.
//
// The runs, chosen by MODE:
//   live  (default) profd -a sampling known-answer workloads: split3 (work_a designed at 60 % of
//         its CPU; three processes of it), and a process named "<img src=x onerror=alert(1)>".
//   serve profd serve A B C D: the diff labelled with the file names, red and blue where they
//         must be; a zoom past the detail the page has; a C++ name short, then whole.
//   quiet profd -p PID of a process that stopped using CPU: refreshes cost a 304, no redraw.
//   agent profd agent -p (split3 alone): the history picker sets a wall-clock range, the URL
//         carries it, the range shows work_a at its designed share.
//   units profd agent --cgroup over two cgroups shaped as units (test_fleet.sh): the picker
//         groups by unit, a unit or a program in it is one choice, the graph is that cgroup's.
//   offcpu profd --off-cpu -p PID of tests/workloads/offcpu: the measure picker, time in the
//         graph and the table, each waiting thread a quarter of the off-CPU time, the wall view.
//
// Environment: PW_CORE (path of playwright-core), BASE (http://127.0.0.1:PORT), ART (screenshot
// folder), WL_PID (split3's pid), WL_COPIES (how many split3 processes ran), HOSTILE_PID,
// SHARE (work_a's designed share, %), TOL (points), FILE_A / FILE_B / FILE_C / FILE_D (serve),
// WALL_FROM_MS / WALL_TO_MS (agent), CGROUP_ROOT and UNIT_A / UNIT_B running recurse and
// split3 (units).
import { createRequire } from "node:module";
import path from "node:path";
import fs from "node:fs";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW_CORE);
const BASE = process.env.BASE;
const ART = process.env.ART;
const WL_PID = Number(process.env.WL_PID);
const WL_COPIES = Number(process.env.WL_COPIES || 1);
const HOSTILE_PID = Number(process.env.HOSTILE_PID || 0);
const SHARE = Number(process.env.SHARE || 60);
const TOL = Number(process.env.TOL || 5);
const HOSTILE = "<img src=x onerror=alert(1)>".slice(0, 15); // the kernel keeps 15 bytes
const FRAME_H = 16;

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

async function launch() {
	return chromium.launch({
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
	});
}

// Errors and dialogs of a page, for the last checks.
function watch(page) {
	const w = { dialogs: [], errors: [] };
	page.on("dialog", (d) => {
		w.dialogs.push(d.type() + ": " + d.message());
		d.dismiss().catch(() => {});
	});
	page.on("pageerror", (e) => w.errors.push("pageerror: " + e.message));
	page.on("console", (m) => {
		if (m.type() === "error") w.errors.push("console: " + m.text());
	});
	return w;
}

// Waits until the graph in box #id shows a tree whose URL holds every string of want, drawn
// after `after` draws.
async function waitGraph(page, id, want, after = 0, timeout = 20000) {
	await page.waitForFunction(
		([id, want, after]) => {
			const box = document.getElementById(id);
			const src = box.dataset.tree || "";
			return want.every((w) => src.includes(w)) && Number(box.dataset.draws || 0) > after;
		},
		[id, want, after],
		{ timeout },
	);
}

const draws = (page, id) => page.evaluate((id) => Number(document.getElementById(id).dataset.draws || 0), id);

// What the canvas in box #id shows, read from its pixels: per row (FRAME_H px, from the top)
// the count of magenta (search highlight) pixels and of painted pixels, with where a row's
// magenta starts; the canvas and window geometry.
function pixels(page, id) {
	return page.evaluate(
		([id, H]) => {
			const box = document.getElementById(id), c = box.querySelector("canvas");
			const r = c.getBoundingClientRect(), dpr = c.width / r.width;
			const ctx = c.getContext("2d"), rows = [];
			for (let y = 0; y + H <= r.height; y += H) {
				const d = ctx.getImageData(0, Math.round((y + H / 2) * dpr), c.width, 1).data;
				let magenta = 0, painted = 0, first = -1, last = -1;
				for (let x = 0; x < c.width; x++) {
					const [R, G, B, A] = [d[4 * x], d[4 * x + 1], d[4 * x + 2], d[4 * x + 3]];
					if (A > 96) painted++; // frames under a pixel wide are drawn part-transparent
					if (A > 200 && R > 200 && G < 40 && B > 200) {
						magenta++;
						if (first < 0) first = x;
						last = x;
					}
				}
				// span: from the first highlighted pixel to the last (labels print over frames).
				rows.push({ magenta: magenta / dpr, span: first < 0 ? 0 : (last - first + 1) / dpr, painted: painted / dpr, first: first / dpr });
			}
			const b = box.getBoundingClientRect();
			return { rows, width: r.width, left: r.left, top: r.top, boxTop: b.top, boxBottom: b.bottom,
				innerHeight: window.innerHeight, innerWidth: window.innerWidth };
		},
		[id, FRAME_H],
	);
}

// The root frame: its row (top in an icicle, bottom in a flame graph), where it sits in the
// window, and whether a user sees it there without scrolling: inside the window and the graph's
// box, not covered, painted across.
async function rootView(page, id, icicle) {
	const px = await pixels(page, id);
	const row = icicle ? 0 : px.rows.length - 1;
	const y = px.top + row * FRAME_H + FRAME_H / 2, x = px.left + px.width / 2;
	const onTop = await page.evaluate(([id, x, y]) => {
		const el = document.elementFromPoint(x, y);
		return !!el && el === document.querySelector("#" + id + " canvas");
	}, [id, x, y]);
	const painted = px.rows[row] ? px.rows[row].painted / px.width : 0;
	const visible = y > 0 && y < px.innerHeight && y > px.boxTop && y < px.boxBottom && onTop && painted > 0.95;
	return { row, x, y, visible, painted, rows: px.rows.length, innerHeight: px.innerHeight };
}

// What the page says about the frame under the pointer.
async function hoverText(page, x, y, details = "#pd-details") {
	await page.mouse.move(x, y);
	return (await page.textContent(details)).trim();
}

// Runs act() and waits for the graph in box #id to be drawn again.
async function redrawn(page, id, act) {
	const n = await draws(page, id);
	await act();
	await page.waitForFunction(([id, n]) => Number(document.getElementById(id).dataset.draws) > n, [id, n], { timeout: 10000 });
}

// The row with the most search highlight: the share of the width from its first highlighted
// pixel to its last (one frame here: work_a is on one path), and where to click it.
async function highlighted(page, id) {
	const px = await pixels(page, id);
	let best = -1;
	px.rows.forEach((r, i) => {
		if (best < 0 || r.magenta > px.rows[best].magenta) best = i;
	});
	const r = px.rows[best] || { span: 0, first: 0 };
	return { share: (100 * r.span) / px.width, row: best, x: px.left + r.first + 2, y: px.top + best * FRAME_H + FRAME_H / 2,
		rows: px.rows.length };
}

async function matchedShare(page) {
	const t = await page.textContent("#pd-matched");
	return parseFloat((t.match(/([\d.]+)%/) || [])[1]);
}

async function search(page, term) {
	await page.fill("#pd-search", term);
	await page.press("#pd-search", "Enter");
	await page.waitForFunction(() => /Matched/.test(document.getElementById("pd-matched").textContent), null, { timeout: 5000 });
}

// ---- profd -a ----

async function liveMain() {
	const browser = await launch();
	const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
	const origin = new URL(BASE).origin;
	const requests = [], external = [];
	// The network is off as far as the page knows: anything not for profd is refused and counted.
	await context.route("**/*", (route) => {
		const url = route.request().url();
		requests.push(url);
		if (new URL(url).origin === origin) return route.continue();
		external.push(url);
		return route.abort();
	});
	const page = await context.newPage();
	const w = watch(page);

	await page.goto(BASE + "/", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["/api/tree"]);
	pass("page_loads");
	// The whole machine: an icicle, its root in the first screen.
	let root = await rootView(page, "pd-graph", true);
	let said = await hoverText(page, root.x, root.y);
	check("root_visible_1280x720_all", root.visible && (await page.isChecked("#pd-icicle")) && /^all \(/.test(said),
		`root row ${root.row} at y ${root.y.toFixed(0)} of ${root.innerHeight}, painted ${(100 * root.painted).toFixed(0)}%, says "${said}"`);
	await shot(page, "01-all-processes");

	// Keyboard: Tab reaches the process picker.
	let focused = "";
	for (let i = 0; i < 10 && focused !== "pd-target"; i++) {
		await page.keyboard.press("Tab");
		focused = await page.evaluate(() => (document.activeElement || {}).id || "");
	}
	check("keyboard_reaches_picker", focused === "pd-target", "focus went to " + focused);

	// Hold the picture still while measuring.
	await page.click("#pd-live");
	check("live_toggle", (await page.getAttribute("#pd-live", "aria-pressed")) === "false", "Live did not switch to Paused");

	// The picker, from the keyboard: search, the program's group with its processes, one pid.
	await page.focus("#pd-target");
	await page.keyboard.press("Enter");
	await page.keyboard.type("split3");
	await page.waitForFunction(() => document.querySelectorAll("#pd-picker-list li.group").length >= 1, null, { timeout: 5000 });
	const group = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-picker-list li.group"))
		.map((li) => [li.querySelector(".name").textContent, li.querySelector(".detail").textContent]));
	// At least our copies in one group: other tests on this machine may run split3 too, or
	// programs whose names hold it (split3fp), which the search shows as groups of their own.
	const ours = group.findIndex((g) => g[0] === "split3");
	const inGroup = ours >= 0 ? Number((group[ours][1].match(/^([\d,]+) processes/) || ["", "0"])[1].replace(/,/g, "")) : 0;
	check("picker_groups_by_program", group.filter((g) => g[0] === "split3").length === 1 && inGroup >= WL_COPIES,
		"groups: " + group.map((g) => g.join(" ")).join(" | "));
	for (let i = 0; i <= ours; i++) await page.keyboard.press("ArrowDown"); // past "All processes"
	await page.keyboard.press("ArrowRight");
	const procs = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-picker-list li.proc .name")).map((e) => e.textContent));
	check("picker_lists_processes", procs.length === inGroup && procs.includes("pid " + WL_PID), "processes: " + procs.join(", "));
	await shot(page, "02-picker");
	const at = procs.indexOf("pid " + WL_PID);
	for (let i = 0; i <= at; i++) await page.keyboard.press("ArrowDown");
	await page.keyboard.press("Enter");
	await waitGraph(page, "pd-graph", ["pid=" + WL_PID]);
	const label = await page.textContent("#pd-target");
	check("picker_choice", label.startsWith("split3 (pid " + WL_PID + ")") && new URL(page.url()).searchParams.get("pid") === String(WL_PID),
		`button "${label}", URL ${page.url()}`);

	// One process: a flame graph whose root, at the bottom, is in the first screen.
	root = await rootView(page, "pd-graph", false);
	said = await hoverText(page, root.x, root.y);
	check("root_visible_1280x720_process", root.visible && !(await page.isChecked("#pd-icicle")) && /^all \(/.test(said),
		`root row ${root.row} of ${root.rows} at y ${root.y.toFixed(0)} of ${root.innerHeight}, says "${said}"`);
	await shot(page, "03-split3");

	// Search: the matched share, and the highlighted frames' width in pixels.
	await search(page, "^work_a$");
	const matched = await matchedShare(page);
	let hl = await highlighted(page, "pd-graph");
	check("search_matched_share", near(matched, SHARE, TOL), `Matched ${matched}%, want ${SHARE} ± ${TOL}`);
	check("work_a_width", near(hl.share, SHARE, TOL), `work_a drawn over ${hl.share.toFixed(1)}% of the width, want ${SHARE} ± ${TOL}`);
	console.log(`# work_a: matched ${matched}%, drawn over ${hl.share.toFixed(1)}% of the width`);
	await shot(page, "04-search");

	// Click work_a: it fills the width; Reset zoom shows; the URL has the zoom; fewer rows.
	await redrawn(page, "pd-graph", () => page.mouse.click(hl.x, hl.y));
	let z = await highlighted(page, "pd-graph");
	const zoomParam = new URL(page.url()).searchParams.get("zoom") || "";
	check("zoom", z.share > 98 && (await page.isVisible("#pd-unzoom")) && /;work_a$/.test(zoomParam) && z.rows < hl.rows + 1,
		`work_a ${z.share.toFixed(1)}% wide after the click, zoom=${zoomParam}, ${hl.rows} -> ${z.rows} rows`);
	await shot(page, "05-zoom");

	// Keyboard on the graph: Home is the root, Enter zooms there, Escape resets.
	await page.focus("#pd-graph canvas");
	await page.keyboard.press("Home");
	said = (await page.textContent("#pd-details")).trim();
	await page.keyboard.press("ArrowUp"); // toward the leaves in a flame graph: split3
	const up = (await page.textContent("#pd-details")).trim();
	check("keyboard_moves", /^all \(/.test(said) && /^split3 \(/.test(up), `Home: "${said}", ArrowUp: "${up}"`);
	await page.keyboard.press("Escape");
	await page.waitForFunction(() => !new URL(location.href).searchParams.get("zoom"), null, { timeout: 5000 });
	z = await highlighted(page, "pd-graph");
	check("keyboard_escape_resets", near(z.share, SHARE, TOL) && !(await page.isVisible("#pd-unzoom")),
		`after Escape work_a is ${z.share.toFixed(1)}% wide`);
	for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowUp"); // split3, libc, main, a path
	const target = (await page.textContent("#pd-details")).trim();
	await page.keyboard.press("Enter");
	await page.waitForFunction(() => !!new URL(location.href).searchParams.get("zoom"), null, { timeout: 5000 });
	const zoomed = new URL(page.url()).searchParams.get("zoom").split(";");
	check("keyboard_enter_zooms", target.startsWith(zoomed[zoomed.length - 1] + " ("), `focused "${target}", zoomed to ${zoomed.join(";")}`);
	await page.keyboard.press("Escape");
	await shot(page, "06-keyboard");

	// Icicle: the root at the top, and in the URL.
	await redrawn(page, "pd-graph", () => page.check("#pd-icicle"));
	root = await rootView(page, "pd-graph", true);
	said = await hoverText(page, root.x, root.y);
	check("icicle", root.visible && /^all \(/.test(said) && new URL(page.url()).searchParams.get("mode") === "icicle",
		`root at y ${root.y.toFixed(0)} says "${said}", URL ${page.url()}`);
	await redrawn(page, "pd-graph", () => page.uncheck("#pd-icicle"));

	// Top functions: a process column; a click on work_a's row shows it in the graph.
	await page.click("#pd-tab-top");
	await page.waitForFunction(() => document.querySelectorAll("#pd-top tbody tr").length > 0, null, { timeout: 10000 });
	const first = await page.evaluate(() => Array.from(document.querySelector("#pd-top tbody tr").cells).map((c) => c.textContent));
	check("top_table", first[0] === "work_a" && first[1] === "split3 (pid " + WL_PID + ")", "first row: " + first.join(" | "));
	await page.click("#pd-top th:nth-child(4) button");
	const sortAttr = await page.getAttribute("#pd-top th:nth-child(4)", "aria-sort");
	// By total: the column falls row by row, a frame on every stack of split3 comes first, and
	// work_a's total is its designed share.
	const rows = await page.$$eval("#pd-top tbody tr", (trs) => trs.map((tr) => ({
		name: tr.cells[0].textContent,
		pct: parseFloat((tr.cells[3].textContent.match(/\(([\d.]+)%\)/) || [])[1]),
	})));
	const falling = rows.length > 1 && rows.every((r, i) => i === 0 || r.pct <= rows[i - 1].pct);
	const wa = rows.find((r) => r.name === "work_a");
	check("top_sort_total", sortAttr === "descending" && falling && rows[0].pct >= 98 && wa && near(wa.pct, SHARE, TOL),
		`sort by total: aria-sort ${sortAttr}, falling ${falling}, first "${rows[0] && rows[0].name}" ` +
		`${rows[0] && rows[0].pct}%, work_a ${wa && wa.pct}% (want ${SHARE} ± ${TOL})`);
	await shot(page, "07-top");
	await redrawn(page, "pd-graph", () => page.click("#pd-top tbody tr:has(td.name:text-is('work_a'))"));
	await page.waitForFunction(() => !!new URL(location.href).searchParams.get("zoom"), null, { timeout: 10000 });
	z = await highlighted(page, "pd-graph");
	const term = await page.inputValue("#pd-search");
	check("top_click_through", (await page.isVisible("#pd-view-flame")) && z.share > 98 && new RegExp(term).test("work_a") &&
		/;work_a$/.test(new URL(page.url()).searchParams.get("zoom")), `search "${term}", work_a ${z.share.toFixed(1)}% wide, ${page.url()}`);
	await shot(page, "08-top-click");

	// The URL alone shows the same view: process, zoom, search.
	const page2 = await context.newPage();
	watch(page2);
	await page2.goto(page.url(), { waitUntil: "load" });
	await waitGraph(page2, "pd-graph", ["pid=" + WL_PID]);
	await page2.waitForFunction(() => /Matched/.test(document.getElementById("pd-matched").textContent), null, { timeout: 5000 });
	const z2 = await highlighted(page2, "pd-graph");
	check("url_reproduces_view", z2.share > 98 && (await page2.textContent("#pd-target")).startsWith("split3 (pid " + WL_PID) &&
		(await page2.inputValue("#pd-search")) === term, `work_a ${z2.share.toFixed(1)}% wide in a new page`);
	await page2.close();
	await page.click("#pd-unzoom");

	// Download folded: the same selection as the page shows.
	const [download] = await Promise.all([page.waitForEvent("download", { timeout: 10000 }), page.click("#pd-dl-folded")]);
	const saved = path.join(ART, "download.folded");
	await download.saveAs(saved);
	const folded = fs.readFileSync(saved, "utf8");
	// Only split3's stacks, and work_a's share of them as designed.
	let all = 0, inA = 0;
	for (const line of folded.trim().split("\n")) {
		const n = Number(line.slice(line.lastIndexOf(" ") + 1));
		all += n;
		if (line.slice(0, line.lastIndexOf(" ")).split(";").includes("work_a")) inA += n;
	}
	const dlShare = (100 * inA) / all;
	check("download_folded", /^split3;.*work_a.* \d+$/m.test(folded) && !/^(?!split3;)/m.test(folded.trim()) &&
		near(dlShare, SHARE, TOL), `${folded.length} bytes, work_a ${dlShare.toFixed(1)}% (want ${SHARE} ± ${TOL}): ${folded.slice(0, 200)}`);

	// A hostile process name is text everywhere: picker, graph, no element or script injected.
	if (HOSTILE_PID) {
		await page.click("#pd-target");
		await page.fill("#pd-picker-search", String(HOSTILE_PID));
		const opts = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-picker-list li .name")).map((o) => o.textContent));
		check("hostile_name_in_picker_as_text", opts.some((t) => t.startsWith(HOSTILE)), "options: " + opts.slice(0, 8).join(" | "));
		// The entry whose name is exactly "pid N": has-text would match "pid N3" of another process.
		await page.click("#pd-picker-list li.proc:has(.name:text-is('pid " + HOSTILE_PID + "'))");
		await waitGraph(page, "pd-graph", ["pid=" + HOSTILE_PID]);
		root = await rootView(page, "pd-graph", false);
		said = await hoverText(page, root.x, root.y - FRAME_H);
		check("hostile_name_in_graph_as_text", said.startsWith(HOSTILE + " ("),
			`the frame above the root says "${said}", the picker "${await page.textContent("#pd-target")}"`);
		await shot(page, "09-hostile");
	}
	const injected = await page.evaluate(() => document.querySelectorAll("img, body script, iframe, object").length);
	check("no_injected_elements", injected === 0, `${injected} img/script/iframe/object elements in the page body`);

	// 800 px wide: the whole machine and one process, roots in the first screen, nothing wider.
	await page.setViewportSize({ width: 800, height: 720 });
	await page.goto(BASE + "/", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["/api/tree"]);
	root = await rootView(page, "pd-graph", true);
	said = await hoverText(page, root.x, root.y);
	check("root_visible_800_all", root.visible && /^all \(/.test(said), `root at y ${root.y.toFixed(0)} of ${root.innerHeight}, says "${said}"`);
	await page.goto(BASE + "/?pid=" + WL_PID + "&comm=split3", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["pid=" + WL_PID]);
	root = await rootView(page, "pd-graph", false);
	said = await hoverText(page, root.x, root.y);
	check("root_visible_800_process", root.visible && /^all \(/.test(said), `root at y ${root.y.toFixed(0)} of ${root.innerHeight}, says "${said}"`);
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	check("fits_800", overflow <= 0, `page is ${overflow}px wider than the window`);
	await shot(page, "10-800px");

	check("no_dialogs", w.dialogs.length === 0, w.dialogs.join("; "));
	check("no_page_errors", w.errors.length === 0, w.errors.join("; "));
	check("no_external_requests", external.length === 0 && requests.length > 0,
		`${external.length} of ${requests.length} requests left 127.0.0.1: ${external.slice(0, 3).join(" ")}`);
	console.log(`# ${requests.length} requests, all to ${origin}`);
	await browser.close();
}

// ---- profd serve A B: the diff ----

async function serveMain() {
	const A = process.env.FILE_A, B = process.env.FILE_B;
	const browser = await launch();
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
	const w = watch(page);
	await page.goto(BASE + "/?view=diff", { waitUntil: "load" });
	await waitGraph(page, "pd-diff", ["a=0-1", "b=1-2"]);
	const title = await page.textContent("#pd-diff-title"), legend = await page.textContent("#pd-diff-legend");
	const files = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-a-file option")).map((o) => o.textContent));
	check("serve.diff_labels", title === B + " vs " + A && legend.includes("larger share in " + B) &&
		files.join("|") === [A, B, process.env.FILE_C, process.env.FILE_D].join("|"), `title "${title}", legend "${legend}", files ${files.join("|")}`);

	// work_a went from 60 % (A) to 20 % (B): blue, and said so; work_b from 30 % to 70 %: red.
	// Points along every row, described by hovering them.
	const points = await page.evaluate((H) => {
		const c = document.querySelector("#pd-diff canvas"), r = c.getBoundingClientRect(), dpr = c.width / r.width;
		const ctx = c.getContext("2d"), out = [];
		for (let y = H / 2; y < r.height; y += H) {
			const d = ctx.getImageData(0, Math.round(y * dpr), c.width, 1).data;
			for (let x = 2; x < r.width; x += r.width / 40) {
				const i = 4 * Math.round(x * dpr);
				if (d[i + 3] > 200) out.push({ x: r.left + x, y: r.top + y, rgb: [d[i], d[i + 1], d[i + 2]] });
			}
		}
		return out;
	}, FRAME_H);
	let blue = null, red = null;
	for (const p of points) {
		const said = await hoverText(page, p.x, p.y, "#pd-diff-details");
		if (said.startsWith("work_a (")) blue = { said, rgb: p.rgb };
		if (said.startsWith("work_b (")) red = { said, rgb: p.rgb };
	}
	const isBlue = (c) => c && c[2] > 200 && c[0] < c[2] - 60, isRed = (c) => c && c[0] > 200 && c[2] < c[0] - 60;
	check("serve.diff_colours", blue && red && isBlue(blue.rgb) && isRed(red.rgb) &&
		/; -40\.00% vs /.test(blue.said) && blue.said.endsWith(A + ")") && /; \+40\.00% vs /.test(red.said),
		`work_a ${blue && blue.rgb} "${blue && blue.said}", work_b ${red && red.rgb} "${red && red.said}"`);
	await shot(page, "11-serve-diff");

	// Swapped: B before A, and the title says so.
	await page.selectOption("#pd-a-file", { label: B });
	await page.selectOption("#pd-b-file", { label: A });
	await waitGraph(page, "pd-diff", ["a=1-2", "b=0-1"]);
	const swapped = await page.textContent("#pd-diff-title");
	check("serve.diff_swapped", swapped === A + " vs " + B && new URL(page.url()).searchParams.get("a") === "1-2", `title "${swapped}", ${page.url()}`);

	// FILE_C: "small" holds 2 % of the samples in 2,000 one-sample leaves, too narrow for the
	// tree the page gets; zoomed, the page asks for small's subtree and draws them.
	await page.goto(BASE + "/?range=custom&from=2&to=3", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["from=2", "to=3"]);
	let px = await pixels(page, "pd-graph");
	const x = px.left + px.width * 0.99, y = px.top + 3 * FRAME_H + FRAME_H / 2; // small: icicle row 3
	const said = await hoverText(page, x, y);
	const before = px.rows[4] ? px.rows[4].painted / px.width : 0;
	await page.mouse.click(x, y);
	await waitGraph(page, "pd-graph", ["focus=big%3Bmain%3Bsmall"]);
	px = await pixels(page, "pd-graph");
	const after = px.rows[4] ? px.rows[4].painted / px.width : 0;
	check("serve.zoom_fetches_detail", said.startsWith("small (2,000 samples") && before < 0.05 && after > 0.95,
		`hovered "${said}"; the row above small painted ${(100 * before).toFixed(1)}% before the zoom, ${(100 * after).toFixed(1)}% after`);
	await shot(page, "12-serve-zoom-detail");

	// FILE_D is one C++ frame: named as perf shows it, and whole with the "Full names" box.
	await page.goto(BASE + "/?range=custom&from=3&to=4", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["from=3", "to=4"]);
	px = await pixels(page, "pd-graph");
	const fx = px.left + px.width / 2, fy = px.top + 3 * FRAME_H + FRAME_H / 2; // icicle row 3
	const short = await hoverText(page, fx, fy), n = await draws(page, "pd-graph");
	await page.check("#pd-fullnames");
	await waitGraph(page, "pd-graph", ["fullnames=1"], n);
	await page.mouse.move(0, 0);
	const full = await hoverText(page, fx, fy);
	check("serve.full_names", short.startsWith("ns::Box<int>::get (") &&
		full.startsWith("long ns::Box<int>::get(long) const (") && new URL(page.url()).searchParams.get("fullnames") === "1",
		`by default "${short}", with Full names "${full}", ${page.url()}`);
	await shot(page, "13-serve-full-names");
	check("serve.no_page_errors", w.errors.length === 0, w.errors.join("; "));
	await browser.close();
}

// ---- profd -p PID of a process that has gone quiet: refreshes cost a 304, no redraw ----

async function quietMain() {
	const browser = await launch();
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
	const w = watch(page), trees = [];
	page.on("response", (r) => {
		if (new URL(r.url()).pathname === "/api/tree") trees.push(r.status());
	});
	await page.goto(BASE + "/", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["/api/tree"]);
	const before = await draws(page, "pd-graph"), asked = trees.length;
	// Two refreshes (every 3 s) answered; a 200 among them would be drawn, and fails below.
	const end = Date.now() + 20000;
	while (trees.length < asked + 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
	const after = await draws(page, "pd-graph"), later = trees.slice(asked);
	check("quiet.unchanged_costs_304_no_redraw", later.length >= 2 && later.every((s) => s === 304) && after === before,
		`tree answers after the first: ${later.join(",")}; draws ${before} -> ${after}`);
	check("quiet.no_page_errors", w.errors.length === 0, w.errors.join("; "));
	await browser.close();
}

// ---- profd agent: the history picker ----

async function agentMain() {
	const browser = await launch();
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await context.newPage();
	const w = watch(page);
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
	// The agent samples split3 alone: work_a's share of the range is its designed one.
	await search(page, "^work_a$");
	const share = await matchedShare(page), status = await page.textContent("#pd-status");
	check("agent.range_graph_has_work_a", near(share, SHARE, TOL) && /showing the store from/.test(status),
		`work_a ${share}% (want ${SHARE} ± ${TOL}), status "${status}"`);
	const u = new URL(page.url());
	check("agent.url_carries_range", u.searchParams.get("from") === wantFrom && u.searchParams.get("to") === wantTo,
		`page URL ${page.url()}, want from=${wantFrom} to=${wantTo}`);
	const dl = await page.getAttribute("#pd-dl-folded", "href");
	check("agent.downloads_use_range", dl.includes("from=" + enc(wantFrom)) && dl.includes("to=" + enc(wantTo)), "folded link " + dl);
	await shot(page, "13-agent-range");

	// The link alone reproduces the view.
	const link = page.url();
	const page2 = await context.newPage();
	await page2.goto(link, { waitUntil: "load" });
	await waitGraph(page2, "pd-graph", ["from=" + enc(wantFrom), "to=" + enc(wantTo)]);
	await page2.waitForFunction(() => /Matched/.test(document.getElementById("pd-matched").textContent), null, { timeout: 5000 });
	const share2 = await matchedShare(page2);
	const v2 = await page2.inputValue("#pd-wall-from");
	// A datetime-local input drops ":00" seconds: compare the times, not the spellings.
	const v2ms = await page2.evaluate((v) => new Date(v).getTime(), v2);
	check("agent.link_reproduces", share2 === share && v2ms === fromMs, `work_a ${share2}% vs ${share}%, from input "${v2}"`);
	await page2.close();

	// A quick button, from the keyboard: the last 15 minutes hold split3 too.
	await page.focus("#pd-history button[data-last='900']");
	await page.keyboard.press("Enter");
	await page.waitForFunction((old) => new URL(location.href).searchParams.get("from") !== old, wantFrom, { timeout: 10000 });
	const q = new URL(page.url()).searchParams;
	const span = Date.parse(q.get("to")) - Date.parse(q.get("from"));
	await waitGraph(page, "pd-graph", ["from=" + enc(q.get("from"))]);
	await page.waitForFunction(() => /Matched/.test(document.getElementById("pd-matched").textContent), null, { timeout: 5000 });
	const share3 = await matchedShare(page);
	check("agent.quick_last_15_min", span === 900000 && near(share3, SHARE, TOL), `span ${span} ms, work_a ${share3}% (want ${SHARE} ± ${TOL})`);
	await shot(page, "14-agent-quick");

	// Back to live: the range leaves the URL.
	await page.click("#pd-wall-clear");
	await page.waitForFunction(() => !new URL(location.href).searchParams.get("from"), null, { timeout: 5000 });
	check("agent.back_to_live", (await page.getAttribute("#pd-live", "aria-pressed")) === "true", "Live not back on");
	check("agent.no_page_errors", w.errors.length === 0, w.errors.join("; "));
	await browser.close();
}

// ---- profd agent --cgroup over two units: the picker groups by unit ----

async function unitsMain() {
	const browser = await launch();
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
	const w = watch(page);
	const root = process.env.CGROUP_ROOT, a = process.env.UNIT_A, b = process.env.UNIT_B;
	const enc = (v) => new URLSearchParams({ x: v }).toString().slice(2);
	await page.goto(BASE + "/", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["/api/tree"]);
	await page.click("#pd-live"); // the workloads are over: hold the picture still
	await page.click("#pd-target");
	await page.waitForFunction(() => document.querySelectorAll("#pd-picker-list li.unit").length >= 2, null, { timeout: 5000 });
	const units = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-picker-list li.unit .name")).map((e) => e.textContent));
	check("units.picker_groups_by_unit", units.length === 2 && units.includes(a) && units.includes(b), "unit rows: " + units.join(", "));
	await shot(page, "units-01-picker");

	// A unit is one choice: the graph and the URL are its cgroup's.
	let drawn = await draws(page, "pd-graph");
	await page.click(`#pd-picker-list li.unit:has(.name:text-is("${b}"))`);
	await waitGraph(page, "pd-graph", ["cgroup=" + enc(root + "/" + b)], drawn);
	let u = new URL(page.url()), label = await page.textContent("#pd-target");
	await search(page, "^work_a$");
	const inB = await matchedShare(page);
	await search(page, "^rec$");
	const recInB = await matchedShare(page);
	check("units.unit_choice", label.startsWith(b) && u.searchParams.get("cgroup") === root + "/" + b &&
		!u.searchParams.get("comm") && inB > 0 && recInB === 0,
		`button "${label}", URL ${page.url()}, work_a ${inB}%, rec ${recInB}%`);
	await shot(page, "units-02-unit");

	// A program inside a unit: the unit's row opens on its programs; one of them is a choice.
	await page.click("#pd-target");
	await page.click(`#pd-picker-list li.unit:has(.name:text-is("${a}")) .twisty`);
	await page.waitForSelector("#pd-picker-list li.group", { timeout: 5000 });
	const progs = await page.evaluate(() => Array.from(document.querySelectorAll("#pd-picker-list li.group .name")).map((e) => e.textContent));
	drawn = await draws(page, "pd-graph");
	await page.click(`#pd-picker-list li.group:has(.name:text-is("recurse"))`);
	await waitGraph(page, "pd-graph", ["comm=recurse", "cgroup=" + enc(root + "/" + a)], drawn);
	u = new URL(page.url());
	label = await page.textContent("#pd-target");
	await search(page, "^rec$");
	const recInA = await matchedShare(page);
	check("units.program_in_unit", progs.includes("recurse") && label.startsWith("recurse in " + a) &&
		u.searchParams.get("comm") === "recurse" && u.searchParams.get("cgroup") === root + "/" + a && recInA > 0,
		`programs ${progs.join(", ")}; button "${label}", URL ${page.url()}, rec ${recInA}%`);
	await shot(page, "units-03-program");
	check("units.no_page_errors", w.errors.length === 0, w.errors.join("; "));
	await browser.close();
}

// ---- profd --off-cpu: the measure picker ----

// Picks a measure and waits for the graph of it.
async function measure(page, type) {
	await page.selectOption("#pd-type", type);
	await waitGraph(page, "pd-graph", ["type=" + type]);
}

async function offcpuMain() {
	const browser = await launch();
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
	const w = watch(page);
	await page.goto(BASE + "/", { waitUntil: "load" });
	await waitGraph(page, "pd-graph", ["/api/tree"]);
	await page.waitForSelector("#pd-type-label:not([hidden])", { timeout: 10000 });
	pass("offcpu.measure_shown");

	await measure(page, "off-cpu");
	const root = await rootView(page, "pd-graph", await page.isChecked("#pd-icicle"));
	const said = await hoverText(page, root.x, root.y);
	check("offcpu.url_and_time", new URL(page.url()).searchParams.get("type") === "off-cpu" && /^all \([\d.]+ (s|ms), 100\.00%\)$/.test(said),
		`URL ${page.url()}, root says "${said}"`);
	await search(page, "^joiner$");
	const joiner = await matchedShare(page);
	check("offcpu.joiner_quarter", near(joiner, 25, TOL), `joiner ${joiner}% of the time off CPU, want 25 ± ${TOL}`);
	await search(page, "^burner$");
	const burner = await matchedShare(page);
	check("offcpu.burner_none", burner < 1, `burner ${burner}% of the time off CPU`);
	await shot(page, "15-offcpu");

	await page.click("#pd-tab-top");
	await page.waitForFunction(() => /^Functions by time/.test(document.getElementById("pd-top-caption").textContent), null, { timeout: 10000 });
	const cell = (await page.textContent("#pd-top tbody tr:first-child td.num")).trim();
	check("offcpu.table_in_time", /^[\d.]+ (s|ms|\u00b5s) \(/.test(cell), `first self cell "${cell}"`);
	await page.click("#pd-tab-flame");

	await measure(page, "wall");
	await search(page, "^\\[tid \\d+\\]$");
	const threads = await matchedShare(page);
	await search(page, "^\\[off-cpu\\]$");
	const off = await matchedShare(page);
	check("offcpu.wall", threads > 99.9 && off > 50 && off < 100, `[tid N] frames over ${threads}%, [off-cpu] over ${off}%`);
	await shot(page, "16-wall");
	check("offcpu.no_page_errors", w.errors.length === 0, w.errors.join("; "));
	await browser.close();
}

const runs = { live: liveMain, serve: serveMain, quiet: quietMain, agent: agentMain, offcpu: offcpuMain, units: unitsMain };
(runs[process.env.MODE || "live"])().catch((e) => {
	fail((process.env.MODE || "live") + ".run", e && e.stack ? e.stack.split("\n").slice(0, 3).join(" ") : e);
	process.exit(1);
}).then(() => process.exit(failures ? 1 : 0));
