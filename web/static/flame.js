// SPDX-License-Identifier: MIT
// The flame graph, drawn on a canvas from the tree /api/tree sends (its layout is described in
// web/tree.c). Only frames at least 0.1 px wide are drawn, as flamegraph.pl does, so a
// machine-wide profile costs what is visible, not what was sampled. Names come from the
// profiled machine: they are only ever drawn as text or put in textContent.

const FRAME_H = 16;
const MIN_W = 0.1; // px: narrower frames are invisible
const MAX_ROWS = 2000; // a canvas taller than ~32,000 px is not drawn by browsers
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
const SEARCH_FILL = "rgb(230,0,230)";
const FLAG_PARTIAL = 8;
const KIND_KERNEL = 1, KIND_JIT = 2, KIND_UNKNOWN = 3;
// How much further than the tree's detail a zoom may go before it asks for the frame's subtree:
// the page asks for detail = width x 10 (0.1 px) x ZOOM_HEADROOM.
export const ZOOM_HEADROOM = 2;

// How much a count is: samples, or with unit "us" a time in microseconds ("1.25 s", "3.4 ms").
export function amount(n, unit) {
	if (unit !== "us") return n.toLocaleString("en-US") + " sample" + (n === 1 ? "" : "s");
	if (n >= 1e6) return (n / 1e6).toFixed(2) + " s";
	if (n >= 1e3) return (n / 1e3).toFixed(1) + " ms";
	return n + " \u00b5s";
}

// ---- the tree ----

// Typed arrays from /api/tree's JSON: per node its name index, count, flags, base count (a
// diff), parent, depth, first sample from the left (start) and the end of its subtree (nodes
// come in pre-order, so a subtree is the range [i, end[i])).
export function decodeTree(json) {
	const s = json.stride, flat = json.nodes, n = Math.floor(flat.length / s);
	const t = {
		n: n,
		names: json.names,
		total: json.total,
		baseTotal: json.base_total || 0,
		detail: json.detail || 0,
		focus: json.focus || 0,
		name: new Int32Array(n),
		count: new Float64Array(n),
		flags: new Uint8Array(n),
		base: s === 5 ? new Float64Array(n) : null,
		parent: new Int32Array(n),
		depth: new Int32Array(n),
		start: new Float64Array(n),
		end: new Int32Array(n),
	};
	const stack = new Int32Array(n + 1), left = new Int32Array(n + 1), cursor = new Float64Array(n);
	let sp = 0;
	for (let i = 0; i < n; i++) {
		const o = i * s;
		t.name[i] = flat[o];
		t.count[i] = flat[o + 1];
		t.flags[i] = flat[o + 3];
		if (t.base) t.base[i] = flat[o + 4];
		while (sp > 0 && left[sp - 1] === 0) t.end[stack[--sp]] = i;
		if (sp > 0) {
			const p = stack[sp - 1];
			t.parent[i] = p;
			t.depth[i] = t.depth[p] + 1;
			t.start[i] = cursor[p];
			cursor[p] += t.count[i];
			left[sp - 1]--;
		} else {
			t.parent[i] = -1;
		}
		cursor[i] = t.start[i];
		stack[sp] = i;
		left[sp++] = flat[o + 2];
	}
	while (sp > 0) t.end[stack[--sp]] = n;
	return t;
}

// The names from the root's child down to node i.
export function pathOf(t, i) {
	const path = [];
	for (; i > 0; i = t.parent[i]) path.push(t.names[t.name[i]]);
	return path.reverse();
}

// The node at path, or the deepest node on the way there; with how many names matched.
export function findPath(t, path) {
	let at = 0, matched = 0;
	for (const want of path) {
		let found = -1;
		for (let k = at + 1; k < t.end[at]; k = t.end[k]) {
			if (t.names[t.name[k]] === want) {
				found = k;
				break;
			}
		}
		if (found < 0) break;
		at = found;
		matched++;
	}
	return { node: at, matched: matched };
}

// ---- colours: flamegraph.pl's families, by a hash of the name so a frame keeps its colour ----

function hashName(s) {
	let h = 0x811c9dc5;
	for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

function frameColor(name, kind) {
	const h = hashName(name), a = (h & 0xff) / 255, b = ((h >>> 8) & 0xff) / 255, c = ((h >>> 16) & 0xff) / 255;
	let r, g, bl;
	if (kind === KIND_KERNEL) [r, g, bl] = [225 + 30 * a, 120 + 50 * b, 30 * c];
	else if (kind === KIND_JIT) [r, g, bl] = [60 + 60 * a, 180 + 50 * b, 60 + 50 * c];
	else if (kind === KIND_UNKNOWN) r = g = bl = 180 + 40 * a;
	else [r, g, bl] = [205 + 50 * a, 220 * b, 55 * c];
	return "rgb(" + (r | 0) + "," + (g | 0) + "," + (bl | 0) + ")";
}

// White when unchanged, full red (grew) or blue (shrank) at the largest change in the graph.
function diffColor(delta, max) {
	const fade = Math.round(255 * (1 - (max > 0 ? Math.abs(delta) / max : 0)));
	return delta > 0 ? "rgb(255," + fade + "," + fade + ")" : "rgb(" + fade + "," + fade + ",255)";
}

function pct(x) {
	return (Math.round(x * 100) / 100).toFixed(2);
}

// ---- the graph ----

export class FlameGraph {
	// box: the scrolling element the canvas goes in; details: where the frame under the pointer
	// (or the keyboard's frame) is described; opts.onZoom(path) after every zoom;
	// opts.needDetail(path) when a zoom goes past what the tree holds; opts.unit is "us" when
	// counts are microseconds (off-CPU and wall views); opts.baseLabel names the
	// base in a diff's descriptions.
	constructor(box, details, opts) {
		this.box = box;
		this.details = details;
		this.opts = opts || {};
		this.canvas = document.createElement("canvas");
		this.canvas.tabIndex = 0;
		this.canvas.setAttribute("role", "img");
		this.canvas.setAttribute("aria-describedby", details.id);
		this.spacer = document.createElement("div");
		box.replaceChildren(this.canvas, this.spacer);
		box.addEventListener("scroll", () => {
			if (!this.painting) this.painting = requestAnimationFrame(() => {
				this.painting = 0;
				this.paint();
			});
		});
		this.tree = null; // the whole tree
		this.focusTree = null; // a zoomed frame's subtree, fetched for its detail
		this.focusPath = null;
		this.zoom = []; // path of the zoomed frame
		this.icicle = false;
		this.matchRe = null;
		this.matchCache = null;
		this.keyNode = -1; // the keyboard's frame, in the shown tree
		this.hover = -1;
		this.rows = [];
		this.colors = null;
		this.widths = null;
		this.drawn = 0;
		this.pending = 0;
		this.canvas.addEventListener("mousemove", (e) => this.onMove(e));
		this.canvas.addEventListener("mouseleave", () => this.onLeave());
		this.canvas.addEventListener("click", (e) => this.onClick(e));
		this.canvas.addEventListener("keydown", (e) => this.onKey(e));
		this.canvas.addEventListener("focus", () => this.onFocus());
	}

	// A new tree (null: nothing to show). The zoom is kept where its path still exists.
	setTree(tree) {
		this.tree = tree;
		this.focusTree = null;
		this.focusPath = null;
		this.colors = null;
		this.matchCache = null;
		this.keyNode = -1;
		this.hover = -1;
		this.request();
	}

	// The subtree of the frame at path, with the detail the zoom needs.
	setFocusTree(tree, path) {
		this.focusTree = tree;
		this.focusPath = path;
		this.keyNode = -1;
		this.drawNow();
	}

	setIcicle(on) {
		if (this.icicle === on) return;
		this.icicle = on;
		this.request();
	}

	// The tree being shown: the focused subtree while the zoom is inside it, else the whole.
	shown() {
		const f = this.focusPath;
		if (this.focusTree && f && f.length <= this.zoom.length && f.every((n, i) => n === this.zoom[i]))
			return this.focusTree;
		return this.tree;
	}

	zoomNode(t) {
		return t ? findPath(t, this.zoom).node : 0;
	}

	// Zooms to the frame at path ([] resets). Returns whether the whole path exists.
	zoomTo(path, quiet) {
		this.zoom = path.slice();
		const t = this.shown();
		const found = t ? findPath(t, this.zoom) : { node: 0, matched: 0 };
		if (t && found.matched < path.length && t === this.tree) this.zoom = path.slice(0, found.matched);
		this.keyNode = -1;
		this.drawNow();
		if (this.t) this.say(this.describe(this.t, this.z));
		if (!quiet && this.opts.onZoom) this.opts.onZoom(this.zoom.slice());
		this.checkDetail();
		return found.matched === path.length;
	}

	// Asks for the zoomed frame's subtree when frames the tree left out would now be visible.
	checkDetail() {
		const t = this.shown();
		if (!t || !this.zoom.length || !this.opts.needDetail) return;
		const z = this.zoomNode(t), ref = t.count[t.focus] || 1;
		if (!t.detail || (ref / t.count[z]) * this.width() * 10 < t.detail) return;
		for (let i = z; i < t.end[z]; i++) {
			if (t.flags[i] & FLAG_PARTIAL) {
				this.opts.needDetail(this.zoom.slice());
				return;
			}
		}
	}

	// Highlights the frames whose name re matches (null: none). Returns the share of samples
	// under a match, each sample once however many matches are on its stack.
	search(re) {
		this.matchRe = re;
		this.matchCache = null;
		this.request();
		return re ? this.matchedShare() : 0;
	}

	matches(t, i) {
		if (!this.matchRe) return false;
		if (!this.matchCache || this.matchCache.t !== t) this.matchCache = { t: t, v: new Uint8Array(t.names.length) };
		const v = this.matchCache.v, k = t.name[i];
		if (!v[k]) v[k] = this.matchRe.test(t.names[k]) ? 2 : 1;
		return v[k] === 2;
	}

	matchedShare() {
		const t = this.tree;
		if (!t || !t.n || !t.total) return 0;
		let sum = 0;
		for (let i = 1; i < t.n; i++) {
			if (this.matches(t, i)) {
				sum += t.count[i];
				i = t.end[i] - 1; // a match inside a match counts once
			}
		}
		return (100 * sum) / t.total;
	}

	// The widest frame called name (an exact name, or with " (file:line)"), under the program
	// comm if given: its path, or null.
	widest(name, comm) {
		const t = this.tree;
		if (!t) return null;
		let best = -1;
		for (let c = 1; c < t.n; c = t.end[c]) {
			if (comm && t.names[t.name[c]] !== comm) continue;
			for (let i = c + 1; i < t.end[c]; i++) {
				const nm = t.names[t.name[i]];
				if ((nm === name || nm.startsWith(name + " (")) && (best < 0 || t.count[i] > t.count[best])) best = i;
			}
		}
		return best < 0 ? null : pathOf(t, best);
	}

	width() {
		return Math.max(200, this.box.clientWidth || 1200);
	}

	// ---- drawing ----

	request() {
		if (!this.pending) this.pending = requestAnimationFrame(() => {
			this.pending = 0;
			this.draw();
		});
	}

	// Draws now (tests and the first paint need not wait for an animation frame).
	drawNow() {
		if (this.pending) cancelAnimationFrame(this.pending);
		this.pending = 0;
		this.draw();
	}

	// Colours by name index, made once per name: names keep their colour from refresh to refresh.
	palette(t) {
		if (this.colors && this.colors.t === t) return this.colors.v;
		const v = new Array(t.names.length), known = this.colorOf || (this.colorOf = new Map());
		if (known.size > 50000) known.clear();
		for (let i = 0; i < t.n; i++) {
			const k = t.name[i];
			if (v[k] !== undefined) continue;
			const key = (t.flags[i] & 3) + t.names[k];
			let c = known.get(key);
			if (c === undefined) known.set(key, (c = frameColor(t.names[k], t.flags[i] & 3)));
			v[k] = c;
		}
		this.colors = { t: t, v: v };
		return v;
	}

	// Which frames show and where: rows[depth] lists them left to right.
	layout(t, z, w) {
		const scale = w / t.count[z], x0 = t.start[z];
		const rows = [], xs = new Float64Array(t.n), ws = new Float64Array(t.n);
		for (let a = t.parent[z], up = []; ; a = t.parent[a]) {
			if (a < 0) {
				for (const p of up.reverse()) (rows[t.depth[p]] = [p]), (xs[p] = 0), (ws[p] = w);
				break;
			}
			up.push(a);
		}
		for (let i = z; i < t.end[z]; i++) {
			const fw = t.count[i] * scale;
			if (fw < MIN_W || t.depth[i] >= MAX_ROWS) {
				i = t.end[i] - 1;
				continue;
			}
			xs[i] = (t.start[i] - x0) * scale;
			ws[i] = fw;
			(rows[t.depth[i]] || (rows[t.depth[i]] = [])).push(i);
		}
		return { rows: rows, xs: xs, ws: ws };
	}

	rowY(d) {
		return this.icicle ? d * FRAME_H : (this.rows.length - 1 - d) * FRAME_H;
	}

	// Lays the frames out, sizes the box and the canvas, and paints. The canvas is only as tall
	// as the box shows (it sticks to the box's top while a spacer below it gives the scroll
	// height), so a refresh paints what is visible, not a canvas of every row.
	draw() {
		const t = this.shown(), w = this.width();
		if (!t || !t.n || !t.total) {
			this.rows = [];
			this.canvas.hidden = true;
			this.spacer.style.height = "0";
			return;
		}
		this.canvas.hidden = false;
		const z = this.zoomNode(t);
		const lay = this.layout(t, z, w);
		this.rows = lay.rows;
		this.xs = lay.xs;
		this.ws = lay.ws;
		this.z = z;
		this.t = t;
		this.maxD = t.base ? this.maxDelta(t) : 0;
		this.canvas.setAttribute("aria-label", this.label(t, z));
		this.fitBox(w);
		this.paint();
		// What is on screen, for whoever waits for it (the tests, the benchmark).
		this.box.dataset.draws = String(++this.drawn);
		if (!performance.getEntriesByName("pd-first-graph").length) performance.mark("pd-first-graph");
	}

	// Paints the rows in view at the box's scroll position.
	paint() {
		const t = this.t, canvas = this.canvas, ctx = canvas.getContext("2d");
		if (!t || canvas.hidden) return;
		const w = this.cw, h = this.ch, top = this.box.scrollTop, dpr = window.devicePixelRatio || 1;
		ctx.setTransform(dpr, 0, 0, dpr, 0, -top * dpr);
		ctx.clearRect(0, top, w, h);
		ctx.font = FONT;
		ctx.textBaseline = "middle";
		const colors = this.palette(t);
		for (let d = 0; d < this.rows.length; d++) {
			const y = this.rowY(d);
			if (y + FRAME_H <= top || y >= top + h) continue;
			for (const i of this.rows[d] || []) this.drawFrame(ctx, t, i, y, colors, this.maxD, i < this.z);
		}
		if (this.keyNode >= 0 && this.ws[this.keyNode] > 0) {
			ctx.strokeStyle = "#1a5fd0";
			ctx.lineWidth = 2;
			ctx.strokeRect(this.xs[this.keyNode] + 1, this.rowY(t.depth[this.keyNode]) + 1,
				Math.max(2, this.ws[this.keyNode] - 2), FRAME_H - 3);
		}
	}

	drawFrame(ctx, t, i, y, colors, maxDelta, ancestor) {
		const x = this.xs[i], fw = this.ws[i];
		let fill;
		if (this.matches(t, i)) fill = SEARCH_FILL;
		else if (t.base) fill = diffColor(this.delta(t, i), maxDelta);
		else fill = colors[t.name[i]];
		ctx.globalAlpha = ancestor ? 0.5 : 1;
		ctx.fillStyle = fill;
		ctx.fillRect(x, y, fw > 1.5 ? fw - 0.5 : fw, FRAME_H - 1);
		if (fw > 24) {
			const label = this.fit(t, i, fw - 6, ctx);
			if (label) {
				ctx.fillStyle = "#000";
				ctx.fillText(label, x + 3, y + FRAME_H / 2);
			}
		}
		ctx.globalAlpha = 1;
	}

	// The name cut with ".." to what fits in w px, or "". Widths are measured once per name.
	fit(t, i, w, ctx) {
		const name = t.names[t.name[i]], widths = this.widths || (this.widths = new Map());
		let full = widths.get(name);
		if (full === undefined) {
			if (widths.size > 50000) widths.clear();
			widths.set(name, (full = ctx.measureText(name).width || 1));
		}
		if (full <= w) return name;
		const chars = Math.floor((name.length * w) / full) - 2;
		return chars >= 3 ? name.slice(0, chars) + ".." : "";
	}

	delta(t, i) {
		const share = t.count[i] / t.total, base = t.baseTotal ? t.base[i] / t.baseTotal : 0;
		return 100 * (share - base);
	}

	// The largest change among the frames laid out: it gets the full colour.
	maxDelta(t) {
		let m = 0;
		for (const row of this.rows) for (const i of row || []) m = Math.max(m, Math.abs(this.delta(t, i)));
		return m;
	}

	// The box is at most as tall as the window below its top; a flame graph (root at the
	// bottom) scrolls so its root shows, but only when the picture changed shape, not on every
	// refresh of a live graph.
	fitBox(w) {
		const box = this.box, canvas = this.canvas, dpr = window.devicePixelRatio || 1;
		const top = box.getBoundingClientRect().top + window.scrollY;
		const room = Math.max(160, window.innerHeight - top - 16);
		const h = this.rows.length * FRAME_H, shown = Math.min(h, room);
		box.style.height = shown + 2 + "px";
		this.cw = w;
		this.ch = shown;
		if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(shown * dpr)) {
			canvas.width = Math.round(w * dpr);
			canvas.height = Math.round(shown * dpr);
			canvas.style.width = w + "px";
			canvas.style.height = shown + "px";
		}
		this.spacer.style.height = h - shown + "px";
		const shape = h + (this.icicle ? "i" : "f") + this.zoom.join(";");
		if (shape === this.shape) return;
		this.shape = shape;
		box.scrollTop = this.icicle ? 0 : h;
	}

	label(t, z) {
		const what = this.icicle ? "Icicle graph" : "Flame graph";
		const name = z ? t.names[t.name[z]] : "all";
		return what + ", " + (z ? "zoomed to " + name + ", " : "") + this.rows.length +
			" levels. Arrow keys move between frames, Enter zooms, Escape resets the zoom.";
	}

	// "name (N samples, P%)" as flamegraph.pl says it, or "name (1.25 s, P%)" for time.
	describe(t, i) {
		const n = t.count[i];
		let s = t.names[t.name[i]] + " (" + amount(n, this.opts.unit) + ", " + pct((100 * n) / t.total) + "%";
		if (t.flags[i] & 4) s += ", inlined";
		if (t.base) {
			const d = this.delta(t, i);
			s += "; " + (t.base[i] ? "" : "new, ") + (d >= 0 ? "+" : "") + pct(d) + "% vs " + (this.opts.baseLabel || "base");
		}
		return s + ")";
	}

	// ---- pointer and keyboard ----

	hit(e) {
		const r = this.canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top + this.box.scrollTop;
		const rowFromTop = Math.floor(y / FRAME_H);
		const d = this.icicle ? rowFromTop : this.rows.length - 1 - rowFromTop;
		const row = this.rows[d];
		if (!row) return -1;
		let lo = 0, hi = row.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1, i = row[mid];
			if (x < this.xs[i]) hi = mid - 1;
			else if (x >= this.xs[i] + Math.max(this.ws[i], 1)) lo = mid + 1;
			else return i;
		}
		return -1;
	}

	say(text) {
		this.details.textContent = text || "\u00a0";
	}

	onMove(e) {
		const i = this.hit(e);
		if (i === this.hover) return;
		this.hover = i;
		this.canvas.style.cursor = i >= 0 ? "pointer" : "";
		this.say(i >= 0 ? this.describe(this.t, i) : this.keyNode >= 0 ? this.describe(this.t, this.keyNode) : "");
	}

	onLeave() {
		this.hover = -1;
		this.say(this.keyNode >= 0 ? this.describe(this.t, this.keyNode) : "");
	}

	onClick(e) {
		const i = this.hit(e);
		if (i < 0) return;
		this.zoomTo(pathOf(this.t, i));
		this.canvas.focus({ preventScroll: true });
	}

	onFocus() {
		if (this.keyNode < 0 && this.t) this.setKey(this.z || 0);
	}

	setKey(i) {
		this.keyNode = i;
		this.say(this.describe(this.t, i));
		this.request();
		this.scrollToRow(this.t.depth[i]);
	}

	scrollToRow(d) {
		const y = this.rowY(d), box = this.box;
		if (y < box.scrollTop) box.scrollTop = y;
		else if (y + FRAME_H > box.scrollTop + box.clientHeight) box.scrollTop = y + FRAME_H - box.clientHeight;
	}

	// Left/right: the neighbours on the same level; up/down: caller or widest callee, as they
	// lie on screen; Enter zooms; Escape resets; Home goes to the root.
	onKey(e) {
		const t = this.t;
		if (!t || !this.rows.length) return;
		let i = this.keyNode >= 0 ? this.keyNode : this.z;
		const row = this.rows[t.depth[i]] || [];
		const toLeaf = () => {
			let best = -1;
			for (let k = i + 1; k < t.end[i]; k = t.end[k]) if (this.ws[k] > 0 && (best < 0 || t.count[k] > t.count[best])) best = k;
			return best;
		};
		const toRoot = () => (t.parent[i] >= 0 ? t.parent[i] : -1);
		let next = -1;
		switch (e.key) {
		case "ArrowLeft":
			next = row[row.indexOf(i) - 1] ?? -1;
			break;
		case "ArrowRight":
			next = row[row.indexOf(i) + 1] ?? -1;
			break;
		case "ArrowUp":
			next = this.icicle ? toRoot() : toLeaf();
			break;
		case "ArrowDown":
			next = this.icicle ? toLeaf() : toRoot();
			break;
		case "Home":
			next = 0;
			break;
		case "Enter":
		case " ":
			e.preventDefault();
			this.zoomTo(pathOf(t, i));
			return;
		case "Escape":
			if (!this.zoom.length) return;
			e.preventDefault();
			this.zoomTo([]);
			return;
		default:
			return;
		}
		e.preventDefault();
		if (next >= 0) this.setKey(next);
	}
}
