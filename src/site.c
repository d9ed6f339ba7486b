/* SPDX-License-Identifier: MIT */
/* site: group keys in a chained hash table that doubles as it fills. */
#include "memstrace/site.h"

#include <stdlib.h>

struct sitedb {
	struct site **buckets; /* a power of two */
	size_t nbuckets, nsites;
};

struct sitedb *sitedb_create(void)
{
	struct sitedb *db = xcalloc(1, sizeof(*db));
	db->nbuckets = 256;
	db->buckets = xcalloc(db->nbuckets, sizeof(*db->buckets));
	return db;
}

void sitedb_destroy(struct sitedb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nbuckets; i++) {
		for (struct site *s = db->buckets[i], *next; s; s = next) {
			next = s->hash_next;
			free(s);
		}
	}
	free(db->buckets);
	free(db);
}

static size_t hash_key(enum map_call call, uint64_t size, uint8_t kind, uint32_t stack)
{
	uint64_t h = size * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)stack << 8 | (uint64_t)kind << 4 | call) * 0xff51afd7ed558ccdull;
	return (size_t)(h ^ (h >> 31));
}

static void rehash(struct sitedb *db)
{
	size_t nbuckets = db->nbuckets * 2;
	struct site **buckets = xcalloc(nbuckets, sizeof(*buckets));
	for (size_t i = 0; i < db->nbuckets; i++) {
		for (struct site *s = db->buckets[i], *next; s; s = next) {
			size_t b = hash_key(s->call, s->size, s->kind, s->stack) & (nbuckets - 1);
			next = s->hash_next;
			s->hash_next = buckets[b];
			buckets[b] = s;
		}
	}
	free(db->buckets);
	db->buckets = buckets;
	db->nbuckets = nbuckets;
}

struct site *sitedb_get(struct sitedb *db, enum map_call call, uint64_t size,
			uint8_t kind, uint32_t stack, uint8_t prot)
{
	size_t b = hash_key(call, size, kind, stack) & (db->nbuckets - 1);
	for (struct site *s = db->buckets[b]; s; s = s->hash_next) {
		if (s->call == call && s->size == size && s->kind == kind && s->stack == stack)
			return s;
	}
	struct site *s = xcalloc(1, sizeof(*s));
	*s = (struct site){ .hash_next = db->buckets[b], .size = size, .stack = stack,
			    .call = (uint8_t)call, .kind = kind, .prot = prot };
	db->buckets[b] = s;
	if (++db->nsites > db->nbuckets)
		rehash(db);
	return s;
}

struct site **sitedb_all(const struct sitedb *db, size_t *n)
{
	struct site **all = xcalloc(db->nsites, sizeof(*all));
	size_t k = 0;
	for (size_t i = 0; i < db->nbuckets; i++) {
		for (struct site *s = db->buckets[i]; s; s = s->hash_next)
			all[k++] = s;
	}
	*n = k;
	return all;
}

const char *site_call_name(enum map_call call)
{
	static const char *const names[] = { "mmap", "mremap", "brk", "shmat" };
	return call < ARRAY_SIZE(names) ? names[call] : "?";
}
