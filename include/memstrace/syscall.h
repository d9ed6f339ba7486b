/* SPDX-License-Identifier: MIT */
/*
 * syscall: the memory syscalls memstrace decodes (x86_64: mmap, munmap,
 * mremap, brk) and what each does to the model. Removals are applied at the
 * entry stop and kept on the task, so that a failed call can be undone and a
 * range freed by one thread and reused by another is never lost.
 */
#ifndef MEMSTRACE_SYSCALL_H
#define MEMSTRACE_SYSCALL_H

#include "memstrace/task.h"

/* The syscall numbers the seccomp filter stops on, ended by -1. */
extern const int syscall_traced[];

/*
 * Decodes a call at its entry (seccomp) stop: args are the six arguments, ip
 * the address the syscall returns to. Returns true when its exit stop is
 * needed; the call is then kept in t->call until syscall_exit().
 */
bool syscall_enter(struct trace *tr, struct task *t, int nr, const uint64_t args[6],
		   taddr_t ip);

/* Completes t->call at its exit stop with the kernel's return value. */
void syscall_exit(struct trace *tr, struct task *t, int64_t rval, bool is_error);

/* Forgets t->call without applying it (the task died in the call). */
void syscall_abandon(struct task *t);

#endif
