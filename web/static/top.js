// SPDX-License-Identifier: MIT
// The top functions table: a row per function and program, sortable by any column, a click
// (or Enter) on a row handed to the page. Long names and paths stay on one line, shortened,
// with the whole text in the cell's title. Names come from the profiled machine: textContent
// only.

import { amount } from "/flame.js";

function num(x) {
	return Number(x).toLocaleString("en-US");
}

// "/usr/src/glibc/string/memcpy.S" as "…/string/memcpy.S": the file and its folder say most.
function shortPath(p) {
	const parts = p.split("/").filter(Boolean);
	return parts.length > 2 ? "\u2026/" + parts.slice(-2).join("/") : p;
}

function cell(tr, value, cls, full) {
	const td = document.createElement("td");
	td.className = cls;
	if (full) td.title = full;
	td.textContent = value;
	tr.appendChild(td);
}

export class TopTable {
	// table: the <table> with its header buttons (data-key); caption: where totals go;
	// onPick(row) when a row is chosen.
	constructor(table, caption, onPick) {
		this.table = table;
		this.caption = caption;
		this.onPick = onPick;
		this.rows = [];
		this.pid = 0;
		this.unit = "samples"; // or "us": the counts are microseconds
		this.sort = { key: "self", desc: true };
		for (const b of table.tHead.querySelectorAll("button")) {
			b.addEventListener("click", () => {
				const key = b.dataset.key;
				if (this.sort.key === key) this.sort.desc = !this.sort.desc;
				else this.sort = { key: key, desc: key !== "name" && key !== "comm" };
				this.render();
			});
		}
	}

	has() {
		return this.rows.length > 0;
	}

	// data: /api/top's answer; pid: the process the rows are of, 0 for programs.
	show(data, pid) {
		this.rows = data.functions;
		this.pid = pid;
		const by = this.unit === "us" ? "time" : "samples";
		this.caption.textContent = "Functions by " + by + ", per program: " + amount(data.total, this.unit) + ", " +
			num(data.count) + " rows" + (data.count > data.functions.length ? " (top " + data.functions.length + " shown)" : "") +
			". Click a row to find it in the flame graph.";
		this.render();
	}

	count(n) {
		return this.unit === "us" ? amount(n, "us") : num(n);
	}

	message(text) {
		this.caption.textContent = text;
	}

	sorted() {
		const { key, desc } = this.sort;
		const byText = (a, b) => a.name.localeCompare(b.name) || (a.comm || "").localeCompare(b.comm || "");
		return this.rows.slice().sort((a, b) => {
			let c = key === "name" ? a.name.localeCompare(b.name)
				: key === "comm" ? (a.comm || "").localeCompare(b.comm || "") : a[key] - b[key];
			if (c === 0) c = byText(a, b) * (desc ? -1 : 1);
			return desc ? -c : c;
		});
	}

	render() {
		const trs = this.sorted().map((r) => {
			const tr = document.createElement("tr");
			tr.tabIndex = 0;
			tr.title = "Show " + r.name + " in the flame graph";
			cell(tr, r.name, "name", r.name);
			cell(tr, (r.comm || "") + (this.pid ? " (pid " + this.pid + ")" : ""), "comm", r.comm || "");
			cell(tr, this.count(r.self) + " (" + r.self_pct.toFixed(2) + "%)", "num", "");
			cell(tr, this.count(r.total) + " (" + r.total_pct.toFixed(2) + "%)", "num", "");
			cell(tr, shortPath(r.file), "file", r.file);
			tr.addEventListener("click", () => this.onPick(r));
			tr.addEventListener("keydown", (e) => {
				if (e.key === "Enter") this.onPick(r);
			});
			return tr;
		});
		this.table.tBodies[0].replaceChildren(...trs);
		for (const th of this.table.tHead.rows[0].cells) {
			const b = th.querySelector("button");
			if (b) th.setAttribute("aria-sort", b.dataset.key === this.sort.key ? (this.sort.desc ? "descending" : "ascending") : "none");
		}
	}
}
