/* SPDX-License-Identifier: MIT */
/* syscall: decoding of mmap, munmap, mremap and brk, and their effect on the model. */
#include "memstrace/syscall.h"

#include <errno.h>
#include <linux/mman.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

#include "memstrace/unwind.h"

/* x86_64 with 4-level page tables: the highest address a call may name. */
#define TASK_SIZE_X86 0x7ffffffff000ull
#define HUGE_PAGE_DEFAULT (2ull << 20)

const int syscall_traced[] = { SYS_mmap, SYS_munmap, SYS_mremap, SYS_brk, -1 };

static bool page_aligned(taddr_t a)
{
	return (a & (PAGE_SIZE_X86 - 1)) == 0;
}

/* [addr, addr + PAGE_UP(len)) as the kernel computes it; false if invalid. */
static bool user_range(taddr_t addr, uint64_t len, taddr_t *end)
{
	if (!page_aligned(addr) || len == 0 || len > TASK_SIZE_X86 ||
	    addr > TASK_SIZE_X86 - PAGE_UP(len))
		return false;
	*end = addr + PAGE_UP(len);
	return true;
}

static bool executable_file(const struct region *r)
{
	return r->info.kind == KIND_FILE && (r->info.prot & PROT_EXEC);
}

/*
 * Removes [start, end), keeping the pieces on the call when it may fail.
 * Removing code tells the unwinder that the modules changed.
 */
static void remove_range(struct task *t, taddr_t start, taddr_t end, bool keep)
{
	struct region_list removed = { NULL };
	aspace_unmap(t->space->model, start, end, &removed);

	struct region **tail = &removed.head;
	for (; *tail; tail = &(*tail)->right) {
		if (executable_file(*tail))
			t->space->modules_gen++;
	}
	if (keep) {
		/* Appended: on restore, the earliest removed copy of a page wins. */
		struct region **end_of_undo = &t->call.undo.head;
		while (*end_of_undo)
			end_of_undo = &(*end_of_undo)->right;
		*end_of_undo = removed.head;
	} else {
		region_list_clear(&removed);
	}
}

static void record(struct trace *tr, struct task *t, enum map_call call, uint64_t size,
		   uint8_t kind, uint8_t prot, uint8_t flags, taddr_t start, taddr_t end)
{
	struct space *sp = t->space;
	struct region_info info = {
		.time_ns = now_ns() - tr->t0,
		.pid = t->proc->pid,
		.tid = t->tid,
		.prot = prot,
		.kind = kind,
		.flags = flags,
	};
	if (sp->report) {
		if (!t->call.stack)
			t->call.stack = unwind_capture(tr, t);
		struct site *site = sitedb_get(tr->sites, call, size, kind, t->call.stack, prot);
		site->calls++;
		info.site = site;
	}
	aspace_map(sp->model, start, end, &info);
}

/* mmap(addr, length, prot, flags, fd, offset) */
static bool mmap_enter(struct task *t)
{
	const uint64_t *a = t->call.args;
	taddr_t end;

	/* MAP_FIXED_NOREPLACE fails on any overlap, so it never removes. */
	if ((a[3] & MAP_FIXED) && !(a[3] & MAP_FIXED_NOREPLACE) && user_range(a[0], a[1], &end))
		remove_range(t, a[0], end, true);
	return true;
}

static uint64_t map_granule(uint64_t flags)
{
	if (!(flags & MAP_HUGETLB))
		return PAGE_SIZE_X86;
	unsigned shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
	return shift ? 1ull << shift : HUGE_PAGE_DEFAULT;
}

static void mmap_exit(struct trace *tr, struct task *t, taddr_t res)
{
	const uint64_t *a = t->call.args;
	uint64_t granule = map_granule(a[3]);
	taddr_t end = res + ((a[1] + granule - 1) & ~(granule - 1));
	uint8_t kind = (a[3] & MAP_ANONYMOUS) ? KIND_ANON : KIND_FILE;
	uint8_t flags = (a[3] & MAP_GROWSDOWN) ? REGION_GROWSDOWN : 0;

	if (kind == KIND_FILE && (a[2] & PROT_EXEC))
		t->space->modules_gen++;
	record(tr, t, CALL_MMAP, a[1], kind, a[2] & 7, flags, res, end);
}

/* munmap(addr, length): applied here; it needs no exit stop. */
static bool munmap_enter(struct task *t)
{
	const uint64_t *a = t->call.args;
	taddr_t end;

	if (user_range(a[0], a[1], &end))
		remove_range(t, a[0], end, false);
	return false;
}

/* mremap(old, old_size, new_size, flags, new_addr) */
static bool mremap_enter(struct task *t)
{
	const uint64_t *a = t->call.args;
	uint64_t flags = a[3];
	taddr_t end;

	if ((flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
	    !page_aligned(a[0]) || a[2] == 0 ||
	    ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && !(flags & MREMAP_MAYMOVE)))
		return false; /* EINVAL: nothing changes */

	/* The result inherits kind and protection from the source. */
	struct region *src = aspace_find(t->space->model, a[0]);
	t->call.kind = src ? src->info.kind : KIND_ANON;
	t->call.prot = src ? src->info.prot : (PROT_READ | PROT_WRITE);

	/* DONTUNMAP and a zero old size (a shared duplicate) leave the source. */
	if (!(flags & MREMAP_DONTUNMAP) && a[1] != 0 && user_range(a[0], a[1], &end))
		remove_range(t, a[0], end, true);
	if ((flags & MREMAP_FIXED) && user_range(a[4], a[2], &end))
		remove_range(t, a[4], end, true);
	return true;
}

static void mremap_exit(struct trace *tr, struct task *t, taddr_t res)
{
	uint64_t new_size = t->call.args[2];
	record(tr, t, CALL_MREMAP, new_size, t->call.kind, t->call.prot, 0, res,
	       res + PAGE_UP(new_size));
}

/* brk(addr): the kernel works on PAGE_UP of the break. */
static bool brk_enter(struct task *t)
{
	struct space *sp = t->space;
	taddr_t req = t->call.args[0];

	if (sp->brk_known && req >= sp->start_brk && PAGE_UP(req) < PAGE_UP(sp->brk))
		remove_range(t, PAGE_UP(req), PAGE_UP(sp->brk), true);
	return true;
}

/* The end of the heap's pages, from the model: for a break we never saw move. */
static taddr_t heap_end(const struct space *sp)
{
	taddr_t end = PAGE_UP(sp->start_brk);
	for (struct region *r = aspace_find(sp->model, end); r && r->start == end;
	     r = aspace_find(sp->model, end))
		end = r->end;
	return end;
}

/*
 * Attach mode: the first brk call after the attach. The old break is known
 * only to the page, from the heap's extent; the increment is counted from it.
 */
static void brk_exit_unknown(struct trace *tr, struct task *t, taddr_t res)
{
	struct space *sp = t->space;
	taddr_t req = t->call.args[0], old_end = heap_end(sp);

	if (res == req && req != 0) {
		if (PAGE_UP(res) > old_end)
			record(tr, t, CALL_BRK, PAGE_UP(res) - old_end, KIND_HEAP,
			       PROT_READ | PROT_WRITE, 0, old_end, PAGE_UP(res));
		else if (PAGE_UP(res) < old_end)
			aspace_unmap(sp->model, PAGE_UP(res), old_end, NULL);
	}
	sp->brk = res;
	sp->brk_known = true;
}

static void brk_exit(struct trace *tr, struct task *t, taddr_t res)
{
	struct space *sp = t->space;
	taddr_t req = t->call.args[0];

	if (!sp->brk_known) {
		brk_exit_unknown(tr, t, res);
		return;
	}

	/* The raw syscall returns the new break, or the old one on failure. */
	if (res != req || req == 0) {
		aspace_restore(sp->model, &t->call.undo);
	} else if (sp->brk_known && PAGE_UP(res) > PAGE_UP(sp->brk)) {
		record(tr, t, CALL_BRK, res - sp->brk, KIND_HEAP, PROT_READ | PROT_WRITE, 0,
		       PAGE_UP(sp->brk), PAGE_UP(res));
	}
	sp->brk = res;
	sp->brk_known = true;
}

/* -s filters event lines by the length asked for (mremap: either size; brk: the increment). */
static bool event_selected(const struct trace *tr, const struct call *c, bool brk_moved,
			   uint64_t brk_increment)
{
	const struct options *opt = tr->opt;
	if (!opt || opt->nsizes == 0)
		return true;
	switch (c->nr) {
	case SYS_mremap:
		return options_size_matches(opt, c->args[1]) || options_size_matches(opt, c->args[2]);
	case SYS_brk:
		return brk_moved && options_size_matches(opt, brk_increment);
	default:
		return options_size_matches(opt, c->args[1]);
	}
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One line, written at once: a user may be tailing the file. */
static void emit_event(struct trace *tr, struct task *t, int64_t rval, bool is_error)
{
	const struct event_sink *sink = tr->events;
	struct call *c = &t->call;
	char line[2048];

	size_t n = events_prefix(line, sizeof(line), sink, t->tid, tr->ntasks > 1, wall_ns());
	n += events_format(line + n, sizeof(line) - n, n, c->nr, c->args, rval, is_error);
	if (sink->caller && tr->depth > 0) {
		if (!c->stack)
			c->stack = unwind_capture(tr, t);
		unsigned depth;
		const taddr_t *ids = stackdb_get(tr->stacks, c->stack, &depth);
		const struct frame *caller = frames_caller(tr->frames, ids, depth);
		if (caller && n + 8 < sizeof(line)) {
			n += (size_t)snprintf(line + n, sizeof(line) - n, " <");
			n += frame_describe(line + n, sizeof(line) - n - 2, caller);
			n += (size_t)snprintf(line + n, sizeof(line) - n, ">");
		}
	}
	line[n < sizeof(line) - 1 ? n : sizeof(line) - 2] = '\0';
	fputs(line, sink->out);
	fputc('\n', sink->out);
	fflush(sink->out);
}

bool syscall_enter(struct trace *tr, struct task *t, int nr, const uint64_t args[6],
		   taddr_t ip)
{
	struct call *c = &t->call;

	if (!t->space)
		return false;
	region_list_clear(&c->undo);
	c->nr = nr;
	for (int i = 0; i < 6; i++)
		c->args[i] = args[i];
	c->ip = ip;
	c->stack = 0;

	bool need_exit;
	switch (nr) {
	case SYS_mmap: need_exit = mmap_enter(t); break;
	case SYS_munmap: need_exit = munmap_enter(t); break;
	case SYS_mremap: need_exit = mremap_enter(t); break;
	case SYS_brk: need_exit = brk_enter(t); break;
	default: need_exit = false; break;
	}
	/* -e prints every call when it completes: munmap included. */
	c->model_exit = need_exit;
	c->active = need_exit || tr->events;
	return c->active;
}

void syscall_exit(struct trace *tr, struct task *t, int64_t rval, bool is_error)
{
	struct call *c = &t->call;

	if (!c->active || !t->space)
		return;
	c->active = false;
	bool brk_moved = c->nr == SYS_brk && t->space->brk_known && !is_error &&
			 (taddr_t)rval == c->args[0] && c->args[0] != 0;
	uint64_t brk_increment = (uint64_t)rval - t->space->brk;

	if (!c->model_exit) {
		/* only the event line wanted this stop */
	} else if (c->nr == SYS_brk) {
		brk_exit(tr, t, (taddr_t)rval);
	} else if (is_error) {
		aspace_restore(t->space->model, &c->undo);
	} else if (c->nr == SYS_mmap) {
		mmap_exit(tr, t, (taddr_t)rval);
	} else if (c->nr == SYS_mremap) {
		mremap_exit(tr, t, (taddr_t)rval);
	}
	region_list_clear(&c->undo);
	if (tr->events && event_selected(tr, c, brk_moved, brk_increment))
		emit_event(tr, t, rval, is_error);
}

void syscall_abandon(struct task *t)
{
	t->call.active = false;
	region_list_clear(&t->call.undo);
}
