/* SPDX-License-Identifier: MIT */
/*
 * attach-common: what the attach-mode test programs share. They talk to
 * test/e2e/attach.py through stdout, one line per fact.
 */
#ifndef MEMSTRACE_TEST_ATTACH_COMMON_H
#define MEMSTRACE_TEST_ATTACH_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* One line on stdout, with one write(2): lines of threads never interleave. */
__attribute__((format(printf, 1, 2), unused))
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, (size_t)n) != n)
		_exit(98);
}

__attribute__((unused))
static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

#endif
