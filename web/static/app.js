// SPDX-License-Identifier: MIT
// profd's page: what to show (process, time, mode, search, zoom), kept in the URL so a link
// shows the same view; the flame graph drawn from /api/tree and redrawn only when the samples
// changed (the server answers an unchanged tree with a 304). Names (processes, functions,
// files) come from the profiled machine, so they only ever go into textContent.
import { FlameGraph, ZOOM_HEADROOM, amount, decodeTree } from "/flame.js";
import { Picker } from "/picker.js";
import { TopTable } from "/top.js";

const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
// The one form of wall-clock time the server takes: RFC 3339 in UTC.
const WALL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const SECONDS_RE = /^\d{1,9}(\.\d{1,6})?$/;
const VIEWS = ["flame", "top", "diff"];
// What the graphs measure (type=): CPU samples, or with --off-cpu time off CPU and both.
const TYPES = ["cpu", "off-cpu", "wall"];

const state = {
	status: null,
	live: true,
	view: "flame",
	type: "cpu",
	typeChosen: false, // by the user or the URL: kept as it is
	targets: null, // /api/targets' last list
	target: null, // {pid, comm, cgroup}; pid 0: every process of that program (in that cgroup);
	// no comm either: a container's or unit's cgroup
	mode: null, // "flame" or "icicle" when chosen; else icicle for the whole machine
	zoom: [], // path of the zoomed frame in the flame graph
	wall: null, // {from, to}: a wall-clock range from the agent's store
	a: null, // diff ranges, "FROM-TO" in seconds
	b: null,
	timer: 0,
	busy: false,
	pending: false,
};

// ---- small helpers ----

function text(el, s) {
	el.textContent = s;
}

function num(x) {
	return Number(x).toLocaleString("en-US");
}

function showError(id, msg) {
	const el = $(id);
	text(el, msg || "");
	el.hidden = !msg;
}

async function getJSON(url) {
	const r = await fetch(url, { cache: "no-store" });
	const body = await r.json();
	if (!r.ok) throw new Error(body && body.error ? body.error : "HTTP " + r.status);
	return body;
}

// The last answer per slot ("tree", "targets"...), sent back as If-None-Match: while the
// samples have not changed the server answers 304 and nothing is parsed or drawn again.
const cache = new Map();

async function getCached(slot, url) {
	const old = cache.get(slot);
	const headers = old && old.url === url && old.etag ? { "If-None-Match": old.etag } : {};
	const r = await fetch(url, { cache: "no-store", headers: headers });
	if (r.status === 304 && old) return { changed: false, body: old.body };
	const body = await r.json();
	if (!r.ok) throw new Error(body && body.error ? body.error : "HTTP " + r.status);
	cache.set(slot, { url: url, etag: r.headers.get("ETag"), body: body });
	return { changed: true, body: body };
}

function escapeRegExp(s) {
	return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- the view's state in the URL ----

function readURL() {
	const u = new URLSearchParams(location.search);
	const from = u.get("from"), to = u.get("to");
	if (from && to && WALL_RE.test(from) && WALL_RE.test(to) && Date.parse(from) < Date.parse(to))
		state.wall = { from: from, to: to };
	else if (u.get("range") === "custom") {
		$("pd-range").value = "custom";
		if (from && SECONDS_RE.test(from)) $("pd-from").value = from;
		if (to && SECONDS_RE.test(to)) $("pd-to").value = to;
	}
	const range = u.get("range");
	if (range && Array.from($("pd-range").options).some((o) => o.value === range)) $("pd-range").value = range;
	$("pd-custom").hidden = $("pd-range").value !== "custom";
	const pid = Number(u.get("pid") || 0), comm = u.get("comm"), cgroup = u.get("cgroup");
	if (comm || pid > 0 || cgroup) state.target = { pid: pid > 0 ? pid : 0, comm: comm || "", cgroup: cgroup || "" };
	const mode = u.get("mode");
	if (mode === "flame" || mode === "icicle") state.mode = mode;
	if (VIEWS.includes(u.get("view"))) state.view = u.get("view");
	if (TYPES.includes(u.get("type"))) {
		state.type = u.get("type");
		state.typeChosen = true;
	}
	$("pd-type").value = state.type;
	$("pd-lines").checked = u.get("lines") === "1";
	$("pd-fullnames").checked = u.get("fullnames") === "1";
	$("pd-search").value = u.get("search") || "";
	state.zoom = u.get("zoom") ? u.get("zoom").split(";") : [];
	for (const k of ["a", "b"]) if (/^\d+(\.\d+)?-\d+(\.\d+)?$/.test(u.get(k) || "")) state[k] = u.get(k);
}

function writeURL() {
	const u = new URLSearchParams();
	if (state.view !== "flame") u.set("view", state.view);
	if (state.type !== "cpu") u.set("type", state.type);
	if (state.target) {
		if (state.target.pid) u.set("pid", String(state.target.pid));
		if (state.target.comm) u.set("comm", state.target.comm);
		if (state.target.cgroup) u.set("cgroup", state.target.cgroup);
	}
	if (state.wall) {
		u.set("from", state.wall.from);
		u.set("to", state.wall.to);
	} else if ($("pd-range").value !== "all") {
		u.set("range", $("pd-range").value);
		if ($("pd-range").value === "custom") {
			if ($("pd-from").value) u.set("from", $("pd-from").value);
			if ($("pd-to").value) u.set("to", $("pd-to").value);
		}
	}
	if (state.mode) u.set("mode", state.mode);
	if ($("pd-lines").checked) u.set("lines", "1");
	if ($("pd-fullnames").checked) u.set("fullnames", "1");
	if ($("pd-search").value) u.set("search", $("pd-search").value);
	if (state.zoom.length) u.set("zoom", state.zoom.join(";"));
	if (state.view === "diff" && state.a && state.b) {
		u.set("a", state.a);
		u.set("b", state.b);
	}
	const qs = u.toString();
	history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
}

// ---- what the controls ask for ----

// Icicle (root at the top) for the whole machine, where rare deep stacks would push a flame
// graph's root far down; a flame graph for one program or process, unless chosen otherwise.
function icicle() {
	return state.mode ? state.mode === "icicle" : !state.target;
}

function checkSeconds(v, what) {
	if (!SECONDS_RE.test(v)) throw new Error(what + ": seconds since the start, 0 or more");
	return v;
}

// The filter and time range as query parameters, or throws with a message for the user.
function query() {
	const p = new URLSearchParams();
	const t = state.target;
	if (state.type !== "cpu") p.set("type", state.type);
	if (t) {
		if (t.pid > 0) p.set("pid", String(t.pid));
		if (t.comm) p.set("comm", t.comm);
		if (t.cgroup) p.set("cgroup", t.cgroup);
	}
	const range = $("pd-range").value;
	const elapsed = state.status ? state.status.elapsed_s : 0;
	if (state.wall) {
		p.set("from", state.wall.from);
		p.set("to", state.wall.to);
	} else if (range === "custom") {
		const from = $("pd-from").value, to = $("pd-to").value;
		if (from !== "") p.set("from", checkSeconds(from, "from"));
		if (to !== "") p.set("to", checkSeconds(to, "to"));
		if (from !== "" && to !== "" && Number(from) >= Number(to)) throw new Error("The time range ends before it starts.");
	} else if (range !== "all") {
		p.set("from", String(Math.max(0, Math.floor(elapsed - Number(range)))));
	}
	if ($("pd-lines").checked) p.set("lines", "1");
	if ($("pd-fullnames").checked) p.set("fullnames", "1");
	return p;
}

// Frames left out of the tree are under 0.1 px at this width until a zoom of ZOOM_HEADROOM.
function detail(graph) {
	return String(Math.min(100000000, Math.round(graph.width() * 10 * ZOOM_HEADROOM)));
}

// ---- wall-clock ranges over the agent's store ----

function pad(n) {
	return String(n).padStart(2, "0");
}

// A Date as a datetime-local value: local time, whole seconds.
function localValue(d) {
	return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
		pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
}

// A Date as the server takes it.
function wallValue(d) {
	return d.toISOString().replace(/\.000Z$/, "Z");
}

function describeSpan(a, b) {
	const same = a.toDateString() === b.toDateString();
	return a.toLocaleString() + " to " + (same ? b.toLocaleTimeString() : b.toLocaleString());
}

async function refreshStore() {
	const info = await getJSON("/api/store");
	const el = $("pd-store");
	if (!info.windows) {
		text(el, "Nothing stored yet.");
		return;
	}
	const a = new Date(info.first), b = new Date(info.last);
	text(el, "Stored: " + num(info.windows) + " windows, " + describeSpan(a, b) + ".");
	const lo = localValue(new Date(Math.floor(a / 1000) * 1000));
	const hi = localValue(new Date(Math.ceil(b / 1000) * 1000 + 1000));
	for (const id of ["pd-wall-from", "pd-wall-to"]) {
		$(id).min = lo;
		$(id).max = hi;
	}
}

// Shows the samples of [from, to) (server form) from the store.
function showWall(w, load) {
	state.wall = w;
	$("pd-wall-from").value = localValue(new Date(w.from));
	$("pd-wall-to").value = localValue(new Date(w.to));
	$("pd-range").disabled = true;
	$("pd-wall-clear").hidden = false;
	showError("pd-history-error", "");
	setLive(false); // a past range does not change: nothing to refresh
	writeURL();
	if (load) refresh(true);
}

function clearWall() {
	state.wall = null;
	$("pd-range").disabled = false;
	$("pd-wall-clear").hidden = true;
	setZoom([]);
	setLive(true);
	writeURL();
	refresh(true);
}

function pickWall() {
	const f = $("pd-wall-from").value, t = $("pd-wall-to").value;
	const a = new Date(f), b = new Date(t);
	if (!f || !t) showError("pd-history-error", "Pick both a start and an end.");
	else if (isNaN(a) || isNaN(b)) showError("pd-history-error", "Not a date and time.");
	else if (a >= b) showError("pd-history-error", "The time range ends before it starts.");
	else showWall({ from: wallValue(a), to: wallValue(b) }, true);
}

function quickWall(seconds) {
	const end = new Date(Math.ceil(Date.now() / 1000) * 1000);
	showWall({ from: wallValue(new Date(end - seconds * 1000)), to: wallValue(end) }, true);
}

// ---- status and process picker ----

async function refreshStatus() {
	const st = await getJSON("/api/profile");
	state.status = st;
	let s;
	if (st.mode === "files") {
		s = st.files.length + " file" + (st.files.length === 1 ? "" : "s") + ", " + num(st.samples) + " samples";
	} else {
		s = (st.mode === "live" ? "Sampling" : "Stopped") + " · " + (st.event || "?") + " at " + st.freq + " Hz · " +
			num(st.samples) + " samples · " + num(st.lost) + " lost · " + st.elapsed_s.toFixed(0) + " s";
	}
	if (st.off_cpu) s += " · " + amount(st.off_cpu_us, "us") + " off CPU";
	if (state.wall) s += " · showing the store from " + describeSpan(new Date(state.wall.from), new Date(state.wall.to));
	else if (st.mode === "live" && !state.live) s += " · paused" + (state.zoom.length ? " (zoomed)" : "");
	text($("pd-status"), s);
	$("pd-history").hidden = !st.store;
	$("pd-type-label").hidden = !st.off_cpu && state.type === "cpu";
	// Saved off-CPU profiles alone (profd serve): nothing to show as CPU samples.
	if (st.mode === "files" && !st.samples && st.off_cpu_us && state.type === "cpu" && !state.typeChosen) {
		setType("off-cpu");
		writeURL();
		state.pending = true;
	}
	if (st.store) await refreshStore();
	$("pd-dl-pprof").hidden = !st.pprof;
	if (st.mode !== "live") $("pd-live").disabled = true;
	return st;
}

const picker = new Picker(
	{ button: "pd-target", pop: "pd-picker", search: "pd-picker-search", list: "pd-picker-list", note: "pd-picker-note" },
	(choice) => {
		state.target = choice;
		setZoom([]);
		writeURL();
		refresh(true);
	},
	() => refreshTargets(true).catch(() => {}),
);

// The list behind the picker: on the first load, and while the picker is open (the button
// names the choice without it). A live machine has thousands of processes: no need to fetch
// and group them every few seconds for a closed list.
async function refreshTargets(always) {
	if (!always && cache.has("targets") && !picker.isOpen()) return;
	const res = await getCached("targets", "/api/targets");
	state.targets = res.body.targets;
	if (res.changed) showTargets();
}

// The picker counts what the graph does: samples, time off CPU, or both as time.
function showTargets() {
	if (!state.targets) return;
	const hz = state.status && state.status.freq ? state.status.freq : 0;
	const of = {
		cpu: (t) => t.samples,
		"off-cpu": (t) => t.off_cpu_us,
		wall: (t) => (hz ? Math.round((t.samples * 1e6) / hz) : 0) + t.off_cpu_us,
	}[state.type];
	// Their cgroup, container and unit too: the picker groups by them.
	const list = state.targets.map((t) => ({ ...t, samples: of(t) }));
	picker.setTargets(list, state.type === "cpu" ? null : (n) => amount(n, "us"));
}

// Units follow the measure: samples for CPU, microseconds for the others.
function setType(type) {
	state.type = type;
	$("pd-type").value = type;
	const unit = type === "cpu" ? "samples" : "us";
	flame.opts.unit = unit;
	diff.opts.unit = unit;
	topTable.unit = unit;
	showTargets();
}

// ---- the flame graph ----

function setZoom(path) {
	state.zoom = path;
	$("pd-unzoom").hidden = !path.length;
}

const flame = new FlameGraph($("pd-graph"), $("pd-details"), {
	onZoom: (path) => {
		setZoom(path);
		// Hold the picture still while zoomed, until the user asks for live again.
		if (path.length && state.live && state.status && state.status.mode === "live") setLive(false);
		writeURL();
	},
	needDetail: (path) => loadFocus(flame, "focus", treeParams(flame), path, "pd-graph-error"),
});

const diff = new FlameGraph($("pd-diff"), $("pd-diff-details"), {
	onZoom: (path) => ($("pd-diff-unzoom").hidden = !path.length),
	needDetail: (path) => {
		const p = diffParams();
		if (p) loadFocus(diff, "diff-focus", p, path, "pd-diff-error");
	},
});

function treeParams(graph) {
	const p = query();
	p.set("detail", detail(graph));
	return p;
}

// The zoomed frame's subtree, for the frames the whole tree left out as too narrow.
async function loadFocus(graph, slot, params, path, errId) {
	params.set("focus", path.join(";"));
	try {
		const res = await getCached(slot, "/api/tree?" + params);
		if (graph.zoom.join(";") !== path.join(";")) return;
		graph.box.dataset.tree = "/api/tree?" + params;
		graph.setFocusTree(decodeTree(res.body), path);
	} catch (e) {
		showError(errId, e.message);
	}
}

async function showFlame(force) {
	let params;
	try {
		params = treeParams(flame);
	} catch (e) {
		showError("pd-graph-error", e.message);
		return;
	}
	const res = await getCached("tree", "/api/tree?" + params);
	showError("pd-graph-error", "");
	flame.setIcicle(icicle());
	$("pd-icicle").checked = icicle();
	if (!res.changed && !force && flame.tree) return;
	const tree = decodeTree(res.body);
	flame.box.dataset.tree = "/api/tree?" + params;
	flame.setTree(tree);
	if (!tree.total) text($("pd-details"), state.type === "cpu" ? "No samples yet." : "No time yet.");
	if (state.zoom.length && !flame.zoomTo(state.zoom, true)) setZoom(flame.zoom);
	else flame.checkDetail();
	applySearch();
	flame.drawNow();
}

function applySearch() {
	const term = $("pd-search").value;
	let re = null;
	if (term) {
		try {
			re = new RegExp(term);
		} catch (e) {
			text($("pd-matched"), "Bad regular expression");
			return;
		}
	}
	const graph = state.view === "diff" ? diff : flame;
	const share = graph.search(re);
	(graph === flame ? diff : flame).search(re);
	text($("pd-matched"), re ? "Matched: " + share.toFixed(2) + "%" : "");
}

// ---- top functions ----

const topTable = new TopTable($("pd-top"), $("pd-top-caption"), (row) => showInGraph(row));

async function showTop() {
	let params;
	try {
		params = query();
	} catch (e) {
		topTable.message(e.message);
		return;
	}
	params.set("limit", "200");
	params.set("by", "comm");
	const res = await getCached("top", "/api/top?" + params);
	if (res.changed || !topTable.has()) topTable.show(res.body, state.target ? state.target.pid : 0);
}

// A row of the table in the graph: every frame of that name highlighted, the widest zoomed.
async function showInGraph(row) {
	$("pd-search").value = "^" + escapeRegExp(row.name) + "( \\(.*\\))?$";
	setZoom([]);
	await selectView("flame");
	const path = flame.widest(row.name, state.target ? null : row.comm);
	if (path) flame.zoomTo(path);
	else text($("pd-details"), row.name + " is too narrow to draw at this width.");
	applySearch();
	writeURL();
	flame.canvas.focus({ preventScroll: true });
}

// ---- diff ----

function rangeLabel(r) {
	const st = state.status, [from, to] = r.split("-").map(Number);
	if (st && st.mode === "files" && Number.isInteger(from) && to === from + 1 && st.files[from] !== undefined) return st.files[from];
	return from.toFixed(1) + "-" + to.toFixed(1) + " s";
}

// In `profd serve` each file is one range [i, i+1): the choice is between files.
function setupDiffForm() {
	const st = state.status, files = st && st.mode === "files" ? st.files : null;
	$("pd-diff-files").hidden = !files;
	$("pd-diff-ranges").hidden = !!files;
	if (files && !$("pd-a-file").options.length) {
		for (const id of ["pd-a-file", "pd-b-file"])
			$(id).replaceChildren(...files.map((f, i) => new Option(f, i + "-" + (i + 1))));
	}
	if (!state.a || !state.b) {
		if (files) {
			state.a = "0-1";
			state.b = files.length > 1 ? "1-2" : "0-1";
		} else {
			let lo = st ? st.oldest_s || 0 : 0, hi = st ? st.elapsed_s || 0 : 0;
			if (hi <= lo) hi = lo + 1;
			const r = (x) => String(Math.round(x * 10) / 10), mid = (lo + hi) / 2;
			state.a = r(lo) + "-" + r(mid);
			state.b = r(mid) + "-" + r(hi);
		}
	}
	if (files) {
		$("pd-a-file").value = state.a;
		$("pd-b-file").value = state.b;
	} else {
		[$("pd-a-from").value, $("pd-a-to").value] = state.a.split("-");
		[$("pd-b-from").value, $("pd-b-to").value] = state.b.split("-");
	}
}

function readDiffForm() {
	if (!$("pd-diff-files").hidden) {
		state.a = $("pd-a-file").value;
		state.b = $("pd-b-file").value;
		return;
	}
	const a = checkSeconds($("pd-a-from").value, "A from") + "-" + checkSeconds($("pd-a-to").value, "A to");
	const b = checkSeconds($("pd-b-from").value, "B from") + "-" + checkSeconds($("pd-b-to").value, "B to");
	state.a = a;
	state.b = b;
}

function diffParams() {
	const p = query();
	p.delete("from");
	p.delete("to");
	p.set("a", state.a);
	p.set("b", state.b);
	p.set("detail", detail(diff));
	return p;
}

async function showDiff() {
	setupDiffForm();
	let params;
	try {
		params = diffParams();
	} catch (e) {
		showError("pd-diff-error", e.message);
		return;
	}
	const la = rangeLabel(state.a), lb = rangeLabel(state.b);
	text($("pd-diff-title"), lb + " vs " + la);
	text($("pd-diff-legend"), "Widths are " + lb + (state.type === "cpu" ? "'s samples" : "'s time") + ". Red: a larger share in " + lb + " than in " + la + "; blue: a smaller one.");
	diff.opts.baseLabel = la;
	let res;
	try {
		res = await getCached("diff", "/api/tree?" + params);
	} catch (e) {
		showError("pd-diff-error", e.message);
		return;
	}
	showError("pd-diff-error", "");
	diff.setIcicle(icicle());
	diff.box.dataset.tree = "/api/tree?" + params;
	diff.setTree(decodeTree(res.body));
	diff.zoomTo([], true);
	$("pd-diff-unzoom").hidden = true;
	applySearch();
	diff.drawNow();
	writeURL();
}

// ---- downloads follow the current choice ----

function updateDownloads() {
	let p;
	try {
		p = query();
	} catch (e) {
		return;
	}
	const qs = (q) => (q.toString() ? "?" + q : "");
	$("pd-dl-folded").href = "/folded" + qs(p);
	const g = new URLSearchParams(p);
	if (icicle()) g.set("icicle", "1");
	if (state.view === "diff" && state.a && state.b) {
		g.delete("from");
		g.delete("to");
		g.set("a", state.a);
		g.set("b", state.b);
		$("pd-dl-svg").href = "/diff.svg" + qs(g);
	} else {
		$("pd-dl-svg").href = "/flamegraph.svg" + qs(g);
	}
	p.delete("lines");
	$("pd-dl-pprof").href = "/pprof" + qs(p);
}

// ---- refresh loop ----

async function refresh(force) {
	if (state.busy) {
		// Asked for while another refresh runs (a new range, say): run once more after it.
		if (force) state.pending = true;
		return;
	}
	state.busy = true;
	try {
		// The view waits for the status only when it needs it: a range relative to the run's
		// length, or the diff's files.
		const range = $("pd-range").value;
		const needsStatus = state.view === "diff" || (!state.wall && range !== "all" && range !== "custom");
		const jobs = [refreshStatus()];
		if (!needsStatus) jobs.push(showView(force));
		await Promise.all(jobs);
		updateDownloads();
		if (needsStatus) await showView(force);
		// The picker's list waits for the graph: on a machine of thousands of processes it is
		// the bigger answer, and nobody reads it before the graph.
		await refreshTargets();
		picker.setChoice(state.target);
	} catch (e) {
		text($("pd-status"), "Cannot reach profd: " + e.message);
	} finally {
		state.busy = false;
		if (state.pending) {
			state.pending = false;
			refresh(true);
		}
	}
}

function showView(force) {
	if (state.view === "flame") return showFlame(force);
	if (state.view === "top") return showTop();
	return force ? showDiff() : null;
}

function schedule() {
	clearInterval(state.timer);
	state.timer = 0;
	if (state.live)
		state.timer = setInterval(() => {
			if (document.hidden || (state.status && state.status.mode !== "live")) return;
			if (state.view !== "diff") refresh(false);
		}, REFRESH_MS);
}

function setLive(on) {
	state.live = on;
	const b = $("pd-live");
	b.setAttribute("aria-pressed", on ? "true" : "false");
	text(b, on ? "Live" : "Paused");
	schedule();
	if (state.status) refreshStatus().catch(() => {});
}

// ---- tabs ----

async function selectView(view) {
	state.view = view;
	VIEWS.forEach((v) => {
		const on = v === view;
		$("pd-tab-" + v).setAttribute("aria-selected", on ? "true" : "false");
		$("pd-tab-" + v).tabIndex = on ? 0 : -1;
		$("pd-view-" + v).hidden = !on;
	});
	writeURL();
	await refresh(true);
}

function wire() {
	$("pd-live").addEventListener("click", () => {
		const on = !state.live;
		if (on && state.wall) {
			clearWall();
			return;
		}
		if (on) flame.zoomTo([]);
		setLive(on);
		if (on) refresh(true);
	});
	$("pd-controls").addEventListener("submit", (e) => {
		e.preventDefault();
		applySearch();
		writeURL();
	});
	$("pd-search").addEventListener("search", () => {
		applySearch();
		writeURL();
	});
	$("pd-range").addEventListener("change", () => {
		$("pd-custom").hidden = $("pd-range").value !== "custom";
		writeURL();
		refresh(true);
	});
	$("pd-type").addEventListener("change", () => {
		state.typeChosen = true;
		setType($("pd-type").value);
		setZoom([]);
		writeURL();
		refresh(true);
	});
	$("pd-icicle").addEventListener("change", () => {
		state.mode = $("pd-icicle").checked ? "icicle" : "flame";
		flame.setIcicle(icicle());
		diff.setIcicle(icicle());
		updateDownloads();
		writeURL();
	});
	for (const id of ["pd-lines", "pd-fullnames", "pd-from", "pd-to"])
		$(id).addEventListener("change", () => {
			setZoom([]);
			writeURL();
			refresh(true);
		});
	$("pd-unzoom").addEventListener("click", () => flame.zoomTo([]));
	$("pd-diff-unzoom").addEventListener("click", () => diff.zoomTo([]));
	$("pd-history").addEventListener("submit", (e) => {
		e.preventDefault();
		pickWall();
	});
	for (const b of $("pd-history").querySelectorAll("button[data-last]"))
		b.addEventListener("click", () => quickWall(Number(b.dataset.last)));
	$("pd-wall-clear").addEventListener("click", clearWall);
	$("pd-diff-form").addEventListener("submit", (e) => {
		e.preventDefault();
		try {
			readDiffForm();
		} catch (err) {
			showError("pd-diff-error", err.message);
			return;
		}
		showDiff();
	});
	for (const id of ["pd-a-file", "pd-b-file"])
		$(id).addEventListener("change", () => {
			readDiffForm();
			showDiff();
		});
	VIEWS.forEach((v, i) => {
		const tab = $("pd-tab-" + v);
		tab.addEventListener("click", () => selectView(v));
		tab.addEventListener("keydown", (e) => {
			let j = -1;
			if (e.key === "ArrowRight") j = (i + 1) % VIEWS.length;
			else if (e.key === "ArrowLeft") j = (i + VIEWS.length - 1) % VIEWS.length;
			if (j < 0) return;
			e.preventDefault();
			$("pd-tab-" + VIEWS[j]).focus();
			selectView(VIEWS[j]);
		});
	});
	let resizeTimer = 0;
	window.addEventListener("resize", () => {
		clearTimeout(resizeTimer);
		resizeTimer = setTimeout(() => {
			flame.request();
			diff.request();
		}, 100);
	});
	document.addEventListener("visibilitychange", () => {
		if (!document.hidden && state.live) refresh(false);
	});
}

wire();
readURL();
setType(state.type);
picker.setChoice(state.target);
setZoom(state.zoom);
if (state.wall) showWall(state.wall, false);
if (state.zoom.length) setLive(false);
selectView(state.view).then(schedule);
