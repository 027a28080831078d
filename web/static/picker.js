// SPDX-License-Identifier: MIT
// The process picker: a search box over the processes seen with samples, grouped by program
// name (comm), each group with its processes' count and samples. A whole machine has thousands
// of processes, most of them many copies of a few programs, so the list shows groups first and
// at most a screenful of anything; a program is one choice ("all of cc1"), a process another.
//
// Grouping levels are a list (LEVELS) so that containers or units can become a level above the
// program once samples carry them. Names come from the profiled machine: textContent only.

const MAX_GROUPS = 200;
const MAX_PROCESSES = 100;

// From the outermost level in: each turns a target into its group's key and label.
const LEVELS = [{ key: (t) => t.comm, label: (k) => k }];

function num(x) {
	return Number(x).toLocaleString("en-US");
}

function plural(n, one, many) {
	return num(n) + " " + (n === 1 ? one : many);
}

function samples(n) {
	return plural(n, "sample", "samples");
}

export class Picker {
	// ids name the button, the popup, its search box, list and note; onPick({pid, comm}) gets
	// the choice (pid 0: the whole program; null: every process); onOpen() is told when the
	// list opens, to bring it up to date.
	constructor(ids, onPick, onOpen) {
		this.button = document.getElementById(ids.button);
		this.pop = document.getElementById(ids.pop);
		this.input = document.getElementById(ids.search);
		this.list = document.getElementById(ids.list);
		this.note = document.getElementById(ids.note);
		this.onPick = onPick;
		this.onOpen = onOpen;
		this.amount = samples; // how a target's count reads: samples, or a time
		this.groups = [];
		this.total = 0;
		this.choice = null;
		this.open = new Set(); // expanded group keys
		this.active = -1;
		this.options = [];
		this.button.addEventListener("click", () => (this.pop.hidden ? this.show() : this.hide(true)));
		this.input.addEventListener("input", () => {
			this.active = 0;
			this.render();
		});
		this.input.addEventListener("keydown", (e) => this.onKey(e));
		this.list.addEventListener("click", (e) => {
			const li = e.target.closest("li[data-i]");
			if (li) this.activate(Number(li.dataset.i), e.target.closest(".twisty") !== null);
		});
		document.addEventListener("mousedown", (e) => {
			if (!this.pop.hidden && !this.pop.contains(e.target) && e.target !== this.button) this.hide(false);
		});
	}

	// targets: [{pid, comm, samples}], samples being what the view counts (CPU samples, or a
	// time that amount(n) says); amount: a function, or null for samples.
	setTargets(targets, amount) {
		this.amount = amount || samples;
		const by = new Map();
		let total = 0;
		for (const t of targets) {
			const key = LEVELS[0].key(t);
			let g = by.get(key);
			if (!g) by.set(key, (g = { key: key, label: LEVELS[0].label(key), samples: 0, n: 0, procs: [] }));
			g.samples += t.samples;
			g.n++;
			// Saved folded files have no pids: their programs are the only choice.
			if (t.pid > 0) g.procs.push(t);
			total += t.samples;
		}
		this.groups = Array.from(by.values()).sort((a, b) => b.samples - a.samples || a.key.localeCompare(b.key));
		for (const g of this.groups) g.procs.sort((a, b) => b.samples - a.samples || a.pid - b.pid);
		this.total = total;
		if (!this.pop.hidden) this.render();
		this.showChoice();
	}

	setChoice(choice) {
		this.choice = choice && (choice.pid || choice.comm) ? choice : null;
		this.showChoice();
	}

	showChoice() {
		const c = this.choice;
		let s = "All processes";
		if (c && c.pid) s = c.comm + " (pid " + c.pid + ")";
		else if (c) {
			const g = this.groups.find((x) => x.key === c.comm);
			s = c.comm + (g && g.procs.length > 1 ? " (all " + num(g.procs.length) + " processes)" : "");
		}
		this.button.textContent = s + " \u25be";
	}

	isOpen() {
		return !this.pop.hidden;
	}

	show() {
		if (this.onOpen) this.onOpen();
		this.pop.hidden = false;
		this.button.setAttribute("aria-expanded", "true");
		this.input.value = "";
		this.active = 0;
		this.render();
		this.input.focus();
	}

	hide(refocus) {
		this.pop.hidden = true;
		this.button.setAttribute("aria-expanded", "false");
		if (refocus) this.button.focus();
	}

	// The options the search leaves, as {kind, group, proc, label, detail}.
	visible() {
		const q = this.input.value.trim().toLowerCase(), digits = /^\d+$/.test(q);
		const procs = this.groups.reduce((n, g) => n + g.procs.length, 0);
		const out = [{ kind: "all", label: "All processes", detail: (procs ? plural(procs, "process", "processes") + ", " : "") +
			this.amount(this.total) }];
		let shown = 0, hidden = 0;
		for (const g of this.groups) {
			const nameHit = !q || g.label.toLowerCase().includes(q);
			const pidHits = digits ? g.procs.filter((p) => String(p.pid).startsWith(q)) : [];
			if (!nameHit && !pidHits.length) continue;
			if (shown++ >= MAX_GROUPS) {
				hidden++;
				continue;
			}
			const expanded = g.procs.length > 0 && (this.open.has(g.key) || (pidHits.length > 0 && !nameHit));
			out.push({ kind: "group", group: g, expanded: expanded, label: g.label,
				detail: (g.procs.length ? plural(g.procs.length, "process", "processes") + ", " : "") +
					this.amount(g.samples) });
			if (!expanded) continue;
			const procs = pidHits.length && !nameHit ? pidHits : g.procs;
			for (const p of procs.slice(0, MAX_PROCESSES))
				out.push({ kind: "proc", group: g, proc: p, label: "pid " + p.pid, detail: this.amount(p.samples) });
			if (procs.length > MAX_PROCESSES)
				out.push({ kind: "more", group: g, label: num(procs.length - MAX_PROCESSES) + " more: type a PID to find one", detail: "" });
		}
		this.hiddenGroups = hidden;
		return out;
	}

	render() {
		this.options = this.visible();
		if (this.active >= this.options.length) this.active = this.options.length - 1;
		const items = this.options.map((o, i) => {
			const li = document.createElement("li");
			li.id = "pd-pick-" + i;
			li.dataset.i = String(i);
			li.className = o.kind;
			if (o.kind !== "more") {
				li.setAttribute("role", "option");
				li.setAttribute("aria-selected", i === this.active ? "true" : "false");
			}
			if (o.kind === "group") {
				const tw = document.createElement("span");
				tw.className = "twisty";
				if (o.group.procs.length) {
					li.setAttribute("aria-expanded", o.expanded ? "true" : "false");
					tw.textContent = o.expanded ? "\u25be" : "\u25b8";
					tw.title = o.expanded ? "Hide its processes" : "Show its processes";
				}
				li.appendChild(tw);
			}
			const name = document.createElement("span");
			name.className = "name";
			name.textContent = o.label;
			const detail = document.createElement("span");
			detail.className = "detail";
			detail.textContent = o.detail;
			li.append(name, detail);
			if (this.isChosen(o)) li.classList.add("chosen");
			return li;
		});
		this.list.replaceChildren(...items);
		this.input.setAttribute("aria-activedescendant", this.active >= 0 ? "pd-pick-" + this.active : "");
		const act = this.active >= 0 ? items[this.active] : null;
		if (act) act.scrollIntoView({ block: "nearest" });
		this.note.textContent = this.hiddenGroups ? num(this.hiddenGroups) + " more programs: type to narrow the list" : "";
	}

	isChosen(o) {
		const c = this.choice;
		if (o.kind === "all") return !c;
		if (o.kind === "group") return !!c && !c.pid && c.comm === o.group.key;
		if (o.kind === "proc") return !!c && c.pid === o.proc.pid && c.comm === o.proc.comm;
		return false;
	}

	// Enter or a click: choose it; on a group's triangle (or with expand): show its processes.
	activate(i, expand) {
		const o = this.options[i];
		if (!o || o.kind === "more") return;
		this.active = i;
		if (o.kind === "group" && expand) {
			this.toggle(o.group.key, !o.expanded);
			return;
		}
		let choice = null;
		if (o.kind === "group") choice = { pid: 0, comm: o.group.key };
		else if (o.kind === "proc") choice = { pid: o.proc.pid, comm: o.proc.comm };
		this.setChoice(choice);
		this.hide(true);
		this.onPick(this.choice);
	}

	toggle(key, on) {
		if (on) this.open.add(key);
		else this.open.delete(key);
		this.render();
	}

	onKey(e) {
		const n = this.options.length, o = this.options[this.active];
		switch (e.key) {
		case "ArrowDown":
			this.active = Math.min(n - 1, this.active + 1);
			if (this.options[this.active] && this.options[this.active].kind === "more" && this.active < n - 1) this.active++;
			break;
		case "ArrowUp":
			this.active = Math.max(0, this.active - 1);
			if (this.options[this.active] && this.options[this.active].kind === "more") this.active--;
			break;
		case "ArrowRight":
			if (!o || o.kind !== "group" || o.expanded || !o.group.procs.length) return;
			this.toggle(o.group.key, true);
			break;
		case "ArrowLeft":
			if (!o || (o.kind !== "group" && o.kind !== "proc")) return;
			if (o.kind === "proc") this.active = this.options.indexOf(this.options.find((x) => x.kind === "group" && x.group === o.group));
			this.toggle(o.group.key, false);
			break;
		case "Enter":
			this.activate(this.active, false);
			break;
		case "Escape":
			this.hide(true);
			break;
		default:
			return;
		}
		e.preventDefault();
		if (e.key !== "Enter" && e.key !== "Escape") this.render();
	}
}
