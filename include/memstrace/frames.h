/* SPDX-License-Identifier: MIT */
/*
 * frames: symbolized stack frames, interned by (module, offset in module),
 * so that the same code seen in two processes -- a fork child, a program
 * run again at another base -- is one frame, and stacks made of frame ids
 * group by code, not by address. Strings are copied: libdw frees its own
 * when modules are re-reported. Pure data.
 */
#ifndef MEMSTRACE_FRAMES_H
#define MEMSTRACE_FRAMES_H

#include "memstrace/common.h"

struct frame {
	taddr_t pc;           /* the address where the frame was first seen */
	taddr_t rel;          /* pc minus the module's load bias; pc with no module */
	const char *module;   /* path of the module, NULL if none is known */
	const char *function; /* NULL: unknown, never guessed */
	const char *file;     /* source file, NULL: unknown */
	unsigned line;        /* 0: unknown */
};

struct frametab;

struct frametab *frametab_create(void);
/* NULL is a no-op. */
void frametab_destroy(struct frametab *ft);

/*
 * The id of the frame at rel in module (NULL: no module; rel is then the
 * absolute pc). *fresh is set when the frame is new: the caller then names
 * it with frametab_name(). Ids start at 1.
 */
uint32_t frametab_intern(struct frametab *ft, const char *module, taddr_t rel, taddr_t pc,
			 bool *fresh);
/* Sets a fresh frame's function, file and line (NULL / 0 for unknown). */
void frametab_name(struct frametab *ft, uint32_t id, const char *function, const char *file,
		   unsigned line);
const struct frame *frametab_get(const struct frametab *ft, uint32_t id);

/* True for a frame in the C library or the dynamic loader. */
bool frame_is_system(const struct frame *f);
/* True for a frame in the dynamic loader. */
bool frame_is_loader(const struct frame *f);

/*
 * What a reader calls "the caller" of stack ids[0..n): the first frame
 * outside the C library and the loader; NULL when every frame is inside.
 */
const struct frame *frames_caller(const struct frametab *ft, const taddr_t *ids, unsigned n);

/*
 * "main (leak.c:27)", "libfoo.so+0x1234" or "0x7f001234": never a guessed
 * name. Writes into buf (NUL-terminated); returns the length.
 */
size_t frame_describe(char *buf, size_t size, const struct frame *f);

#endif
