/* Benchmark churn: four call sites, each 6 frames deep from main to mmap. */
#ifndef CHURN_H
#define CHURN_H
#include <stddef.h>

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
#endif
