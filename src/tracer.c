/* SPDX-License-Identifier: MIT */
/* tracer: spawn under seccomp, then wait4 -> classify -> act -> restart, until no task is left. */
#include "memstrace/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memstrace/attach.h"
#include "memstrace/procmaps.h"
#include "memstrace/report.h"
#include "memstrace/syscall.h"
#include "memstrace/task.h"
#include "memstrace/verify.h"

#define PTRACE_OPTIONS_COMMON                                                            \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE)
/*
 * A program we start runs under our seccomp filter, and so must every child
 * it makes (an untraced RET_TRACE is ENOSYS): follow all, and take them down
 * with us. A process we attach to must survive us: no EXITKILL, and children
 * only with -f.
 */
#define PTRACE_OPTIONS_LAUNCH                                                            \
	(PTRACE_OPTIONS_COMMON | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |              \
	 PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)
#define PTRACE_OPTIONS_ATTACH_FORKS (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)

/*
 * PTRACE_EVENT_EXIT is the last moment an address space can be read: only
 * --verify reads it. Without it, a thread's exit costs no stop.
 */
static unsigned long exit_option(const struct options *opt)
{
	return opt->verify ? PTRACE_O_TRACEEXIT : 0;
}

struct tracer {
	struct trace tr;
	const struct options *opt;
	struct verify_log verify;
	FILE *out;
	bool attach;           /* -p: no seccomp filter, every syscall stops twice */
	bool holding;          /* tasks are kept stopped as they stop, see resume() */
	pid_t root;            /* the program we started */
	int root_status;       /* its wait status, once it is gone */
	bool root_gone;
	bool exec_seen;        /* the program image is running (not our fork any more) */
	int exec_error_fd;     /* the child writes execv's errno here if it fails */
	uint64_t next_interval_ns; /* -i: when the next report is due; 0: never */
	struct event_sink sink;    /* -e */
};

/* The program we started, for the signal handler to pass signals on to. */
static volatile pid_t signal_target;
/* Set by signal handlers, read by the event loop. */
static volatile sig_atomic_t stop_requested, report_requested;

/* ---- starting the program ---- */

static int check_executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return -EACCES;
	return 0;
}

int tracer_resolve_program(const char *name, char **path)
{
	if (strchr(name, '/')) {
		int err = check_executable(name);
		if (err) {
			warnx_("cannot run '%s': %s", name, strerror(-err));
			return err;
		}
		*path = xstrdup(name);
		return 0;
	}

	const char *dirs = getenv("PATH");
	int err = -ENOENT;
	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = dirs; *p;) {
		size_t len = strcspn(p, ":");
		char *candidate = xmalloc(len + strlen(name) + 3);
		sprintf(candidate, "%.*s/%s", (int)len, len ? p : ".", name);
		int e = check_executable(candidate);
		if (!e) {
			*path = candidate;
			return 0;
		}
		free(candidate);
		if (e != -ENOENT && e != -ENOTDIR)
			err = e;
		p += len + (p[len] == ':');
	}
	if (err == -ENOENT)
		warnx_("cannot run '%s': command not found", name);
	else
		warnx_("cannot run '%s': %s", name, strerror(-err));
	return err;
}

/* seccomp-bpf: RET_TRACE for the decoded syscalls of x86_64, ALLOW for all else. */
static int install_filter(void)
{
	struct sock_filter f[32];
	unsigned n = 0, ntraced = 0;

	while (syscall_traced[ntraced] >= 0)
		ntraced++;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (unsigned i = 0; i < ntraced; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)syscall_traced[i],
						      (uint8_t)(ntraced - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);

	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	/* Without CAP_SYS_ADMIN a filter needs no_new_privs. */
	if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : -errno;
}

static _Noreturn void child_exec(const char *path, char **argv, int errfd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Wait here until the tracer has seized us. */
	kill(getpid(), SIGSTOP);
	int err = install_filter();
	if (!err) {
		execv(path, argv);
		err = -errno;
	}
	err = -err;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

static int spawn(struct tracer *T, const char *path)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;

	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(path, T->opt->argv, fds[1]);
	}
	close(fds[1]);
	T->exec_error_fd = fds[0];

	int status;
	if (waitpid(pid, &status, WSTOPPED) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SEIZE, pid, 0L, (long)(PTRACE_OPTIONS_LAUNCH | exit_option(T->opt))) < 0) {
		int err = errno ? -errno : -ECHILD;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	kill(pid, SIGCONT);

	T->root = pid;
	struct task *t = task_add(&T->tr, pid);
	task_set_proc(t, proc_create(pid, true));
	return 0;
}

/* ---- restarting ---- */

/*
 * Every restart goes through here. ESRCH means the tracee was killed under us
 * (exit_group, SIGKILL): it is not an error, its death is on its way to wait4.
 */
static void restart(pid_t tid, enum __ptrace_request req, int sig)
{
	if (ptrace(req, tid, 0L, (long)sig) < 0 && errno != ESRCH)
		warnx_("ptrace restart of %d: %s", (int)tid, strerror(errno));
}

/*
 * Restarts t after a stop, or keeps it stopped while the tracer is holding
 * every task (a report, a detach); the restart is then done on release.
 * PTRACE_CONT means "until the next stop we need": without a seccomp filter
 * that is the next syscall.
 */
static void resume(struct tracer *T, struct task *t, enum __ptrace_request req, int sig)
{
	if (req == PTRACE_CONT && T->attach)
		req = PTRACE_SYSCALL;
	if (T->holding) {
		t->held = true;
		t->held_req = req;
		t->held_sig = sig;
		return;
	}
	restart(t->tid, req, sig);
}

/* ---- address spaces from /proc ---- */

/* At exec the break is where the heap starts: start_brk, field 47 of /proc/PID/stat. */
static void seed_brk(struct space *sp, pid_t pid)
{
	uint64_t start_brk;
	if (proc_stat_field(pid, 47, &start_brk) == 0) {
		sp->start_brk = sp->brk = start_brk;
		sp->brk_known = true;
	}
}

static char *read_exe(pid_t pid)
{
	char path[64], buf[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static struct space *space_from_proc(struct tracer *T, pid_t pid, bool report)
{
	struct space *sp = space_create(&T->tr, pid, report, NULL);
	struct mapping *maps;
	long n = procmaps_read(pid, &maps);
	if (n >= 0) {
		verify_seed(sp->model, maps, (size_t)n);
		free(maps);
	}
	seed_brk(sp, pid);
	return sp;
}

static void verify_space(struct tracer *T, struct task *t)
{
	struct mapping *maps;
	long n = procmaps_read(t->tid, &maps);
	if (n < 0)
		return;
	verify_compare(&T->verify, t->proc->pid, t->space->model, maps, (size_t)n);
	free(maps);
}

/* ---- events ---- */

static void on_seccomp(struct tracer *T, struct task *t)
{
	struct __ptrace_syscall_info info;
	bool need_exit = false;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (long)sizeof(info), &info) > 0 &&
	    info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
		uint64_t args[6];
		for (int i = 0; i < 6; i++)
			args[i] = info.seccomp.args[i];
		need_exit = syscall_enter(&T->tr, t, (int)info.seccomp.nr, args,
					  info.instruction_pointer);
	}
	/* While holding, a decoded call goes on to its exit: the model is ahead of it. */
	if (need_exit || T->holding)
		restart(t->tid, PTRACE_SYSCALL, 0);
	else
		resume(T, t, PTRACE_CONT, 0);
}

static bool decoded(int nr)
{
	for (const int *p = syscall_traced; *p >= 0; p++) {
		if (*p == nr)
			return true;
	}
	return false;
}

/*
 * Attach mode stops at every syscall's entry and exit: for the ones we do
 * not decode, learning the number is all the work there is.
 */
static void on_syscall_stop(struct tracer *T, struct task *t)
{
	struct __ptrace_syscall_info info;

	/*
	 * The exit of a syscall whose entry we saw and do not decode: nothing
	 * to learn. (An exit stop always follows its entry stop; signals and
	 * events come before the entry or after the exit.)
	 */
	if (t->foreign_exit_next) {
		t->foreign_exit_next = false;
		resume(T, t, PTRACE_CONT, 0);
		return;
	}
	/*
	 * The exit of a decoded call: one PTRACE_GETREGS gives the result (rax)
	 * and the registers the unwinder starts from.
	 */
	if (t->call.active && ptrace(PTRACE_GETREGS, t->tid, 0L, &t->regs) == 0) {
		int64_t rval = (int64_t)t->regs.rax;
		t->regs_valid = true;
		syscall_exit(&T->tr, t, rval, rval < 0 && rval >= -4095);
		t->regs_valid = false;
		resume(T, t, PTRACE_CONT, 0);
		return;
	}
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (long)sizeof(info), &info) <= 0) {
		resume(T, t, PTRACE_CONT, 0);
		return;
	}
	if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		syscall_exit(&T->tr, t, info.exit.rval, info.exit.is_error);
	} else if (info.op == PTRACE_SYSCALL_INFO_ENTRY && T->attach &&
		   info.arch == AUDIT_ARCH_X86_64 && decoded((int)info.entry.nr)) {
		uint64_t args[6];
		for (int i = 0; i < 6; i++)
			args[i] = info.entry.args[i];
		syscall_enter(&T->tr, t, (int)info.entry.nr, args, info.instruction_pointer);
		if (T->holding) {
			restart(t->tid, PTRACE_SYSCALL, 0);
			return;
		}
	} else if (info.op == PTRACE_SYSCALL_INFO_ENTRY && T->attach) {
		t->foreign_exit_next = true;
	}
	resume(T, t, PTRACE_CONT, 0);
}

/* What clone(), clone3(), fork() or vfork() asked for. */
struct clone_request {
	uint64_t flags;
	taddr_t stack_top; /* 0: the child runs on a copy of the parent's stack */
};

/*
 * When the registers or clone3's arguments cannot be read, the event type
 * decides: a vfork shares memory, a fork does not, and a clone is read as
 * glibc's pthread_create, by far its most common caller.
 */
static void guess_clone_request(unsigned event, struct clone_request *req)
{
	*req = (struct clone_request){ 0 };
	if (event == PTRACE_EVENT_VFORK)
		req->flags = CLONE_VM | CLONE_VFORK;
	else if (event == PTRACE_EVENT_CLONE)
		req->flags = CLONE_VM | CLONE_THREAD;
}

static void read_clone_request(struct task *t, unsigned event, struct clone_request *req)
{
	pid_t tid = t->tid;
	struct user_regs_struct regs;
	guess_clone_request(event, req);
	if (ptrace(PTRACE_GETREGS, tid, 0L, &regs) < 0)
		return;

	switch (regs.orig_rax) {
	case SYS_clone:
		*req = (struct clone_request){ regs.rdi, regs.rsi };
		break;
	case SYS_clone3: {
		uint64_t args[7]; /* flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size */
		struct iovec local = { args, sizeof(args) };
		if (space_read(t->space, tid, &local, 1, regs.rdi) == sizeof(args))
			*req = (struct clone_request){ args[0], args[5] ? args[5] + args[6] : 0 };
		break;
	}
	case SYS_vfork:
		*req = (struct clone_request){ CLONE_VM | CLONE_VFORK, 0 };
		break;
	case SYS_fork:
		*req = (struct clone_request){ 0, 0 };
		break;
	}
}

/* The region holding a clone child's stack pointer is that child's stack. */
static void mark_child_stack(struct space *sp, struct task *child, taddr_t stack_top)
{
	if (!stack_top)
		return;
	struct region *r = aspace_find(sp->model, stack_top - 1);
	if (!r)
		return;
	r->info.stack_of = (uint32_t)child->tid;
	r->info.flags &= (uint8_t)~REGION_STACK_EXITED;
	child->stack_addr = stack_top - 1;
}

static void mark_stack_exited(struct task *t)
{
	if (!t->stack_addr || !t->space)
		return;
	struct region *r = aspace_find(t->space->model, t->stack_addr);
	if (r && r->info.stack_of == (uint32_t)t->tid)
		r->info.flags |= REGION_STACK_EXITED;
	t->stack_addr = 0;
}

static void reconcile_space(struct space *sp, pid_t tid)
{
	struct mapping *maps;
	long n = procmaps_read(tid, &maps);
	if (n >= 0) {
		verify_reconcile(sp->model, maps, (size_t)n);
		free(maps);
	}
}

/*
 * A new task's first stop. A fork child learns what the kernel left out of
 * the copy (MADV_DONTFORK). An attached process's unfollowed child is let go.
 */
static void start_child(struct tracer *T, struct task *c)
{
	c->startup = false;
	c->parked = false;
	if (T->attach && c->proc && !c->proc->followed) {
		ptrace(PTRACE_DETACH, c->tid, 0L, 0L);
		task_remove(&T->tr, c);
		return;
	}
	if (c->space && c->space->owner == c->tid && c->space->users == 1 && c->space->copied) {
		reconcile_space(c->space, c->tid);
		c->space->copied = false;
	}
	resume(T, c, PTRACE_CONT, 0);
}

static void on_new_child(struct tracer *T, struct task *t, unsigned event)
{
	unsigned long msg;
	struct clone_request req;

	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0L, &msg) < 0) {
		resume(T, t, PTRACE_CONT, 0);
		return;
	}
	read_clone_request(t, event, &req);
	pid_t tid = (pid_t)msg;
	struct task *c = task_find(&T->tr, tid);
	bool parked = c && c->parked;
	if (!c)
		c = task_add(&T->tr, tid);

	if (req.flags & CLONE_THREAD) {
		task_set_proc(c, t->proc);
	} else {
		bool shares = (req.flags & CLONE_VM) && !(req.flags & CLONE_VFORK);
		bool followed = T->opt->follow || (shares && t->proc->followed);
		task_set_proc(c, proc_create(tid, followed));
		if (followed)
			c->proc->image = image_add(&T->tr, tid, t->proc->image ? t->proc->image->exe : NULL);
	}

	if (!t->space) {
		/* Not possible after exec; before it, there is nothing to model. */
	} else if (req.flags & CLONE_VM) {
		task_set_space(c, t->space);
		mark_child_stack(t->space, c, req.stack_top);
	} else {
		struct space *sp = space_create(&T->tr, tid, c->proc->followed,
						aspace_copy(t->space->model));
		sp->brk_known = t->space->brk_known;
		sp->brk = t->space->brk;
		sp->start_brk = t->space->start_brk;
		sp->copied = true;
		task_set_space(c, sp);
	}

	if (parked)
		start_child(T, c);
	resume(T, t, PTRACE_CONT, 0);
}

static void on_exec(struct tracer *T, struct task *t)
{
	unsigned long msg;
	pid_t pid = t->tid;

	/*
	 * execve from a non-leader thread: the kernel gave the exec'ing thread
	 * the leader's tid. The old leader's record is stale (it reports no
	 * death); the exec'ing thread's record takes its place.
	 */
	if (ptrace(PTRACE_GETEVENTMSG, pid, 0L, &msg) == 0 && (pid_t)msg != pid) {
		struct task *execer = task_find(&T->tr, (pid_t)msg);
		if (execer) {
			mark_stack_exited(t);
			task_remove(&T->tr, t);
			task_rekey(&T->tr, execer, pid);
			t = execer;
		}
	}

	struct proc *proc = t->proc;
	if (proc->image)
		proc->image->state = IMAGE_EXEC;
	if (proc->followed) {
		char *exe = read_exe(pid);
		proc->image = image_add(&T->tr, pid, exe);
		free(exe);
	}
	syscall_abandon(t);
	t->stack_addr = 0;
	task_set_space(t, space_from_proc(T, pid, proc->followed));
	if (pid == T->root)
		T->exec_seen = true;
	resume(T, t, PTRACE_CONT, 0);
}

/*
 * PTRACE_EVENT_EXIT: the last moment the address space can be read. When
 * the last task of a space gets here, the kernel has not torn it down yet.
 */
static void on_exit_stop(struct tracer *T, struct task *t)
{
	syscall_abandon(t);
	mark_stack_exited(t);
	if (!t->at_exit && t->space && --t->space->running == 0 && T->opt->verify)
		verify_space(T, t);
	t->at_exit = true;
	resume(T, t, PTRACE_CONT, 0);
}

static void on_death(struct tracer *T, struct task *t, int status)
{
	mark_stack_exited(t);
	if (t->proc && t->tid == t->proc->pid) {
		if (t->proc->image)
			t->proc->image->state = IMAGE_EXITED;
		if (t->tid == T->root) {
			T->root_status = status;
			T->root_gone = true;
		}
	}
	task_remove(&T->tr, t);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stop(struct tracer *T, pid_t pid, int status)
{
	struct task *t = task_find(&T->tr, pid);
	unsigned event = (unsigned)status >> 16;
	int sig = WSTOPSIG(status);

	if (!t) {
		/* A child reported before its creator's event: keep it until named. */
		t = task_add(&T->tr, pid);
		t->parked = true;
		return;
	}
	if (t->startup) {
		if (!t->proc) {
			t->parked = true;
			return;
		}
		if (event == PTRACE_EVENT_STOP) {
			start_child(T, t);
			return;
		}
		t->startup = false;
	}

	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_stop(T, t);
		return;
	}
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		on_seccomp(T, t);
		break;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		on_new_child(T, t, event);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(T, t);
		break;
	case PTRACE_EVENT_EXIT:
		on_exit_stop(T, t);
		break;
	case PTRACE_EVENT_STOP:
		/* A group-stop: LISTEN keeps it stopped until SIGCONT, as job control expects. */
		resume(T, t, is_stop_signal(sig) ? PTRACE_LISTEN : PTRACE_CONT, 0);
		break;
	case 0:
		resume(T, t, PTRACE_CONT, sig); /* signal-delivery-stop: pass it on */
		break;
	default:
		resume(T, t, PTRACE_CONT, 0);
		break;
	}
}

/* ---- signals to memstrace ---- */

/*
 * Handlers only set flags; they are installed without SA_RESTART so that
 * wait4 returns EINTR. A signal that lands between the loop's look at the
 * flags and its wait4 would wait for the next tracee event, which on an idle
 * process may never come: alarm(1) then wakes wait4 a second later.
 */
static void on_wake(int sig)
{
	(void)sig;
}

static void on_report_signal(int sig)
{
	(void)sig;
	report_requested = 1;
	alarm(1);
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	alarm(1);
}

/*
 * Launch mode: a terminal's ^C reaches the whole process group, the program
 * included. A signal sent to memstrace alone (kill, timeout) is passed on to
 * the program, so that it ends the way it would untraced and we report.
 */
static void on_forward_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (info->si_code != SI_KERNEL && signal_target > 0)
		kill(signal_target, sig);
}

static void handle(int sig, void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void install_signal_handlers(bool attach)
{
	static const int terminating[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < ARRAY_SIZE(terminating); i++) {
		if (attach) {
			handle(terminating[i], on_stop_signal);
		} else {
			struct sigaction sa = { .sa_sigaction = on_forward_signal,
						.sa_flags = SA_SIGINFO };
			sigemptyset(&sa.sa_mask);
			sigaction(terminating[i], &sa, NULL);
		}
	}
	handle(SIGUSR1, on_report_signal);
	handle(SIGALRM, on_wake);
	signal(SIGPIPE, SIG_IGN);
}

/* -i: a periodic timer whose only job is to wake wait4; the loop reads the clock. */
static void start_interval_timer(struct tracer *T)
{
	double secs = T->opt->interval;
	if (secs <= 0)
		return;
	timer_t timer;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	uint64_t ns = (uint64_t)(secs * 1e9);
	struct itimerspec spec = {
		.it_interval = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) },
		.it_value = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) },
	};
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) == 0)
		timer_settime(timer, 0, &spec, NULL);
	T->next_interval_ns = now_ns() + ns;
}

/* ---- holding every task: reports while tracing, and detach ---- */

static bool all_held(struct tracer *T)
{
	struct trace *tr = &T->tr;
	for (size_t i = 0; i < tr->nbuckets; i++) {
		for (struct task *t = tr->buckets[i]; t; t = t->hash_next) {
			if (!t->held && !t->parked)
				return false;
		}
	}
	return true;
}

static void interrupt_task(struct task *t, void *ctx)
{
	(void)ctx;
	if (!t->held && !t->parked)
		ptrace(PTRACE_INTERRUPT, t->tid, 0L, 0L);
}

static void dispatch(struct tracer *T, pid_t pid, int status);

/* Waits until every task is stopped and kept stopped. Returns false if none is left. */
static bool hold_all(struct tracer *T)
{
	T->holding = true;
	trace_foreach_task(&T->tr, interrupt_task, NULL);
	while (T->tr.ntasks > 0 && !all_held(T)) {
		int status;
		pid_t pid = wait4(-1, &status, __WALL, NULL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		dispatch(T, pid, status);
	}
	return T->tr.ntasks > 0;
}

static void release_task(struct task *t, void *ctx)
{
	(void)ctx;
	if (!t->held)
		return;
	t->held = false;
	restart(t->tid, (enum __ptrace_request)t->held_req, t->held_sig);
}

static void release_all(struct tracer *T)
{
	T->holding = false;
	trace_foreach_task(&T->tr, release_task, NULL);
}

/*
 * Leaves every task as it would be untraced: a signal it was about to get
 * is delivered, a group-stopped one stays stopped, a syscall it was in goes on.
 */
static void detach_task(struct task *t, void *ctx)
{
	(void)ctx;
	if (ptrace(PTRACE_DETACH, t->tid, 0L, (long)(t->held ? t->held_sig : 0)) < 0 &&
	    errno != ESRCH)
		warnx_("cannot detach from %d: %s", (int)t->tid, strerror(errno));
}

/* ---- reports ---- */

struct live_space_ctx {
	struct tracer *T;
	struct space **seen;
	size_t nseen;
};

/* Every live space is checked once, through one of its tasks that is not exiting. */
static void verify_live_task(struct task *t, void *ctx)
{
	struct live_space_ctx *c = ctx;
	if (!t->space || t->at_exit || t->parked || !t->space->report)
		return;
	for (size_t i = 0; i < c->nseen; i++) {
		if (c->seen[i] == t->space)
			return;
	}
	c->seen = xrealloc(c->seen, (c->nseen + 1) * sizeof(*c->seen));
	c->seen[c->nseen++] = t->space;
	verify_space(c->T, t);
}

static void write_report(struct tracer *T, const char *reason, bool live)
{
	if (live && T->opt->verify) {
		struct live_space_ctx c = { .T = T };
		trace_foreach_task(&T->tr, verify_live_task, &c);
		free(c.seen);
	}
	struct report_input in = {
		.trace = &T->tr,
		.opt = T->opt,
		.verify = T->opt->verify ? &T->verify : NULL,
		.reason = reason,
		.elapsed = (double)(now_ns() - T->tr.t0) / 1e9,
	};
	report_write(T->out, &in);
}

/* A report while tracing: every task stopped, so that the model is the kernel's. */
static void report_now(struct tracer *T, const char *reason)
{
	if (hold_all(T))
		write_report(T, reason, true);
	release_all(T);
}

/* ---- the loop ---- */

static void dispatch(struct tracer *T, pid_t pid, int status)
{
	if (WIFSTOPPED(status)) {
		on_stop(T, pid, status);
	} else if (WIFEXITED(status) || WIFSIGNALED(status)) {
		struct task *t = task_find(&T->tr, pid);
		if (t)
			on_death(T, t, status);
	}
}

static void handle_requests(struct tracer *T)
{
	if (report_requested) {
		report_requested = 0;
		report_now(T, "signal");
	}
	if (T->next_interval_ns && now_ns() >= T->next_interval_ns) {
		uint64_t step = (uint64_t)(T->opt->interval * 1e9);
		while (T->next_interval_ns <= now_ns())
			T->next_interval_ns += step;
		report_now(T, "interval");
	}
}

/* Runs until no task is left, or (attach mode) until asked to stop. */
static void run(struct tracer *T)
{
	while (T->tr.ntasks > 0) {
		if (T->attach && stop_requested)
			return;
		handle_requests(T);
		int status;
		pid_t pid = wait4(-1, &status, __WALL, NULL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left to wait for */
		}
		dispatch(T, pid, status);
	}
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* The child could not exec: say why, the way a shell would. */
static int report_exec_failure(struct tracer *T, const char *path)
{
	int err = 0;
	if (read(T->exec_error_fd, &err, sizeof(err)) == sizeof(err) && err) {
		warnx_("cannot run '%s': %s", path, strerror(err));
		return 1;
	}
	return exit_status_of(T->root_status);
}

static void tracer_init(struct tracer *T, const struct options *opt, FILE *out)
{
	*T = (struct tracer){ .opt = opt, .out = out, .exec_error_fd = -1 };
	trace_init(&T->tr);
	T->tr.depth = opt->depth;
	T->tr.opt = opt;
	if (opt->events) {
		T->sink = (struct event_sink){
			.out = out,
			.to_file = opt->output != NULL,
			.time = opt->timestamps == 0 ? EVENT_TIME_NONE
				: opt->timestamps == 1 ? EVENT_TIME_SECONDS : EVENT_TIME_MICROS,
			.caller = opt->event_callers,
		};
		T->tr.events = &T->sink;
	}
}

static void tracer_finish(struct tracer *T)
{
	if (T->exec_error_fd >= 0)
		close(T->exec_error_fd);
	verify_log_finish(&T->verify);
	trace_finish(&T->tr);
}

int tracer_launch(const struct options *opt, FILE *out)
{
	struct tracer T;
	char *path;
	if (tracer_resolve_program(opt->argv[0], &path))
		return 1;

	tracer_init(&T, opt, out);
	install_signal_handlers(false);
	int err = spawn(&T, path);
	if (err) {
		warnx_("cannot trace '%s': %s", path, strerror(-err));
		free(path);
		tracer_finish(&T);
		return 1;
	}
	signal_target = T.root;
	start_interval_timer(&T);
	run(&T);
	signal_target = 0;

	int code;
	if (!T.exec_seen) {
		code = report_exec_failure(&T, path);
	} else {
		write_report(&T, "exit", false);
		code = T.root_gone ? exit_status_of(T.root_status) : 1;
	}
	free(path);
	tracer_finish(&T);
	return code;
}

/* Takes hold of one process: its proc, image, space, and every thread. */
static int attach_one(struct tracer *T, pid_t tgid)
{
	unsigned long options = PTRACE_OPTIONS_COMMON | exit_option(T->opt) |
				(T->opt->follow ? PTRACE_OPTIONS_ATTACH_FORKS : 0);
	struct proc *proc = proc_create(tgid, true);
	char *exe = read_exe(tgid);
	proc->image = image_add(&T->tr, tgid, exe);
	free(exe);

	/* Filled from /proc once every thread is stopped; until then it is empty. */
	struct space *sp = space_create(&T->tr, tgid, true, NULL);
	seed_brk(sp, tgid);
	sp->brk_known = false; /* the break moved since exec; the next brk call tells */
	sp->copied = true;
	int err = attach_seize(&T->tr, tgid, options, proc, sp);
	if (proc->threads == 0)
		free(proc); /* no thread joined it: the process was gone */
	return err;
}

static void seed_attached(struct task *t, void *ctx)
{
	(void)ctx;
	if (t->space && t->space->copied && !t->at_exit) {
		reconcile_space(t->space, t->tid);
		t->space->copied = false;
	}
}

int tracer_attach(const struct options *opt, FILE *out)
{
	/* Every pid is checked before any is touched. */
	pid_t *tgids = xcalloc(opt->npids, sizeof(*tgids));
	for (size_t i = 0; i < opt->npids; i++) {
		tgids[i] = attach_check(opt->pids[i]);
		if (tgids[i] < 0) {
			free(tgids);
			return 1;
		}
	}

	struct tracer T;
	tracer_init(&T, opt, out);
	T.attach = true;
	install_signal_handlers(true);

	/* Seize and stop every thread; the model is read while nothing runs. */
	T.holding = true;
	for (size_t i = 0; i < opt->npids; i++) {
		if (task_find(&T.tr, tgids[i]))
			continue; /* named twice */
		if (attach_one(&T, tgids[i]) < 0) {
			/* Nothing was stopped for long: the kernel lets go as we exit. */
			free(tgids);
			tracer_finish(&T);
			return 1;
		}
	}
	free(tgids);
	hold_all(&T);
	trace_foreach_task(&T.tr, seed_attached, NULL);
	release_all(&T);

	start_interval_timer(&T);
	run(&T);

	if (T.tr.ntasks > 0) {
		hold_all(&T);
		write_report(&T, "detach", true);
		trace_foreach_task(&T.tr, detach_task, NULL);
	} else {
		write_report(&T, "exit", false);
	}
	tracer_finish(&T);
	return 0;
}
