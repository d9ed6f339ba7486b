/* SPDX-License-Identifier: MIT */
/* options: getopt_long over the command line that SPEC.md fixes. */
#include "memstrace/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char usage_text[] =
	"Usage: memstrace [OPTIONS] PROGRAM [ARGS...]\n"
	"       memstrace [OPTIONS] -p PID [-p PID...]\n"
	"Trace a program, or attach to running processes, and report the memory\n"
	"mapped and never unmapped, grouped by size and call stack.\n"
	"\n"
	"  -p, --attach=PID       attach to every thread of PID (repeatable, or\n"
	"                         comma-separated); SIGINT, SIGTERM or SIGHUP\n"
	"                         detaches, reports, and leaves the process running\n"
	"  -f, --follow-forks     also report child processes (fork, vfork, clone\n"
	"                         without CLONE_VM); threads are always traced\n"
	"  -o, --output=FILE      write the report to FILE instead of stderr\n"
	"  -s, --size=SPEC        only regions whose requested size matches SPEC:\n"
	"                         40960, 40K, 4K-1M, 1M- (K, M, G are powers of 1024;\n"
	"                         ranges include both ends); repeatable\n"
	"  -k, --stack-depth=N    frames captured per call (default 16, at most 256);\n"
	"                         0 turns stacks off: groups by call site\n"
	"      --format=FORMAT    report format: text (default), json, or folded\n"
	"                         (one 'frame;frame;... bytes' line per group)\n"
	"  -e, --events           also print each memory syscall as it completes,\n"
	"                         as strace writes it (--events=caller adds the\n"
	"                         caller: ' <main (leak.c:27)>')\n"
	"  -t, -tt                prefix event lines with HH:MM:SS (.micros)\n"
	"  -i, --interval=SECONDS also report every SECONDS while tracing; SIGUSR1\n"
	"                         asks for a report at any time\n"
	"      --verify           compare the model with /proc/PID/maps at each\n"
	"                         report and process exit; list every difference\n"
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show the version and exit\n"
	"\n"
	"Exit status: the program's, or 128+N if signal N killed it; 0 after a clean\n"
	"detach; 2 for usage errors, 1 for other failures.\n";

/* Parses a number with an optional K/M/G suffix; *end gets what follows. */
static bool parse_size(const char *s, const char **end, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *e;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno)
		return false;
	unsigned shift = 0;
	switch (*e) {
	case 'K': case 'k': shift = 10; e++; break;
	case 'M': case 'm': shift = 20; e++; break;
	case 'G': case 'g': shift = 30; e++; break;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	*end = e;
	return true;
}

bool sizespec_parse(const char *spec, struct size_range *range)
{
	const char *p = spec;
	uint64_t lo = 0, hi = UINT64_MAX;

	if (*p != '-' && !parse_size(p, &p, &lo))
		return false;
	if (*p == '\0') {
		if (p == spec)
			return false;
		*range = (struct size_range){ lo, lo };
		return true;
	}
	if (*p++ != '-')
		return false;
	if (*p != '\0' && (!parse_size(p, &p, &hi) || *p != '\0'))
		return false;
	if (lo > hi || (lo == 0 && hi == UINT64_MAX && spec[0] == '-'))
		return false;
	*range = (struct size_range){ lo, hi };
	return true;
}

bool options_size_matches(const struct options *opt, uint64_t size)
{
	if (opt->nsizes == 0)
		return true;
	for (size_t i = 0; i < opt->nsizes; i++) {
		if (size >= opt->sizes[i].lo && size <= opt->sizes[i].hi)
			return true;
	}
	return false;
}

static bool parse_depth(const char *arg, unsigned *depth)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end || errno || v > MAX_STACK_DEPTH) {
		warnx_("bad stack depth '%s': expected 0 to %d", arg, MAX_STACK_DEPTH);
		return false;
	}
	*depth = (unsigned)v;
	return true;
}

static bool add_pids(struct options *opt, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	bool ok = *arg != '\0';
	for (char *tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		errno = 0;
		long pid = strtol(tok, &end, 10);
		ok = isdigit((unsigned char)*tok) && !*end && !errno && pid > 0 && pid <= INT32_MAX;
		if (ok) {
			opt->pids = xrealloc(opt->pids, (opt->npids + 1) * sizeof(*opt->pids));
			opt->pids[opt->npids++] = (int)pid;
		}
	}
	free(copy);
	if (!ok)
		warnx_("bad pid '%s': expected a process id, or several separated by commas", arg);
	return ok;
}

static bool parse_interval(const char *arg, double *secs)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (!isdigit((unsigned char)*arg) || *end || errno || !(v >= 0.001) || v > 86400 * 365) {
		warnx_("bad interval '%s': expected seconds, such as 10 or 0.5", arg);
		return false;
	}
	*secs = v;
	return true;
}

static bool parse_format(const char *arg, enum report_format *format)
{
	static const char *const names[] = { "text", "json", "folded" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(arg, names[i])) {
			*format = (enum report_format)i;
			return true;
		}
	}
	warnx_("unknown format '%s': expected text, json or folded", arg);
	return false;
}

enum { OPT_FORMAT = 256, OPT_VERIFY };

static const struct option long_options[] = {
	{ "attach", required_argument, NULL, 'p' },
	{ "events", optional_argument, NULL, 'e' },
	{ "follow-forks", no_argument, NULL, 'f' },
	{ "interval", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "size", required_argument, NULL, 's' },
	{ "stack-depth", required_argument, NULL, 'k' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static bool add_sizes(struct options *opt, const char *arg)
{
	/* "-s 4K,1M-" is accepted as well as repeated -s. */
	char *copy = xstrdup(arg), *save = NULL;
	bool ok = *arg != '\0';
	for (char *tok = strtok_r(copy, ",", &save); ok && tok; tok = strtok_r(NULL, ",", &save)) {
		struct size_range r;
		ok = sizespec_parse(tok, &r);
		if (ok) {
			opt->sizes = xrealloc(opt->sizes, (opt->nsizes + 1) * sizeof(*opt->sizes));
			opt->sizes[opt->nsizes++] = r;
		}
	}
	free(copy);
	if (!ok)
		warnx_("bad size '%s': expected N, N-M, N- or -M with optional K, M, G", arg);
	return ok;
}

static enum parse_result unknown_option(char **argv, int optopt_)
{
	const char *arg = argv[optind - 1];
	bool is_long = !strncmp(arg, "--", 2) && optopt_ == 0;

	/* For a long option glibc sets optopt to its code, not to a letter. */
	for (const struct option *o = long_options; !is_long && o->name; o++) {
		size_t len = strcspn(arg + 2, "=");
		is_long = o->val == optopt_ && !strncmp(arg, "--", 2) &&
			  !strncmp(arg + 2, o->name, len);
	}
	if (is_long)
		warnx_("bad option '%s' (try 'memstrace --help')", arg);
	else
		warnx_("unknown option '-%c' (try 'memstrace --help')", optopt_);
	return PARSE_USAGE_ERROR;
}

enum parse_result options_parse(int argc, char **argv, struct options *opt)
{
	*opt = (struct options){ .format = FORMAT_TEXT, .depth = DEFAULT_STACK_DEPTH };
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also forgets a half-read option group */

	int c;
	while ((c = getopt_long(argc, argv, "+:p:fo:s:k:i:ethV", long_options, NULL)) != -1) {
		switch (c) {
		case 'f': opt->follow = true; break;
		case 'o': opt->output = optarg; break;
		case 's':
			if (!add_sizes(opt, optarg))
				return PARSE_USAGE_ERROR;
			break;
		case 'k':
			if (!parse_depth(optarg, &opt->depth))
				return PARSE_USAGE_ERROR;
			break;
		case 'e':
			opt->events = true;
			if (optarg && strcmp(optarg, "caller")) {
				warnx_("unknown --events value '%s': expected caller", optarg);
				return PARSE_USAGE_ERROR;
			}
			opt->event_callers |= optarg != NULL;
			break;
		case 't':
			if (opt->timestamps < 2)
				opt->timestamps++;
			break;
		case 'p':
			if (!add_pids(opt, optarg))
				return PARSE_USAGE_ERROR;
			break;
		case 'i':
			if (!parse_interval(optarg, &opt->interval))
				return PARSE_USAGE_ERROR;
			break;
		case OPT_FORMAT:
			if (!parse_format(optarg, &opt->format))
				return PARSE_USAGE_ERROR;
			break;
		case OPT_VERIFY: opt->verify = true; break;
		case 'h': fputs(usage_text, stdout); return PARSE_EXIT_OK;
		case 'V': printf("memstrace %s\n", MEMSTRACE_VERSION); return PARSE_EXIT_OK;
		case ':':
			warnx_("option '%s' needs a value", argv[optind - 1]);
			return PARSE_USAGE_ERROR;
		default:
			return unknown_option(argv, optopt);
		}
	}
	if (opt->npids && optind < argc) {
		warnx_("give a program to run or -p PID, not both (try 'memstrace --help')");
		return PARSE_USAGE_ERROR;
	}
	if (opt->npids)
		return PARSE_RUN;
	if (optind >= argc) {
		warnx_("no program to run and no -p PID (try 'memstrace --help')");
		return PARSE_USAGE_ERROR;
	}
	opt->argv = argv + optind;
	return PARSE_RUN;
}

void options_finish(struct options *opt)
{
	free(opt->sizes);
	free(opt->pids);
	opt->sizes = NULL;
	opt->nsizes = 0;
	opt->pids = NULL;
	opt->npids = 0;
}
