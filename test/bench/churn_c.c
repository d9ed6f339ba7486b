/* Call site 'c': c1 -> c2 -> c3 -> c4 -> c5 -> mmap/munmap. */
#include "churn.h"
#include <sys/mman.h>

CHURN_NOINLINE static int c5(size_t len)
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

CHURN_NOINLINE static int c4(size_t len) { int r = c5(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int c3(size_t len) { int r = c4(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int c2(size_t len) { int r = c3(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE int c1(size_t len) { int r = c2(len); CHURN_KEEP(r); return r; }
