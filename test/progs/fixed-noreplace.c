/* SPDX-License-Identifier: MIT */
/*
 * fixed-noreplace: MAP_FIXED_NOREPLACE onto an existing region fails with
 * EEXIST and changes nothing, whether it covers the region's left end, all
 * of it, its middle or its right end; onto free pages it succeeds.
 *
 *   01234567
 *     RRRR     mmap R, in a free area
 *    xx        NOREPLACE 1..2: EEXIST, page 1 stays free
 *     xxxx     NOREPLACE 2..5: EEXIST
 *      x       NOREPLACE 3:    EEXIST
 *        xx    NOREPLACE 5..6: EEXIST, page 6 stays free
 *     RRRR S   NOREPLACE 7:    S
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define AREA 8
#define RW (PROT_READ | PROT_WRITE)
#define NOREPLACE (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE)

static char *area;

static char *pg(int n)
{
	return area + n * PAGE;
}

static void eexist(void *p, int page)
{
	if (p != MAP_FAILED || errno != EEXIST)
		truth_die("MAP_FIXED_NOREPLACE at page %d: got %p (%m), want EEXIST", page, p);
}

int main(void)
{
	area = mmap(NULL, AREA * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || munmap(area, AREA * PAGE))
		truth_die("reserve: %m");

	char *r = mmap(pg(2), 4 * PAGE, RW, NOREPLACE, -1, 0); int line_r = __LINE__;
	if (r != pg(2))
		truth_die("mmap R: got %p: %m", r);
	r[0] = 1;

	eexist(mmap(pg(1), 2 * PAGE + 1, RW, NOREPLACE, -1, 0), 1);
	eexist(mmap(pg(2), 4 * PAGE + 3, RW, NOREPLACE, -1, 0), 2);
	eexist(mmap(pg(3), PAGE + 5, PROT_READ, NOREPLACE, -1, 0), 3);
	eexist(mmap(pg(5), 2 * PAGE + 11, RW, NOREPLACE, -1, 0), 5);

	char *s = mmap(pg(7), PAGE, PROT_READ, NOREPLACE, -1, 0); int line_s = __LINE__;
	if (s != pg(7))
		truth_die("mmap S: got %p: %m", s);
	if (r[0] != 1)
		truth_die("R lost its content");

	truth_region(pg(2), pg(6), "mmap", 4 * PAGE, "anon", line_r);
	truth_region(pg(7), pg(8), "mmap", PAGE, "anon", line_s);
	truth_unmapped(pg(0), pg(2));
	truth_unmapped(pg(6), pg(7));
	truth_groupcount("mmap", 2 * PAGE + 1, 0);
	truth_groupcount("mmap", 4 * PAGE + 3, 0);
	truth_groupcount("mmap", PAGE + 5, 0);
	truth_groupcount("mmap", 2 * PAGE + 11, 0);
	truth_check();
	return 0;
}
