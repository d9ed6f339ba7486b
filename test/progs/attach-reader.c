/* SPDX-License-Identifier: MIT */
/*
 * attach-reader: a process blocked in read(2) on its stdin, for memstrace -p
 * (test/e2e/attach.py). The test owns the pipe's write end.
 *
 * It prints "ready PID", then reads stdin with read(0, buf, 256) in a loop
 * and prints, one write(2) per line, the outcome of every call:
 *
 *   read N errno=E data=DATA    N > 0 bytes were read (DATA as read)
 *   read -1 errno=E (NAME)      the call failed (EINTR would be a bug of the
 *                               tracer: nothing here ever gets a signal)
 *   eof                         end of file: it exits 0
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach-common.h"

int main(void)
{
	char buf[256];

	say("ready %d", (int)getpid());
	for (int failures = 0; failures < 100;) {
		errno = 0;
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		int err = errno;

		if (n < 0) {
			say("read -1 errno=%d (%s)", err, strerrorname_np(err) ? strerrorname_np(err) : "?");
			failures++;
		} else if (n == 0) {
			say("eof");
			return 0;
		} else {
			say("read %zd errno=%d data=%.*s", n, err, (int)n, buf);
		}
	}
	return 1;
}
