/* SPDX-License-Identifier: MIT */
/*
 * ev-threads: memory calls from several threads, for test/events/events.py,
 * which runs it under strace -f and under memstrace -e and compares the
 * lines, the "[pid N] " / "N  " prefixes included.
 *
 * The order of the lines must not depend on scheduling, nor the prefixes on
 * when a tracer notices that a thread has exited. So:
 *  - a helper thread starts first and lives until the process exits; main
 *    waits until it has run, so from then on both tracers count at least two
 *    tasks and prefix every line;
 *  - the workers run one at a time: main starts one, joins it, starts the
 *    next; main itself makes calls only between workers.
 * Every call goes through syscall(2); no worker uses malloc (a thread's
 * first malloc maps an arena whose trimming depends on its address). A call
 * that does not end as it must exits 99 with a message on stderr.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mman.h>

#include "ev-common.h"


static int ready[2], forever[2];

/* Runs first, says so, then waits for the process to exit. */
static void *helper(void *arg)
{
	char c = 'h';

	(void)arg;
	if (write(ready[1], &c, 1) != 1)
		die("helper: write: %s", strerror(errno));
	for (;;)
		if (read(forever[0], &c, 1) <= 0 && errno != EINTR)
			break;
	return NULL;
}

/* Maps, remaps and unmaps, all successfully. */
static void *worker_maps(void *arg)
{
	(void)arg;
	unsigned long a = ok("a", sys_mmap(0, 10 * PAGE, RW, ANON | MAP_STACK, -1, 0));
	unsigned long b = ok("b", sys_mmap(0, 3 * PAGE, PROT_READ, ANON | MAP_NORESERVE, -1, 0));
	ok("fixed", sys_mmap(a + PAGE, PAGE, PROT_NONE, ANON | MAP_FIXED, -1, 0));
	ok("munmap part", (unsigned long)sys_munmap(a + 9 * PAGE, PAGE));
	b = ok("mremap grow", sys_mremap(b, 3 * PAGE, 12 * PAGE, MREMAP_MAYMOVE, 0));
	b = ok("mremap fixed", sys_mremap(b, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, a + 2 * PAGE));
	unsigned long d = ok("mremap dontunmap",
			     sys_mremap(b, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0));
	ok("munmap d", (unsigned long)sys_munmap(d, 2 * PAGE));
	ok("munmap a", (unsigned long)sys_munmap(a, 10 * PAGE));
	return NULL;
}

/* Calls that fail, one of each errno. */
static void *worker_fails(void *arg)
{
	(void)arg;
	unsigned long a = ok("a", sys_mmap(0, 2 * PAGE, RW, ANON, -1, 0));
	fails("EEXIST", sys_mmap(a + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	fails("EINVAL", sys_mmap(0, 0, RW, ANON, -1, 0), EINVAL);
	fails("ENOMEM", sys_mmap(0, 1ul << 60, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	fails("EBADF", sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 77, 0), EBADF);
	fails("munmap EINVAL", (unsigned long)sys_munmap(a + 3, PAGE), EINVAL);
	ok("munmap a", (unsigned long)sys_munmap(a, 2 * PAGE));
	fails("EFAULT", sys_mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0), EFAULT);
	fails("mremap EINVAL", sys_mremap(a, PAGE, 2 * PAGE, 0x40, 0), EINVAL);
	return NULL;
}

/* The heap, moved by a thread. */
static void *worker_brk(void *arg)
{
	(void)arg;
	unsigned long cur = sys_brk(0);
	if (sys_brk(cur + 10 * PAGE) != cur + 10 * PAGE)
		die("brk grow failed");
	if (sys_brk(1ul << 47) != cur + 10 * PAGE)
		die("enormous brk did not fail");
	if (sys_brk(cur) != cur)
		die("brk back failed");
	return NULL;
}

static void run(void *(*fn)(void *))
{
	pthread_t t;
	int e = pthread_create(&t, NULL, fn, NULL);

	if (e)
		die("pthread_create: %s", strerror(e));
	if ((e = pthread_join(t, NULL)))
		die("pthread_join: %s", strerror(e));
}

int main(void)
{
	pthread_t h;
	char c;

	/* one mapping before any thread: no prefix on stderr */
	ok("munmap", (unsigned long)sys_munmap(ok("mmap", sys_mmap(0, 5 * PAGE, RW, ANON, -1, 0)), 5 * PAGE));

	if (pipe(ready) || pipe(forever))
		die("pipe: %s", strerror(errno));
	int e = pthread_create(&h, NULL, helper, NULL);
	if (e)
		die("pthread_create: %s", strerror(e));
	if (read(ready[0], &c, 1) != 1)
		die("read: %s", strerror(errno));

	run(worker_maps);
	ok("munmap", (unsigned long)sys_munmap(ok("mmap", sys_mmap(0, 6 * PAGE, RW, ANON, -1, 0)), 6 * PAGE));
	run(worker_fails);
	ok("munmap", (unsigned long)sys_munmap(ok("mmap", sys_mmap(0, 7 * PAGE, RW, ANON, -1, 0)), 7 * PAGE));
	run(worker_brk);
	run(worker_maps);
	ok("munmap", (unsigned long)sys_munmap(ok("mmap", sys_mmap(0, 8 * PAGE, RW, ANON, -1, 0)), 8 * PAGE));
	/* exit_group with the helper still blocked */
	return 0;
}
