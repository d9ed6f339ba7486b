/* SPDX-License-Identifier: MIT */
/*
 * ev-calls: one of each mmap, munmap, mremap and brk call that event lines
 * must decode, successful or failing, for test/events/events.py, which runs
 * it under strace and under memstrace -e and compares the lines.
 *
 * Every call goes through syscall(2), so that the arguments reach the kernel
 * exactly as written here (glibc's wrappers check some of them first). The
 * program is single-threaded and deterministic: under setarch -R it makes
 * the same calls with the same addresses every run. It writes nothing and
 * uses no malloc; a call that does not end as it must exits 99 with a
 * message on stderr, so that no comparison rests on calls that never ran.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mman.h>

#include "ev-common.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
/* Bits no kernel or strace 6 gives a name. */
#define PROT_UNKNOWN 0x10
#define MAP_UNKNOWN 0x200000
#define MAP_TYPE_UNKNOWN 0xf
#define MREMAP_UNKNOWN 0x80

/* mmap that must succeed, then munmap of the whole length. */
static void map_unmap(const char *what, unsigned long len, unsigned long prot, unsigned long flags,
		      long fd, unsigned long off)
{
	unsigned long p = ok(what, sys_mmap(0, len, prot, flags, fd, off));
	ok("munmap", (unsigned long)sys_munmap(p, len));
}

int main(void)
{
	/* ---- protections */
	map_unmap("PROT_NONE", PAGE, PROT_NONE, ANON, -1, 0);
	map_unmap("PROT_READ", PAGE, PROT_READ, ANON, -1, 0);
	map_unmap("RW", 2 * PAGE, RW, ANON, -1, 0);
	map_unmap("RWX", PAGE, RW | PROT_EXEC, ANON, -1, 0);
	map_unmap("PROT_SEM", PAGE, PROT_READ | PROT_SEM, ANON, -1, 0);
	map_unmap("unknown prot bit", PAGE, PROT_READ | PROT_UNKNOWN, ANON, -1, 0);
	map_unmap("unknown prot alone", PAGE, PROT_UNKNOWN, ANON, -1, 0);
	map_unmap("PROT_GROWSDOWN", 2 * PAGE, RW | PROT_GROWSDOWN, ANON | MAP_GROWSDOWN, -1, 0);

	/* ---- mapping types */
	map_unmap("MAP_SHARED", PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* only files take MAP_SHARED_VALIDATE (below) */
	fails("MAP_SHARED_VALIDATE anonymous",
	      sys_mmap(0, PAGE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	fails("no type", sys_mmap(0, PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
	fails("no flags at all", sys_mmap(0, PAGE, RW, 0, -1, 0), EBADF);
	fails("unknown type", sys_mmap(0, PAGE, RW, MAP_TYPE_UNKNOWN | MAP_ANONYMOUS, -1, 0), EINVAL);

	/* ---- flags */
	map_unmap("MAP_NORESERVE", 16 * PAGE, RW, ANON | MAP_NORESERVE, -1, 0);
	map_unmap("MAP_POPULATE", 4 * PAGE, RW, ANON | MAP_POPULATE, -1, 0);
	map_unmap("MAP_STACK", 10 * PAGE, RW, ANON | MAP_STACK, -1, 0);
	map_unmap("MAP_GROWSDOWN", 4 * PAGE, RW, ANON | MAP_GROWSDOWN, -1, 0);
	map_unmap("MAP_LOCKED", PAGE, RW, ANON | MAP_LOCKED, -1, 0);
	map_unmap("MAP_32BIT", PAGE, RW, ANON | MAP_32BIT, -1, 0);
	map_unmap("MAP_DENYWRITE|MAP_EXECUTABLE|MAP_NONBLOCK", PAGE, PROT_READ,
		  ANON | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_NONBLOCK, -1, 0);
	map_unmap("unknown map bit", PAGE, RW, ANON | MAP_UNKNOWN, -1, 0);
	map_unmap("MAP_UNINITIALIZED", PAGE, RW, ANON | MAP_UNINITIALIZED, -1, 0);
	map_unmap("several flags", 8 * PAGE, PROT_NONE,
		  ANON | MAP_NORESERVE | MAP_STACK | MAP_UNKNOWN, -1, 0);

	/* every bit at once, for the order of the names; length 0 makes it fail */
	fails("every prot bit", sys_mmap(0, 0, RW | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP |
				     PROT_UNKNOWN | 0x100, ANON, -1, 0), EINVAL);
	fails("every map bit", sys_mmap(0, 0, RW, MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS |
					MAP_32BIT | MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE |
					MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |
					MAP_STACK | MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE |
					MAP_UNKNOWN | 0x80 | 0x200 | 0x400 | MAP_HUGE_2MB |
					0x80000000ul, -1, 0), EINVAL);
	/* bits beyond 32 */
	fails("prot bit 32", sys_mmap(0, 0, PROT_READ | 0x100000000ul, ANON, -1, 0), EINVAL);
	fails("map bit 32", sys_mmap(0, 0, RW, ANON | 0x100000000ul, -1, 0), EINVAL);

	/* MAP_HUGETLB with a size: fails (ENOMEM) unless huge pages are reserved */
	unsigned long huge = sys_mmap(0, 2 * 1024 * 1024, RW, ANON | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	if (huge != FAILED)
		ok("munmap huge", (unsigned long)sys_munmap(huge, 2 * 1024 * 1024));
	else if (errno != ENOMEM && errno != EINVAL)
		die("MAP_HUGETLB: %s", strerror(errno));

	/* MAP_FIXED over the middle of a mapping, MAP_FIXED_NOREPLACE */
	unsigned long r = ok("r", sys_mmap(0, 3 * PAGE, RW, ANON, -1, 0));
	ok("MAP_FIXED", sys_mmap(r + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0));
	fails("MAP_FIXED_NOREPLACE taken",
	      sys_mmap(r + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	ok("munmap tail", (unsigned long)sys_munmap(r + 2 * PAGE, PAGE));
	ok("MAP_FIXED_NOREPLACE free", sys_mmap(r + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	ok("munmap r", (unsigned long)sys_munmap(r, 3 * PAGE));

	/* ---- files: a memfd, and this program, with offsets */
	int mfd = (int)syscall(SYS_memfd_create, "ev-calls", 0);
	if (mfd < 0 || ftruncate(mfd, 16 * PAGE))
		die("memfd: %s", strerror(errno));
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		die("open /proc/self/exe: %s", strerror(errno));
	map_unmap("memfd shared", 4 * PAGE, RW, MAP_SHARED, mfd, 0);
	map_unmap("memfd shared offset", 2 * PAGE, RW, MAP_SHARED, mfd, 3 * PAGE);
	map_unmap("memfd private offset", PAGE, PROT_READ, MAP_PRIVATE, mfd, 8 * PAGE);
	map_unmap("memfd validate", PAGE, PROT_READ, MAP_SHARED_VALIDATE, mfd, PAGE);
	map_unmap("exe offset", PAGE, PROT_READ, MAP_PRIVATE | MAP_POPULATE, exe, PAGE);
	fails("unaligned offset", sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, exe, 0x123), EINVAL);
	fails("MAP_SHARED_VALIDATE unknown bit",
	      sys_mmap(0, PAGE, RW, MAP_SHARED_VALIDATE | MAP_UNKNOWN, mfd, 0), EOPNOTSUPP);
	fails("MAP_SYNC on memfd", sys_mmap(0, PAGE, RW, MAP_SHARED_VALIDATE | MAP_SYNC, mfd, 0),
	      EOPNOTSUPP);
	fails("write on read-only fd", sys_mmap(0, PAGE, RW, MAP_SHARED, exe, 0), EACCES);

	/* ---- failures */
	fails("length 0", sys_mmap(0, 0, RW, ANON, -1, 0), EINVAL);
	fails("enormous", sys_mmap(0, 1ul << 60, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	fails("bad fd", sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
	fails("no fd", sys_mmap(0, PAGE, PROT_READ, MAP_SHARED, -1, 0), EBADF);
	fails("unaligned fixed", sys_mmap(0x10001, PAGE, RW, ANON | MAP_FIXED, -1, 0), EINVAL);

	/* ---- munmap */
	unsigned long m = ok("m", sys_mmap(0, 4 * PAGE, RW, ANON, -1, 0));
	ok("munmap part", (unsigned long)sys_munmap(m + PAGE, PAGE));
	fails("munmap unaligned", (unsigned long)sys_munmap(m + 1, PAGE), EINVAL);
	fails("munmap length 0", (unsigned long)sys_munmap(m, 0), EINVAL);
	ok("munmap rest", (unsigned long)sys_munmap(m, 4 * PAGE));
	ok("munmap unmapped", (unsigned long)sys_munmap(m, PAGE));

	/* ---- mremap */
	unsigned long a = ok("a", sys_mmap(0, 2 * PAGE, RW, ANON, -1, 0));
	unsigned long b = ok("b", sys_mmap(0, 4 * PAGE, RW, ANON, -1, 0));
	a = ok("MREMAP_MAYMOVE", sys_mremap(a, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, 0));
	a = ok("shrink, no flags", sys_mremap(a, 8 * PAGE, 3 * PAGE, 0, 0));
	a = ok("MREMAP_FIXED", sys_mremap(a, 3 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, b + PAGE));
	unsigned long d = ok("MREMAP_DONTUNMAP",
			     sys_mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0));
	fails("FIXED without MAYMOVE", sys_mremap(a, PAGE, PAGE, MREMAP_FIXED, b), EINVAL);
	fails("unknown mremap bit", sys_mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_UNKNOWN, 0), EINVAL);
	fails("unknown mremap bit alone", sys_mremap(a, PAGE, 2 * PAGE, MREMAP_UNKNOWN, 0), EINVAL);
	fails("DONTUNMAP without MAYMOVE", sys_mremap(a, PAGE, PAGE, MREMAP_DONTUNMAP, 0), EINVAL);
	fails("every mremap bit", sys_mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED |
					     MREMAP_DONTUNMAP | MREMAP_UNKNOWN, b), EINVAL);
	fails("mremap bit 32", sys_mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE | 0x100000000ul, 0), EINVAL);
	/* b's first page is followed by a, which is mapped: no room in place */
	fails("grow in place", sys_mremap(b, PAGE, 2 * PAGE, 0, 0), ENOMEM);
	ok("munmap b", (unsigned long)sys_munmap(b, 4 * PAGE));
	fails("unmapped", sys_mremap(b, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0), EFAULT);
	fails("shrink to 0", sys_mremap(d, 2 * PAGE, 0, 0, 0), EINVAL);
	ok("munmap d", (unsigned long)sys_munmap(d, 2 * PAGE));

	/* ---- brk */
	unsigned long cur = sys_brk(0);
	if (sys_brk(cur + 33 * PAGE) != cur + 33 * PAGE)
		die("brk grow failed");
	if (sys_brk(cur + 35 * PAGE + 123) != cur + 35 * PAGE + 123)
		die("brk grow, not page aligned, failed");
	if (sys_brk(cur + PAGE) != cur + PAGE)
		die("brk shrink failed");
	if (sys_brk(cur + (1ul << 46)) != cur + PAGE)
		die("enormous brk did not fail");
	if (sys_brk(0x1000) != cur + PAGE)
		die("brk below the heap did not fail");
	if (sys_brk(cur) != cur)
		die("brk back failed");

	close(exe);
	close(mfd);
	return 0;
}
