/* SPDX-License-Identifier: MIT */
/*
 * brk: the raw brk syscall. Each growth step is a heap region of its own
 * line whose group size is the increment (new break - old break, not a page
 * multiple for the first step); shrinking trims the steps from the top; a
 * failing brk (below the heap's start) returns the old break and changes
 * nothing; brk(0) only asks.
 *
 *   break:  b0      b1          b2        b3      (page-aligned up: P(x))
 *           |111111|22222222222|333333333|        grow three times
 *           |111111|222222|                       shrink to b1 + 2 pages + 10
 */
#define _GNU_SOURCE 1
#include <sys/syscall.h>

#include "truth.h"

#define PAGE 4096

static unsigned long sys_brk(unsigned long addr)
{
	return syscall(SYS_brk, addr);
}

/* The heap's lowest possible break: /proc/self/stat field 47, start_brk. */
static unsigned long start_brk(void)
{
	char buf[1024], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field = 2;
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		truth_die("cannot read /proc/self/stat: %m");
	close(fd);
	buf[n] = 0;
	/* Field 2, (comm), may hold spaces: count from its last parenthesis. */
	p = strrchr(buf, ')');
	for (; p && *p; p++) {
		if (*p == ' ' && ++field == 47)
			return strtoul(p + 1, NULL, 10);
	}
	truth_die("no start_brk in /proc/self/stat");
}

int main(void)
{
	unsigned long b0 = sys_brk(0);
	unsigned long b1 = sys_brk(b0 + 3 * PAGE + 100); int line1 = __LINE__;
	unsigned long b2 = sys_brk(b1 + 5 * PAGE); int line2 = __LINE__;
	unsigned long b3 = sys_brk(b2 + 4 * PAGE);
	unsigned long b4 = sys_brk(b1 + 2 * PAGE + 10);
	unsigned long low = start_brk();
	unsigned long failed = sys_brk(low / 2);
	unsigned long now = sys_brk(0);

	if (b1 != b0 + 3 * PAGE + 100 || b2 != b1 + 5 * PAGE || b3 != b2 + 4 * PAGE)
		truth_die("brk did not grow: 0x%lx 0x%lx 0x%lx 0x%lx", b0, b1, b2, b3);
	if (b4 != b1 + 2 * PAGE + 10)
		truth_die("brk did not shrink: 0x%lx", b4);
	if (failed != b4 || now != b4)
		truth_die("failing brk(0x%lx) changed the break: 0x%lx, then 0x%lx", low / 2, failed, now);
	((char *)b4)[-1] = 1;

	truth_region((void *)TRUTH_PAGE_UP(b0), (void *)TRUTH_PAGE_UP(b1), "brk", b1 - b0, "heap", line1);
	truth_region((void *)TRUTH_PAGE_UP(b1), (void *)TRUTH_PAGE_UP(b4), "brk", b2 - b1, "heap", line2);
	truth_unmapped((void *)TRUTH_PAGE_UP(b4), (void *)TRUTH_PAGE_UP(b3));
	truth_groupcount("brk", b3 - b2, 0);
	truth_check();
	return 0;
}
