/* SPDX-License-Identifier: MIT */
/*
 * task: what the tracer knows of the traced world. A task is one thread
 * (tid); a proc is one thread group (pid) and its current program image; a
 * space is one address space, shared by the tasks that share memory (threads,
 * CLONE_VM clones, a vfork child until it execs) and holding the model.
 * Spaces that ended (exit, exec) are kept when their regions are reported.
 */
#ifndef MEMSTRACE_TASK_H
#define MEMSTRACE_TASK_H

#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "memstrace/aspace.h"
#include "memstrace/events.h"
#include "memstrace/options.h"
#include "memstrace/frames.h"
#include "memstrace/site.h"
#include "memstrace/stackdb.h"

struct space {
	struct aspace *model;
	struct space *next;   /* every space, in creation order */
	unsigned id;          /* numbers the spaces of a trace, from 1 */
	pid_t owner;          /* the process that made it, by exec or fork */
	int users;            /* tasks attached */
	int running;          /* users that have not reached their exit stop */
	bool report;          /* its regions are reported (the owner is followed) */
	bool ended;
	bool copied;          /* a fork's copy, not yet checked against the child's maps */
	bool brk_known;
	taddr_t start_brk, brk;
	unsigned modules_gen;     /* bumped when an executable file mapping changes */
	struct unwinder *unwind;  /* unwinding state, made at the first capture */
	int mem_fd;               /* /proc/TID/mem; SPACE_MEM_UNOPENED until the first read */
};

#define SPACE_MEM_UNOPENED (-2)

enum image_state { IMAGE_RUNNING, IMAGE_EXITED, IMAGE_EXEC };

/* One (pid, program image): the report's "processes". */
struct image {
	struct image *next;
	pid_t pid;
	char *exe;
	enum image_state state;
};

struct proc {
	pid_t pid;
	int threads;     /* tasks in the group that we still track */
	bool followed;   /* its regions are reported */
	struct image *image;
};

/* A mapping call between its entry stop and its exit stop. */
struct call {
	int nr;
	uint64_t args[6];
	taddr_t ip;                /* where the syscall returns to */
	struct region_list undo;   /* removals applied at entry */
	uint8_t kind, prot;        /* mremap: what the source was */
	uint32_t stack;            /* stackdb id, once captured at the exit stop; 0: not yet */
	bool active;               /* its exit stop is wanted */
	bool model_exit;           /* the model needs its result */
};

struct task {
	struct task *hash_next;
	pid_t tid;
	struct proc *proc;
	struct space *space;
	struct call call;
	taddr_t stack_addr;  /* an address inside the stack clone() was given, or 0 */
	bool startup;        /* its first stop has not been seen */
	bool parked;         /* stopped before its creator's event named it */
	bool at_exit;        /* reported PTRACE_EVENT_EXIT */
	struct user_regs_struct regs; /* read at the exit stop of a decoded call */
	bool regs_valid;     /* regs is the current stop's */
	bool foreign_exit_next; /* attach mode: its next syscall stop ends a call we do not decode */
	bool held;           /* kept stopped while a report is taken or to detach */
	int held_req;        /* the restart it was about to get: PTRACE_CONT, ... */
	int held_sig;        /* and the signal that restart passes on */
};

struct trace {
	struct task **buckets;     /* tasks by tid; a power of two */
	size_t nbuckets, ntasks;
	struct space *spaces, **spaces_tail;
	unsigned nspaces;
	struct image *images, **images_tail;
	struct sitedb *sites;
	struct stackdb *stacks;    /* stacks as vectors of frame ids */
	struct frametab *frames;
	unsigned depth;            /* frames captured per call; 0: the call site only */
	struct event_sink *events; /* -e, or NULL */
	const struct options *opt;
	uint64_t t0;               /* when tracing began, now_ns() */
};

void trace_init(struct trace *tr);
/* Frees everything: tasks, spaces, images, sites, stacks. */
void trace_finish(struct trace *tr);

struct task *task_find(const struct trace *tr, pid_t tid);
/* A new task with no proc and no space yet. */
struct task *task_add(struct trace *tr, pid_t tid);
/* Unlinks and frees t, dropping its space and proc references. */
void task_remove(struct trace *tr, struct task *t);
/* Gives t another tid (execve from a non-leader thread takes the leader's). */
void task_rekey(struct trace *tr, struct task *t, pid_t tid);

struct proc *proc_create(pid_t pid, bool followed);
/* t joins proc (NULL: leaves its current one, freeing it when empty). */
void task_set_proc(struct task *t, struct proc *proc);

/* A new space with an empty model (model may be given), owned by pid. */
struct space *space_create(struct trace *tr, pid_t owner, bool report, struct aspace *model);
/* t uses space (NULL: leaves its current one, ending it when unused). */
void task_set_space(struct task *t, struct space *space);
/*
 * Reads the tracee's memory at addr into iov, through tid; a short read ends
 * at the first page that cannot be read. sp's /proc/TID/mem is opened by the
 * first read and kept: the descriptor holds the address space, so a read
 * makes no permission check (0.8 us against process_vm_readv's 1.2 us,
 * taskset -c 0). process_vm_readv when sp is NULL or the file cannot be
 * opened, or only above half the limit of open files.
 */
ssize_t space_read(struct space *sp, pid_t tid, const struct iovec *iov, int n, taddr_t addr);

/* A new image entry for pid, running exe (copied). */
struct image *image_add(struct trace *tr, pid_t pid, const char *exe);

/* Calls fn on every live task; fn may not add or remove tasks. */
void trace_foreach_task(struct trace *tr, void (*fn)(struct task *t, void *ctx), void *ctx);

#endif
