/* SPDX-License-Identifier: MIT */
/* unwind: for now the call site alone, which needs no read from the tracee. */
#include "memstrace/unwind.h"

uint32_t unwind_capture(struct trace *tr, struct task *t)
{
	return stackdb_intern(tr->stacks, &t->call.ip, 1);
}
