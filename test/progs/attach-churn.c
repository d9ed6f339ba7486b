/* SPDX-License-Identifier: MIT */
/*
 * attach-churn: threads that keep reshaping their memory, much of it mapped
 * before memstrace attaches, for memstrace -p --verify (test/e2e/attach.py).
 *
 * Usage: attach-churn [THREADS [SEED]]   (default 3, 1)
 *
 * Before "ready", main maps NSLOTS slots of SLOT_PAGES pages for each
 * thread. Then each thread, on its own slots only (no thread ever maps into
 * a range another one may own), does at random: MAP_FIXED over a part,
 * mprotect of a part, munmap of the tail, a hole punched in the middle,
 * growth by mremap(MREMAP_MAYMOVE), shrinking by mremap, a move by
 * mremap(MREMAP_FIXED), a slot unmapped and mapped anew, a short-lived
 * mapping, and malloc/free of any size. main moves the break (malloc/free
 * of mid-sized blocks). An mremap that the kernel refuses because the range
 * spans several VMAs (EFAULT) is part of the game: the slot is then
 * replaced. Any other failure prints "error ..." and exits 99.
 *
 * Lines on stdout, one write(2) each: "ready PID", "ops TID N" every 256
 * operations of a thread, "beat N T" from main (T: CLOCK_MONOTONIC ns), "error ...".
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "attach-common.h"

#define PAGE 4096ul
#define MAX_THREADS 16
#define NSLOTS 12
#define SLOT_PAGES 8
#define MAX_PAGES 48
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

struct slot {
	char *p;      /* [p, p + pages * PAGE) is mapped, and only its thread touches it */
	size_t pages;
};

static struct slot slots[MAX_THREADS][NSLOTS];
static unsigned seed0 = 1;
static int started;

__attribute__((noreturn))
static void fail(const char *what, const void *addr, size_t len)
{
	say("error %s(%p, %zu) in thread %d: %s", what, addr, len, (int)syscall(SYS_gettid),
	    strerror(errno));
	_exit(99);
}

static void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	int err = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	if (err)
		say("error clock_nanosleep in thread %d: %s (errno %d)", (int)syscall(SYS_gettid),
		    strerror(err), err);
}

static unsigned rnd(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

static char *map_anon(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap", NULL, pages * PAGE);
	return p;
}

static void unmap(void *p, size_t pages)
{
	if (pages && munmap(p, pages * PAGE))
		fail("munmap", p, pages * PAGE);
}

static void replace(struct slot *s)
{
	unmap(s->p, s->pages);
	s->p = map_anon(SLOT_PAGES);
	s->pages = SLOT_PAGES;
}

static void op(struct slot *s, unsigned *state)
{
	size_t np = s->pages, off, n;
	char *q;

	switch (rnd(state) % 10) {
	case 0: /* MAP_FIXED over a part */
		off = rnd(state) % np;
		n = 1 + rnd(state) % (np - off);
		q = mmap(s->p + off * PAGE, n * PAGE, RW, ANON | MAP_FIXED, -1, 0);
		if (q != s->p + off * PAGE)
			fail("mmap(MAP_FIXED)", s->p + off * PAGE, n * PAGE);
		break;
	case 1: /* mprotect a part */
		off = rnd(state) % np;
		n = 1 + rnd(state) % (np - off);
		if (mprotect(s->p + off * PAGE, n * PAGE, rnd(state) % 2 ? PROT_READ : RW))
			fail("mprotect", s->p + off * PAGE, n * PAGE);
		break;
	case 2: /* munmap the tail */
		if (np < 2)
			break;
		n = 1 + rnd(state) % (np - 1); /* pages kept */
		unmap(s->p + n * PAGE, np - n);
		s->pages = n;
		break;
	case 3: /* grow, maybe moving */
		if (np >= MAX_PAGES)
			break;
		n = np + 1 + rnd(state) % 8;
		if (n > MAX_PAGES)
			n = MAX_PAGES;
		q = mremap(s->p, np * PAGE, n * PAGE, MREMAP_MAYMOVE);
		if (q == MAP_FAILED && errno == EFAULT) {
			replace(s);
			break;
		}
		if (q == MAP_FAILED)
			fail("mremap(MREMAP_MAYMOVE)", s->p, n * PAGE);
		s->p = q;
		s->pages = n;
		break;
	case 4: /* punch a hole in the middle, then unmap what follows it */
		if (np < 3)
			break;
		off = 1 + rnd(state) % (np - 2);
		n = 1 + rnd(state) % (np - 1 - off);
		unmap(s->p + off * PAGE, n);
		unmap(s->p + (off + n) * PAGE, np - off - n);
		s->pages = off;
		break;
	case 5:
		replace(s);
		break;
	case 6: /* shrink in place */
		if (np < 2)
			break;
		n = 1 + rnd(state) % (np - 1);
		q = mremap(s->p, np * PAGE, n * PAGE, 0);
		if (q == MAP_FAILED && errno == EFAULT) {
			replace(s);
			break;
		}
		if (q != s->p)
			fail("mremap(shrink)", s->p, n * PAGE);
		s->pages = n;
		break;
	case 7: { /* move onto a fresh mapping of ours */
		char *dst = map_anon(np);

		q = mremap(s->p, np * PAGE, np * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (q == MAP_FAILED && errno == EFAULT) {
			unmap(dst, np);
			replace(s);
			break;
		}
		if (q != dst)
			fail("mremap(MREMAP_FIXED)", s->p, np * PAGE);
		s->p = dst;
		break;
	}
	case 8: /* a short-lived mapping */
		n = 1 + rnd(state) % 8;
		q = map_anon(n);
		unmap(q, n);
		break;
	default: /* malloc: the thread's arena, or mmap for large blocks */
		free(malloc(1 + rnd(state) % 300000));
		break;
	}
}

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	unsigned state = seed0 * 7919u + (unsigned)i;

	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (unsigned long n = 1;; n++) {
		op(&slots[i][rnd(&state) % NSLOTS], &state);
		if (n % 4 == 0)
			pause_us(500);
		if (n % 256 == 0)
			say("ops %d %lu", (int)syscall(SYS_gettid), n);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 3;
	void *blocks[32] = {0};
	unsigned state;

	if (argc > 2)
		seed0 = (unsigned)atoi(argv[2]);
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: attach-churn [THREADS [SEED]]\n");
		return 2;
	}
	state = seed0;
	for (int i = 0; i < nthreads; i++) {
		for (int k = 0; k < NSLOTS; k++) {
			slots[i][k].p = map_anon(SLOT_PAGES);
			slots[i][k].pages = SLOT_PAGES;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, worker, (void *)(intptr_t)i);

		if (err) {
			say("error pthread_create: %s", strerror(err));
			return 99;
		}
	}
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < nthreads)
		pause_us(1000);
	say("ready %d", (int)getpid());
	for (unsigned long n = 0;; n++) {
		/* blocks below the mmap threshold: the break goes up and down */
		int k = (int)(rnd(&state) % 32);

		free(blocks[k]);
		blocks[k] = malloc(1024 + rnd(&state) % (100 * 1024));
		if (!blocks[k]) {
			say("error malloc: %s", strerror(errno));
			return 99;
		}
		if (n % 64 == 0)
			say("beat %lu %llu", n, now_ns());
		pause_us(2000);
	}
}
