/* SPDX-License-Identifier: MIT */
/* verify: set differences between the model's ranges and the kernel's. */
#include "memstrace/verify.h"

#include <stdlib.h>

struct range {
	taddr_t start, end;
	bool growsdown;
};

struct ranges {
	struct range *v;
	size_t n, cap;
};

/* Appends [start, end), merging it with the last range when they touch. */
static void push(struct ranges *rs, taddr_t start, taddr_t end, bool growsdown)
{
	if (rs->n && rs->v[rs->n - 1].end == start && !growsdown) {
		rs->v[rs->n - 1].end = end;
		return;
	}
	if (rs->n == rs->cap)
		rs->v = xrealloc(rs->v, (rs->cap = rs->cap ? rs->cap * 2 : 64) * sizeof(*rs->v));
	rs->v[rs->n++] = (struct range){ start, end, growsdown };
}

struct collect {
	struct ranges *rs;
	bool with_special;
};

static bool collect_region(struct region *r, void *ctx)
{
	struct collect *c = ctx;
	if (c->with_special || !(r->info.flags & REGION_SPECIAL))
		push(c->rs, r->start, r->end, r->info.flags & REGION_GROWSDOWN);
	return true;
}

static void model_ranges(const struct aspace *model, bool with_special, struct ranges *rs)
{
	struct collect c = { rs, with_special };
	aspace_foreach(model, collect_region, &c);
}

static void kernel_ranges(const struct mapping *maps, size_t n, bool with_special,
			  struct ranges *rs)
{
	for (size_t i = 0; i < n; i++) {
		if (with_special || !maps[i].special)
			push(rs, maps[i].start, maps[i].end, false);
	}
}

/* Calls fn on every piece of a that b does not cover. Both are sorted and disjoint. */
static void subtract(const struct ranges *a, const struct ranges *b,
		     void (*fn)(taddr_t start, taddr_t end, const struct range *next_b, void *ctx),
		     void *ctx)
{
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		taddr_t pos = a->v[i].start, end = a->v[i].end;
		while (j < b->n && b->v[j].end <= pos)
			j++;
		for (size_t k = j; pos < end; k++) {
			taddr_t next = k < b->n ? b->v[k].start : end;
			if (next > pos)
				fn(pos, next < end ? next : end, k < b->n ? &b->v[k] : NULL, ctx);
			if (k >= b->n || b->v[k].start >= end)
				break;
			pos = b->v[k].end;
		}
	}
}

struct diff_ctx {
	struct verify_log *log;
	pid_t pid;
	const char *problem;
};

static void add_difference(taddr_t start, taddr_t end, const struct range *next_b, void *ctx)
{
	struct diff_ctx *d = ctx;
	struct verify_log *log = d->log;

	/* A MAP_GROWSDOWN mapping grows by faults, below its model record. */
	if (next_b && next_b->growsdown && next_b->start == end)
		return;
	if (log->ndiffs == log->cap)
		log->diffs = xrealloc(log->diffs,
				      (log->cap = log->cap ? log->cap * 2 : 16) * sizeof(*log->diffs));
	log->diffs[log->ndiffs++] = (struct difference){ d->pid, start, end, d->problem };
}

void verify_compare(struct verify_log *log, pid_t pid, const struct aspace *model,
		    const struct mapping *maps, size_t n)
{
	struct ranges m = { 0 }, k = { 0 };

	model_ranges(model, false, &m);
	kernel_ranges(maps, n, false, &k);
	log->checks++;

	struct diff_ctx only_model = { log, pid, "mapped in the model, not in the kernel" };
	struct diff_ctx only_kernel = { log, pid, "mapped in the kernel, not in the model" };
	subtract(&m, &k, add_difference, &only_model);
	subtract(&k, &m, add_difference, &only_kernel);
	free(m.v);
	free(k.v);
}

static void cut(taddr_t start, taddr_t end, const struct range *next_b, void *ctx)
{
	(void)next_b;
	aspace_unmap(ctx, start, end, NULL);
}

struct fill_ctx {
	struct aspace *model;
	const struct mapping *maps;
	size_t n, i;
};

static void map_known(struct aspace *model, const struct mapping *m, taddr_t start, taddr_t end)
{
	struct region_info info = {
		.prot = m->prot,
		.kind = m->heap ? KIND_HEAP : m->file ? KIND_FILE : KIND_ANON,
		.flags = m->special ? REGION_SPECIAL : 0,
	};
	aspace_map(model, start, end, &info);
}

/* Adds [start, end), a piece only the kernel maps, with the kernel's attributes. */
static void fill(taddr_t start, taddr_t end, const struct range *next_b, void *ctx)
{
	struct fill_ctx *f = ctx;
	(void)next_b;
	for (; f->i < f->n && start < end; f->i++) {
		const struct mapping *m = &f->maps[f->i];
		if (m->end <= start)
			continue;
		if (m->start >= end)
			break;
		taddr_t s = m->start > start ? m->start : start;
		taddr_t e = m->end < end ? m->end : end;
		map_known(f->model, m, s, e);
		if (m->end > end)
			break; /* the next piece may start inside this mapping */
	}
}

void verify_reconcile(struct aspace *model, const struct mapping *maps, size_t n)
{
	struct ranges m = { 0 }, k = { 0 };

	model_ranges(model, true, &m);
	kernel_ranges(maps, n, true, &k);
	subtract(&m, &k, cut, model);
	struct fill_ctx f = { model, maps, n, 0 };
	subtract(&k, &m, fill, &f);
	free(m.v);
	free(k.v);
}

void verify_seed(struct aspace *model, const struct mapping *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		map_known(model, &maps[i], maps[i].start, maps[i].end);
}

void verify_log_finish(struct verify_log *log)
{
	free(log->diffs);
	*log = (struct verify_log){ 0 };
}
