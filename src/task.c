/* SPDX-License-Identifier: MIT */
/* task: tasks by tid, their processes, and the address spaces they share. */
#include "memstrace/task.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "memstrace/unwind.h"

void trace_init(struct trace *tr)
{
	*tr = (struct trace){ 0 };
	tr->nbuckets = 1024;
	tr->buckets = xcalloc(tr->nbuckets, sizeof(*tr->buckets));
	tr->spaces_tail = &tr->spaces;
	tr->images_tail = &tr->images;
	tr->sites = sitedb_create();
	tr->stacks = stackdb_create();
	tr->frames = frametab_create();
	tr->t0 = now_ns();
}

static void space_close_mem(struct space *s)
{
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	s->mem_fd = -1;
}

void trace_finish(struct trace *tr)
{
	for (size_t i = 0; i < tr->nbuckets; i++) {
		while (tr->buckets[i])
			task_remove(tr, tr->buckets[i]);
	}
	free(tr->buckets);
	for (struct space *s = tr->spaces, *next; s; s = next) {
		next = s->next;
		space_close_mem(s);
		unwind_forget(s);
		aspace_destroy(s->model);
		free(s);
	}
	for (struct image *im = tr->images, *next; im; im = next) {
		next = im->next;
		free(im->exe);
		free(im);
	}
	sitedb_destroy(tr->sites);
	stackdb_destroy(tr->stacks);
	frametab_destroy(tr->frames);
	*tr = (struct trace){ 0 };
}

static struct task **bucket(const struct trace *tr, pid_t tid)
{
	return &tr->buckets[((uint32_t)tid * 2654435761u) & (tr->nbuckets - 1)];
}

static void rehash(struct trace *tr)
{
	struct task **old = tr->buckets;
	size_t nold = tr->nbuckets;

	tr->nbuckets *= 2;
	tr->buckets = xcalloc(tr->nbuckets, sizeof(*tr->buckets));
	for (size_t i = 0; i < nold; i++) {
		for (struct task *t = old[i], *next; t; t = next) {
			struct task **b = bucket(tr, t->tid);
			next = t->hash_next;
			t->hash_next = *b;
			*b = t;
		}
	}
	free(old);
}

struct task *task_find(const struct trace *tr, pid_t tid)
{
	struct task *t = *bucket(tr, tid);
	while (t && t->tid != tid)
		t = t->hash_next;
	return t;
}

static void link_task(struct trace *tr, struct task *t)
{
	struct task **b = bucket(tr, t->tid);
	t->hash_next = *b;
	*b = t;
}

static void unlink_task(struct trace *tr, struct task *t)
{
	struct task **p = bucket(tr, t->tid);
	while (*p != t)
		p = &(*p)->hash_next;
	*p = t->hash_next;
}

struct task *task_add(struct trace *tr, pid_t tid)
{
	struct task *t = xcalloc(1, sizeof(*t));
	t->tid = tid;
	t->startup = true;
	link_task(tr, t);
	if (++tr->ntasks > tr->nbuckets)
		rehash(tr);
	return t;
}

void task_remove(struct trace *tr, struct task *t)
{
	unlink_task(tr, t);
	tr->ntasks--;
	region_list_clear(&t->call.undo);
	task_set_space(t, NULL);
	task_set_proc(t, NULL);
	free(t);
}

void task_rekey(struct trace *tr, struct task *t, pid_t tid)
{
	unlink_task(tr, t);
	t->tid = tid;
	link_task(tr, t);
}

struct proc *proc_create(pid_t pid, bool followed)
{
	struct proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->followed = followed;
	return p;
}

void task_set_proc(struct task *t, struct proc *proc)
{
	struct proc *old = t->proc;
	if (old == proc)
		return;
	if (proc)
		proc->threads++;
	t->proc = proc;
	if (old && --old->threads == 0)
		free(old);
}

struct space *space_create(struct trace *tr, pid_t owner, bool report, struct aspace *model)
{
	struct space *s = xcalloc(1, sizeof(*s));
	s->model = model ? model : aspace_create();
	s->id = ++tr->nspaces;
	s->owner = owner;
	s->report = report;
	s->mem_fd = SPACE_MEM_UNOPENED;
	*tr->spaces_tail = s;
	tr->spaces_tail = &s->next;
	return s;
}

static bool keep_traced(const struct region *r, void *ctx)
{
	(void)ctx;
	return r->info.site != NULL;
}

/*
 * An address space ended: keep what the report needs (regions made by traced
 * calls) and nothing else. Spaces stay on the list so the report can walk it.
 */
static void space_end(struct space *s)
{
	s->ended = true;
	space_close_mem(s);
	unwind_forget(s);
	if (s->report) {
		aspace_filter(s->model, keep_traced, NULL);
	} else {
		aspace_destroy(s->model);
		s->model = aspace_create();
	}
}

void task_set_space(struct task *t, struct space *space)
{
	struct space *old = t->space;
	if (old == space)
		return;
	if (space) {
		space->users++;
		if (!t->at_exit)
			space->running++;
	}
	t->space = space;
	if (old) {
		if (!t->at_exit)
			old->running--;
		if (--old->users == 0)
			space_end(old);
	}
}

/*
 * A descriptor above this is given back: with -f and thousands of processes
 * alive, /proc/PID/maps and the report must still find descriptors free.
 */
static int mem_fd_ceiling(void)
{
	static int ceiling;
	struct rlimit lim;
	if (!ceiling)
		ceiling = getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
				  lim.rlim_cur < INT_MAX
			  ? (int)lim.rlim_cur / 2
			  : 512;
	return ceiling;
}

static int open_mem(pid_t tid)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= mem_fd_ceiling()) {
		close(fd);
		fd = -1;
	}
	return fd;
}

ssize_t space_read(struct space *sp, pid_t tid, const struct iovec *iov, int n, taddr_t addr)
{
	if (sp && sp->mem_fd == SPACE_MEM_UNOPENED)
		sp->mem_fd = open_mem(tid);
	if (sp && sp->mem_fd >= 0)
		return preadv(sp->mem_fd, iov, n, (off_t)addr);

	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(tid, iov, (unsigned long)n, &remote, 1, 0);
}

struct image *image_add(struct trace *tr, pid_t pid, const char *exe)
{
	struct image *im = xcalloc(1, sizeof(*im));
	im->pid = pid;
	im->exe = exe ? xstrdup(exe) : NULL;
	*tr->images_tail = im;
	tr->images_tail = &im->next;
	return im;
}

void trace_foreach_task(struct trace *tr, void (*fn)(struct task *t, void *ctx), void *ctx)
{
	for (size_t i = 0; i < tr->nbuckets; i++) {
		for (struct task *t = tr->buckets[i]; t; t = t->hash_next)
			fn(t, ctx);
	}
}
