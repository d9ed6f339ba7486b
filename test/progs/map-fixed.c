/* SPDX-License-Identifier: MIT */
/*
 * map-fixed: MAP_FIXED over the left part, the right part and the middle of
 * a region, across two regions and a hole, and over a whole region. Each
 * piece that survives keeps its own mmap's group; each MAP_FIXED mapping is
 * a region of its own line (F2 maps a file).
 *
 *             1111111111222222222
 *   0123456789012345678901234567
 *   AAAA BBBB CCCCC DDEE FFF GG    mmap each, in a free area
 *   1AAA BB22 CC3CC D4444444 55    MAP_FIXED F1..F5
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define AREA 28
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE)
#define FIXED (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static char *area;

static char *pg(int n)
{
	return area + n * PAGE;
}

static void ok(void *p, int page)
{
	if (p != pg(page))
		truth_die("mmap at page %d: got %p: %m", page, p);
}

int main(void)
{
	area = mmap(NULL, AREA * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || munmap(area, AREA * PAGE))
		truth_die("reserve: %m");
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		truth_die("open /proc/self/exe: %m");

	void *a = mmap(pg(0), 4 * PAGE, RW, ANON, -1, 0); int line_a = __LINE__;
	ok(a, 0);
	void *b = mmap(pg(5), 4 * PAGE, RW, ANON, -1, 0); int line_b = __LINE__;
	ok(b, 5);
	void *c = mmap(pg(10), 5 * PAGE - 1, RW, ANON, -1, 0); int line_c = __LINE__;
	ok(c, 10);
	void *d = mmap(pg(16), 2 * PAGE, RW, ANON, -1, 0); int line_d = __LINE__;
	ok(d, 16);
	void *e = mmap(pg(18), 2 * PAGE - 7, PROT_READ, ANON, -1, 0);
	ok(e, 18);
	void *f = mmap(pg(21), 3 * PAGE, RW, ANON, -1, 0); int line_f = __LINE__;
	ok(f, 21);
	void *g = mmap(pg(25), 2 * PAGE - 9, RW, ANON, -1, 0);
	ok(g, 25);

	void *f1 = mmap(pg(0), PAGE, PROT_READ, FIXED, -1, 0); int line_f1 = __LINE__;
	ok(f1, 0);
	void *f2 = mmap(pg(7), 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0); int line_f2 = __LINE__;
	ok(f2, 7);
	void *f3 = mmap(pg(12), PAGE, PROT_READ, FIXED, -1, 0); int line_f3 = __LINE__;
	ok(f3, 12);
	void *f4 = mmap(pg(17), 5 * PAGE - 10, RW, FIXED, -1, 0); int line_f4 = __LINE__;
	ok(f4, 17);
	void *f5 = mmap(pg(25), 2 * PAGE, PROT_READ, FIXED, -1, 0); int line_f5 = __LINE__;
	ok(f5, 25);
	close(fd);

	truth_region(pg(1), pg(4), "mmap", 4 * PAGE, "anon", line_a);
	truth_region(pg(5), pg(7), "mmap", 4 * PAGE, "anon", line_b);
	truth_region(pg(10), pg(12), "mmap", 5 * PAGE - 1, "anon", line_c);
	truth_region(pg(13), pg(15), "mmap", 5 * PAGE - 1, "anon", line_c);
	truth_region(pg(16), pg(17), "mmap", 2 * PAGE, "anon", line_d);
	truth_region(pg(22), pg(24), "mmap", 3 * PAGE, "anon", line_f);
	truth_region(pg(0), pg(1), "mmap", PAGE, "anon", line_f1);
	truth_region(pg(7), pg(9), "mmap", 2 * PAGE, "file", line_f2);
	truth_region(pg(12), pg(13), "mmap", PAGE, "anon", line_f3);
	truth_region(pg(17), pg(22), "mmap", 5 * PAGE - 10, "anon", line_f4);
	truth_region(pg(25), pg(27), "mmap", 2 * PAGE, "anon", line_f5);
	/* E and G were covered whole: nothing of theirs is left. */
	truth_groupcount("mmap", 2 * PAGE - 7, 0);
	truth_groupcount("mmap", 2 * PAGE - 9, 0);
	truth_unmapped(pg(4), pg(5));
	truth_unmapped(pg(9), pg(10));
	truth_unmapped(pg(15), pg(16));
	truth_unmapped(pg(24), pg(25));
	truth_unmapped(pg(27), pg(28));
	truth_check();
	return 0;
}
