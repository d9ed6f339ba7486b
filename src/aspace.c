/* SPDX-License-Identifier: MIT */
/* aspace: the model of one address space, a treap of page ranges keyed by start. */
#include "memstrace/aspace.h"

#include <stdlib.h>

struct aspace {
	struct region *root;
	size_t count;
	uint32_t rng; /* xorshift32 state, never 0 */
};

/*
 * The expected depth stays O(log n) as long as the priorities do not depend
 * on the addresses; a fixed seed makes every run build the same trees, which
 * keeps bugs reproducible.
 */
#define RNG_SEED 0x9e3779b9u

static uint32_t next_prio(struct aspace *as)
{
	uint32_t x = as->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	as->rng = x;
	return x;
}

static struct region *new_region(struct aspace *as, taddr_t start, taddr_t end,
				 const struct region_info *info)
{
	struct region *r = xmalloc(sizeof(*r));

	r->left = r->right = NULL;
	r->prio = next_prio(as);
	r->start = start;
	r->end = end;
	r->info = *info;
	return r;
}

/* Records starting below key go to *l, the others to *r. */
static void split(struct region *t, taddr_t key, struct region **l, struct region **r)
{
	if (!t) {
		*l = *r = NULL;
	} else if (t->start < key) {
		split(t->right, key, &t->right, r);
		*l = t;
	} else {
		split(t->left, key, l, &t->left);
		*r = t;
	}
}

/* Every record of l must lie below every record of r. */
static struct region *merge(struct region *l, struct region *r)
{
	if (!l)
		return r;
	if (!r)
		return l;
	if (l->prio > r->prio) {
		l->right = merge(l->right, r);
		return l;
	}
	r->left = merge(l, r->left);
	return r;
}

/* n must overlap no record. */
static void insert(struct aspace *as, struct region *n)
{
	struct region *l, *r;

	split(as->root, n->start, &l, &r);
	as->root = merge(merge(l, n), r);
	as->count++;
}

static size_t free_tree(struct region *t)
{
	size_t n = 0;

	while (t) {
		struct region *right = t->right;

		n += free_tree(t->left);
		free(t);
		n++;
		t = right;
	}
	return n;
}

/*
 * Splits the record straddling addr, so that a removal starting or ending at
 * addr takes whole records only. Both pieces keep the call that made them.
 */
static void cut(struct aspace *as, taddr_t addr)
{
	struct region *r = aspace_find(as, addr);

	if (!r || r->start == addr)
		return;
	struct region *tail = new_region(as, addr, r->end, &r->info);
	r->end = addr;
	insert(as, tail);
}

/*
 * Takes every record of [start, end) out of the tree and returns them as a
 * subtree; the records below are left in *l and those above in *r, for the
 * caller to merge back, with or without something between them.
 */
static struct region *excise(struct aspace *as, taddr_t start, taddr_t end,
			     struct region **l, struct region **r)
{
	struct region *mid;

	cut(as, start);
	cut(as, end);
	split(as->root, start, l, &mid);
	split(mid, end, &mid, r);
	as->root = NULL;
	return mid;
}

/* Appends the records of t in address order at *tail; returns the new tail. */
static struct region **flatten(struct region *t, struct region **tail, size_t *n)
{
	while (t) {
		struct region *right = t->right;

		tail = flatten(t->left, tail, n);
		t->left = t->right = NULL;
		*tail = t;
		tail = &t->right;
		(*n)++;
		t = right;
	}
	return tail;
}

struct aspace *aspace_create(void)
{
	struct aspace *as = xcalloc(1, sizeof(*as));

	as->rng = RNG_SEED;
	return as;
}

static struct region *copy_tree(const struct region *t)
{
	if (!t)
		return NULL;
	struct region *c = xmalloc(sizeof(*c));
	*c = *t;
	c->left = copy_tree(t->left);
	c->right = copy_tree(t->right);
	return c;
}

struct aspace *aspace_copy(const struct aspace *as)
{
	struct aspace *c = xmalloc(sizeof(*c));

	*c = *as;
	c->root = copy_tree(as->root);
	return c;
}

void aspace_destroy(struct aspace *as)
{
	if (!as)
		return;
	free_tree(as->root);
	free(as);
}

void aspace_map(struct aspace *as, taddr_t start, taddr_t end,
		const struct region_info *info)
{
	struct region *l, *r, *mid;

	/* The kernel refuses an empty mapping, so there is nothing to model. */
	if (start >= end)
		return;
	mid = excise(as, start, end, &l, &r);
	as->count -= free_tree(mid);
	as->root = merge(merge(l, new_region(as, start, end, info)), r);
	as->count++;
}

void aspace_unmap(struct aspace *as, taddr_t start, taddr_t end,
		  struct region_list *undo)
{
	struct region *l, *r, *mid;

	if (start >= end)
		return;
	mid = excise(as, start, end, &l, &r);
	as->root = merge(l, r);
	if (undo) {
		struct region **tail = &undo->head;
		size_t n = 0;

		/*
		 * Append, not prepend: when one list collects several removals,
		 * restore must give the earliest state of a page priority.
		 */
		while (*tail)
			tail = &(*tail)->right;
		flatten(mid, tail, &n);
		as->count -= n;
	} else {
		as->count -= free_tree(mid);
	}
}

/*
 * Puts back the parts of p that no record covers, reusing p for the first
 * one, and frees p if none is left: what was mapped since p was taken out is
 * newer and wins.
 */
static void fill_holes(struct aspace *as, struct region *p)
{
	struct region_info info = p->info;
	taddr_t cur = p->start, end = p->end;

	while (cur < end) {
		struct region *r = aspace_lower_bound(as, cur);
		taddr_t stop = r && r->start < end ? r->start : end;

		if (cur < stop) {
			struct region *n;

			if (p) {
				n = p;
				n->start = cur;
				n->end = stop;
				/* p may come from another aspace's tree. */
				n->prio = next_prio(as);
				p = NULL;
			} else {
				n = new_region(as, cur, stop, &info);
			}
			insert(as, n);
		}
		if (stop == end)
			break;
		cur = r->end;
	}
	free(p);
}

void aspace_restore(struct aspace *as, struct region_list *undo)
{
	struct region *p;

	if (!undo)
		return;
	p = undo->head;
	undo->head = NULL;
	while (p) {
		struct region *next = p->right;

		p->left = p->right = NULL;
		fill_holes(as, p);
		p = next;
	}
}

void region_list_clear(struct region_list *undo)
{
	struct region *p;

	if (!undo)
		return;
	p = undo->head;
	undo->head = NULL;
	while (p) {
		struct region *next = p->right;

		free(p);
		p = next;
	}
}

struct region *aspace_lower_bound(const struct aspace *as, taddr_t addr)
{
	struct region *t = as->root, *best = NULL;

	/* Records do not overlap, so their ends are ordered as their starts. */
	while (t) {
		if (t->end > addr) {
			best = t;
			t = t->left;
		} else {
			t = t->right;
		}
	}
	return best;
}

struct region *aspace_find(const struct aspace *as, taddr_t addr)
{
	struct region *r = aspace_lower_bound(as, addr);

	return r && r->start <= addr ? r : NULL;
}

size_t aspace_count(const struct aspace *as)
{
	return as->count;
}

static bool visit(struct region *t, aspace_visit_fn fn, void *ctx)
{
	while (t) {
		if (!visit(t->left, fn, ctx) || !fn(t, ctx))
			return false;
		t = t->right;
	}
	return true;
}

void aspace_foreach(const struct aspace *as, aspace_visit_fn fn, void *ctx)
{
	visit(as->root, fn, ctx);
}

/*
 * In order, so that keep sees the records by address. Each kept record
 * stays above what remains of its subtrees, so the heap order holds.
 */
static struct region *filter(struct aspace *as, struct region *t,
			     bool (*keep)(const struct region *r, void *ctx), void *ctx)
{
	struct region *l, *r;
	bool k;

	if (!t)
		return NULL;
	l = filter(as, t->left, keep, ctx);
	t->left = l;
	k = keep(t, ctx);
	r = filter(as, t->right, keep, ctx);
	if (k) {
		t->right = r;
		return t;
	}
	free(t);
	as->count--;
	return merge(l, r);
}

void aspace_filter(struct aspace *as, bool (*keep)(const struct region *r, void *ctx),
		   void *ctx)
{
	as->root = filter(as, as->root, keep, ctx);
}
