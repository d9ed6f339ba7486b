/* SPDX-License-Identifier: MIT */
/*
 * ev-sizes: memory calls of several sizes, for test/events/events.py, which
 * checks that memstrace -e -s 40960 prints exactly the lines whose length
 * argument is 40960: mmap and munmap of 40960 bytes (failing ones too),
 * mremap from or to 40960 bytes, brk that moves the break by +40960, and no
 * other line (40961 bytes, 36864, a partial munmap, brk by 4096, ...).
 *
 * Every call goes through syscall(2); single-threaded, no malloc, writes
 * nothing. A call that does not end as it must exits 99.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096ul
#define SIZE 40960ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define FAILED ((unsigned long)-1)

static unsigned long sys_mmap(unsigned long addr, unsigned long len, unsigned long prot,
			      unsigned long flags, long fd, unsigned long off)
{
	return (unsigned long)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static unsigned long sys_munmap(unsigned long addr, unsigned long len)
{
	return (unsigned long)syscall(SYS_munmap, addr, len);
}

static unsigned long sys_mremap(unsigned long old, unsigned long old_len, unsigned long new_len,
				unsigned long flags)
{
	return (unsigned long)syscall(SYS_mremap, old, old_len, new_len, flags, 0ul);
}

static unsigned long sys_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

static unsigned long ok(unsigned long r)
{
	if (r == FAILED)
		_exit(99);
	return r;
}

static void fails(unsigned long r, int want)
{
	if (r != FAILED || errno != want)
		_exit(99);
}

int main(void)
{
	unsigned long a = ok(sys_mmap(0, SIZE, RW, ANON, -1, 0));              /* in */
	unsigned long b = ok(sys_mmap(0, SIZE, PROT_READ, ANON | MAP_STACK, -1, 0)); /* in */
	unsigned long c = ok(sys_mmap(0, SIZE + 1, RW, ANON, -1, 0));          /* out */
	unsigned long d = ok(sys_mmap(0, SIZE - PAGE, RW, ANON, -1, 0));       /* out */
	unsigned long e = ok(sys_mmap(0, 10 * SIZE, RW, ANON, -1, 0));         /* out */
	unsigned long f = ok(sys_mmap(0, 2 * PAGE, RW, ANON, -1, 0));          /* out */
	fails(sys_mmap(0, SIZE, RW, MAP_PRIVATE, 55, 0), EBADF);               /* in */
	fails(sys_mmap(0, SIZE + PAGE, RW, MAP_PRIVATE, 55, 0), EBADF);        /* out */

	ok(sys_munmap(a + PAGE, 2 * PAGE));                                    /* out */
	ok(sys_munmap(a, SIZE));                                               /* in */
	fails(sys_munmap(b + 1, SIZE), EINVAL);                                /* in */
	ok(sys_munmap(c, SIZE + 1));                                           /* out */
	ok(sys_munmap(d, SIZE - PAGE));                                        /* out */

	f = ok(sys_mremap(f, 2 * PAGE, SIZE, MREMAP_MAYMOVE));                 /* in: new */
	f = ok(sys_mremap(f, SIZE, 2 * SIZE, MREMAP_MAYMOVE));                 /* in: old */
	f = ok(sys_mremap(f, 2 * SIZE, PAGE, 0));                              /* out */
	e = ok(sys_mremap(e, 10 * SIZE, 9 * SIZE, 0));                         /* out */
	ok(sys_munmap(b, SIZE));                                               /* in */
	ok(sys_munmap(e, 9 * SIZE));                                           /* out */
	ok(sys_munmap(f, PAGE));                                               /* out */

	unsigned long cur = sys_brk(0);                                        /* out: no move */
	if (sys_brk(cur + SIZE) != cur + SIZE)                                 /* in: +40960 */
		_exit(99);
	if (sys_brk(cur + SIZE + PAGE) != cur + SIZE + PAGE)                   /* out: +4096 */
		_exit(99);
	if (sys_brk(cur + 2 * SIZE + PAGE) != cur + 2 * SIZE + PAGE)           /* in: +40960 */
		_exit(99);
	if (sys_brk(cur + SIZE + PAGE) != cur + SIZE + PAGE)                   /* out: -40960 */
		_exit(99);
	if (sys_brk(cur + 3 * SIZE) != cur + 3 * SIZE)                         /* out: +77824 */
		_exit(99);
	if (sys_brk(cur + 3 * SIZE + (1ul << 46)) != cur + 3 * SIZE)           /* out: fails */
		_exit(99);
	if (sys_brk(cur) != cur)                                               /* out */
		_exit(99);
	return 0;
}
