/* SPDX-License-Identifier: MIT */
/*
 * stackdb: interned call stacks. Each distinct vector of program counters is
 * stored once and named by a small id, so a million regions made from one
 * call site cost one stack. Pure data: no ptrace, no I/O.
 */
#ifndef MEMSTRACE_STACKDB_H
#define MEMSTRACE_STACKDB_H

#include "memstrace/common.h"

struct stackdb;

struct stackdb *stackdb_create(void);
/* NULL is a no-op. */
void stackdb_destroy(struct stackdb *db);

/* The id of the stack pcs[0..n), innermost frame first; ids start at 1. */
uint32_t stackdb_intern(struct stackdb *db, const taddr_t *pcs, unsigned n);
/* The frames of id; *n receives their number. */
const taddr_t *stackdb_get(const struct stackdb *db, uint32_t id, unsigned *n);

#endif
