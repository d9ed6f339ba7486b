/* Benchmark churn: four call sites, each 6 frames deep from main to mmap. */
#ifndef CHURN_H
#define CHURN_H
#include <stddef.h>
#include <sys/mman.h>

/* Each *1 function maps LEN anonymous bytes through a 5-deep noinline chain
 * (x1 -> x2 -> x3 -> x4 -> x5 -> mmap) and unmaps it right away.
 * Returns 0 on success, -1 on failure. */
int a1(size_t len);
int b1(size_t len);
int c1(size_t len);
int d1(size_t len);

/* Keep the compiler from turning calls into tail calls (which would drop
 * frames) and from merging the chains. */
#define CHURN_KEEP(x) __asm__ volatile("" : : "r"(x) : "memory")
#define CHURN_NOINLINE __attribute__((noinline, noclone))

/*
 * One call site: x1 -> x2 -> x3 -> x4 -> x5 -> mmap/munmap, each a function
 * of its own (named after x), so that every site has its own stack.
 */
#define CHURN_SITE(x)                                                                    \
	CHURN_NOINLINE static int x##5(size_t len)                                       \
	{                                                                                \
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,                        \
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);                      \
		if (p == MAP_FAILED)                                                     \
			return -1;                                                       \
		CHURN_KEEP(p);                                                           \
		int rc = munmap(p, len);                                                 \
		CHURN_KEEP(rc);                                                          \
		return rc;                                                               \
	}                                                                                \
	CHURN_NOINLINE static int x##4(size_t len) { int r = x##5(len); CHURN_KEEP(r); return r; } \
	CHURN_NOINLINE static int x##3(size_t len) { int r = x##4(len); CHURN_KEEP(r); return r; } \
	CHURN_NOINLINE static int x##2(size_t len) { int r = x##3(len); CHURN_KEEP(r); return r; } \
	CHURN_NOINLINE int x##1(size_t len) { int r = x##2(len); CHURN_KEEP(r); return r; }
#endif
