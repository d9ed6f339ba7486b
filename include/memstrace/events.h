/* SPDX-License-Identifier: MIT */
/*
 * events: the -e lines, one per completed memory syscall, written byte for
 * byte as strace writes the same call, so that the same grep works on both.
 * Formatting is pure; the tracer adds strace -f's pid prefix and -t time.
 */
#ifndef MEMSTRACE_EVENTS_H
#define MEMSTRACE_EVENTS_H

#include <stdio.h>

#include "memstrace/common.h"

enum event_time { EVENT_TIME_NONE, EVENT_TIME_SECONDS, EVENT_TIME_MICROS };

/* Where and how event lines are written. */
struct event_sink {
	FILE *out;
	bool to_file;          /* -o: strace -f -o writes "PID  " on every line */
	enum event_time time;  /* -t, -tt */
	bool caller;           /* --events=caller: " <main (leak.c:27)>" after the line */
};

/*
 * Writes "mmap(NULL, 40960, PROT_READ|..., -1, 0) = 0x7f..." for x86_64
 * syscall nr into buf (always NUL-terminated), as if the line so far held
 * column characters: strace pads the call to column 40 before "= ".
 * Returns the length written.
 */
size_t events_format(char *buf, size_t size, size_t column, int nr, const uint64_t args[6],
		     int64_t rval, bool is_error);

/* The prefix of a line: "[pid  5981] " or "5981  " (as strace -f), then the time. */
size_t events_prefix(char *buf, size_t size, const struct event_sink *sink, int tid,
		     bool several_tasks, uint64_t wall_ns);

#endif
