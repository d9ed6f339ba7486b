/* SPDX-License-Identifier: MIT */
/* stackdb: call stacks interned in one pool, found through an open-addressing table. */
#include "memstrace/stackdb.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	size_t off;    /* first frame in the pool */
	unsigned n;    /* frames */
	uint32_t hash;
};

struct stackdb {
	taddr_t *pool;
	size_t pool_len, pool_cap;
	struct entry *entries; /* entries[id - 1] */
	size_t nentries, entries_cap;
	uint32_t *slots;       /* ids, 0 = free; a power of two, at most half full */
	size_t nslots;
};

struct stackdb *stackdb_create(void)
{
	struct stackdb *db = xcalloc(1, sizeof(*db));
	db->nslots = 1024;
	db->slots = xcalloc(db->nslots, sizeof(*db->slots));
	return db;
}

void stackdb_destroy(struct stackdb *db)
{
	if (!db)
		return;
	free(db->pool);
	free(db->entries);
	free(db->slots);
	free(db);
}

static uint32_t hash_pcs(const taddr_t *pcs, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;
	for (unsigned i = 0; i < n; i++) {
		h ^= pcs[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static bool same(const struct stackdb *db, const struct entry *e, uint32_t hash,
		 const taddr_t *pcs, unsigned n)
{
	return e->hash == hash && e->n == n &&
	       (n == 0 || !memcmp(db->pool + e->off, pcs, n * sizeof(*pcs)));
}

static void grow_slots(struct stackdb *db)
{
	size_t nslots = db->nslots * 2;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t id = 1; id <= db->nentries; id++) {
		size_t i = db->entries[id - 1].hash & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id;
	}
	free(db->slots);
	db->slots = slots;
	db->nslots = nslots;
}

static uint32_t add(struct stackdb *db, uint32_t hash, const taddr_t *pcs, unsigned n)
{
	if (db->pool_len + n > db->pool_cap) {
		db->pool_cap = (db->pool_cap + n) * 2;
		db->pool = xrealloc(db->pool, db->pool_cap * sizeof(*db->pool));
	}
	if (db->nentries == db->entries_cap) {
		db->entries_cap = db->entries_cap ? db->entries_cap * 2 : 256;
		db->entries = xrealloc(db->entries, db->entries_cap * sizeof(*db->entries));
	}
	if (n)
		memcpy(db->pool + db->pool_len, pcs, n * sizeof(*pcs));
	db->entries[db->nentries++] = (struct entry){ db->pool_len, n, hash };
	db->pool_len += n;
	return (uint32_t)db->nentries;
}

uint32_t stackdb_intern(struct stackdb *db, const taddr_t *pcs, unsigned n)
{
	uint32_t hash = hash_pcs(pcs, n);
	size_t i = hash & (db->nslots - 1);

	for (; db->slots[i]; i = (i + 1) & (db->nslots - 1)) {
		uint32_t id = db->slots[i];
		if (same(db, &db->entries[id - 1], hash, pcs, n))
			return id;
	}
	uint32_t id = add(db, hash, pcs, n);
	db->slots[i] = id;
	if (db->nentries * 2 > db->nslots)
		grow_slots(db);
	return id;
}

const taddr_t *stackdb_get(const struct stackdb *db, uint32_t id, unsigned *n)
{
	const struct entry *e = &db->entries[id - 1];
	*n = e->n;
	return e->n ? db->pool + e->off : NULL;
}
