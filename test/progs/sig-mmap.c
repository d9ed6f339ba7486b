/* SPDX-License-Identifier: MIT */
/*
 * sig-mmap: a signal handler maps a region and leaves it. Its stack crosses
 * the kernel's signal frame: the handler, the C library's signal trampoline,
 * raise's frames, then main at the line that raised the signal.
 */
#include <signal.h>
#include <sys/mman.h>

#include "truth.h"

/* 19 pages: a size no loader mapping has. */
#define SIZE (19 * 4096ul)

static char *region;
static int region_line;

static void on_signal(int sig)
{
	(void)sig;
	region = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); region_line = __LINE__;
}

int main(void)
{
	if (signal(SIGUSR1, on_signal) == SIG_ERR)
		truth_die("signal: %m");
	raise(SIGUSR1);
	if (!region || region == MAP_FAILED)
		truth_die("mmap in the handler failed");
	truth_region(region, region + SIZE, "mmap", SIZE, "anon", region_line);
	truth_groupcount("mmap", SIZE, 1);
	truth_check();
	return 0;
}
