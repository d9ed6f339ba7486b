/* SPDX-License-Identifier: MIT */
/* test-stackdb: interned call stacks, and the sites that group calls by key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memstrace/aspace.h"
#include "memstrace/site.h"
#include "memstrace/stackdb.h"
#include "harness.h"

/* True when id names exactly pcs[0..n). */
static bool frames_are(const struct stackdb *db, uint32_t id, const taddr_t *pcs, unsigned n)
{
	unsigned got_n = 0xdead;
	const taddr_t *got = stackdb_get(db, id, &got_n);

	if (got_n != n) {
		printf("  stack %u: %u frames, want %u\n", id, got_n, n);
		return false;
	}
	for (unsigned i = 0; i < n; i++) {
		if (got[i] != pcs[i]) {
			printf("  stack %u frame %u: %#llx, want %#llx\n", id, i,
			       (unsigned long long)got[i], (unsigned long long)pcs[i]);
			return false;
		}
	}
	return true;
}

/* The empty stack first: nothing is in the pool yet. */
TEST(stack_empty_first)
{
	struct stackdb *db = stackdb_create();
	static const taddr_t one[] = { 0x401000 };
	uint32_t e, o;

	e = stackdb_intern(db, NULL, 0);
	ASSERT_TRUE(e >= 1);
	ASSERT_TRUE(frames_are(db, e, NULL, 0));
	ASSERT_EQ(stackdb_intern(db, one, 0), e);
	o = stackdb_intern(db, one, 1);
	ASSERT_TRUE(o >= 1 && o != e);
	ASSERT_TRUE(frames_are(db, o, one, 1));
	ASSERT_TRUE(frames_are(db, e, NULL, 0));
	stackdb_destroy(db);
	stackdb_destroy(NULL);
	return true;
}

/*
 *   a: 401000 402000 403000
 *   b: 401000 402000            a prefix of a
 *   c: 401000 402000 403000 0   a with one more frame
 *   d: 403000 402000 401000     a reversed
 *   e: 401000                   a prefix of b
 *   f: (none)                   the empty stack
 */
TEST(stack_intern_distinct)
{
	struct stackdb *db = stackdb_create();
	static const taddr_t a[] = { 0x401000, 0x402000, 0x403000 };
	static const taddr_t c[] = { 0x401000, 0x402000, 0x403000, 0 };
	static const taddr_t d[] = { 0x403000, 0x402000, 0x401000 };
	taddr_t copy[3];
	uint32_t ids[6];

	ids[0] = stackdb_intern(db, a, 3);
	ids[1] = stackdb_intern(db, a, 2);
	ids[2] = stackdb_intern(db, c, 4);
	ids[3] = stackdb_intern(db, d, 3);
	ids[4] = stackdb_intern(db, a, 1);
	ids[5] = stackdb_intern(db, a, 0);
	for (int i = 0; i < 6; i++) {
		ASSERT_TRUE(ids[i] >= 1);
		for (int j = 0; j < i; j++)
			ASSERT_TRUE(ids[i] != ids[j]);
	}
	/* The same vector, from another buffer, is the same stack. */
	memcpy(copy, a, sizeof(copy));
	ASSERT_EQ(stackdb_intern(db, copy, 3), ids[0]);
	ASSERT_EQ(stackdb_intern(db, copy, 2), ids[1]);
	ASSERT_EQ(stackdb_intern(db, c, 4), ids[2]);
	ASSERT_EQ(stackdb_intern(db, d, 3), ids[3]);
	ASSERT_EQ(stackdb_intern(db, copy, 1), ids[4]);
	ASSERT_EQ(stackdb_intern(db, NULL, 0), ids[5]);
	/* The database keeps its own copy of the frames. */
	copy[0] = 0xbad;
	ASSERT_TRUE(frames_are(db, ids[0], a, 3));
	ASSERT_TRUE(frames_are(db, ids[1], a, 2));
	ASSERT_TRUE(frames_are(db, ids[2], c, 4));
	ASSERT_TRUE(frames_are(db, ids[3], d, 3));
	ASSERT_TRUE(frames_are(db, ids[4], a, 1));
	ASSERT_TRUE(frames_are(db, ids[5], NULL, 0));
	ASSERT_TRUE(stackdb_intern(db, copy, 3) != ids[0]);
	stackdb_destroy(db);
	return true;
}

/* Stack i: 1 + i % 13 frames derived from i, so that no two are equal. */
static unsigned make_stack(unsigned i, taddr_t *pcs)
{
	unsigned n = 1 + i % 13;

	pcs[0] = 0x400000 + (taddr_t)i * 0x10;
	for (unsigned k = 1; k < n; k++)
		pcs[k] = 0x7f0000000000ull + (taddr_t)(i % 97) * 0x1000 + k * 8;
	return n;
}

/* Many stacks: the table and the pool grow, every stack is found again. */
TEST(stack_many)
{
	enum { N = 100000 };
	struct stackdb *db = stackdb_create();
	uint32_t *ids = malloc(N * sizeof(*ids));
	unsigned char *seen = calloc(N + 2, 1);
	taddr_t pcs[16];
	bool ok = ids && seen;

	for (unsigned i = 0; ok && i < N; i++) {
		unsigned n = make_stack(i, pcs);

		ids[i] = stackdb_intern(db, pcs, n);
		/* ids are small: at most one per stack, the empty one included */
		if (ids[i] < 1 || ids[i] > N + 1 || seen[ids[i]]++) {
			printf("  stack %u: id %u\n", i, ids[i]);
			ok = false;
		}
	}
	ASSERT_TRUE(ok);
	/* The empty stack after the growth, twice. */
	uint32_t empty = stackdb_intern(db, NULL, 0);
	ASSERT_TRUE(empty >= 1 && !seen[empty]);
	ASSERT_EQ(stackdb_intern(db, NULL, 0), empty);
	for (unsigned i = 0; ok && i < N; i++) {
		unsigned n = make_stack(i, pcs);

		if (stackdb_intern(db, pcs, n) != ids[i] || !frames_are(db, ids[i], pcs, n)) {
			printf("  stack %u lost\n", i);
			ok = false;
		}
	}
	free(ids);
	free(seen);
	stackdb_destroy(db);
	return ok;
}

/* Many stacks of one frame each, with frames that differ only in high bits. */
TEST(stack_many_one_frame)
{
	enum { N = 20000 };
	struct stackdb *db = stackdb_create();
	uint32_t *ids = malloc(N * sizeof(*ids));
	unsigned char *seen = calloc(N + 1, 1);
	bool ok = ids && seen;

	for (unsigned i = 0; ok && i < N; i++) {
		taddr_t pc = (taddr_t)i << 44;

		ids[i] = stackdb_intern(db, &pc, 1);
		ok = ids[i] >= 1 && ids[i] <= N && !seen[ids[i]]++;
	}
	for (unsigned i = N; ok && i-- > 0;) {
		taddr_t pc = (taddr_t)i << 44;

		ok = stackdb_intern(db, &pc, 1) == ids[i] && frames_are(db, ids[i], &pc, 1);
		if (!ok)
			printf("  stack %u lost\n", i);
	}
	free(ids);
	free(seen);
	stackdb_destroy(db);
	return ok;
}

TEST(site_same_key)
{
	struct sitedb *db = sitedb_create();
	struct site *s = sitedb_get(db, CALL_MMAP, 40960, KIND_ANON, 7, PROT_READ | PROT_WRITE);

	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(s->call, CALL_MMAP);
	ASSERT_EQ(s->size, 40960);
	ASSERT_EQ(s->kind, KIND_ANON);
	ASSERT_EQ(s->stack, 7);
	ASSERT_EQ(s->prot, PROT_READ | PROT_WRITE);
	ASSERT_EQ(s->calls, 0);
	s->calls++;
	/* The same key, whatever the prot: the same site, the first prot kept. */
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 40960, KIND_ANON, 7, PROT_READ | PROT_WRITE) == s);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 40960, KIND_ANON, 7, PROT_NONE) == s);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 40960, KIND_ANON, 7, PROT_EXEC) == s);
	ASSERT_EQ(s->prot, PROT_READ | PROT_WRITE);
	ASSERT_EQ(s->calls, 1);
	sitedb_destroy(db);
	sitedb_destroy(NULL);
	return true;
}

TEST(site_key_fields)
{
	struct sitedb *db = sitedb_create();
	struct site *s[6];
	size_t n;
	struct site **all;

	s[0] = sitedb_get(db, CALL_MMAP, 4096, KIND_ANON, 1, PROT_READ);
	s[1] = sitedb_get(db, CALL_MREMAP, 4096, KIND_ANON, 1, PROT_READ);  /* call */
	s[2] = sitedb_get(db, CALL_MMAP, 8192, KIND_ANON, 1, PROT_READ);    /* size */
	s[3] = sitedb_get(db, CALL_MMAP, 4096, KIND_FILE, 1, PROT_READ);    /* kind */
	s[4] = sitedb_get(db, CALL_MMAP, 4096, KIND_ANON, 2, PROT_READ);    /* stack */
	s[5] = sitedb_get(db, CALL_MMAP, 4096, KIND_ANON, 0, PROT_WRITE);   /* stack 0 */
	for (int i = 0; i < 6; i++) {
		for (int j = 0; j < i; j++)
			ASSERT_TRUE(s[i] != s[j]);
	}
	ASSERT_EQ(s[1]->call, CALL_MREMAP);
	ASSERT_EQ(s[2]->size, 8192);
	ASSERT_EQ(s[3]->kind, KIND_FILE);
	ASSERT_EQ(s[4]->stack, 2);
	ASSERT_EQ(s[5]->prot, PROT_WRITE);
	/* Each found again. */
	ASSERT_TRUE(sitedb_get(db, CALL_MREMAP, 4096, KIND_ANON, 1, 0) == s[1]);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 8192, KIND_ANON, 1, 0) == s[2]);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 4096, KIND_FILE, 1, 0) == s[3]);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 4096, KIND_ANON, 2, 0) == s[4]);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 4096, KIND_ANON, 0, 0) == s[5]);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 4096, KIND_ANON, 1, 0) == s[0]);
	all = sitedb_all(db, &n);
	ASSERT_EQ(n, 6);
	free(all);
	sitedb_destroy(db);
	return true;
}

/* Keys that differ in ways a weak hash would fold together. */
TEST(site_near_keys)
{
	struct sitedb *db = sitedb_create();
	struct site *a = sitedb_get(db, CALL_BRK, 0, KIND_HEAP, 0, 0);
	struct site *b = sitedb_get(db, CALL_BRK, UINT64_MAX, KIND_HEAP, 0, 0);
	struct site *c = sitedb_get(db, CALL_SHMAT, 0, KIND_SHM, UINT32_MAX, 0);
	struct site *d = sitedb_get(db, CALL_SHMAT, 0, KIND_SHM, UINT32_MAX - 1, 0);
	struct site *e = sitedb_get(db, CALL_MMAP, 0, KIND_SHM, 1, 0);  /* kind 3, stack 1 */
	struct site *f = sitedb_get(db, CALL_MMAP, 0, 19, 0, 0);        /* 19 << 4 == 1 << 8 | 3 << 4 */

	ASSERT_TRUE(a != b && a != c && a != d && a != e && a != f);
	ASSERT_TRUE(b != c && b != d && b != e && b != f);
	ASSERT_TRUE(c != d && c != e && c != f);
	ASSERT_TRUE(d != e && d != f);
	ASSERT_TRUE(e != f);
	ASSERT_EQ(b->size, UINT64_MAX);
	ASSERT_EQ(c->stack, UINT32_MAX);
	ASSERT_EQ(f->kind, 19);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 0, KIND_SHM, 1, 0) == e);
	ASSERT_TRUE(sitedb_get(db, CALL_MMAP, 0, 19, 0, 0) == f);
	sitedb_destroy(db);
	return true;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct site *const *)a, y = (uintptr_t)*(struct site *const *)b;

	return x < y ? -1 : x > y;
}

static struct site *site_n(struct sitedb *db, unsigned i)
{
	return sitedb_get(db, (enum map_call)(i % 4), 4096ull * (i / 16 + 1), (uint8_t)(i / 4 % 4),
			  i % 5, (uint8_t)(i % 8));
}

/* Many sites: the table doubles; every site is found again and listed once. */
TEST(site_many_and_all)
{
	enum { N = 10000 };
	struct sitedb *db = sitedb_create();
	struct site **made = malloc(N * sizeof(*made)), **sorted = malloc(N * sizeof(*sorted));
	struct site **all;
	size_t n = 0;
	bool ok = made && sorted;

	for (unsigned i = 0; ok && i < N; i++) {
		made[i] = site_n(db, i);
		made[i]->calls += i + 1;
		ok = made[i]->prot == i % 8;
	}
	ASSERT_TRUE(ok);
	for (unsigned i = 0; ok && i < N; i++) {
		if (site_n(db, i) != made[i] || made[i]->calls != i + 1) {
			printf("  site %u lost\n", i);
			ok = false;
		}
	}
	ASSERT_TRUE(ok);
	all = sitedb_all(db, &n);
	ASSERT_EQ(n, N);
	memcpy(sorted, made, N * sizeof(*made));
	qsort(sorted, N, sizeof(*sorted), cmp_ptr);
	qsort(all, n, sizeof(*all), cmp_ptr);
	for (size_t i = 0; i < N; i++) {
		if (i && sorted[i] == sorted[i - 1]) {
			printf("  two keys share a site\n");
			ok = false;
		}
		if (all[i] != sorted[i]) {
			printf("  sitedb_all: entry %zu is not the one made\n", i);
			ok = false;
			break;
		}
	}
	free(all);
	free(made);
	free(sorted);
	sitedb_destroy(db);
	return ok;
}

TEST(site_all_empty_and_names)
{
	struct sitedb *db = sitedb_create();
	size_t n = 99;
	struct site **all = sitedb_all(db, &n);

	ASSERT_EQ(n, 0);
	free(all);
	sitedb_destroy(db);
	ASSERT_TRUE(!strcmp(site_call_name(CALL_MMAP), "mmap"));
	ASSERT_TRUE(!strcmp(site_call_name(CALL_MREMAP), "mremap"));
	ASSERT_TRUE(!strcmp(site_call_name(CALL_BRK), "brk"));
	ASSERT_TRUE(!strcmp(site_call_name(CALL_SHMAT), "shmat"));
	ASSERT_TRUE(!strcmp(site_call_name((enum map_call)42), "?"));
	return true;
}

int main(void)
{
	RUN_TEST(stack_empty_first);
	RUN_TEST(stack_intern_distinct);
	RUN_TEST(stack_many);
	RUN_TEST(stack_many_one_frame);
	RUN_TEST(site_same_key);
	RUN_TEST(site_key_fields);
	RUN_TEST(site_near_keys);
	RUN_TEST(site_many_and_all);
	RUN_TEST(site_all_empty_and_names);
	return HARNESS_RESULT();
}
