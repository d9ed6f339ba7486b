/* SPDX-License-Identifier: MIT */
/*
 * fail-calls: memory calls that fail change nothing: mmap of length 0
 * (EINVAL) or of an enormous length (ENOMEM), a MAP_FIXED_NOREPLACE
 * collision (EEXIST), munmap of an unaligned address (EINVAL), mremap with
 * bad flags (EINVAL) and of an unmapped address (EFAULT). The one region
 * mapped by a successful call, L, is reported intact.
 *
 *   0123
 *   LLh    L leaked, h a hole (mapped, then unmapped)
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "truth.h"

#define PAGE 4096
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define HUGE_LEN (1ul << 60)

static void fails(const char *what, void *result, int want)
{
	if (result != MAP_FAILED || errno != want)
		truth_die("%s: got %p (%m), want %s", what, result, strerrorname_np(want));
}

int main(void)
{
	char *l = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0); int line = __LINE__;
	char *hole = l + 2 * PAGE;

	if (l == MAP_FAILED || munmap(hole, PAGE))
		truth_die("mmap: %m");
	l[0] = 'L';

	fails("mmap length 0", mmap(NULL, 0, RW, ANON, -1, 0), EINVAL);
	fails("mmap enormous", mmap(NULL, HUGE_LEN, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	fails("mmap NOREPLACE", mmap(l + PAGE, 2 * PAGE + 1, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	errno = 0;
	if (munmap(l + 1, PAGE) != -1 || errno != EINVAL)
		truth_die("munmap unaligned: %m, want EINVAL");
	fails("mremap FIXED without MAYMOVE", mremap(l, PAGE, 2 * PAGE, MREMAP_FIXED, hole), EINVAL);
	/* glibc refuses unknown flags itself: ask the kernel directly. */
	fails("mremap unknown flag", (void *)syscall(SYS_mremap, l, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | 0x100, 0), EINVAL);
	fails("mremap unmapped", mremap(hole, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT);
	if (l[0] != 'L')
		truth_die("L lost its content");

	truth_region(l, l + 2 * PAGE, "mmap", 3 * PAGE, "anon", line);
	truth_unmapped(hole, hole + PAGE);
	truth_groupcount("mmap", 0, 0);
	truth_groupcount("mmap", HUGE_LEN, 0);
	truth_groupcount("mmap", 2 * PAGE + 1, 0);
	truth_groupcount("mremap", 3 * PAGE, 0);
	truth_check();
	return 0;
}
