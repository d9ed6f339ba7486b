/* SPDX-License-Identifier: MIT */
/*
 * mremap: every way mremap moves or resizes. The result of each call is a
 * region of the mremap's line whose group size is the new size; a range it
 * moved away from is unmapped.
 *
 * Everything is placed with MAP_FIXED in a PROT_NONE reservation (r), so
 * that the kernel never puts a mapping of its choice into a hole we assert:
 *
 *             1111111111222222222233333333334444444444555555
 *   01234567890123456789012345678901234567890123456789012345
 *   AAAAB   CCCCCCCC    GG        SS  TTTT  DD  XXYY          mmap, fixed
 *                                           DD                DONTUNMAP D -> N
 *       B                                                     A grows 4 -> 8 pages: moves to M
 *           ccc                                               shrink C in place to 3 pages
 *                       ggggg...                              unmap 22..27, grow G in place
 *                                   ssss                      S (2 pages) -> 4 pages onto T
 *                                                   xxxxxx    X+Y (merged) -> 6 pages at 50
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define AREA 64
#define RW (PROT_READ | PROT_WRITE)
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
	if (area == MAP_FAILED)
		truth_die("reserve: %m");

	void *a = mmap(pg(0), 4 * PAGE, RW, FIXED, -1, 0);
	ok(a, 0);
	void *b = mmap(pg(4), PAGE, PROT_READ, FIXED, -1, 0); int line_b = __LINE__;
	ok(b, 4);
	void *c = mmap(pg(8), 8 * PAGE, RW, FIXED, -1, 0);
	ok(c, 8);
	void *g = mmap(pg(20), 2 * PAGE, RW, FIXED, -1, 0);
	ok(g, 20);
	void *s = mmap(pg(30), 2 * PAGE, RW, FIXED, -1, 0);
	ok(s, 30);
	void *t = mmap(pg(34), 3 * PAGE + 123, RW, FIXED, -1, 0);
	ok(t, 34);
	void *d = mmap(pg(40), 2 * PAGE, RW, FIXED, -1, 0); int line_d = __LINE__;
	ok(d, 40);
	void *x = mmap(pg(44), 2 * PAGE, RW, FIXED, -1, 0); int line_x = __LINE__;
	ok(x, 44);
	void *y = mmap(pg(46), 2 * PAGE, RW, FIXED, -1, 0); int line_y = __LINE__;
	ok(y, 46);
	((char *)a)[0] = 'A';
	((char *)d)[0] = 'D';

	/* The two moves whose destination the kernel picks come first, while
	 * the reservation has no hole they could land in. Since Linux 6.x,
	 * DONTUNMAP reads new_address as a hint: pass NULL, not garbage. */
	char *n = mremap(d, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL); int line_n = __LINE__;
	if (n == MAP_FAILED || n == d || n[0] != 'D')
		truth_die("mremap DONTUNMAP: got %p: %m", n);
	char *m = mremap(a, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE); int line_m = __LINE__;
	if (m == MAP_FAILED || m == a || m[0] != 'A')
		truth_die("mremap MAYMOVE did not move: got %p: %m", m);

	void *c2 = mremap(c, 8 * PAGE, 3 * PAGE, 0); int line_c2 = __LINE__;
	if (c2 != c)
		truth_die("mremap shrink: got %p: %m", c2);

	if (munmap(pg(22), 6 * PAGE))
		truth_die("munmap: %m");
	void *g2 = mremap(g, 2 * PAGE, 5 * PAGE, 0); int line_g2 = __LINE__;
	if (g2 != g)
		truth_die("mremap grow in place: got %p: %m", g2);

	void *s2 = mremap(s, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t); int line_s2 = __LINE__;
	if (s2 != t)
		truth_die("mremap FIXED: got %p: %m", s2);

	/* X and Y are adjacent with the same protection: the kernel merged
	 * them into one mapping, which this mremap moves as a whole. */
	void *xy = mremap(x, 4 * PAGE, 6 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, pg(50)); int line_xy = __LINE__;
	if (xy == MAP_FAILED) {
		fprintf(stderr, "mremap: note: X and Y not moved as one (%m)\n");
		truth_region(pg(44), pg(46), "mmap", 2 * PAGE, "anon", line_x);
		truth_region(pg(46), pg(48), "mmap", 2 * PAGE, "anon", line_y);
	} else if (xy != pg(50)) {
		truth_die("mremap FIXED of X+Y: got %p", xy);
	} else {
		truth_region(pg(50), pg(56), "mremap", 6 * PAGE, "anon", line_xy);
		truth_unmapped(pg(44), pg(48));
	}

	truth_region(n, n + 2 * PAGE, "mremap", 2 * PAGE, "anon", line_n);
	truth_region(pg(40), pg(42), "mmap", 2 * PAGE, "anon", line_d);
	truth_region(m, m + 8 * PAGE, "mremap", 8 * PAGE, "anon", line_m);
	truth_unmapped(pg(0), pg(4));
	truth_region(pg(4), pg(5), "mmap", PAGE, "anon", line_b);
	truth_region(pg(8), pg(11), "mremap", 3 * PAGE, "anon", line_c2);
	truth_unmapped(pg(11), pg(16));
	truth_region(pg(20), pg(25), "mremap", 5 * PAGE, "anon", line_g2);
	truth_unmapped(pg(25), pg(28));
	truth_region(pg(34), pg(38), "mremap", 4 * PAGE, "anon", line_s2);
	truth_unmapped(pg(30), pg(32));
	/* T was replaced whole by the mremap onto it. */
	truth_groupcount("mmap", 3 * PAGE + 123, 0);
	truth_check();
	return 0;
}
