/* SPDX-License-Identifier: MIT */
/*
 * attach-spawner: creates short-lived threads without end, for memstrace -p
 * (test/e2e/attach.py): threads are born while memstrace attaches.
 *
 * Usage: attach-spawner [CONCURRENT [DELAY_US]]   (default 4, 3000)
 *
 * main keeps up to CONCURRENT threads alive: it joins the oldest, starts a
 * new one, sleeps DELAY_US, and so on. Each thread maps one region of
 * SPAWN_SIZE bytes (a size nothing else in the program asks for) with the
 * one mmap call of spawn_region(), never unmaps it, states it and exits.
 * Lines on stdout, one write(2) each:
 *
 *   ready PID
 *   region TID START END T0 T1   T0, T1: CLOCK_MONOTONIC ns around the call
 *   beat N T                     every 64 threads
 *   error ...
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

#define SPAWN_SIZE 45000
#define PAGE 4096ul
#define MAX_CONCURRENT 64

__attribute__((noinline))
static char *spawn_region(void)
{
	char *p = mmap(NULL, SPAWN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		say("error mmap: %s", strerror(errno));
		_exit(99);
	}
	return p;
}

static void *child(void *arg)
{
	(void)arg;
	unsigned long long t0 = now_ns();
	char *p = spawn_region();
	unsigned long long t1 = now_ns();
	unsigned long end = ((unsigned long)p + SPAWN_SIZE + PAGE - 1) & ~(PAGE - 1);

	say("region %d %p 0x%lx %llu %llu", (int)syscall(SYS_gettid), (void *)p, end, t0, t1);
	return NULL;
}

int main(int argc, char **argv)
{
	int concurrent = argc > 1 ? atoi(argv[1]) : 4;
	long delay_us = argc > 2 ? atol(argv[2]) : 3000;
	pthread_t threads[MAX_CONCURRENT];

	if (concurrent < 1 || concurrent > MAX_CONCURRENT || delay_us < 0) {
		fprintf(stderr, "usage: attach-spawner [CONCURRENT [DELAY_US]]\n");
		return 2;
	}
	say("ready %d", (int)getpid());
	for (unsigned long long n = 0;; n++) {
		int slot = (int)(n % (unsigned)concurrent);
		int err;

		if (n >= (unsigned)concurrent) {
			err = pthread_join(threads[slot], NULL);
			if (err) {
				say("error pthread_join: %s", strerror(err));
				return 99;
			}
		}
		err = pthread_create(&threads[slot], NULL, child, NULL);
		if (err) {
			say("error pthread_create: %s", strerror(err));
			return 99;
		}
		if (n % 64 == 0)
			say("beat %llu %llu", n, now_ns());
		struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
		err = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		if (err)
			say("error clock_nanosleep: %s (errno %d)", strerror(err), err);
	}
}
