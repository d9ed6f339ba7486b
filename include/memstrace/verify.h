/* SPDX-License-Identifier: MIT */
/*
 * verify: the model held against the kernel's /proc/PID/maps. Compares
 * page coverage (the kernel merges adjacent mappings, the model keeps one
 * record per call) and repairs a model from the kernel where the kernel
 * changed mappings without a syscall we decode (fork, exec). Pure.
 */
#ifndef MEMSTRACE_VERIFY_H
#define MEMSTRACE_VERIFY_H

#include <sys/types.h>

#include "memstrace/aspace.h"
#include "memstrace/procmaps.h"

struct difference {
	pid_t pid;
	taddr_t start, end;
	const char *problem; /* a static string */
};

struct verify_log {
	unsigned checks;
	struct difference *diffs;
	size_t ndiffs, cap;
};

/*
 * Counts one check of pid's model against maps[0..n), appending every
 * difference. Kernel-made mappings ([stack], [vdso], ...) and the growth of
 * MAP_GROWSDOWN mappings are not differences.
 */
void verify_compare(struct verify_log *log, pid_t pid, const struct aspace *model,
		    const struct mapping *maps, size_t n);

/*
 * Makes model cover exactly what maps covers: records over ranges the kernel
 * does not map are cut away, ranges only the kernel maps are added as known
 * (never reported) mappings.
 */
void verify_reconcile(struct aspace *model, const struct mapping *maps, size_t n);

/* Seeds an empty model with every mapping of maps, as known mappings. */
void verify_seed(struct aspace *model, const struct mapping *maps, size_t n);

void verify_log_finish(struct verify_log *log);

#endif
