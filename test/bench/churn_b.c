/* Call site 'b': b1 -> b2 -> b3 -> b4 -> b5 -> mmap/munmap. */
#include "churn.h"
#include <sys/mman.h>

CHURN_NOINLINE static int b5(size_t len)
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

CHURN_NOINLINE static int b4(size_t len) { int r = b5(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int b3(size_t len) { int r = b4(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int b2(size_t len) { int r = b3(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE int b1(size_t len) { int r = b2(len); CHURN_KEEP(r); return r; }
