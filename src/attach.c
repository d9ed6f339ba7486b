/* SPDX-License-Identifier: MIT */
/* attach: checks of a pid, and seizing every thread of a process. */
#include "memstrace/attach.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "memstrace/procmaps.h"

/* PF_KTHREAD in the flags field (9) of /proc/PID/stat. */
#define PF_KTHREAD_FLAG 0x00200000u

/* The value of "Key:" in /proc/PID/status, or -1. */
static long status_field(pid_t pid, const char *key)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (proc_read_file(path, &text))
		return -1;
	long value = -1;
	size_t len = strlen(key);
	for (char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, len) && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	free(text);
	return value;
}

static bool is_kernel_thread(pid_t pid)
{
	uint64_t flags;
	return proc_stat_field(pid, 9, &flags) == 0 && (flags & PF_KTHREAD_FLAG);
}

static void comm_of(pid_t pid, char *buf, size_t size)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(buf, size, "?");
	if (proc_read_file(path, &text))
		return;
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, size, "%s", text);
	free(text);
}

/* A tracer of any thread of tgid, or 0: a tracer may hold one thread only. */
static long tracer_of_any_thread(pid_t tgid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
	DIR *dir = opendir(path);
	long tracer = 0;
	if (!dir)
		return status_field(tgid, "TracerPid");
	for (struct dirent *de; tracer <= 0 && (de = readdir(dir));) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid > 0)
			tracer = status_field(tid, "TracerPid");
	}
	closedir(dir);
	return tracer > 0 ? tracer : 0;
}

pid_t attach_check(pid_t pid)
{
	long tgid = status_field(pid, "Tgid");
	if (pid <= 0 || tgid <= 0) {
		warnx_("cannot attach to %d: no such process", (int)pid);
		return -1;
	}
	if (tgid == getpid()) {
		warnx_("cannot attach to %d: that is memstrace itself", (int)pid);
		return -1;
	}
	if (is_kernel_thread((pid_t)tgid)) {
		warnx_("cannot attach to %d: it is a kernel thread, which maps no user memory",
		       (int)pid);
		return -1;
	}
	long tracer = tracer_of_any_thread((pid_t)tgid);
	if (tracer > 0) {
		char comm[64];
		comm_of((pid_t)tracer, comm, sizeof(comm));
		warnx_("cannot attach to %d: already traced by process %ld (%s)", (int)pid, tracer,
		       comm);
		return -1;
	}
	return (pid_t)tgid;
}

/* Why the kernel refused to let us seize thread tid of tgid, as far as memstrace can tell. */
static void explain_eperm(pid_t tgid, pid_t tid)
{
	char *text = NULL;
	pid_t pid = tgid;
	long uid = status_field(tid, "Uid");
	long tracer = status_field(tid, "TracerPid");
	if (tracer == getpid())
		tracer = 0; /* we hold it: not the reason */
	int scope = -1;

	if (proc_read_file("/proc/sys/kernel/yama/ptrace_scope", &text) == 0)
		scope = atoi(text);
	free(text);

	if (tracer > 0) {
		char comm[64];
		comm_of((pid_t)tracer, comm, sizeof(comm));
		warnx_("cannot attach to %d: already traced by process %ld (%s)", (int)pid, tracer,
		       comm);
	}
	else if (uid >= 0 && (uid_t)uid != geteuid() && geteuid() != 0)
		warnx_("cannot attach to %d: Operation not permitted (it belongs to uid %ld, "
		       "memstrace runs as uid %d)", (int)pid, uid, (int)geteuid());
	else if (scope >= 1)
		warnx_("cannot attach to %d: Operation not permitted (Yama ptrace_scope is %d: "
		       "%s)", (int)pid, scope,
		       scope == 1 ? "only a parent may trace; run as root or set "
				    "/proc/sys/kernel/yama/ptrace_scope to 0"
		       : scope == 2 ? "only root (CAP_SYS_PTRACE) may trace"
				    : "no process may be traced");
	else
		warnx_("cannot attach to %d: Operation not permitted (a setuid program, or "
		       "memstrace lacks CAP_SYS_PTRACE)", (int)pid);
}

/* One pass over /proc/TGID/task: seizes threads not yet known. Returns how many, or -errno. */
static int seize_pass(struct trace *tr, pid_t tgid, unsigned long options, struct proc *proc,
		      struct space *space)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
	DIR *dir = opendir(path);
	if (!dir) {
		int err = -errno;
		warnx_("cannot attach to %d: %s", (int)tgid,
		       err == -ENOENT ? "the process has exited" : strerror(-err));
		return err;
	}

	int added = 0;
	for (struct dirent *de; (de = readdir(dir));) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || task_find(tr, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0L, (long)options) < 0) {
			if (errno == ESRCH)
				continue; /* the thread is gone already */
			int err = -errno;
			if (err == -EPERM)
				explain_eperm(tgid, tid);
			else
				warnx_("cannot attach to %d: %s", (int)tgid, strerror(-err));
			closedir(dir);
			return err;
		}
		struct task *t = task_add(tr, tid);
		task_set_proc(t, proc);
		task_set_space(t, space);
		ptrace(PTRACE_INTERRUPT, tid, 0L, 0L);
		added++;
	}
	closedir(dir);
	return added;
}

int attach_seize(struct trace *tr, pid_t tgid, unsigned long options, struct proc *proc,
		 struct space *space)
{
	for (int quiet_passes = 0; quiet_passes < 2;) {
		int added = seize_pass(tr, tgid, options, proc, space);
		if (added < 0)
			return added;
		quiet_passes = added ? 0 : quiet_passes + 1;
	}
	return 0;
}
