/* Call site 'd': d1 -> d2 -> d3 -> d4 -> d5 -> mmap/munmap. */
#include "churn.h"
#include <sys/mman.h>

CHURN_NOINLINE static int d5(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	CHURN_KEEP(p);
	int rc = munmap(p, len);
	CHURN_KEEP(rc);
	return rc;
}

CHURN_NOINLINE static int d4(size_t len) { int r = d5(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int d3(size_t len) { int r = d4(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int d2(size_t len) { int r = d3(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE int d1(size_t len) { int r = d2(len); CHURN_KEEP(r); return r; }
