/* SPDX-License-Identifier: MIT */
/*
 * dl-lib: the library that dl-main dlopens. Its one function maps a region
 * that outlives the library: after dlclose, the frame in this library must
 * still read dl_lib_map (dl-lib.c:LINE).
 */
#include <stddef.h>
#include <sys/mman.h>

__attribute__((noinline, visibility("default"))) void *dl_lib_map(unsigned long size);

__attribute__((noinline, visibility("default"))) void *dl_lib_map(unsigned long size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}
