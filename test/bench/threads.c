/* SPDX-License-Identifier: MIT */
/*
 * memstrace benchmark: N threads created and joined, BATCH at a time. Each
 * thread mallocs and frees a little, so its malloc arena is used too. The
 * tracers see a clone event and a new-thread stop per thread; glibc reuses
 * cached thread stacks and arenas, so mapping calls are few after warm-up.
 * Usage: threads [N [BATCH]]   (default 20000 4)
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg)
{
	size_t k = (size_t)arg;
	char *p = malloc(64 + k % 1024);
	if (!p)
		return NULL;
	memset(p, (int)k, 64);
	size_t r = (unsigned char)p[k % 64];
	free(p);
	return (void *)(r + 1);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	int batch = argc > 2 ? atoi(argv[2]) : 4;
	if (batch < 1 || batch > 64)
		batch = 4;
	pthread_t t[64];
	for (long i = 0; i < n; i += batch) {
		int m = n - i < batch ? (int)(n - i) : batch;
		for (int j = 0; j < m; j++) {
			int rc = pthread_create(&t[j], NULL, work, (void *)(size_t)(i + j));
			if (rc) {
				fprintf(stderr, "threads: pthread_create: %s\n", strerror(rc));
				return 1;
			}
		}
		for (int j = 0; j < m; j++) {
			void *ret;
			pthread_join(t[j], &ret);
			if (!ret) {
				fprintf(stderr, "threads: thread failed\n");
				return 1;
			}
		}
	}
	return 0;
}
