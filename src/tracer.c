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
#include <unistd.h>

#include "memstrace/procmaps.h"
#include "memstrace/report.h"
#include "memstrace/syscall.h"
#include "memstrace/task.h"
#include "memstrace/verify.h"

#define PTRACE_OPTIONS                                                                   \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |               \
	 PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                \
	 PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)

struct tracer {
	struct trace tr;
	const struct options *opt;
	struct verify_log verify;
	pid_t root;            /* the program we started */
	int root_status;       /* its wait status, once it is gone */
	bool root_gone;
	bool exec_seen;        /* the program image is running (not our fork any more) */
	int exec_error_fd;     /* the child writes execv's errno here if it fails */
};

/* The program we started, for the signal handler to pass signals on to. */
static volatile pid_t signal_target;

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
	    ptrace(PTRACE_SEIZE, pid, 0L, (long)PTRACE_OPTIONS) < 0) {
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

/* ---- address spaces from /proc ---- */

static void seed_brk(struct space *sp, pid_t pid)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_read_file(path, &text))
		return;
	/* start_brk is field 47; fields from 3 on follow the last ')'. */
	char *p = strrchr(text, ')');
	unsigned field = 2;
	while (p && *p && field < 47) {
		p = strchr(p + 1, ' ');
		field++;
	}
	if (p && field == 47) {
		sp->start_brk = sp->brk = strtoull(p + 1, NULL, 10);
		sp->brk_known = true;
	}
	free(text);
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
	restart(t->tid, need_exit ? PTRACE_SYSCALL : PTRACE_CONT, 0);
}

static void on_syscall_stop(struct tracer *T, struct task *t)
{
	struct __ptrace_syscall_info info;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (long)sizeof(info), &info) > 0 &&
	    info.op == PTRACE_SYSCALL_INFO_EXIT)
		syscall_exit(&T->tr, t, info.exit.rval, info.exit.is_error);
	restart(t->tid, PTRACE_CONT, 0);
}

/* What clone(), clone3(), fork() or vfork() asked for. */
struct clone_request {
	uint64_t flags;
	taddr_t stack_top; /* 0: the child runs on a copy of the parent's stack */
};

static bool read_clone_request(pid_t tid, unsigned event, struct clone_request *req)
{
	struct user_regs_struct regs;
	*req = (struct clone_request){ 0 };
	if (ptrace(PTRACE_GETREGS, tid, 0L, &regs) < 0)
		return false;

	switch (regs.orig_rax) {
	case SYS_clone:
		req->flags = regs.rdi;
		req->stack_top = regs.rsi;
		return true;
	case SYS_clone3: {
		uint64_t args[7]; /* flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size */
		struct iovec local = { args, sizeof(args) };
		struct iovec remote = { (void *)(uintptr_t)regs.rdi, sizeof(args) };
		if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != sizeof(args))
			return false;
		req->flags = args[0];
		req->stack_top = args[5] ? args[5] + args[6] : 0;
		return true;
	}
	case SYS_vfork:
		req->flags = CLONE_VM | CLONE_VFORK;
		return true;
	case SYS_fork:
		return true;
	default:
		/* Unknown entry point: trust the event type, the safer reading. */
		req->flags = event == PTRACE_EVENT_VFORK ? CLONE_VM | CLONE_VFORK : 0;
		return true;
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

/* A new child's first stop: fork children learn what the kernel left out of the copy. */
static void start_child(struct task *c)
{
	if (c->space && c->space->owner == c->tid && c->space->users == 1) {
		struct mapping *maps;
		long n = procmaps_read(c->tid, &maps);
		if (n >= 0) {
			verify_reconcile(c->space->model, maps, (size_t)n);
			free(maps);
		}
	}
	c->startup = false;
	c->parked = false;
	restart(c->tid, PTRACE_CONT, 0);
}

static void on_new_child(struct tracer *T, struct task *t, unsigned event)
{
	unsigned long msg;
	struct clone_request req;

	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0L, &msg) < 0 ||
	    !read_clone_request(t->tid, event, &req)) {
		restart(t->tid, PTRACE_CONT, 0);
		return;
	}
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
		task_set_space(&T->tr, c, t->space);
		mark_child_stack(t->space, c, req.stack_top);
	} else {
		struct space *sp = space_create(&T->tr, tid, c->proc->followed,
						aspace_copy(t->space->model));
		sp->brk_known = t->space->brk_known;
		sp->brk = t->space->brk;
		sp->start_brk = t->space->start_brk;
		task_set_space(&T->tr, c, sp);
	}

	if (parked)
		start_child(c);
	restart(t->tid, PTRACE_CONT, 0);
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
	task_set_space(&T->tr, t, space_from_proc(T, pid, proc->followed));
	if (pid == T->root)
		T->exec_seen = true;
	restart(pid, PTRACE_CONT, 0);
}

/*
 * PTRACE_EVENT_EXIT: the last moment the address space can be read. When
 * the last task of a space gets here, the kernel has not torn it down yet.
 */
static void on_exit_stop(struct tracer *T, struct task *t)
{
	syscall_abandon(t);
	mark_stack_exited(t);
	if (!t->at_exit && t->space) {
		t->at_exit = true;
		if (--t->space->running == 0 && T->opt->verify)
			verify_space(T, t);
	}
	t->at_exit = true;
	restart(t->tid, PTRACE_CONT, 0);
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
			start_child(t);
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
		restart(pid, is_stop_signal(sig) ? PTRACE_LISTEN : PTRACE_CONT, 0);
		break;
	case 0:
		restart(pid, PTRACE_CONT, sig); /* signal-delivery-stop: pass it on */
		break;
	default:
		restart(pid, PTRACE_CONT, 0);
		break;
	}
}

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

/* ---- signals to memstrace ---- */

/*
 * A terminal's ^C reaches the whole process group, the program included.
 * A signal sent to memstrace alone (kill, timeout) is passed on to the
 * program, so that it ends the way it would untraced and we report.
 */
static void on_terminate(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (info->si_code != SI_KERNEL && signal_target > 0)
		kill(signal_target, sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = on_terminate, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
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

int tracer_launch(const struct options *opt, FILE *out)
{
	struct tracer T = { .opt = opt, .exec_error_fd = -1 };
	char *path;
	int err = tracer_resolve_program(opt->argv[0], &path);
	if (err)
		return 1;

	trace_init(&T.tr);
	T.tr.depth = opt->depth;
	install_signal_handlers();
	err = spawn(&T, path);
	if (err) {
		warnx_("cannot trace '%s': %s", path, strerror(-err));
		free(path);
		trace_finish(&T.tr);
		return 1;
	}
	signal_target = T.root;

	while (T.tr.ntasks > 0) {
		int status;
		pid_t pid = wait4(-1, &status, __WALL, NULL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left to wait for */
		}
		dispatch(&T, pid, status);
	}
	signal_target = 0;

	int code;
	if (!T.exec_seen) {
		code = report_exec_failure(&T, path);
	} else {
		struct report_input in = {
			.trace = &T.tr,
			.opt = opt,
			.verify = opt->verify ? &T.verify : NULL,
			.reason = "exit",
			.elapsed = (double)(now_ns() - T.tr.t0) / 1e9,
		};
		report_write(out, &in);
		code = T.root_gone ? exit_status_of(T.root_status) : 1;
	}
	close(T.exec_error_fd);
	verify_log_finish(&T.verify);
	trace_finish(&T.tr);
	free(path);
	return code;
}
