/* SPDX-License-Identifier: MIT */
/*
 * munmap-span: one munmap across several mappings and the holes between
 * them, a munmap whose length is not a page multiple (it rounds up), and
 * munmaps of ranges that are already unmapped (they succeed, change nothing).
 *
 *   0123456789abcdef
 *   rrrrrrrrrrrrrrrr   reserve 16 pages, unmap them: a free area we place in
 *   AABB CC DDD EEE    A, B adjacent (the kernel merges them), C read-only
 *   A         D EEE    munmap 1..9 (9 pages): across A, B, C, D and 2 holes
 *   A         D   E    munmap c with length PAGE + 1: pages c, d
 *   A         D   E    munmap 4 and 1..9 again: already unmapped, no change
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define AREA 16
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE)

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

	char *a = mmap(pg(0), 2 * PAGE, RW, ANON, -1, 0); int line_a = __LINE__;
	ok(a, 0);
	char *b = mmap(pg(2), 2 * PAGE, RW, ANON, -1, 0);
	ok(b, 2);
	char *c = mmap(pg(5), 2 * PAGE, PROT_READ, ANON, -1, 0);
	ok(c, 5);
	char *d = mmap(pg(8), 3 * PAGE - 100, RW, ANON, -1, 0); int line_d = __LINE__;
	ok(d, 8);
	char *e = mmap(pg(12), 3 * PAGE, RW, ANON, -1, 0); int line_e = __LINE__;
	ok(e, 12);

	if (munmap(pg(1), 9 * PAGE))
		truth_die("munmap across: %m");
	if (munmap(pg(12), PAGE + 1))
		truth_die("munmap PAGE + 1: %m");
	if (munmap(pg(4), PAGE) || munmap(pg(1), 9 * PAGE))
		truth_die("munmap of an unmapped range: %m");

	truth_region(pg(0), pg(1), "mmap", 2 * PAGE, "anon", line_a);
	truth_region(pg(10), pg(11), "mmap", 3 * PAGE - 100, "anon", line_d);
	truth_region(pg(14), pg(15), "mmap", 3 * PAGE, "anon", line_e);
	truth_unmapped(pg(1), pg(10));
	truth_unmapped(pg(11), pg(14));
	truth_unmapped(pg(15), pg(16));
	truth_check();
	return 0;
}
