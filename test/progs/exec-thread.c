/* SPDX-License-Identifier: MIT */
/*
 * exec-thread: the process maps B (before), then a second thread execve's
 * the program: the kernel kills the main thread and the exec'ing thread
 * takes over the process id. The new image maps A (after) and exits. Both
 * are reported under the same pid.
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static char *self;

static void *exec_thread(void *arg)
{
	char *args[] = {self, "after", NULL};

	(void)arg;
	if (gettid() == getpid())
		truth_die("the exec'ing thread is the main thread");
	truth_check(); /* the last chance: execve replaces this address space */
	execv("/proc/self/exe", args);
	truth_die("execv: %m");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after") == 0) {
		char *a = mmap(NULL, 6 * PAGE, RW, ANON, -1, 0); int line_a = __LINE__;

		if (a == MAP_FAILED)
			truth_die("mmap: %m");
		truth_region(a, a + 6 * PAGE, "mmap", 6 * PAGE, "anon", line_a);
		truth_check();
		return 0;
	}

	char *b = mmap(NULL, 9 * PAGE, RW, ANON, -1, 0); int line_b = __LINE__;
	pthread_t thread;
	int err;

	if (b == MAP_FAILED)
		truth_die("mmap: %m");
	truth_region(b, b + 9 * PAGE, "mmap", 9 * PAGE, "anon", line_b);
	self = argv[0];
	err = pthread_create(&thread, NULL, exec_thread, NULL);
	if (err)
		truth_die("pthread_create: %s", strerror(err));
	pthread_join(thread, NULL); /* execve ends this thread and the process image */
	truth_die("the thread returned");
}
