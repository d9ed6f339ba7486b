/* SPDX-License-Identifier: MIT */
/* frames: an array of frames and an open-addressing index on (module, rel). */
#include "memstrace/frames.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frametab {
	struct frame *frames;  /* frames[id - 1] */
	size_t n, cap;
	uint32_t *slots;       /* ids, 0 = free; a power of two, at most half full */
	size_t nslots;
	char **modules;        /* module paths, each stored once */
	size_t nmodules;
};

struct frametab *frametab_create(void)
{
	struct frametab *ft = xcalloc(1, sizeof(*ft));
	ft->nslots = 1024;
	ft->slots = xcalloc(ft->nslots, sizeof(*ft->slots));
	return ft;
}

void frametab_destroy(struct frametab *ft)
{
	if (!ft)
		return;
	for (size_t i = 0; i < ft->n; i++) {
		free((char *)ft->frames[i].function);
		free((char *)ft->frames[i].file);
	}
	for (size_t i = 0; i < ft->nmodules; i++)
		free(ft->modules[i]);
	free(ft->modules);
	free(ft->frames);
	free(ft->slots);
	free(ft);
}

/* Module paths are few (tens): a linear search is enough, and pointers then compare. */
static const char *module_string(struct frametab *ft, const char *module)
{
	if (!module)
		return NULL;
	for (size_t i = 0; i < ft->nmodules; i++) {
		if (!strcmp(ft->modules[i], module))
			return ft->modules[i];
	}
	ft->modules = xrealloc(ft->modules, (ft->nmodules + 1) * sizeof(*ft->modules));
	return ft->modules[ft->nmodules++] = xstrdup(module);
}

static size_t hash(const char *module, taddr_t rel)
{
	uint64_t h = (rel ^ (uint64_t)(uintptr_t)module * 0x9e3779b97f4a7c15ull) *
		     0xff51afd7ed558ccdull;
	return (size_t)(h ^ (h >> 29));
}

static void grow(struct frametab *ft)
{
	size_t nslots = ft->nslots * 2;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t id = 1; id <= ft->n; id++) {
		const struct frame *f = &ft->frames[id - 1];
		size_t i = hash(f->module, f->rel) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)id;
	}
	free(ft->slots);
	ft->slots = slots;
	ft->nslots = nslots;
}

uint32_t frametab_intern(struct frametab *ft, const char *module, taddr_t rel, taddr_t pc,
			 bool *fresh)
{
	const char *mod = module_string(ft, module);
	size_t i = hash(mod, rel) & (ft->nslots - 1);

	for (; ft->slots[i]; i = (i + 1) & (ft->nslots - 1)) {
		const struct frame *f = &ft->frames[ft->slots[i] - 1];
		if (f->module == mod && f->rel == rel) {
			*fresh = false;
			return ft->slots[i];
		}
	}
	if (ft->n == ft->cap)
		ft->frames = xrealloc(ft->frames, (ft->cap = ft->cap ? ft->cap * 2 : 256) *
						  sizeof(*ft->frames));
	ft->frames[ft->n++] = (struct frame){ .pc = pc, .rel = rel, .module = mod };
	uint32_t id = (uint32_t)ft->n;
	ft->slots[i] = id;
	if (ft->n * 2 > ft->nslots)
		grow(ft);
	*fresh = true;
	return id;
}

void frametab_name(struct frametab *ft, uint32_t id, const char *function, const char *file,
		   unsigned line)
{
	struct frame *f = &ft->frames[id - 1];
	free((char *)f->function);
	free((char *)f->file);
	f->function = function ? xstrdup(function) : NULL;
	f->file = file ? xstrdup(file) : NULL;
	f->line = file ? line : 0;
}

const struct frame *frametab_get(const struct frametab *ft, uint32_t id)
{
	return &ft->frames[id - 1];
}

bool frame_is_loader(const struct frame *f)
{
	if (!f->module)
		return false;
	const char *base = path_base(f->module);
	return !strncmp(base, "ld-", 3) || !strncmp(base, "ld64.so", 7);
}

bool frame_is_system(const struct frame *f)
{
	static const char *const prefixes[] = { "libc.so", "libc-", "libpthread" };
	if (!f->module)
		return false;
	const char *base = path_base(f->module);
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return true;
	}
	return frame_is_loader(f);
}

const struct frame *frames_caller(const struct frametab *ft, const taddr_t *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = frametab_get(ft, (uint32_t)ids[i]);
		if (!frame_is_system(f))
			return f;
	}
	return NULL;
}

size_t frame_describe(char *buf, size_t size, const struct frame *f)
{
	int n;
	if (f->function)
		n = snprintf(buf, size, "%s", f->function);
	else if (f->module)
		n = snprintf(buf, size, "%s+0x%" PRIx64, path_base(f->module), f->rel);
	else
		n = snprintf(buf, size, "0x%" PRIx64, f->pc);
	size_t len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	if (f->file && len < size) {
		n = snprintf(buf + len, size - len, " (%s:%u)", path_base(f->file), f->line);
		len += n < 0 ? 0 : (size_t)n < size - len ? (size_t)n : size - len - 1;
	}
	return len;
}
