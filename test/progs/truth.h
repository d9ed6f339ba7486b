/* SPDX-License-Identifier: MIT */
/*
 * truth: how a test program states what memstrace must report about it.
 *
 * Each fact is one line appended to the file named by $MEMSTRACE_TRUTH
 * (opened O_APPEND for every line, so forked children and threads can write
 * too; nothing is written when the variable is unset). test/e2e/check.py
 * compares the lines with memstrace's JSON report:
 *
 *   region PID START END SYSCALL SIZE KIND LINE [pid=MAKER]
 *       [START, END) is still mapped in the address space of process PID at
 *       exit and must be reported as exactly one region held in that space
 *       ("space": PID), in a group with that SYSCALL (mmap|mremap|brk), SIZE
 *       (the size the call asked for, as SPEC.md defines it for the group),
 *       KIND (anon|file|heap) and a frame at source line LINE of this
 *       program. The region's "pid" is PID, or MAKER when given: a fork
 *       child's inherited copy of a region its parent MAKER mapped.
 *   unmapped PID START END
 *       the program mapped this range while traced and it is no longer
 *       mapped in PID's address space: no region of that space may overlap it.
 *   groupcount SYSCALL SIZE N
 *       the "count" of all groups with that syscall and size adds up to N.
 *
 * Before exiting, a program calls truth_check(): every region and unmapped
 * fact its process wrote is compared with /proc/self/maps, and a mismatch
 * exits 99, so that no test ever rests on a wrong truth. The helpers use
 * neither malloc nor stdio buffers: they must not move the heap (brk.c) nor
 * map memory of their own between a program's calls.
 */
#ifndef MEMSTRACE_TEST_TRUTH_H
#define MEMSTRACE_TEST_TRUTH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define TRUTH_PAGE 4096ul
#define TRUTH_PAGE_UP(x) (((unsigned long)(x) + TRUTH_PAGE - 1) & ~(TRUTH_PAGE - 1))
/* Exit status of a program whose truth does not hold on its own. */
#define TRUTH_EXIT_BROKEN 99
/* Facts kept for truth_check(); more are still written, not self-checked. */
#define TRUTH_MAX_FACTS 4096

struct truth_fact {
	pid_t pid;
	bool mapped; /* region (must be mapped) or unmapped (must not be) */
	unsigned long start, end;
	unsigned long covered; /* bytes of [start, end) found in /proc/self/maps */
	int line;              /* source line, for messages */
};

static struct truth_fact truth_facts[TRUTH_MAX_FACTS];
static unsigned truth_nfacts;

/* Print "PROGRAM[PID]: message" on stderr and exit 99. */
__attribute__((format(printf, 1, 2), noreturn, unused))
static void truth_die(const char *fmt, ...)
{
	char buf[1024];
	int saved = errno, n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "%s[%d]: ", program_invocation_short_name, (int)getpid());
	errno = saved; /* so that fmt may use %m */
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	strcat(buf, "\n");
	if (write(STDERR_FILENO, buf, strlen(buf)) < 0) {
		/* nothing more to do */
	}
	_exit(TRUTH_EXIT_BROKEN);
}

/* Append one line (fmt without the newline) to $MEMSTRACE_TRUTH. */
__attribute__((format(printf, 1, 2), unused))
static void truth_printf(const char *fmt, ...)
{
	const char *path = getenv("MEMSTRACE_TRUTH");
	char buf[512];
	va_list ap;
	int fd, n;

	if (!path || !*path)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf) - 1)
		truth_die("truth line too long");
	buf[n++] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		truth_die("cannot open %s: %m", path);
	/* one write per line: lines from several processes never interleave */
	if (write(fd, buf, n) != n)
		truth_die("cannot write %s: %m", path);
	close(fd);
}

static inline void truth_remember(bool mapped, const void *start, const void *end, int line)
{
	unsigned i = __atomic_fetch_add(&truth_nfacts, 1, __ATOMIC_RELAXED);

	if (i >= TRUTH_MAX_FACTS)
		return;
	truth_facts[i] = (struct truth_fact){
		.pid = getpid(),
		.mapped = mapped,
		.start = (unsigned long)start,
		.end = (unsigned long)end,
		.line = line,
	};
}

static inline void truth_check_range(const void *start, const void *end)
{
	unsigned long s = (unsigned long)start, e = (unsigned long)end;

	if (s % TRUTH_PAGE || e % TRUTH_PAGE || s >= e)
		truth_die("bad truth range 0x%lx-0x%lx", s, e);
}

/*
 * [start, end) stays mapped; it was made in this process by SYSCALL at LINE,
 * whose group size is SIZE. One call per piece when the range was split.
 */
static inline void truth_region(const void *start, const void *end, const char *syscall,
				unsigned long size, const char *kind, int line)
{
	truth_check_range(start, end);
	truth_remember(true, start, end, line);
	truth_printf("region %d 0x%lx 0x%lx %s %lu %s %d", (int)getpid(), (unsigned long)start,
		     (unsigned long)end, syscall, size, kind, line);
}

/* The same, for a fork child's inherited copy of its parent MAKER's region. */
static inline void truth_region_inherited(const void *start, const void *end, const char *syscall,
					  unsigned long size, const char *kind, int line,
					  pid_t maker)
{
	truth_check_range(start, end);
	truth_remember(true, start, end, line);
	truth_printf("region %d 0x%lx 0x%lx %s %lu %s %d pid=%d", (int)getpid(),
		     (unsigned long)start, (unsigned long)end, syscall, size, kind, line,
		     (int)maker);
}

/* [start, end) was mapped while traced and is not mapped at exit. */
static inline void truth_unmapped(const void *start, const void *end)
{
	truth_check_range(start, end);
	truth_remember(false, start, end, 0);
	truth_printf("unmapped %d 0x%lx 0x%lx", (int)getpid(), (unsigned long)start,
		     (unsigned long)end);
}

/* Groups with this syscall and size hold n regions in all. */
static inline void truth_groupcount(const char *syscall, unsigned long size, long n)
{
	truth_printf("groupcount %s %lu %ld", syscall, size, n);
}

/* Count, for every fact of this process, the bytes /proc/self/maps maps. */
static inline void truth_read_maps(void)
{
	char buf[4096];
	unsigned long field[2] = {0, 0};
	int nfield = 0; /* 0: start, 1: end, 2: rest of the line */
	unsigned n = truth_nfacts < TRUTH_MAX_FACTS ? truth_nfacts : TRUTH_MAX_FACTS;
	ssize_t len;
	int fd;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		truth_die("cannot open /proc/self/maps: %m");
	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t k = 0; k < len; k++) {
			char c = buf[k];

			if (c == '\n') {
				for (unsigned i = 0; i < n; i++) {
					struct truth_fact *f = &truth_facts[i];
					unsigned long lo = f->start > field[0] ? f->start : field[0];
					unsigned long hi = f->end < field[1] ? f->end : field[1];

					if (lo < hi)
						f->covered += hi - lo;
				}
				field[0] = field[1] = 0;
				nfield = 0;
			} else if (nfield < 2) {
				if (c == '-' || c == ' ')
					nfield++;
				else if (c >= '0' && c <= '9')
					field[nfield] = field[nfield] * 16 + (c - '0');
				else if (c >= 'a' && c <= 'f')
					field[nfield] = field[nfield] * 16 + (c - 'a' + 10);
				else
					truth_die("cannot parse /proc/self/maps");
			}
		}
	}
	if (len < 0)
		truth_die("cannot read /proc/self/maps: %m");
	close(fd);
}

/*
 * Check every fact this process wrote against /proc/self/maps; exit 99 if
 * one does not hold. Call it last, when nothing will be mapped any more.
 */
static inline void truth_check(void)
{
	unsigned n = truth_nfacts < TRUTH_MAX_FACTS ? truth_nfacts : TRUTH_MAX_FACTS;
	pid_t self = getpid();
	int bad = 0, mine = 0;

	for (unsigned i = 0; i < n; i++)
		truth_facts[i].covered = 0;
	truth_read_maps();
	for (unsigned i = 0; i < n; i++) {
		struct truth_fact *f = &truth_facts[i];
		unsigned long want = f->mapped ? f->end - f->start : 0;

		if (f->pid != self)
			continue; /* a fact of the parent, inherited through fork */
		mine++;
		if (f->covered == want)
			continue;
		if (f->mapped)
			fprintf(stderr, "%s[%d]: truth does not hold: region 0x%lx-0x%lx of line %d: only %lu of %lu bytes mapped\n",
				program_invocation_short_name, (int)self, f->start, f->end, f->line,
				f->covered, f->end - f->start);
		else
			fprintf(stderr, "%s[%d]: truth does not hold: unmapped 0x%lx-0x%lx: %lu of %lu bytes mapped\n",
				program_invocation_short_name, (int)self, f->start, f->end,
				f->covered, f->end - f->start);
		bad++;
	}
	if (bad)
		_exit(TRUTH_EXIT_BROKEN);
	if (mine == 0)
		truth_die("no truth to check: a test must assert something");
}

#endif
