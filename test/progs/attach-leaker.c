/* SPDX-License-Identifier: MIT */
/*
 * attach-leaker: a long-running, multi-threaded leaker for memstrace -p
 * (test/e2e/attach.py). It never unmaps anything and never exits by itself.
 *
 * Usage: attach-leaker [THREADS [PERIOD_MS [PRE]]]   (default 4, 50, 3)
 *
 * First main maps PRE regions of 40960 bytes, then it starts THREADS
 * threads; each maps 40960 bytes every PERIOD_MS. Every region is mapped by
 * the one mmap call of leak_region(), called from leak(), and stated on
 * stdout, one write(2) per line:
 *
 *   pre TID START END T0 T1     mapped by main before "ready"
 *   leak TID START END T0 T1    mapped by a worker thread
 *   ready PID                   once every thread runs
 *   beat N T                    main's heartbeat, every PERIOD_MS
 *   error ...                   a call failed (a sleep that returned EINTR...)
 *
 * [START, END) is the region; T0 and T1 are CLOCK_MONOTONIC nanoseconds
 * just before and just after the mmap call, so the test can tell which
 * regions were mapped before, and which after, memstrace attached.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "attach-common.h"

#define LEAK_SIZE 40960

static int period_ms = 50;
static int started;

static int tid(void)
{
	return (int)syscall(SYS_gettid);
}

/* Sleeps ms; a sleep cut short (EINTR) is an error the test must see. */
static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	int err = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	if (err)
		say("error clock_nanosleep in thread %d: %s (errno %d)", tid(), strerror(err), err);
}

/* The leak itself: the one mmap call of this program. */
__attribute__((noinline))
static char *leak_region(void)
{
	char *p = mmap(NULL, LEAK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		say("error mmap in thread %d: %s", tid(), strerror(errno));
		_exit(99);
	}
	return p;
}

__attribute__((noinline))
static void leak(const char *what)
{
	unsigned long long t0 = now_ns();
	char *p = leak_region();
	unsigned long long t1 = now_ns();

	say("%s %d %p %p %llu %llu", what, tid(), (void *)p, (void *)(p + LEAK_SIZE), t0, t1);
}

static void *worker(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		leak("leak");
		pause_ms(period_ms);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 4;
	int npre = argc > 3 ? atoi(argv[3]) : 3;

	if (argc > 2)
		period_ms = atoi(argv[2]);
	if (nthreads < 0 || period_ms <= 0 || npre < 0) {
		fprintf(stderr, "usage: attach-leaker [THREADS [PERIOD_MS [PRE]]]\n");
		return 2;
	}
	for (int i = 0; i < npre; i++)
		leak("pre");
	for (int i = 0; i < nthreads; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, worker, NULL);

		if (err) {
			say("error pthread_create: %s", strerror(err));
			return 99;
		}
	}
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < nthreads)
		pause_ms(1);
	say("ready %d", (int)getpid());
	for (unsigned long long n = 0;; n++) {
		say("beat %llu %llu", n, now_ns());
		pause_ms(period_ms);
	}
}
