/* SPDX-License-Identifier: MIT */
/*
 * site: the group key of a mapping call -- (syscall, size, kind, stack) --
 * and what is counted per key. Every region made by a traced call points at
 * its site; the report groups regions by it. Pure data.
 */
#ifndef MEMSTRACE_SITE_H
#define MEMSTRACE_SITE_H

#include "memstrace/common.h"

enum map_call { CALL_MMAP, CALL_MREMAP, CALL_BRK, CALL_SHMAT };

struct site {
	struct site *hash_next;
	uint64_t size;   /* mmap: length asked; mremap: new size; brk: increment */
	uint64_t calls;  /* successful calls with this key */
	uint32_t stack;  /* stackdb id */
	uint8_t call;    /* enum map_call */
	uint8_t kind;    /* enum region_kind */
	uint8_t prot;    /* PROT_* of the first call */
};

struct sitedb;

struct sitedb *sitedb_create(void);
void sitedb_destroy(struct sitedb *db);

/* The site of this key, created with calls = 0 on first sight. */
struct site *sitedb_get(struct sitedb *db, enum map_call call, uint64_t size,
			uint8_t kind, uint32_t stack, uint8_t prot);

/* Every site, in no particular order; *n receives the count. The array is owned by the caller. */
struct site **sitedb_all(const struct sitedb *db, size_t *n);

const char *site_call_name(enum map_call call);

#endif
