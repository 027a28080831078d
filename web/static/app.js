// SPDX-License-Identifier: MIT
// profd's page: picks what to show and loads flame graphs from this server. Names (processes,
// functions, files) come from the profiled machine, so they only ever go into textContent.
"use strict";

(function () {
	const REFRESH_MS = 3000;
	const $ = (id) => document.getElementById(id);

	const state = {
		status: null,
		live: true,
		zoomed: false,
		view: "flame",
		topRows: [],
		topSort: { key: "self", desc: true },
		timer: 0,
		busy: false,
		pending: false,
		wall: null, // { from, to }: a wall-clock range from the agent's store, as the URL has it
	};
	// The one form of wall-clock time the server takes: RFC 3339 in UTC.
	const WALL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

	// ---- small helpers ----

	function text(el, s) {
		el.textContent = s;
	}

	function num(x) {
		return Number(x).toLocaleString("en-US");
	}

	async function getJSON(url) {
		const r = await fetch(url, { cache: "no-store" });
		const body = await r.json();
		if (!r.ok) throw new Error(body && body.error ? body.error : "HTTP " + r.status);
		return body;
	}

	function showError(id, msg) {
		const el = $(id);
		text(el, msg || "");
		el.hidden = !msg;
	}

	// ---- what the controls ask for ----

	function target() {
		const v = $("pd-target").value;
		if (!v) return null;
		const t = JSON.parse(v);
		return t;
	}

	// The filter and time range as query parameters, or throws with a message for the user.
	function query() {
		const p = new URLSearchParams();
		const t = target();
		if (t) {
			if (t.pid > 0) p.set("pid", String(t.pid));
			p.set("comm", t.comm);
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
			if (from !== "" && to !== "" && Number(from) >= Number(to))
				throw new Error("The time range ends before it starts.");
		} else if (range !== "all") {
			p.set("from", String(Math.max(0, Math.floor(elapsed - Number(range)))));
		}
		if ($("pd-lines").checked) p.set("lines", "1");
		if ($("pd-fullnames").checked) p.set("fullnames", "1");
		return p;
	}

	function checkSeconds(v, what) {
		if (!/^\d{1,9}(\.\d{1,6})?$/.test(v)) throw new Error(what + ": seconds since the start, 0 or more");
		return v;
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

	function wallFromURL() {
		const u = new URLSearchParams(location.search);
		const from = u.get("from"), to = u.get("to");
		if (from && to && WALL_RE.test(from) && WALL_RE.test(to) && Date.parse(from) < Date.parse(to))
			return { from: from, to: to };
		return null;
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

	// Shows the samples of [from, to) (server form) from the store, and puts them in the URL.
	function showWall(w, load) {
		state.wall = w;
		$("pd-wall-from").value = localValue(new Date(w.from));
		$("pd-wall-to").value = localValue(new Date(w.to));
		$("pd-range").disabled = true;
		$("pd-wall-clear").hidden = false;
		showError("pd-history-error", "");
		history.replaceState(null, "", location.pathname + "?" + new URLSearchParams({ from: w.from, to: w.to }));
		setLive(false); // a past range does not change: nothing to refresh
		if (load) refresh(true);
	}

	function clearWall() {
		state.wall = null;
		$("pd-range").disabled = false;
		$("pd-wall-clear").hidden = true;
		history.replaceState(null, "", location.pathname);
		state.zoomed = false;
		setLive(true);
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

	function graphParams(extra) {
		const p = query();
		if ($("pd-icicle").checked) p.set("icicle", "1");
		for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
		return p;
	}

	function graphWidth(container) {
		const w = Math.floor(container.clientWidth || 1200);
		return String(Math.min(10000, Math.max(200, w)));
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
		if (state.wall) s += " · showing the store from " + describeSpan(new Date(state.wall.from), new Date(state.wall.to));
		else if (st.mode === "live" && !state.live) s += " · paused" + (state.zoomed ? " (zoomed)" : "");
		text($("pd-status"), s);
		$("pd-history").hidden = !st.store;
		if (st.store) await refreshStore();
		$("pd-dl-pprof").hidden = !st.pprof;
		if (st.mode !== "live") $("pd-live").disabled = true;
		return st;
	}

	async function refreshTargets() {
		const data = await getJSON("/api/targets");
		const sel = $("pd-target");
		const keep = sel.value;
		const opts = [new Option("All processes", "")];
		for (const t of data.targets) {
			const o = document.createElement("option");
			o.value = JSON.stringify({ pid: t.pid, comm: t.comm });
			text(o, t.pid > 0 ? t.comm + " (pid " + t.pid + ") · " + num(t.samples) : t.comm + " · " + num(t.samples));
			opts.push(o);
		}
		// Keep the choice even if that process has not been seen in this listing.
		if (keep && !opts.some((o) => o.value === keep)) {
			const t = JSON.parse(keep);
			const o = document.createElement("option");
			o.value = keep;
			text(o, t.comm + (t.pid > 0 ? " (pid " + t.pid + ")" : ""));
			opts.push(o);
		}
		sel.replaceChildren(...opts);
		sel.value = keep;
	}

	// ---- flame graphs in <object>s, so their own script gives hover, zoom and search ----

	// Loads url into container; the old graph stays until the new one is ready (no flicker).
	function loadGraph(container, errId, url, onReady) {
		const obj = document.createElement("object");
		obj.type = "image/svg+xml";
		obj.className = "loading";
		obj.setAttribute("aria-label", container.getAttribute("aria-label") || "graph");
		obj.addEventListener("load", () => {
			const doc = obj.contentDocument;
			const root = doc && doc.documentElement;
			if (!root || root.nodeName.toLowerCase() !== "svg") {
				const msg = root ? root.textContent : "";
				let err = "Cannot load the graph.";
				try { err = JSON.parse(msg).error || err; } catch (e) { /* not JSON */ }
				obj.remove();
				showError(errId, err);
				return;
			}
			showError(errId, "");
			obj.height = root.getAttribute("height") || 400;
			obj.width = root.getAttribute("width") || "";
			for (const old of Array.from(container.children)) if (old !== obj) old.remove();
			obj.className = "";
			if (onReady) onReady(obj);
		}, { once: true });
		obj.data = url;
		container.appendChild(obj);
	}

	function currentGraph(id) {
		const c = $(id);
		const objs = c.querySelectorAll("object:not(.loading)");
		return objs.length ? objs[objs.length - 1] : null;
	}

	// Runs the graph's own search with term (empty: clear), the same code its Search button runs.
	function searchGraph(obj, term) {
		const doc = obj && obj.contentDocument;
		if (!doc) return "";
		const btn = doc.getElementById("search"), matched = doc.getElementById("matched");
		if (!btn) return "";
		const win = obj.contentWindow;
		if (btn.textContent === "Reset Search") btn.dispatchEvent(new win.MouseEvent("click"));
		if (term) {
			const saved = win.prompt;
			win.prompt = () => term;
			try {
				btn.dispatchEvent(new win.MouseEvent("click"));
			} finally {
				win.prompt = saved;
			}
		}
		return matched ? matched.textContent.trim() : "";
	}

	function applySearch() {
		const term = $("pd-search").value;
		if (term) {
			try {
				new RegExp(term);
			} catch (e) {
				text($("pd-matched"), "Bad regular expression");
				return;
			}
		}
		const graph = currentGraph(state.view === "diff" ? "pd-diff" : "pd-graph");
		text($("pd-matched"), term ? searchGraph(graph, term) : (searchGraph(graph, ""), ""));
	}

	// A click on a frame zooms: hold the picture still until the user asks for live again.
	function watchZoom(obj) {
		obj.contentDocument.addEventListener("click", (e) => {
			const el = e.target;
			if (!el || !el.closest) return;
			if (el.closest("g.f")) {
				state.zoomed = true;
				setLive(false);
			} else if (el.closest("#unzoom")) {
				state.zoomed = false;
			}
		});
	}

	function showFlame() {
		let params;
		try {
			params = graphParams({ width: graphWidth($("pd-graph")) });
		} catch (e) {
			showError("pd-graph-error", e.message);
			return;
		}
		loadGraph($("pd-graph"), "pd-graph-error", "/flamegraph.svg?" + params, (obj) => {
			watchZoom(obj);
			state.zoomed = false;
			if ($("pd-search").value) applySearch();
			else text($("pd-matched"), "");
		});
	}

	// ---- top functions ----

	function sortTop() {
		const { key, desc } = state.topSort;
		const rows = state.topRows.slice();
		rows.sort((a, b) => {
			let c = key === "name" ? a.name.localeCompare(b.name) : a[key] - b[key];
			if (c === 0) c = a.name.localeCompare(b.name) * (desc ? -1 : 1);
			return desc ? -c : c;
		});
		const body = $("pd-top").tBodies[0];
		const trs = rows.map((r) => {
			const tr = document.createElement("tr");
			const cells = [
				[r.name, "name"],
				[num(r.self) + " (" + r.self_pct.toFixed(2) + "%)", "num"],
				[num(r.total) + " (" + r.total_pct.toFixed(2) + "%)", "num"],
				[r.file, "file"],
			];
			for (const [v, cls] of cells) {
				const td = document.createElement("td");
				td.className = cls;
				text(td, v);
				tr.appendChild(td);
			}
			return tr;
		});
		body.replaceChildren(...trs);
		for (const th of $("pd-top").tHead.rows[0].cells) {
			const b = th.querySelector("button");
			if (!b) continue;
			th.setAttribute("aria-sort", b.dataset.key === key ? (desc ? "descending" : "ascending") : "none");
		}
	}

	async function showTop() {
		let params;
		try {
			params = query();
		} catch (e) {
			text($("pd-top-caption"), e.message);
			return;
		}
		params.set("limit", "500");
		const data = await getJSON("/api/top?" + params);
		state.topRows = data.functions;
		text($("pd-top-caption"), "Functions by samples: " + num(data.total) + " samples, " +
			num(data.count) + " functions" + (data.count > data.functions.length ? " (top " + data.functions.length + " shown)" : ""));
		sortTop();
	}

	// ---- diff ----

	function defaultDiffRanges() {
		const st = state.status;
		if (!st || $("pd-a-from").value !== "") return;
		let lo = st.oldest_s || 0, hi = st.elapsed_s || 0;
		if (hi <= lo) hi = lo + 1;
		const mid = (lo + hi) / 2;
		const r = (x) => String(Math.round(x * 10) / 10);
		$("pd-a-from").value = r(lo);
		$("pd-a-to").value = r(mid);
		$("pd-b-from").value = r(mid);
		$("pd-b-to").value = r(hi);
	}

	function showDiff() {
		defaultDiffRanges();
		let params;
		try {
			const a = checkSeconds($("pd-a-from").value, "A from") + "-" + checkSeconds($("pd-a-to").value, "A to");
			const b = checkSeconds($("pd-b-from").value, "B from") + "-" + checkSeconds($("pd-b-to").value, "B to");
			params = graphParams({ a: a, b: b, width: graphWidth($("pd-diff")) });
			params.delete("from");
			params.delete("to");
		} catch (e) {
			showError("pd-diff-error", e.message);
			return;
		}
		loadGraph($("pd-diff"), "pd-diff-error", "/diff.svg?" + params, () => {
			if ($("pd-search").value) applySearch();
		});
	}

	// ---- downloads follow the current choice ----

	function updateDownloads() {
		let p;
		try {
			p = query();
		} catch (e) {
			return;
		}
		const qs = p.toString() ? "?" + p : "";
		$("pd-dl-folded").href = "/folded" + qs;
		p.delete("lines");
		$("pd-dl-pprof").href = "/pprof" + (p.toString() ? "?" + p : "");
		const g = graphParams();
		$("pd-dl-svg").href = "/flamegraph.svg" + (g.toString() ? "?" + g : "");
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
			await refreshStatus();
			await refreshTargets();
			updateDownloads();
			if (state.view === "flame") showFlame();
			else if (state.view === "top") await showTop();
			else if (force) showDiff();
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

	function schedule() {
		clearInterval(state.timer);
		state.timer = 0;
		if (state.live)
			state.timer = setInterval(() => {
				if (state.status && state.status.mode !== "live") return;
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

	function selectView(view) {
		state.view = view;
		for (const v of ["flame", "top", "diff"]) {
			const tab = $("pd-tab-" + v), panel = $("pd-view-" + v);
			const on = v === view;
			tab.setAttribute("aria-selected", on ? "true" : "false");
			tab.tabIndex = on ? 0 : -1;
			panel.hidden = !on;
		}
		text($("pd-matched"), "");
		refresh(true);
	}

	function wire() {
		$("pd-live").addEventListener("click", () => {
			const on = !state.live;
			if (on && state.wall) {
				clearWall();
				return;
			}
			setLive(on);
			if (on) {
				state.zoomed = false;
				refresh(true);
			}
		});
		$("pd-controls").addEventListener("submit", (e) => {
			e.preventDefault();
			applySearch();
		});
		$("pd-range").addEventListener("change", () => {
			$("pd-custom").hidden = $("pd-range").value !== "custom";
			refresh(true);
		});
		for (const id of ["pd-target", "pd-icicle", "pd-lines", "pd-fullnames", "pd-from", "pd-to"])
			$(id).addEventListener("change", () => refresh(true));
		$("pd-search").addEventListener("search", applySearch);
		$("pd-history").addEventListener("submit", (e) => {
			e.preventDefault();
			pickWall();
		});
		for (const b of $("pd-history").querySelectorAll("button[data-last]"))
			b.addEventListener("click", () => quickWall(Number(b.dataset.last)));
		$("pd-wall-clear").addEventListener("click", clearWall);
		$("pd-diff-form").addEventListener("submit", (e) => {
			e.preventDefault();
			showDiff();
		});
		const tabs = ["flame", "top", "diff"];
		tabs.forEach((v, i) => {
			const tab = $("pd-tab-" + v);
			tab.addEventListener("click", () => selectView(v));
			tab.addEventListener("keydown", (e) => {
				let j = -1;
				if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
				else if (e.key === "ArrowLeft") j = (i + tabs.length - 1) % tabs.length;
				if (j < 0) return;
				e.preventDefault();
				$("pd-tab-" + tabs[j]).focus();
				selectView(tabs[j]);
			});
		});
		for (const b of $("pd-top").tHead.querySelectorAll("button")) {
			b.addEventListener("click", () => {
				const key = b.dataset.key;
				if (state.topSort.key === key) state.topSort.desc = !state.topSort.desc;
				else state.topSort = { key: key, desc: key !== "name" };
				sortTop();
			});
		}
		let resizeTimer = 0;
		window.addEventListener("resize", () => {
			clearTimeout(resizeTimer);
			resizeTimer = setTimeout(() => { if (!state.zoomed) refresh(true); }, 300);
		});
	}

	wire();
	const linked = wallFromURL();
	if (linked) showWall(linked, false);
	refresh(true).then(schedule);
})();
