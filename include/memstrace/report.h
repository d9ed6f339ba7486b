/* SPDX-License-Identifier: MIT */
/*
 * report: the regions still mapped, grouped by site, written as text or as
 * the one-line JSON object of SPEC.md. It reads the trace; it changes nothing.
 */
#ifndef MEMSTRACE_REPORT_H
#define MEMSTRACE_REPORT_H

#include <stdio.h>

#include "memstrace/options.h"
#include "memstrace/task.h"
#include "memstrace/verify.h"

struct report_input {
	const struct trace *trace;
	const struct options *opt;
	const struct verify_log *verify; /* NULL without --verify */
	const char *reason;              /* exit | detach | interval | signal */
	double elapsed;                  /* seconds since tracing began */
};

/* Writes one report to out in opt->format and flushes it. */
void report_write(FILE *out, const struct report_input *in);

#endif
