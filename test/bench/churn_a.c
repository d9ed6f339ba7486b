/* Call site 'a': a1 -> a2 -> a3 -> a4 -> a5 -> mmap/munmap. */
#include "churn.h"
#include <sys/mman.h>

CHURN_NOINLINE static int a5(size_t len)
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

CHURN_NOINLINE static int a4(size_t len) { int r = a5(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int a3(size_t len) { int r = a4(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE static int a2(size_t len) { int r = a3(len); CHURN_KEEP(r); return r; }
CHURN_NOINLINE int a1(size_t len) { int r = a2(len); CHURN_KEEP(r); return r; }
