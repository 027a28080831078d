// SPDX-License-Identifier: MIT
// The process picker: a search box over the processes seen with samples, grouped by the
// container or systemd unit they ran in, then by program name (comm), each group with its
// processes' count and samples. A whole machine has thousands of processes, most of them many
// copies of a few programs, so the list shows groups first and at most a screenful of anything;
// a container or unit is one choice, a program ("all of cc1", in that unit or anywhere) another,
// a process a third.
//
// Grouping levels are a list (LEVELS), outermost first. Names come from the profiled machine:
// textContent only.

const MAX_GROUPS = 200;
const MAX_PROCESSES = 100;

// The container or unit a target ran in, as the cgroup to filter by (its path up to the
// innermost component that names it) and a label; null when its cgroup names neither.
function scope(t) {
	const id = t.container_id, unit = t.systemd_unit;
	if (!t.cgroup || (!id && !unit)) return null;
	const parts = t.cgroup.split("/");
	for (let i = parts.length - 1; i > 0; i--)
		if (id ? parts[i].includes(id) : parts[i] === unit)
			return { key: parts.slice(0, i + 1).join("/"), label: id ? "container " + id.slice(0, 12) : unit };
	return null;
}

// From the outermost level in: each gives a target's group there as {key, label}, or null
// when it has none (its group at the next level then sits one level up).
const LEVELS = [
	{ kind: "unit", of: scope },
	{ kind: "group", of: (t) => ({ key: t.comm, label: t.comm }) },
];

function num(x) {
	return Number(x).toLocaleString("en-US");
}

function plural(n, one, many) {
	return num(n) + " " + (n === 1 ? one : many);
}

function byWeight(a, b) {
	return b.samples - a.samples || a.label.localeCompare(b.label);
}

// The tree of groups: kids sorted by samples; processes sorted under the innermost level.
function buildTree(targets) {
	const root = { id: "", kids: new Map() };
	let total = 0;
	for (const t of targets) {
		let node = root;
		for (const level of LEVELS) {
			const g = level.of(t);
			if (!g) continue;
			let k = node.kids.get(g.key);
			if (!k) {
				k = { kind: level.kind, key: g.key, label: g.label, id: node.id + "\u0000" + level.kind + ":" + g.key,
					parent: node === root ? null : node, samples: 0, procs: [], kids: new Map() };
				node.kids.set(g.key, k);
			}
			k.samples += t.samples;
			// Saved folded files have no pids: their programs are the only choice.
			if (t.pid > 0) k.procs.push(t);
			node = k;
		}
		total += t.samples;
	}
	const finish = (node) => {
		node.kids = Array.from(node.kids.values()).sort(byWeight);
		node.kids.forEach(finish);
		if (node.procs) node.procs.sort((a, b) => b.samples - a.samples || a.pid - b.pid);
	};
	finish(root);
	return { groups: root.kids, total: total };
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

	// targets: [{pid, comm, samples, cgroup?, container_id?, systemd_unit?}] as /api/targets
	// lists them, samples being what the view counts (CPU samples, or a time that amount(n)
	// says); amount: a function, or null for samples.
	setTargets(targets, amount) {
		this.amount = amount || samples;
		const tree = buildTree(targets);
		this.groups = tree.groups;
		this.total = tree.total;
		if (!this.pop.hidden) this.render();
		this.showChoice();
	}

	// choice: {pid, comm, cgroup}; pid 0 with a comm: that program (in cgroup, if given);
	// pid 0 and no comm: the container or unit whose cgroup that is.
	setChoice(choice) {
		this.choice = choice && (choice.pid || choice.comm || choice.cgroup) ? choice : null;
		this.showChoice();
	}

	findGroup(kind, key, parent) {
		return (parent ? parent.kids : this.groups).find((g) => g.kind === kind && g.key === key);
	}

	showChoice() {
		const c = this.choice;
		let s = "All processes";
		if (c && c.pid) s = c.comm + " (pid " + c.pid + ")";
		else if (c) {
			const unit = c.cgroup ? this.findGroup("unit", c.cgroup, null) : null;
			const where = unit ? unit.label : c.cgroup || "";
			if (!c.comm) s = where;
			else {
				const g = this.findGroup("group", c.comm, c.cgroup ? unit : null);
				s = c.comm + (where ? " in " + where : "") +
					(g && g.procs.length > 1 ? " (all " + num(g.procs.length) + " processes)" : "");
			}
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

	// The options the search leaves, as {kind, group, proc, depth, expanded, label, detail}.
	visible() {
		const q = this.input.value.trim().toLowerCase(), digits = /^\d+$/.test(q);
		const procs = this.groups.reduce((n, g) => n + g.procs.length, 0);
		const out = [{ kind: "all", depth: 0, label: "All processes", detail: (procs ? plural(procs, "process", "processes") + ", " : "") +
			this.amount(this.total) }];
		const named = (g) => !q || g.label.toLowerCase().includes(q);
		const pidHits = (g) => (digits && g.kind === "group" ? g.procs.filter((p) => String(p.pid).startsWith(q)) : []);
		const found = (g) => named(g) || pidHits(g).length > 0 || g.kids.some(found);
		let shown = 0, hidden = 0;
		// inHit: an outer group matched by name, so all of this one is shown.
		const emit = (g, depth, inHit) => {
			const self = inHit || named(g), pids = pidHits(g);
			if (!self && !found(g)) return;
			if (depth === 0 && shown++ >= MAX_GROUPS) {
				hidden++;
				return;
			}
			const opens = g.kind === "group" ? g.procs.length > 0 : g.kids.length > 0;
			const expanded = opens && (this.open.has(g.id) || !self);
			out.push({ kind: g.kind, group: g, depth: depth, expanded: expanded, label: g.label,
				detail: (g.procs.length ? plural(g.procs.length, "process", "processes") + ", " : "") +
					this.amount(g.samples) });
			if (!expanded) return;
			if (g.kind !== "group") {
				for (const k of g.kids) emit(k, depth + 1, self);
				return;
			}
			const list = pids.length && !self ? pids : g.procs;
			for (const p of list.slice(0, MAX_PROCESSES))
				out.push({ kind: "proc", group: g, proc: p, depth: depth + 1, label: "pid " + p.pid, detail: this.amount(p.samples) });
			if (list.length > MAX_PROCESSES)
				out.push({ kind: "more", group: g, depth: depth + 1, label: num(list.length - MAX_PROCESSES) + " more: type a PID to find one", detail: "" });
		};
		for (const g of this.groups) emit(g, 0, false);
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
			// Nested rows step in from where their kind starts (CSS indents processes).
			if (o.depth > (o.kind === "proc" || o.kind === "more" ? 1 : 0))
				li.style.marginLeft = (o.depth - (o.kind === "proc" || o.kind === "more" ? 1 : 0)) * 1.2 + "rem";
			if (o.kind === "group" || o.kind === "unit") {
				const tw = document.createElement("span");
				tw.className = "twisty";
				if (o.group.kind === "unit" ? o.group.kids.length : o.group.procs.length) {
					li.setAttribute("aria-expanded", o.expanded ? "true" : "false");
					tw.textContent = o.expanded ? "\u25be" : "\u25b8";
					tw.title = o.expanded ? "Hide what it holds" : "Show what it holds";
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
		this.note.textContent = this.hiddenGroups ? num(this.hiddenGroups) + " more groups: type to narrow the list" : "";
	}

	// The cgroup a program group is chosen in: its container's or unit's, or none.
	static within(g) {
		return g.parent ? g.parent.key : "";
	}

	isChosen(o) {
		const c = this.choice;
		if (o.kind === "all") return !c;
		if (!c || c.pid && o.kind !== "proc") return false;
		if (o.kind === "unit") return !c.comm && c.cgroup === o.group.key;
		if (o.kind === "group") return c.comm === o.group.key && (c.cgroup || "") === Picker.within(o.group);
		if (o.kind === "proc") return c.pid === o.proc.pid && c.comm === o.proc.comm;
		return false;
	}

	// Enter or a click: choose it; on a group's triangle (or with expand): open or close it.
	activate(i, expand) {
		const o = this.options[i];
		if (!o || o.kind === "more") return;
		this.active = i;
		if ((o.kind === "group" || o.kind === "unit") && expand) {
			this.toggle(o.group.id, !o.expanded);
			return;
		}
		let choice = null;
		if (o.kind === "unit") choice = { pid: 0, comm: "", cgroup: o.group.key };
		else if (o.kind === "group") choice = { pid: 0, comm: o.group.key, cgroup: Picker.within(o.group) };
		else if (o.kind === "proc") choice = { pid: o.proc.pid, comm: o.proc.comm, cgroup: "" };
		this.setChoice(choice);
		this.hide(true);
		this.onPick(this.choice);
	}

	toggle(id, on) {
		if (on) this.open.add(id);
		else this.open.delete(id);
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
			if (!o || (o.kind !== "group" && o.kind !== "unit") || o.expanded) return;
			if (!(o.kind === "unit" ? o.group.kids.length : o.group.procs.length)) return;
			this.toggle(o.group.id, true);
			break;
		case "ArrowLeft": {
			if (!o || o.kind === "all" || o.kind === "more") return;
			// A process, or a closed group inside another: up to the group that holds it.
			const up = o.kind === "proc" ? o.group : !o.expanded ? o.group.parent : null;
			if (up) this.active = this.options.findIndex((x) => x.group === up && x.kind !== "proc" && x.kind !== "more");
			this.toggle((up || o.group).id, false);
			break;
		}
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
