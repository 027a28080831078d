// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "tests/unit/capture.h"

static void copy_regs(const struct user_regs_struct *r, uint64_t *regs)
{
	regs[PROFD_REG_AX] = r->rax;
	regs[PROFD_REG_DX] = r->rdx;
	regs[PROFD_REG_CX] = r->rcx;
	regs[PROFD_REG_BX] = r->rbx;
	regs[PROFD_REG_SI] = r->rsi;
	regs[PROFD_REG_DI] = r->rdi;
	regs[PROFD_REG_BP] = r->rbp;
	regs[PROFD_REG_SP] = r->rsp;
	regs[PROFD_REG_R8] = r->r8;
	regs[PROFD_REG_R9] = r->r9;
	regs[PROFD_REG_R10] = r->r10;
	regs[PROFD_REG_R11] = r->r11;
	regs[PROFD_REG_R12] = r->r12;
	regs[PROFD_REG_R13] = r->r13;
	regs[PROFD_REG_R14] = r->r14;
	regs[PROFD_REG_R15] = r->r15;
	regs[PROFD_REG_IP] = r->rip;
}

static void copy_stack(pid_t pid, struct capture *c, size_t size)
{
	uint64_t sp = c->regs[PROFD_REG_SP];
	size_t chunk = 4096 - (sp & 4095);

	c->len = 0;
	c->cut = false;
	while (c->len < size) {
		struct iovec local = {c->stack + c->len, chunk}, remote = {(void *)(sp + c->len), chunk};

		if (c->len + chunk > size) {
			c->cut = true;
			break;
		}
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)chunk)
			break;
		c->len += chunk;
		chunk = 4096;
	}
	if (c->len + chunk > size)
		c->cut = true;
}

int capture_thread(pid_t pid, struct capture *c, size_t size)
{
	struct user_regs_struct r;
	int status;

	if (size > sizeof(c->stack)) {
		errno = EINVAL;
		return -1;
	}
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_GETREGS, pid, NULL, &r)) {
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return -1;
	}
	copy_regs(&r, c->regs);
	copy_stack(pid, c, size);
	return ptrace(PTRACE_DETACH, pid, NULL, NULL) ? -1 : 0;
}
