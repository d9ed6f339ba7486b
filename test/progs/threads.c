/* SPDX-License-Identifier: MIT */
/*
 * threads: 8 threads map and unmap concurrently, so that addresses freed by
 * one thread are reused by another, and a thread often unmaps what another
 * one mapped (through shared slots). Each thread then leaves 3 regions
 * mapped, of sizes no other thread uses, so each is a group of its own.
 *
 * Usage: threads [ITERATIONS]   (per thread, default 2000)
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define NTHREADS 8
#define NKEEP 3
#define NSLOTS 16

static int iterations = 2000;
/* Mappings waiting to be unmapped by whichever thread comes next; each
 * starts with its own length. */
static char *slots[NSLOTS];

/* Length of the k-th region thread i keeps: unique, never a page multiple. */
static size_t keep_len(int i, int k)
{
	return (size_t)(64 + NKEEP * i + k) * PAGE + 1 + i;
}

static void unmap(char *p)
{
	if (p && munmap(p, *(size_t *)p))
		truth_die("munmap %p: %m", (void *)p);
}

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	unsigned seed = 12345u * (i + 1);

	for (int n = 0; n < iterations; n++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (size_t)(1 + (seed >> 16) % 16) * PAGE - (seed >> 8) % 64;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			truth_die("mmap: %m");
		*(size_t *)p = len;
		if (n % 3 == 0)
			unmap(p); /* our own, at once */
		else
			unmap(__atomic_exchange_n(&slots[(seed >> 4) % NSLOTS], p, __ATOMIC_SEQ_CST));
	}
	for (int k = 0; k < NKEEP; k++) {
		size_t len = keep_len(i, k);
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line = __LINE__;

		if (p == MAP_FAILED)
			truth_die("mmap: %m");
		p[0] = 1;
		truth_region(p, p + TRUTH_PAGE_UP(len), "mmap", len, "anon", line);
		truth_groupcount("mmap", len, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t thread[NTHREADS];

	if (argc > 1)
		iterations = atoi(argv[1]);
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&thread[i], NULL, worker, (void *)(intptr_t)i);
		if (err)
			truth_die("pthread_create: %s", strerror(err));
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(thread[i], NULL);
	for (int s = 0; s < NSLOTS; s++)
		unmap(slots[s]);
	truth_check();
	return 0;
}
