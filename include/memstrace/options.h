/* SPDX-License-Identifier: MIT */
/*
 * options: the command line, parsed and checked before anything is traced.
 */
#ifndef MEMSTRACE_OPTIONS_H
#define MEMSTRACE_OPTIONS_H

#include "memstrace/common.h"

/* A size range of -s, both ends included. */
struct size_range {
	uint64_t lo, hi;
};

enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_FOLDED };

/* Frames captured per call by default, and at most. */
#define DEFAULT_STACK_DEPTH 16
#define MAX_STACK_DEPTH 256

struct options {
	bool follow;                 /* -f */
	bool verify;                 /* --verify */
	enum report_format format;   /* --format */
	unsigned depth;              /* -k: frames per call; 0 = call site only */
	const char *output;          /* -o, or NULL for stderr */
	struct size_range *sizes;    /* -s, any match counts; none: every size */
	size_t nsizes;
	char **argv;                 /* the program and its arguments, or NULL with -p */
	int *pids;                   /* -p */
	size_t npids;
	double interval;             /* -i: seconds between reports; 0: none */
	bool events;                 /* -e */
	bool event_callers;          /* --events=caller */
	unsigned timestamps;         /* -t: 1, -tt: 2 */
};

/* What options_parse() asks the caller to do. */
enum parse_result { PARSE_RUN, PARSE_EXIT_OK, PARSE_USAGE_ERROR };

/* Parses argv. Errors are reported as one line on stderr. */
enum parse_result options_parse(int argc, char **argv, struct options *opt);
void options_finish(struct options *opt);

/* Parses a size spec: 40960, 40K, 4K-1M, 1M-, -64K. Returns false if malformed. */
bool sizespec_parse(const char *spec, struct size_range *range);
/* True when no -s was given or size matches one of them. */
bool options_size_matches(const struct options *opt, uint64_t size);

#endif
