/* SPDX-License-Identifier: MIT */
/*
 * unwind: the call stack of a thread stopped in a mapping call, as frame ids
 * interned in the trace's frametab and stackdb. One libdwfl session per
 * address space, with our own thread callbacks: registers from one
 * PTRACE_GETREGS, stack memory by pages through space_read(), cached for
 * the length of one capture. Each pc's CFI is compiled once into a cfi.h
 * step; libdwfl walks only the stacks those cannot (MEMSTRACE_UNWIND in the
 * man page). Modules are re-read from /proc only when the space's
 * modules_gen says an executable mapping changed, or when a pc falls in no
 * known module. A frame is named when first seen, so a
 * library unloaded before the report is still named.
 */
#ifndef MEMSTRACE_UNWIND_H
#define MEMSTRACE_UNWIND_H

#include "memstrace/task.h"

/*
 * The stackdb id of t's stack, at most tr->depth frames, innermost first.
 * t is stopped at the exit of t->call. With depth 0 the stack is the call
 * site alone (the address the syscall returns to), not symbolized.
 */
uint32_t unwind_capture(struct trace *tr, struct task *t);

/* Frees the unwinding state of a space (it ended, or its modules are gone). */
void unwind_forget(struct space *sp);

#endif
