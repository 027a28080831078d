/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keeps proc_maps (see unwind.bpf.h) current from inside the kernel. A process's table is
 * rebuilt from its VMAs (the kernel's own list, walked with the task_vma iterator) whenever its
 * code can have changed:
 *
 *   sched_process_exec     a new image: its executable, the dynamic linker and the vdso
 *   _dl_debug_state        (uprobe on the dynamic linker) called after every change to the set
 *                          of loaded libraries, at start and at dlopen/dlclose: what debuggers
 *                          watch
 *   load_process           (run by user space) a process that was running before we started
 *   fork, free             the child gets a copy of its parent's table; a process's goes when
 *                          its last task is freed, not at exit: samples of the exit path
 *                          still walk its stack
 *
 * A rebuild writes a new element: a walk on another CPU keeps the old one, whole; user space
 * gets a copy of every new element (PROFD_EV_MAPS), its history of the process. A scan that
 * finds the mappings locked (a thread is changing them) asks user space to run load_process
 * later (PROFD_EV_RESCAN). So a process
 * that starts while we sample is unwound from its first sample with no round trip to user
 * space, as long as its files' tables exist. A file with code but no table is announced once
 * (PROFD_EV_MMAP); its frames follow rbp meanwhile, counted.
 *
 * Why not hook mmap itself: this kernel's lockdown forbids BPF trampolines (fentry/fexit),
 * kprobes are not built, BTF tracepoints have no mmap event, and a sys_exit tracepoint costs
 * every system call of the machine 150 ns here. Code mapped by hand rather than by exec or the
 * dynamic linker (rare outside JIT, whose anonymous code follows rbp anyway) is seen at the
 * next library change. Included by profile.bpf.c after its maps, count() and send helpers.
 */
#ifndef PROFD_MAPPINGS_BPF_H
#define PROFD_MAPPINGS_BPF_H

#include "bpf/unwind.bpf.h"

#define VM_EXEC 0x00000004

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* Files announced to user space whose table is not there yet: key file key, value unused. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} cfi_announced SEC(".maps");

/* A table being rebuilt, per CPU: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct profd_proc_maps);
} maps_scratch SEC(".maps");

/*
 * Its entries while the VMAs are walked, per CPU: key index, value profd_umap. The index is kept
 * in map memory and used as a key, never as a pointer offset: the verifier does not know its
 * value, so it verifies the walk's body a few times, not once per possible count.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROFD_PROC_MAPS_MAX);
	__type(key, __u32);
	__type(value, struct profd_umap);
} maps_entries SEC(".maps");

/*
 * The inode fields of a file's identity, under every name they have had: kernels before 6.11
 * and before 6.7 kept the mtime elsewhere. One type for all of them, not one per kernel: libbpf
 * scans the kernel's BTF once per type it relocates, and each scan cost 0.7 ms of start-up.
 */
struct inode___id {
	struct super_block *i_sb;
	unsigned long i_ino;
	loff_t i_size;
	time64_t i_mtime_sec; /* 6.11 and later */
	u32 i_mtime_nsec;
	struct timespec64 __i_mtime; /* 6.7 to 6.10 */
	struct timespec64 i_mtime;   /* before 6.7 */
} __attribute__((preserve_access_index));

struct file_id {
	__u64 dev, ino, size;
	__s64 mtime_sec;
	__u32 mtime_nsec;
};

static __always_inline void file_id_of(struct inode___id *inode, struct file_id *id)
{
	dev_t dev = BPF_CORE_READ(inode, i_sb, s_dev);

	id->dev = dev;
	id->ino = BPF_CORE_READ(inode, i_ino);
	id->size = BPF_CORE_READ(inode, i_size);
	if (bpf_core_field_exists(inode->i_mtime_sec)) {
		id->mtime_sec = BPF_CORE_READ(inode, i_mtime_sec);
		id->mtime_nsec = BPF_CORE_READ(inode, i_mtime_nsec);
	} else if (bpf_core_field_exists(inode->__i_mtime)) {
		id->mtime_sec = BPF_CORE_READ(inode, __i_mtime.tv_sec);
		id->mtime_nsec = BPF_CORE_READ(inode, __i_mtime.tv_nsec);
	} else {
		id->mtime_sec = BPF_CORE_READ(inode, i_mtime.tv_sec);
		id->mtime_nsec = BPF_CORE_READ(inode, i_mtime.tv_nsec);
	}
}

static __always_inline bool tracked(__u32 pid)
{
	return unwind == PROFD_UNWIND_CFI && (!filter_pids || bpf_map_lookup_elem(&targets, &pid));
}

/* The announcement being written, per CPU (bpf_ringbuf_output copies it). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct profd_mmap_event);
} mmap_scratch SEC(".maps");

/* A walk up a path, one name per bpf_loop() step: the verifier checks one step, not eight. */
struct path_walk {
	struct dentry *d;
	struct profd_mmap_event *e;
};

static long path_part(__u32 i, void *data)
{
	struct path_walk *w = data;
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);
	__u64 k = i; /* widened once: the bound checked is then the one the index carries */

	barrier_var(k);
	if (!parent || parent == d || k >= PROFD_PATH_PARTS)
		return 1;
	bpf_probe_read_kernel_str(w->e->parts[k], PROFD_PATH_PART_LEN, BPF_CORE_READ(d, d_name.name));
	w->e->nparts = k + 1;
	w->d = parent;
	return 0;
}

/*
 * Adds the names on the path of dentry (up to the root of its file system: enough to open the
 * file once the process is gone, checked against its identity) to the announcement in
 * mmap_scratch and sends it. A global function: verified once, not once per VMA walked.
 */
__noinline int profd_send_mmap(__u64 dentry)
{
	__u32 zero = 0;
	struct profd_mmap_event *e = bpf_map_lookup_elem(&mmap_scratch, &zero);
	struct path_walk w = {(struct dentry *)dentry, e};
	struct dentry *last;

	if (!e)
		return -1;
	e->nparts = 0;
	bpf_loop(PROFD_PATH_PARTS, path_part, &w, 0);
	last = w.d;
	if (e->nparts == PROFD_PATH_PARTS && BPF_CORE_READ(last, d_parent) != last)
		e->flags |= PROFD_MMAP_PATH_CUT;
	/* A file without its table: woken at once, whatever waits before it in the ring. */
	if (bpf_ringbuf_output(&events, e, sizeof(*e), BPF_RB_FORCE_WAKEUP))
		return -1;
	count(PROFD_CNT_MMAP_EVENTS);
	return 0;
}

/*
 * Sends a new table to user space for its mapping history (its first n entries only), read at
 * the next poll like the process events: a process's name is wanted at the next drain at the
 * earliest.
 */
static __always_inline void send_maps(struct profd_proc_maps *pm, __u32 pid)
{
	__u64 n = pm->n;

	if (n > PROFD_PROC_MAPS_MAX)
		n = PROFD_PROC_MAPS_MAX;
	pm->type = PROFD_EV_MAPS;
	pm->pid = pid;
	if (bpf_ringbuf_output(&events, pm, __builtin_offsetof(struct profd_proc_maps, m) +
				n * sizeof(struct profd_umap), BPF_RB_NO_WAKEUP))
		count(PROFD_CNT_MAPS_LOST);
}

/* Tells user space about a file that has no table yet, once while it builds it. */
static __always_inline void announce_file(struct vm_area_struct *vma, const struct file_id *id,
					  __u64 key, __u32 pid, __u32 gen)
{
	struct profd_mmap_event *e;
	__u32 zero = 0;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&cfi_files, &key) ||
	    bpf_map_update_elem(&cfi_announced, &key, &one, BPF_NOEXIST))
		return;
	e = bpf_map_lookup_elem(&mmap_scratch, &zero);
	if (!e)
		return;
	e->type = PROFD_EV_MMAP;
	e->pid = pid;
	e->gen = gen;
	e->flags = 0;
	e->start = vma->vm_start;
	e->end = vma->vm_end;
	e->offset = (__u64)vma->vm_pgoff << PROFD_CFI_PAGE_SHIFT;
	e->file = key;
	e->dev = id->dev;
	e->ino = id->ino;
	e->size = id->size;
	e->mtime_sec = id->mtime_sec;
	e->mtime_nsec = id->mtime_nsec;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (profd_send_mmap((__u64)BPF_CORE_READ(vma, vm_file, f_path.dentry))) {
		bpf_map_delete_elem(&cfi_announced, &key); /* announced again next time */
		count(PROFD_CNT_EVENTS_LOST);
	}
}

struct copy_ctx {
	struct profd_proc_maps *pm;
};

static long copy_entry(__u32 i, void *data)
{
	struct copy_ctx *c = data;
	struct profd_umap *m = bpf_map_lookup_elem(&maps_entries, &i);

	if (!m || i >= PROFD_PROC_MAPS_MAX)
		return 1;
	c->pm->m[i & (PROFD_PROC_MAPS_MAX - 1)] = *m;
	return 0;
}

/*
 * Rebuilds pid's table from task's VMAs (in address order, so it comes out sorted): every
 * mapping of a file with code, and the vdso. Returns 0, or -EBUSY when the mappings were being
 * changed (the iterator only try-locks them).
 */
static __always_inline int scan_mappings(struct task_struct *task, __u32 pid, __u32 gen)
{
	struct profd_proc_maps *pm;
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	struct profd_umap *m;
	struct file *file;
	struct file_id id;
	__u32 zero = 0, n;
	__u64 vdso;
	int err;

	pm = bpf_map_lookup_elem(&maps_scratch, &zero);
	if (!pm)
		return -ENOENT;
	pm->n = 0;
	vdso = (__u64)BPF_CORE_READ(task, mm, context.vdso);
	err = bpf_iter_task_vma_new(&it, task, 0);
	while (!err && (vma = bpf_iter_task_vma_next(&it))) {
		file = BPF_CORE_READ(vma, vm_file);
		if (!(vma->vm_flags & VM_EXEC) || vma->vm_end - vma->vm_start > 0xffffffffULL ||
		    (!file && vma->vm_start != vdso))
			continue;
		n = pm->n;
		m = bpf_map_lookup_elem(&maps_entries, &n);
		if (!m) { /* past PROFD_PROC_MAPS_MAX */
			count(PROFD_CNT_MAPS_DROPPED);
			continue;
		}
		m->start = vma->vm_start;
		m->len = vma->vm_end - vma->vm_start;
		m->pgoff = vma->vm_pgoff;
		m->file = PROFD_CFI_VDSO_KEY;
		if (file) {
			file_id_of((struct inode___id *)BPF_CORE_READ(file, f_inode), &id);
			m->file = profd_cfi_file_key(id.dev, id.ino, id.size, id.mtime_sec,
						     id.mtime_nsec);
			announce_file(vma, &id, m->file, pid, gen);
		}
		pm->n = n + 1;
	}
	bpf_iter_task_vma_destroy(&it);
	if (err == -EBUSY) /* the mapping lock was taken: try again later */
		count(PROFD_CNT_MAPS_BUSY);
	if (err) /* -ENOENT for a kernel thread: it has no mappings to scan */
		return err;
	struct copy_ctx c = {pm};

	n = pm->n;
	bpf_loop(n, copy_entry, &c, 0);
	pm->gen = gen;
	send_maps(pm, pid);
	/* A new element replaces the old at once: a walk still holding the old one reads it
	 * whole. */
	return bpf_map_update_elem(&proc_maps, &pid, pm, BPF_ANY) ? -ENOMEM : 0;
}

/* The exec generation of pid's next table: one more than its current one's. */
static __always_inline __u32 next_gen(__u32 pid, bool exec)
{
	struct profd_proc_maps *pm = bpf_map_lookup_elem(&proc_maps, &pid);

	return pm ? pm->gen + exec : 0;
}

/* Called by the dynamic linker after every change to the loaded libraries. */
SEC("uprobe")
int BPF_KPROBE(on_loader)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 pid = task->tgid;

	if (tracked(pid) && scan_mappings(task, pid, next_gen(pid, false)) == -EBUSY)
		send_event(PROFD_EV_RESCAN, pid, 0);
	return 0;
}

struct load_args {
	__s32 pid;
};

/* Run by user space for a process that was there before us. Returns 0 or -errno. */
SEC("syscall")
int load_process(struct load_args *a)
{
	struct task_struct *task = bpf_task_from_pid(a->pid);
	int err;

	if (!task)
		return -ESRCH;
	err = scan_mappings(task, task->tgid, next_gen(task->tgid, false));
	bpf_task_release(task);
	return err;
}

/* A task iterator's context, in the layout the kernel fixes for BPF: a copy, not relocated (each
 * kernel type libbpf relocates costs a scan of all of them, see profd_regs). */
struct profd_iter_meta {
	void *seq;
};

struct profd_task_iter {
	struct profd_iter_meta *meta;
	struct task_struct *task;
};

/*
 * Run once by user space when -a starts: every process, each as a profd_process_state (its
 * leader, and each of its threads on a CPU or waiting for one), so that those running are
 * loaded before the first sample and the others after it. One pass in the kernel, where
 * reading every process's and thread's state from /proc took 20 us each.
 */
SEC("iter/task")
int find_processes(struct profd_task_iter *ctx)
{
	struct task_struct *task = ctx->task;
	struct profd_process_state ps;

	if (!task || task->flags & PF_KTHREAD)
		return 0;
	ps.pid = task->tgid;
	ps.running = task->__state == 0; /* TASK_RUNNING: on a CPU or runnable */
	if (ps.running || task->pid == task->tgid)
		bpf_seq_write(ctx->meta->seq, &ps, sizeof(ps));
	return 0;
}

/* At sched_process_exec: the loader has mapped the new image, the dynamic linker, the vdso. */
static __always_inline void maps_exec(struct task_struct *task)
{
	__u32 pid = task->tgid;

	if (tracked(pid) && scan_mappings(task, pid, next_gen(pid, true)) == -EBUSY)
		send_event(PROFD_EV_RESCAN, pid, 0);
}

/* A new process starts from its parent's mappings (elements are replaced, never edited). */
static __always_inline void maps_fork(__u32 ppid, __u32 pid)
{
	struct profd_proc_maps *parent, *child;

	if (!tracked(pid))
		return;
	parent = bpf_map_lookup_elem(&proc_maps, &ppid);
	if (!parent || bpf_map_update_elem(&proc_maps, &pid, parent, BPF_ANY))
		return;
	child = bpf_map_lookup_elem(&proc_maps, &pid);
	if (!child)
		return;
	child->gen = 0; /* not walked yet: its generation is its own */
	send_maps(child, pid);
}

static __always_inline void maps_exit(__u32 pid)
{
	bpf_map_delete_elem(&proc_maps, &pid);
}

#endif
