/* SPDX-License-Identifier: MIT */
/* test-aspace: the address-space model, by pictures and against a page map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memstrace/aspace.h"
#include "harness.h"

#define PG PAGE_SIZE_X86
#define BASE 0x10000000ull
/* Column i of a picture, and page i of the random test's universe. */
#define PAGE(i) (BASE + (taddr_t)(i) * PG)

/*
 * Pictures: column i is page i; an upper-case letter starts a record, the
 * same letter in lower case continues it, '.' is a hole. The letter is the
 * record's owner: info.tid, from which info_of() derives every other field,
 * so a drawing also checks that each piece kept the info of its call.
 * "i..j" in the comments is the page range [i, j).
 */

/* Sites are opaque to the model: only their addresses are compared. */
static const char site_tags[64];

static struct region_info info_of(uint32_t owner)
{
	return (struct region_info){
		.site = owner % 5 ? (const struct site *)&site_tags[owner % 64] : NULL,
		.time_ns = owner * 1000003ull,
		.pid = owner / 3 + 1,
		.tid = owner,
		.stack_of = owner % 7 ? 0 : owner + 1,
		.prot = owner & 7,
		.kind = owner % 4,
		.flags = (owner >> 2) & 7,
	};
}

/* Field by field: memcmp would compare the padding too. */
static bool info_eq(const struct region_info *a, const struct region_info *b)
{
	return a->site == b->site && a->time_ns == b->time_ns && a->pid == b->pid &&
	       a->tid == b->tid && a->stack_of == b->stack_of && a->prot == b->prot &&
	       a->kind == b->kind && a->flags == b->flags;
}

static void map(struct aspace *as, unsigned from, unsigned to, char owner)
{
	struct region_info info = info_of((unsigned char)owner);

	aspace_map(as, PAGE(from), PAGE(to), &info);
}

static void unmap(struct aspace *as, unsigned from, unsigned to, struct region_list *undo)
{
	aspace_unmap(as, PAGE(from), PAGE(to), undo);
}

static void build(struct aspace *as, const char *pic)
{
	size_t i = 0, n = strlen(pic);

	while (i < n) {
		size_t j = i + 1;

		if (pic[i] == '.') {
			i++;
			continue;
		}
		while (j < n && pic[j] == pic[i] - 'A' + 'a')
			j++;
		map(as, i, j, pic[i]);
		i = j;
	}
}

#define MAX_RECS 1024

struct recs {
	struct region *r[MAX_RECS];
	size_t n;
};

static bool collect(struct region *r, void *ctx)
{
	struct recs *c = ctx;

	if (c->n < MAX_RECS)
		c->r[c->n] = r;
	c->n++;
	return true;
}

/* Draws records given in address order; false, with a reason, if one cannot be drawn. */
static bool draw(struct region *const *r, size_t n, char *buf, size_t width)
{
	memset(buf, '.', width);
	buf[width] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct region_info want = info_of(r[i]->info.tid);

		if (r[i]->start < BASE || r[i]->end > PAGE(width) || r[i]->start >= r[i]->end ||
		    r[i]->start % PG || r[i]->end % PG || (i && r[i]->start < r[i - 1]->end) ||
		    r[i]->info.tid < 'A' || r[i]->info.tid > 'Z' || !info_eq(&r[i]->info, &want)) {
			printf("  cannot draw record %#llx..%#llx tid %u\n",
			       (unsigned long long)r[i]->start, (unsigned long long)r[i]->end,
			       r[i]->info.tid);
			return false;
		}
		for (taddr_t a = r[i]->start; a < r[i]->end; a += PG)
			buf[(a - BASE) / PG] = (char)(a == r[i]->start ? r[i]->info.tid
								      : r[i]->info.tid - 'A' + 'a');
	}
	return true;
}

static bool pic_is(const struct aspace *as, const char *want)
{
	static struct recs c;
	char got[MAX_RECS + 1];
	size_t width = strlen(want);

	c.n = 0;
	aspace_foreach(as, collect, &c);
	if (c.n != aspace_count(as) || c.n > MAX_RECS) {
		printf("  count %zu, foreach saw %zu\n", aspace_count(as), c.n);
		return false;
	}
	if (!draw(c.r, c.n, got, width))
		return false;
	if (strcmp(got, want)) {
		printf("  got  %s\n  want %s\n", got, want);
		return false;
	}
	return true;
}

static bool list_is(const struct region_list *l, const char *want)
{
	static struct recs c;
	char got[MAX_RECS + 1];

	c.n = 0;
	for (struct region *p = l->head; p; p = p->right) {
		if (p->left) {
			printf("  undo piece with a left child\n");
			return false;
		}
		collect(p, &c);
	}
	if (!draw(c.r, c.n, got, strlen(want)))
		return false;
	if (strcmp(got, want)) {
		printf("  undo got  %s\n  undo want %s\n", got, want);
		return false;
	}
	return true;
}

#define ASSERT_PIC(as, pic) ASSERT_TRUE(pic_is(as, pic))
#define ASSERT_LIST(l, pic) ASSERT_TRUE(list_is(l, pic))

TEST(empty)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };
	static struct recs c;

	ASSERT_EQ(aspace_count(as), 0);
	ASSERT_TRUE(!aspace_find(as, 0));
	ASSERT_TRUE(!aspace_find(as, BASE));
	ASSERT_TRUE(!aspace_lower_bound(as, 0));
	c.n = 0;
	aspace_foreach(as, collect, &c);
	ASSERT_EQ(c.n, 0);
	unmap(as, 0, 4, &undo);
	ASSERT_TRUE(!undo.head);
	aspace_restore(as, &undo);
	aspace_restore(as, NULL);
	region_list_clear(&undo);
	ASSERT_EQ(aspace_count(as), 0);
	aspace_destroy(as);
	aspace_destroy(NULL);
	return true;
}

/*
 * 0123456
 * .......   before
 * .Aaa...   map A at 1..4
 * .AaaBb.   map B at 4..6, touching A: two records
 */
TEST(map_into_holes)
{
	struct aspace *as = aspace_create();

	map(as, 1, 4, 'A');
	ASSERT_PIC(as, ".Aaa...");
	map(as, 4, 6, 'B');
	ASSERT_PIC(as, ".AaaBb.");
	aspace_destroy(as);
	return true;
}

/*
 * 012345
 * Aaaaaa   before
 * BbbAaa   map B at 0..3 (MAP_FIXED): A keeps its right part
 */
TEST(map_over_left_part)
{
	struct aspace *as = aspace_create();

	build(as, "Aaaaaa");
	map(as, 0, 3, 'B');
	ASSERT_PIC(as, "BbbAaa");
	aspace_destroy(as);
	return true;
}

/*
 * 012345
 * Aaaaaa   before
 * AaaBbb   map B at 3..6: A keeps its left part
 */
TEST(map_over_right_part)
{
	struct aspace *as = aspace_create();

	build(as, "Aaaaaa");
	map(as, 3, 6, 'B');
	ASSERT_PIC(as, "AaaBbb");
	aspace_destroy(as);
	return true;
}

/*
 * 012345
 * Aaaaaa   before
 * AaBbAa   map B at 2..4: A is split in two
 */
TEST(map_over_middle)
{
	struct aspace *as = aspace_create();

	build(as, "Aaaaaa");
	map(as, 2, 4, 'B');
	ASSERT_PIC(as, "AaBbAa");
	aspace_destroy(as);
	return true;
}

/*
 * 0123456789
 * AaaBb..Ccc   before
 * ADddddddCc   map D at 1..8: cuts A and C, replaces B, fills the hole
 */
TEST(map_across_three_and_hole)
{
	struct aspace *as = aspace_create();

	build(as, "AaaBb..Ccc");
	map(as, 1, 8, 'D');
	ASSERT_PIC(as, "ADddddddCc");
	aspace_destroy(as);
	return true;
}

/*
 * 0123456
 * .AaaBb.   before
 * .CccBb.   map C at exactly A's range
 * DdddddD   map D at 0..6, covering C, B and a hole, then D at 6..7
 */
TEST(map_exact_and_covering)
{
	struct aspace *as = aspace_create();

	build(as, ".AaaBb.");
	map(as, 1, 4, 'C');
	ASSERT_PIC(as, ".CccBb.");
	map(as, 0, 6, 'D');
	map(as, 6, 7, 'D');
	ASSERT_PIC(as, "DdddddD");
	aspace_destroy(as);
	return true;
}

/*
 * 012345
 * Aaaaaa   before
 * ..Aaaa   munmap 0..2
 * ..Aa..   munmap 4..6
 * ..A...   munmap 3..4
 * ......   munmap 2..3
 */
TEST(unmap_left_right)
{
	struct aspace *as = aspace_create();

	build(as, "Aaaaaa");
	unmap(as, 0, 2, NULL);
	ASSERT_PIC(as, "..Aaaa");
	unmap(as, 4, 6, NULL);
	ASSERT_PIC(as, "..Aa..");
	unmap(as, 3, 4, NULL);
	ASSERT_PIC(as, "..A...");
	unmap(as, 2, 3, NULL);
	ASSERT_PIC(as, "......");
	ASSERT_EQ(aspace_count(as), 0);
	aspace_destroy(as);
	return true;
}

/*
 * 0123456
 * Aaaaaaa   before
 * Aa...Aa   munmap 2..5 splits A
 * ..Aaa..   what the undo list holds
 */
TEST(unmap_middle)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };

	build(as, "Aaaaaaa");
	unmap(as, 2, 5, &undo);
	ASSERT_PIC(as, "Aa...Aa");
	ASSERT_LIST(&undo, "..Aaa..");
	region_list_clear(&undo);
	ASSERT_TRUE(!undo.head);
	aspace_destroy(as);
	return true;
}

/*
 * 0123456789abcd
 * AaaBb..CcDd.Ee   before
 * A............E   munmap 1..d: cuts A and E, removes B, C, D, crosses holes
 * .AaBb..CcDd.E.   what the undo list holds
 */
TEST(unmap_spanning)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };

	build(as, "AaaBb..CcDd.Ee");
	unmap(as, 1, 13, &undo);
	ASSERT_PIC(as, "A............E");
	ASSERT_LIST(&undo, ".AaBb..CcDd.E.");
	ASSERT_EQ(aspace_count(as), 2);
	region_list_clear(&undo);
	aspace_destroy(as);
	return true;
}

/*
 * 0123456789
 * Aa...Bb...   before
 * Aa...Bb...   munmap 2..5, 7..10 and 10..20: nothing there, no change
 */
TEST(unmap_hole)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };

	build(as, "Aa...Bb...");
	unmap(as, 2, 5, &undo);
	unmap(as, 7, 10, &undo);
	unmap(as, 10, 20, &undo);
	aspace_unmap(as, 0, BASE, &undo);
	ASSERT_PIC(as, "Aa...Bb...");
	ASSERT_TRUE(!undo.head);
	/* An empty range is no range. */
	aspace_unmap(as, PAGE(1), PAGE(1), NULL);
	aspace_unmap(as, PAGE(6), PAGE(0), NULL);
	ASSERT_PIC(as, "Aa...Bb...");
	aspace_destroy(as);
	return true;
}

/*
 * 012345678
 * AaaBb..Cc   before
 * A.......C   munmap 1..8, keeping the pieces
 * AAaBb..CC   restore: every page back with its call, as pieces
 */
TEST(undo_restore_full)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };

	build(as, "AaaBb..Cc");
	unmap(as, 1, 8, &undo);
	ASSERT_PIC(as, "A.......C");
	ASSERT_LIST(&undo, ".AaBb..C.");
	aspace_restore(as, &undo);
	ASSERT_TRUE(!undo.head);
	ASSERT_PIC(as, "AAaBb..CC");
	aspace_destroy(as);
	return true;
}

/*
 * 012345
 * Aaaaaa   before
 * ......   munmap 0..6, keeping the pieces
 * ..Bb..   map B at 2..4 meanwhile
 * AaBbAa   restore: A only comes back into the holes, B stays
 */
TEST(undo_restore_after_remap)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };

	build(as, "Aaaaaa");
	unmap(as, 0, 6, &undo);
	ASSERT_PIC(as, "......");
	map(as, 2, 4, 'B');
	ASSERT_PIC(as, "..Bb..");
	aspace_restore(as, &undo);
	ASSERT_PIC(as, "AaBbAa");
	aspace_destroy(as);
	return true;
}

/*
 * 01234567
 * Aaaaaaaa   before
 * ........   munmap 0..8, keeping the pieces
 * .B..Cc.D   map B, C and D meanwhile
 * ABAaCcAD   restore: the piece is clipped into three holes
 */
TEST(undo_restore_clipped)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };

	build(as, "Aaaaaaaa");
	unmap(as, 0, 8, &undo);
	build(as, ".B..Cc.D");
	ASSERT_PIC(as, ".B..Cc.D");
	aspace_restore(as, &undo);
	ASSERT_PIC(as, "ABAaCcAD");
	aspace_destroy(as);
	return true;
}

/*
 * 01234567
 * AaaaBbbb   before
 * Aa....Bb   munmap 2..6 into undo: ..AaBb..
 * Aa.Cc.Bb   map C at 3..5
 * ........   munmap 0..8 into the same undo, appended: Aa, Cc, Bb
 * AaAaBbBb   restore: the older pieces come first and win over C
 */
TEST(undo_accumulates)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };
	static const struct { unsigned from, to; char owner; } want[] = {
		{ 2, 4, 'A' }, { 4, 6, 'B' }, { 0, 2, 'A' }, { 3, 5, 'C' }, { 6, 8, 'B' },
	};
	size_t i = 0;

	build(as, "AaaaBbbb");
	unmap(as, 2, 6, &undo);
	ASSERT_PIC(as, "Aa....Bb");
	map(as, 3, 5, 'C');
	ASSERT_PIC(as, "Aa.Cc.Bb");
	unmap(as, 0, 8, &undo);
	ASSERT_PIC(as, "........");
	for (struct region *p = undo.head; p; p = p->right, i++) {
		ASSERT_TRUE(i < ARRAY_SIZE(want));
		ASSERT_EQ(p->start, PAGE(want[i].from));
		ASSERT_EQ(p->end, PAGE(want[i].to));
		ASSERT_EQ(p->info.tid, want[i].owner);
	}
	ASSERT_EQ(i, ARRAY_SIZE(want));
	aspace_restore(as, &undo);
	ASSERT_PIC(as, "AaAaBbBb");
	aspace_destroy(as);
	return true;
}

/* Every field, not only those info_of() derives from the owner. */
TEST(pieces_keep_info)
{
	struct aspace *as = aspace_create();
	struct region_list undo = { NULL };
	struct region_info x = {
		.site = (const struct site *)&site_tags[7], .time_ns = 0x123456789abcull,
		.pid = 4242, .tid = 4243, .stack_of = 4244, .prot = 5, .kind = KIND_SHM,
		.flags = REGION_GROWSDOWN | REGION_STACK_EXITED,
	};
	static struct recs c;

	/*
	 * 01234567
	 * Xxxxxxxx   before
	 * XxBXx.Xx   map B at 2..3, munmap 5..6 keeping the piece
	 * XxBXxXXx   restore
	 */
	aspace_map(as, PAGE(0), PAGE(8), &x);
	map(as, 2, 3, 'B');
	unmap(as, 5, 6, &undo);
	ASSERT_TRUE(undo.head && !undo.head->right);
	ASSERT_TRUE(info_eq(&undo.head->info, &x));
	aspace_restore(as, &undo);
	aspace_foreach(as, collect, &c);
	ASSERT_EQ(c.n, 5);
	for (size_t i = 0; i < c.n; i++) {
		if (c.r[i]->start == PAGE(2))
			continue;
		ASSERT_TRUE(info_eq(&c.r[i]->info, &x));
	}
	ASSERT_EQ(c.r[3]->start, PAGE(5));
	ASSERT_EQ(c.r[3]->end, PAGE(6));
	aspace_destroy(as);
	return true;
}

/*
 * 01234
 * AaBb.   original, copied
 * ACcB.   the copy after map C at 1..3; the original is unchanged
 * ..Bb.   the original after munmap 0..2; the copy is unchanged
 */
TEST(copy_independent)
{
	struct aspace *as = aspace_create(), *cp;

	build(as, "AaBb.");
	cp = aspace_copy(as);
	ASSERT_PIC(cp, "AaBb.");
	map(cp, 1, 3, 'C');
	ASSERT_PIC(cp, "ACcB.");
	ASSERT_PIC(as, "AaBb.");
	unmap(as, 0, 2, NULL);
	ASSERT_PIC(as, "..Bb.");
	ASSERT_PIC(cp, "ACcB.");
	aspace_destroy(as);
	map(cp, 4, 5, 'D');
	ASSERT_PIC(cp, "ACcBD");
	aspace_destroy(cp);
	return true;
}

struct keep_ctx {
	const char *drop;
	taddr_t last_start;
	size_t calls;
	bool ordered;
};

static bool keep_unless(const struct region *r, void *ctx)
{
	struct keep_ctx *k = ctx;

	if (k->calls++ && r->start <= k->last_start)
		k->ordered = false;
	k->last_start = r->start;
	return !strchr(k->drop, (int)r->info.tid);
}

/*
 * 0123456789
 * AaBbCcDdEA   before
 * Aa..Cc...A   filter out B, D and E; keep is called in address order
 * ..........   filter out everything
 */
TEST(filter)
{
	struct aspace *as = aspace_create();
	struct keep_ctx k = { .drop = "BDE", .ordered = true };

	build(as, "AaBbCcDdEA");
	aspace_filter(as, keep_unless, &k);
	ASSERT_EQ(k.calls, 6);
	ASSERT_TRUE(k.ordered);
	ASSERT_PIC(as, "Aa..Cc...A");
	k = (struct keep_ctx){ .drop = "", .ordered = true };
	aspace_filter(as, keep_unless, &k);
	ASSERT_EQ(k.calls, 3);
	ASSERT_PIC(as, "Aa..Cc...A");
	k = (struct keep_ctx){ .drop = "AC", .ordered = true };
	aspace_filter(as, keep_unless, &k);
	ASSERT_PIC(as, "..........");
	ASSERT_EQ(aspace_count(as), 0);
	aspace_destroy(as);
	return true;
}

/*
 * 0123456789
 * ..Aa..BbCc   find and lower_bound at each edge: start, end - 1, end
 */
TEST(find_and_lower_bound_edges)
{
	struct aspace *as = aspace_create();
	struct region *a, *b, *c;

	build(as, "..Aa..BbCc");
	a = aspace_find(as, PAGE(2));
	b = aspace_find(as, PAGE(6));
	c = aspace_find(as, PAGE(8));
	ASSERT_TRUE(a && a->start == PAGE(2) && a->end == PAGE(4) && a->info.tid == 'A');
	ASSERT_TRUE(b && b->start == PAGE(6) && b->end == PAGE(8) && b->info.tid == 'B');
	ASSERT_TRUE(c && c->start == PAGE(8) && c->end == PAGE(10) && c->info.tid == 'C');

	ASSERT_TRUE(aspace_find(as, 0) == NULL);
	ASSERT_TRUE(aspace_find(as, PAGE(2) - 1) == NULL);
	ASSERT_TRUE(aspace_find(as, PAGE(3)) == a);
	ASSERT_TRUE(aspace_find(as, PAGE(4) - 1) == a);
	ASSERT_TRUE(aspace_find(as, PAGE(4)) == NULL);
	ASSERT_TRUE(aspace_find(as, PAGE(6) - 1) == NULL);
	ASSERT_TRUE(aspace_find(as, PAGE(8) - 1) == b);
	ASSERT_TRUE(aspace_find(as, PAGE(10) - 1) == c);
	ASSERT_TRUE(aspace_find(as, PAGE(10)) == NULL);
	ASSERT_TRUE(aspace_find(as, UINT64_MAX) == NULL);

	ASSERT_TRUE(aspace_lower_bound(as, 0) == a);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(2) - 1) == a);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(2)) == a);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(4) - 1) == a);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(4)) == b);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(6)) == b);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(8) - 1) == b);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(8)) == c);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(10) - 1) == c);
	ASSERT_TRUE(aspace_lower_bound(as, PAGE(10)) == NULL);
	ASSERT_TRUE(aspace_lower_bound(as, UINT64_MAX) == NULL);
	aspace_destroy(as);
	return true;
}

/* The top of the user range and above: no arithmetic may wrap. */
TEST(high_addresses)
{
	struct aspace *as = aspace_create();
	struct region_info s = info_of('S'), v = info_of('V'), t = info_of('T');
	const taddr_t top = 0xfffffffffffff000ull;
	struct region_list undo = { NULL };

	aspace_map(as, 0x7ffffffde000ull, 0x7ffffffff000ull, &s);
	aspace_map(as, 0xffffffffff600000ull, 0xffffffffff601000ull, &v);
	aspace_map(as, top - 2 * PG, top, &t);
	ASSERT_EQ(aspace_count(as), 3);
	ASSERT_TRUE(aspace_find(as, top - 1)->info.tid == 'T');
	ASSERT_TRUE(aspace_find(as, top) == NULL);
	ASSERT_TRUE(aspace_find(as, UINT64_MAX) == NULL);
	ASSERT_TRUE(aspace_lower_bound(as, top) == NULL);
	ASSERT_TRUE(aspace_lower_bound(as, 0x7ffffffff000ull)->info.tid == 'V');
	aspace_unmap(as, top - PG, UINT64_MAX, &undo);
	ASSERT_EQ(aspace_find(as, top - 2 * PG)->end, top - PG);
	aspace_unmap(as, 0x7ffffffdf000ull, top, &undo);
	ASSERT_EQ(aspace_count(as), 1);
	aspace_restore(as, &undo);
	/* S's left part stayed; the pieces of S, V and T come back: 1 + 4 */
	ASSERT_EQ(aspace_count(as), 5);
	ASSERT_EQ(aspace_lower_bound(as, 0)->end, 0x7ffffffdf000ull);
	ASSERT_EQ(aspace_find(as, 0x7ffffffdf000ull)->end, 0x7ffffffff000ull);
	ASSERT_EQ(aspace_find(as, top - 1)->start, top - PG);
	aspace_destroy(as);
	return true;
}

static bool stop_after_two(struct region *r, void *ctx)
{
	struct recs *c = ctx;

	collect(r, c);
	return c->n < 2;
}

TEST(foreach_stops_early)
{
	struct aspace *as = aspace_create();
	static struct recs c;

	build(as, "AB.C.D");
	aspace_foreach(as, stop_after_two, &c);
	ASSERT_EQ(c.n, 2);
	ASSERT_EQ(c.r[0]->info.tid, 'A');
	ASSERT_EQ(c.r[1]->info.tid, 'B');
	aspace_destroy(as);
	return true;
}

/*
 * Many records inserted in address order, the worst case of a plain search
 * tree: quadratic time or a deep recursion here means the treap is broken.
 */
TEST(many_records)
{
	enum { N = 100000 };
	struct aspace *as = aspace_create(), *cp;
	struct region_list undo = { NULL };
	struct region_info info = info_of('M');
	struct keep_ctx k = { .drop = "M", .ordered = true };

	for (unsigned i = 0; i < N; i++)
		aspace_map(as, PAGE(2 * i), PAGE(2 * i + 1), &info);
	ASSERT_EQ(aspace_count(as), N);
	for (unsigned i = 0; i < N; i += 997) {
		ASSERT_EQ(aspace_find(as, PAGE(2 * i))->start, PAGE(2 * i));
		ASSERT_TRUE(aspace_find(as, PAGE(2 * i + 1)) == NULL);
		ASSERT_EQ(aspace_lower_bound(as, PAGE(2 * i + 1))->start, PAGE(2 * i + 2));
	}
	aspace_unmap(as, PAGE(0), PAGE(2 * N), &undo);
	ASSERT_EQ(aspace_count(as), 0);
	aspace_restore(as, &undo);
	ASSERT_EQ(aspace_count(as), N);
	for (unsigned i = N; i-- > 0;)
		aspace_unmap(as, PAGE(2 * i), PAGE(2 * i + 1), NULL);
	ASSERT_EQ(aspace_count(as), 0);
	for (unsigned i = N; i-- > 0;)
		aspace_map(as, PAGE(2 * i), PAGE(2 * i + 2), &info);
	aspace_map(as, PAGE(N / 2), PAGE(N), &info);
	ASSERT_EQ(aspace_count(as), N - N / 4 + 1);
	cp = aspace_copy(as);
	aspace_filter(as, keep_unless, &k);
	ASSERT_EQ(aspace_count(as), 0);
	ASSERT_TRUE(k.ordered);
	ASSERT_EQ(aspace_count(cp), N - N / 4 + 1);
	aspace_destroy(as);
	aspace_destroy(cp);
	return true;
}

/*
 * The randomized test: every operation is applied both to the model and to a
 * plain page map of a small universe holding each page's owner (0 for none),
 * and the two are compared after each step.
 */
#define NPAGES 512
#define NSLOTS 6
#define SLOT_CAP (4 * NPAGES)
#define OPS_PER_SEED 50000

/* An undo list, and the (page, owner) pairs it should hold, in order. */
struct slot {
	struct region_list list;
	size_t n;
	uint16_t page[SLOT_CAP];
	uint32_t owner[SLOT_CAP];
};

enum op { OP_MAP, OP_UNMAP, OP_UNMAP_UNDO, OP_RESTORE, OP_CLEAR, OP_COPY, OP_DROP,
	  OP_SWAP, OP_FILTER, NOPS };

static const char *const op_names[NOPS] = {
	"map", "unmap", "unmap+undo", "restore", "clear", "copy", "drop", "swap", "filter",
};
static const unsigned op_weight[NOPS] = { 40, 10, 16, 12, 2, 5, 3, 2, 2 };

struct world {
	uint64_t rng;
	/* other: the other side of the last copy, kept unchanged until dropped */
	struct aspace *as, *other;
	uint32_t page[NPAGES], other_page[NPAGES];
	struct slot slot[NSLOTS];
	uint32_t next_owner;
	unsigned long done[NOPS];
	unsigned long records_seen, checks;
	struct recs recs;
};

static uint64_t rnd(struct world *w)
{
	/* splitmix64: good enough, and seeds map to distinct streams */
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(struct world *w, unsigned n)
{
	return (unsigned)(rnd(w) % n);
}

/*
 * Mostly short ranges, as real calls make, so that many records coexist;
 * now and then one up to the whole universe.
 */
static void random_range(struct world *w, unsigned *from, unsigned *to)
{
	static const unsigned max_len[] = { 1, 2, 4, 8, 16, 32, 64 };
	unsigned len = 1 + below(w, below(w, 64) ? max_len[below(w, ARRAY_SIZE(max_len))]
						 : NPAGES);

	*from = below(w, NPAGES);
	*to = *from + len < NPAGES ? *from + len : NPAGES;
}

/* Addresses on and beside page edges, inside and just outside the universe. */
static taddr_t random_addr(struct world *w)
{
	taddr_t a = PAGE(below(w, NPAGES + 2));

	switch (below(w, 4)) {
	case 0: return a;
	case 1: return a - 1;
	case 2: return a + 1;
	default: return a + below(w, PG) - PG;
	}
}

static struct region *ref_lower_bound(const struct recs *c, taddr_t addr)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->r[mid]->end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < c->n ? c->r[lo] : NULL;
}

/* The model against the page map; prints what differs. */
static bool agrees(struct world *w, const struct aspace *as, const uint32_t *page)
{
	struct recs *c = &w->recs;
	size_t i = 0;

	w->checks++;
	c->n = 0;
	aspace_foreach(as, collect, c);
	w->records_seen += c->n;
	if (c->n != aspace_count(as) || c->n > NPAGES) {
		printf("  count %zu, foreach saw %zu\n", aspace_count(as), c->n);
		return false;
	}
	for (size_t k = 0; k < c->n; k++) {
		const struct region *r = c->r[k];
		struct region_info want = info_of(r->info.tid);

		if (r->start >= r->end || r->start % PG || r->end % PG || r->start < BASE ||
		    r->end > PAGE(NPAGES) || (k && r->start < c->r[k - 1]->end) ||
		    !info_eq(&r->info, &want)) {
			printf("  bad record %#llx..%#llx tid %u\n", (unsigned long long)r->start,
			       (unsigned long long)r->end, r->info.tid);
			return false;
		}
	}
	for (unsigned p = 0; p < NPAGES; p++) {
		bool in;

		while (i < c->n && c->r[i]->end <= PAGE(p))
			i++;
		in = i < c->n && c->r[i]->start <= PAGE(p);
		if (in != (page[p] != 0) || (in && c->r[i]->info.tid != page[p])) {
			printf("  page %u: owner %u, model %u\n", p, page[p],
			       in ? c->r[i]->info.tid : 0);
			return false;
		}
	}
	for (int q = 0; q < 4; q++) {
		taddr_t a = random_addr(w);
		struct region *lb = ref_lower_bound(c, a);
		struct region *f = lb && lb->start <= a ? lb : NULL;
		uint32_t owner = a >= BASE && a < PAGE(NPAGES) ? page[(a - BASE) / PG] : 0;

		if (aspace_lower_bound(as, a) != lb || aspace_find(as, a) != f ||
		    (f ? f->info.tid : 0) != owner) {
			printf("  lookups at %#llx disagree\n", (unsigned long long)a);
			return false;
		}
	}
	return true;
}

struct filter_ctx {
	uint32_t mod, rem;
	taddr_t last_end;
	size_t calls;
	bool ordered;
};

static bool keep_by_owner(const struct region *r, void *ctx)
{
	struct filter_ctx *f = ctx;

	if (r->start < f->last_end)
		f->ordered = false;
	f->last_end = r->end;
	f->calls++;
	return r->info.tid % f->mod != f->rem;
}

static bool step(struct world *w, enum op op)
{
	unsigned from, to;
	struct slot *s = &w->slot[below(w, NSLOTS)];

	switch (op) {
	case OP_MAP: {
		struct region_info info;

		random_range(w, &from, &to);
		info = info_of(++w->next_owner);
		aspace_map(w->as, PAGE(from), PAGE(to), &info);
		for (unsigned p = from; p < to; p++)
			w->page[p] = info.tid;
		break;
	}
	case OP_UNMAP:
		random_range(w, &from, &to);
		aspace_unmap(w->as, PAGE(from), PAGE(to), NULL);
		for (unsigned p = from; p < to; p++)
			w->page[p] = 0;
		break;
	case OP_UNMAP_UNDO:
		random_range(w, &from, &to);
		if (s->n + (to - from) > SLOT_CAP) {
			region_list_clear(&s->list);
			s->n = 0;
		}
		aspace_unmap(w->as, PAGE(from), PAGE(to), &s->list);
		for (unsigned p = from; p < to; p++) {
			if (w->page[p]) {
				s->page[s->n] = (uint16_t)p;
				s->owner[s->n++] = w->page[p];
				w->page[p] = 0;
			}
		}
		break;
	case OP_RESTORE:
		aspace_restore(w->as, &s->list);
		ASSERT_TRUE(!s->list.head);
		for (size_t k = 0; k < s->n; k++) {
			if (!w->page[s->page[k]])
				w->page[s->page[k]] = s->owner[k];
		}
		s->n = 0;
		break;
	case OP_CLEAR:
		region_list_clear(&s->list);
		ASSERT_TRUE(!s->list.head);
		s->n = 0;
		break;
	case OP_COPY: {
		struct aspace *cp = aspace_copy(w->as);

		ASSERT_TRUE(agrees(w, cp, w->page));
		if (w->other) {
			ASSERT_TRUE(agrees(w, w->other, w->other_page));
			aspace_destroy(w->other);
		}
		/* Go on with the copy or with the original: both must stand alone. */
		if (below(w, 2)) {
			w->other = w->as;
			w->as = cp;
		} else {
			w->other = cp;
		}
		memcpy(w->other_page, w->page, sizeof(w->page));
		break;
	}
	case OP_DROP:
		if (w->other) {
			ASSERT_TRUE(agrees(w, w->other, w->other_page));
			aspace_destroy(w->other);
			w->other = NULL;
		}
		break;
	case OP_SWAP:
		if (w->other) {
			uint32_t tmp[NPAGES];
			struct aspace *t = w->as;

			w->as = w->other;
			w->other = t;
			memcpy(tmp, w->page, sizeof(tmp));
			memcpy(w->page, w->other_page, sizeof(tmp));
			memcpy(w->other_page, tmp, sizeof(tmp));
		}
		break;
	case OP_FILTER: {
		struct filter_ctx f = { .mod = 2 + below(w, 6), .ordered = true };
		size_t before = aspace_count(w->as);

		f.rem = below(w, f.mod);
		aspace_filter(w->as, keep_by_owner, &f);
		ASSERT_TRUE(f.ordered);
		ASSERT_EQ(f.calls, before);
		for (unsigned p = 0; p < NPAGES; p++) {
			if (w->page[p] && w->page[p] % f.mod == f.rem)
				w->page[p] = 0;
		}
		break;
	}
	case NOPS:
		break;
	}
	w->done[op]++;
	return agrees(w, w->as, w->page);
}

static enum op random_op(struct world *w)
{
	unsigned total = 0, x;
	enum op op = 0;

	for (enum op o = 0; o < NOPS; o++)
		total += op_weight[o];
	x = below(w, total);
	while (x >= op_weight[op])
		x -= op_weight[op++];
	return op;
}

static bool run_seed(uint64_t seed)
{
	static struct world w;
	clock_t t0 = clock();
	bool ok = true;

	memset(&w, 0, sizeof(w));
	w.rng = seed;
	w.as = aspace_create();
	for (unsigned long i = 0; i < OPS_PER_SEED && ok; i++) {
		enum op op = random_op(&w);

		ok = step(&w, op);
		if (!ok)
			printf("  seed %#llx: op %lu (%s) failed\n", (unsigned long long)seed, i,
			       op_names[op]);
	}
	for (int k = 0; k < NSLOTS; k++)
		region_list_clear(&w.slot[k].list);
	aspace_destroy(w.as);
	aspace_destroy(w.other);
	printf("  seed %#llx: %d ops (", (unsigned long long)seed, OPS_PER_SEED);
	for (enum op o = 0; o < NOPS; o++)
		printf("%s%s %lu", o ? ", " : "", op_names[o], w.done[o]);
	printf("), %.1f records on average, %.2f s\n",
	       (double)w.records_seen / (double)(w.checks ? w.checks : 1),
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	return ok;
}

TEST(random_against_page_map)
{
	static const uint64_t seeds[] = { 1, 0x5eed, 0xdeadbeef, 0x123456789, 0xa5a5a5a5a5 };

	for (size_t i = 0; i < ARRAY_SIZE(seeds); i++)
		ASSERT_TRUE(run_seed(seeds[i]));
	return true;
}

int main(void)
{
	RUN_TEST(empty);
	RUN_TEST(map_into_holes);
	RUN_TEST(map_over_left_part);
	RUN_TEST(map_over_right_part);
	RUN_TEST(map_over_middle);
	RUN_TEST(map_across_three_and_hole);
	RUN_TEST(map_exact_and_covering);
	RUN_TEST(unmap_left_right);
	RUN_TEST(unmap_middle);
	RUN_TEST(unmap_spanning);
	RUN_TEST(unmap_hole);
	RUN_TEST(undo_restore_full);
	RUN_TEST(undo_restore_after_remap);
	RUN_TEST(undo_restore_clipped);
	RUN_TEST(undo_accumulates);
	RUN_TEST(pieces_keep_info);
	RUN_TEST(copy_independent);
	RUN_TEST(filter);
	RUN_TEST(find_and_lower_bound_edges);
	RUN_TEST(high_addresses);
	RUN_TEST(foreach_stops_early);
	RUN_TEST(many_records);
	RUN_TEST(random_against_page_map);
	return HARNESS_RESULT();
}
