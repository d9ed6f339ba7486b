/* SPDX-License-Identifier: MIT */
/*
 * unwind: the call stack of a thread stopped in a mapping call, interned in
 * the trace's stackdb. Until libdw unwinding lands the stack is one frame:
 * the address the syscall returns to.
 */
#ifndef MEMSTRACE_UNWIND_H
#define MEMSTRACE_UNWIND_H

#include "memstrace/task.h"

/* The stackdb id of t's current stack; t is stopped at the exit of t->call. */
uint32_t unwind_capture(struct trace *tr, struct task *t);

#endif
