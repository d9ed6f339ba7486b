/* SPDX-License-Identifier: MIT */
/*
 * sigstop: job control works under memstrace. The process maps A, stops
 * itself with SIGSTOP and maps B once a helper child has continued it with
 * SIGCONT. The helper sends SIGCONT every 200 ms until told to stop, so a
 * SIGCONT that comes too early (before the stop) cannot leave us stopped.
 */
#define _GNU_SOURCE 1
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "truth.h"

#define PAGE 4096
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static volatile sig_atomic_t continued;

static void on_sigcont(int sig)
{
	(void)sig;
	continued++;
}

/* The helper: SIGCONT to the parent every 200 ms until the pipe says done. */
static void helper(int done_fd)
{
	struct pollfd pfd = {.fd = done_fd, .events = POLLIN};

	while (poll(&pfd, 1, 200) == 0)
		kill(getppid(), SIGCONT);
	_exit(0);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_sigcont};
	int done[2], status;
	pid_t pid;

	sigaction(SIGCONT, &sa, NULL);
	if (pipe(done))
		truth_die("pipe: %m");
	pid = fork();
	if (pid < 0)
		truth_die("fork: %m");
	if (pid == 0) {
		close(done[1]);
		helper(done[0]);
	}
	close(done[0]);

	char *a = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0); int line_a = __LINE__;
	if (a == MAP_FAILED)
		truth_die("mmap: %m");
	sig_atomic_t before = continued;
	raise(SIGSTOP);
	if (continued == before)
		truth_die("SIGSTOP did not stop the process until a SIGCONT");
	char *b = mmap(NULL, 4 * PAGE, RW, ANON, -1, 0); int line_b = __LINE__;
	if (b == MAP_FAILED)
		truth_die("mmap: %m");

	close(done[1]); /* the helper sees end of file and exits */
	if (waitpid(pid, &status, 0) != pid || status != 0)
		truth_die("helper failed: status 0x%x", status);
	truth_region(a, a + 2 * PAGE, "mmap", 2 * PAGE, "anon", line_a);
	truth_region(b, b + 4 * PAGE, "mmap", 4 * PAGE, "anon", line_b);
	truth_check();
	return 0;
}
