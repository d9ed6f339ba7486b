/* SPDX-License-Identifier: MIT */
/*
 * nulltrace: the floor for memstrace's benchmarks. It runs a program under
 * the same seccomp filter and stops it exactly where memstrace must -- at
 * the seccomp stop of mmap, munmap, mremap and brk, and at the exit of all
 * but munmap -- and does nothing else: the time it adds is what ptrace
 * itself costs. With -r it also reads the registers and 16 KiB of stack at
 * each exit, the raw material of a stack capture.
 *
 * Usage: nulltrace [-r] PROGRAM [ARGS...]
 */
#define _GNU_SOURCE 1
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_BYTES 16384

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mremap, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_brk, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void read_state(pid_t tid)
{
	static char stack[STACK_BYTES];
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, 0L, &regs) < 0)
		return;
	struct iovec local = { stack, sizeof(stack) };
	struct iovec remote = { (void *)(uintptr_t)regs.rsp, sizeof(stack) };
	process_vm_readv(tid, &local, 1, &remote, 1, 0);
}

int main(int argc, char **argv)
{
	int read_regs = argc > 1 && !strcmp(argv[1], "-r");
	char **prog = argv + 1 + read_regs;
	if (!*prog) {
		fprintf(stderr, "usage: nulltrace [-r] PROGRAM [ARGS...]\n");
		return 2;
	}

	pid_t pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		if (install_filter() < 0)
			_exit(126);
		execvp(prog[0], prog);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, WSTOPPED);
	ptrace(PTRACE_SEIZE, pid, 0L,
	       (long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE |
		      PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_EXITKILL));
	kill(pid, SIGCONT);

	int code = 0;
	for (;;) {
		pid_t tid = wait4(-1, &status, __WALL, NULL);
		if (tid < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == pid)
				code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		int sig = WSTOPSIG(status), event = status >> 16;
		enum __ptrace_request req = PTRACE_CONT;
		int deliver = 0;
		if (sig == (SIGTRAP | 0x80)) {
			if (read_regs)
				read_state(tid);
		} else if (event == PTRACE_EVENT_SECCOMP) {
			/* The one read memstrace needs at every entry: the call and its arguments. */
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (long)sizeof(info), &info) > 0 &&
			    info.seccomp.nr != SYS_munmap)
				req = PTRACE_SYSCALL;
		} else if (event == 0) {
			deliver = sig; /* a signal for the program */
		}
		ptrace(req, tid, 0L, (long)deliver);
	}
	return code;
}
