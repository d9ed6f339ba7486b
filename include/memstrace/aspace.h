/* SPDX-License-Identifier: MIT */
/*
 * aspace: the model of one address space. It owns the set of mapped page
 * ranges, each tagged with the call that made it, kept non-overlapping and
 * ordered by address in a treap (expected O(log n) per operation, O(k) more
 * for k records touched). Pure data: no ptrace, no I/O, so it is tested alone.
 */
#ifndef MEMSTRACE_ASPACE_H
#define MEMSTRACE_ASPACE_H

#include "memstrace/common.h"

enum region_kind { KIND_ANON, KIND_FILE, KIND_HEAP, KIND_SHM };

/* Flags of a record. */
enum {
	REGION_SPECIAL = 1 << 0,   /* made by the kernel: [stack], [vdso], [vvar]... */
	REGION_GROWSDOWN = 1 << 1, /* MAP_GROWSDOWN: the kernel may extend it downwards */
	REGION_STACK_EXITED = 1 << 2, /* the clone child whose stack this is has exited */
};

struct site; /* the group key of a traced call; opaque to the model */

/* What is known of the call that made a range. */
struct region_info {
	const struct site *site; /* NULL: not made by a traced call (seeded from /proc) */
	uint64_t time_ns;        /* when the call completed, since tracing began */
	uint32_t pid, tid;       /* the caller's process and thread */
	uint32_t stack_of;       /* tid of a clone child started on this range, or 0 */
	uint8_t prot;            /* PROT_* bits asked for */
	uint8_t kind;            /* enum region_kind */
	uint8_t flags;           /* REGION_* */
};

/* One record: a page-aligned range and the call that made it. */
struct region {
	struct region *left, *right; /* treap children; ->right links undo lists */
	uint32_t prio;
	taddr_t start, end;
	struct region_info info;
};

/* Records taken out by a removal, kept so that a failed call can be undone. */
struct region_list {
	struct region *head;
};

struct aspace;

struct aspace *aspace_create(void);
/* A deep copy, for fork. */
struct aspace *aspace_copy(const struct aspace *as);
/* Frees the model and every record. NULL is a no-op. */
void aspace_destroy(struct aspace *as);

/*
 * Make [start, end) one record carrying *info, discarding whatever the model
 * had there: the kernel says this range now holds this mapping. start and end
 * must be page aligned and start < end.
 */
void aspace_map(struct aspace *as, taddr_t start, taddr_t end,
		const struct region_info *info);

/*
 * Remove every page of [start, end) from the model; records are split where
 * the range cuts them. The removed pieces are appended to *undo when undo is
 * not NULL, and freed otherwise.
 */
void aspace_unmap(struct aspace *as, taddr_t start, taddr_t end,
		  struct region_list *undo);

/*
 * Put the pieces of *undo back where the model now has a hole (a range mapped
 * again since stays as it is), and empty *undo.
 */
void aspace_restore(struct aspace *as, struct region_list *undo);
/* Free the pieces of *undo and empty it. */
void region_list_clear(struct region_list *undo);

/* The record containing addr, or NULL. */
struct region *aspace_find(const struct aspace *as, taddr_t addr);
/* The first record (lowest address) whose end is above addr, or NULL. */
struct region *aspace_lower_bound(const struct aspace *as, taddr_t addr);
/* Number of records. */
size_t aspace_count(const struct aspace *as);

/* Calls fn on every record in address order; stops early when fn returns false. */
typedef bool (*aspace_visit_fn)(struct region *r, void *ctx);
void aspace_foreach(const struct aspace *as, aspace_visit_fn fn, void *ctx);

/* Removes every record for which keep returns false (an O(n) pass). */
void aspace_filter(struct aspace *as, bool (*keep)(const struct region *r, void *ctx),
		   void *ctx);

#endif
