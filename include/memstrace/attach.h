/* SPDX-License-Identifier: MIT */
/*
 * attach: taking hold of running processes (-p). It checks a pid before
 * anything is touched -- it exists, is not memstrace, not a kernel thread,
 * not traced already -- and says why in one line when it cannot be traced;
 * then it seizes every thread without a race against thread creation.
 */
#ifndef MEMSTRACE_ATTACH_H
#define MEMSTRACE_ATTACH_H

#include <sys/types.h>

#include "memstrace/task.h"

/*
 * The process (thread group) of pid, which may name any of its threads.
 * Returns the tgid, or -1 after one line on stderr saying why pid cannot be
 * traced.
 */
pid_t attach_check(pid_t pid);

/*
 * PTRACE_SEIZEs every thread of tgid with options and interrupts it, adding
 * a task in proc and space for each; /proc/TGID/task is read again until two
 * passes find no new thread (threads made after a pass are seized through
 * their creator's clone event). Returns 0, or -errno after one line on
 * stderr (EPERM: with the reason, e.g. Yama's ptrace_scope).
 */
int attach_seize(struct trace *tr, pid_t tgid, unsigned long options, struct proc *proc,
		 struct space *space);

#endif
