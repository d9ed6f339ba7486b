/* SPDX-License-Identifier: MIT */
/*
 * common: the types and helpers every module shares. Tracee addresses are
 * taddr_t, never C pointers; ranges are half-open [start, end).
 */
#ifndef MEMSTRACE_COMMON_H
#define MEMSTRACE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t taddr_t;

#define PAGE_SIZE_X86 4096ull
#define PAGE_DOWN(a) ((a) & ~(PAGE_SIZE_X86 - 1))
#define PAGE_UP(a) (((a) + PAGE_SIZE_X86 - 1) & ~(PAGE_SIZE_X86 - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation helpers: memstrace cannot do anything useful without memory. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Print "memstrace: <message>" on stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last component of path (the text after its last '/'). */
const char *path_base(const char *path);

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t now_ns(void);

#endif
