/* SPDX-License-Identifier: MIT */
/* report: gather regions into groups, then write them as text or JSON. */
#include "memstrace/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct placed {
	const struct region *r;
	const struct space *space;
};

struct group {
	const struct site *site;
	struct placed *regions;
	size_t n, cap;
	uint64_t bytes;
};

struct gathered {
	struct group *groups;
	size_t ngroups;
	uint64_t regions, bytes;
};

struct gather_ctx {
	const struct options *opt;
	const struct space *space;
	struct site **sites;   /* sorted by address, to find a region's group */
	struct group *groups;  /* groups[i] belongs to sites[i] */
	size_t nsites;
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

static struct group *group_of(struct gather_ctx *g, const struct site *site)
{
	size_t lo = 0, hi = g->nsites;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((uintptr_t)g->sites[mid] < (uintptr_t)site)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &g->groups[lo];
}

static bool gather_region(struct region *r, void *ctx)
{
	struct gather_ctx *g = ctx;
	if (!r->info.site || !options_size_matches(g->opt, r->info.site->size))
		return true;
	struct group *grp = group_of(g, r->info.site);
	if (grp->n == grp->cap)
		grp->regions = xrealloc(grp->regions,
					(grp->cap = grp->cap ? grp->cap * 2 : 8) * sizeof(*grp->regions));
	grp->regions[grp->n++] = (struct placed){ r, g->space };
	grp->bytes += r->end - r->start;
	return true;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->site->size != y->site->size)
		return x->site->size > y->site->size ? -1 : 1;
	return x->site->stack < y->site->stack ? -1 : x->site->stack > y->site->stack;
}

static int cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	if (x->r->info.time_ns != y->r->info.time_ns)
		return x->r->info.time_ns < y->r->info.time_ns ? -1 : 1;
	if (x->space->owner != y->space->owner)
		return x->space->owner < y->space->owner ? -1 : 1;
	return x->r->start < y->r->start ? -1 : x->r->start > y->r->start;
}

static void gather(const struct report_input *in, struct gathered *out)
{
	struct gather_ctx g = { .opt = in->opt };
	g.sites = sitedb_all(in->trace->sites, &g.nsites);
	qsort(g.sites, g.nsites, sizeof(*g.sites), cmp_ptr);
	g.groups = xcalloc(g.nsites, sizeof(*g.groups));
	for (size_t i = 0; i < g.nsites; i++)
		g.groups[i].site = g.sites[i];

	for (const struct space *s = in->trace->spaces; s; s = s->next) {
		if (!s->report)
			continue;
		g.space = s;
		aspace_foreach(s->model, gather_region, &g);
	}

	*out = (struct gathered){ .groups = g.groups };
	for (size_t i = 0; i < g.nsites; i++) {
		struct group *grp = &g.groups[i];
		if (!grp->n)
			continue;
		qsort(grp->regions, grp->n, sizeof(*grp->regions), cmp_placed);
		out->regions += grp->n;
		out->bytes += grp->bytes;
		g.groups[out->ngroups++] = *grp;
	}
	qsort(out->groups, out->ngroups, sizeof(*out->groups), cmp_group);
	free(g.sites);
}

static void gathered_finish(struct gathered *g)
{
	for (size_t i = 0; i < g->ngroups; i++)
		free(g->groups[i].regions);
	free(g->groups);
}

static const char *kind_name(unsigned kind)
{
	static const char *const names[] = { "anon", "file", "heap", "shm" };
	return kind < ARRAY_SIZE(names) ? names[kind] : "anon";
}

static void prot_string(unsigned prot, char out[4])
{
	out[0] = (prot & 1) ? 'r' : '-';
	out[1] = (prot & 2) ? 'w' : '-';
	out[2] = (prot & 4) ? 'x' : '-';
	out[3] = '\0';
}

static const char *image_state_name(enum image_state s)
{
	return s == IMAGE_EXITED ? "exited" : s == IMAGE_EXEC ? "exec" : "running";
}

static void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static double seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

static const struct frame *caller_of(const struct trace *tr, uint32_t stack)
{
	unsigned n;
	const taddr_t *ids = stackdb_get(tr->stacks, stack, &n);
	return frames_caller(tr->frames, ids, n);
}

/* The loader mapping the program's own libraries at startup: every frame in ld.so or libc. */
static bool by_loader(const struct trace *tr, uint32_t stack)
{
	unsigned n;
	const taddr_t *ids = stackdb_get(tr->stacks, stack, &n);
	bool in_loader = false;
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = frametab_get(tr->frames, (uint32_t)ids[i]);
		if (!frame_is_system(f))
			return false;
		in_loader |= frame_is_loader(f);
	}
	return in_loader;
}

static void json_frames(FILE *out, const struct trace *tr, uint32_t stack)
{
	unsigned n;
	const taddr_t *ids = stackdb_get(tr->stacks, stack, &n);
	fputc('[', out);
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = frametab_get(tr->frames, (uint32_t)ids[i]);
		fprintf(out, "%s{\"pc\":\"0x%" PRIx64 "\",\"function\":", i ? "," : "", f->pc);
		json_string(out, f->function);
		fputs(",\"file\":", out);
		json_string(out, f->file);
		if (f->line)
			fprintf(out, ",\"line\":%u,\"module\":", f->line);
		else
			fputs(",\"line\":null,\"module\":", out);
		json_string(out, f->module);
		fputc('}', out);
	}
	fputc(']', out);
}

static void json_region(FILE *out, const struct placed *p)
{
	const struct region *r = p->r;
	fprintf(out, "{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"start\":\"0x%" PRIx64
		"\",\"end\":\"0x%" PRIx64 "\",\"time\":%.6f,\"space\":%d,\"as\":%u",
		r->info.pid, r->info.tid, r->start, r->end, seconds(r->info.time_ns),
		(int)p->space->owner, p->space->id);
	if (r->info.stack_of)
		fprintf(out, ",\"stack_of\":{\"tid\":%" PRIu32 ",\"exited\":%s}", r->info.stack_of,
			(r->info.flags & REGION_STACK_EXITED) ? "true" : "false");
	fputc('}', out);
}

static void json_group(FILE *out, const struct trace *tr, const struct group *g)
{
	char prot[4];
	prot_string(g->site->prot, prot);
	fprintf(out, "{\"syscall\":\"%s\",\"size\":%" PRIu64 ",\"kind\":\"%s\",\"prot\":\"%s\","
		"\"calls\":%" PRIu64 ",\"count\":%zu,\"bytes\":%" PRIu64 ",\"stack\":",
		site_call_name(g->site->call), g->site->size, kind_name(g->site->kind), prot,
		g->site->calls, g->n, g->bytes);
	json_frames(out, tr, g->site->stack);
	fputs(",\"regions\":[", out);
	for (size_t i = 0; i < g->n; i++) {
		if (i)
			fputc(',', out);
		json_region(out, &g->regions[i]);
	}
	fputs("]}", out);
}

static void json_verify(FILE *out, const struct verify_log *v)
{
	fprintf(out, ",\"verify\":{\"checks\":%u,\"differences\":[", v->checks);
	for (size_t i = 0; i < v->ndiffs; i++) {
		const struct difference *d = &v->diffs[i];
		fprintf(out, "%s{\"pid\":%d,\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
			"\",\"problem\":", i ? "," : "", (int)d->pid, d->start, d->end);
		json_string(out, d->problem);
		fputc('}', out);
	}
	fputs("]}", out);
}

static void write_json(FILE *out, const struct report_input *in, const struct gathered *g)
{
	fprintf(out, "{\"memstrace\":1,\"reason\":\"%s\",\"elapsed\":%.6f,\"processes\":[",
		in->reason, in->elapsed);
	for (const struct image *im = in->trace->images; im; im = im->next) {
		fprintf(out, "%s{\"pid\":%d,\"exe\":", im == in->trace->images ? "" : ",",
			(int)im->pid);
		json_string(out, im->exe);
		fprintf(out, ",\"state\":\"%s\"}", image_state_name(im->state));
	}
	fprintf(out, "],\"summary\":{\"regions\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"groups\":%zu},"
		"\"groups\":[", g->regions, g->bytes, g->ngroups);
	for (size_t i = 0; i < g->ngroups; i++) {
		if (i)
			fputc(',', out);
		json_group(out, in->trace, &g->groups[i]);
	}
	fputc(']', out);
	if (in->verify)
		json_verify(out, in->verify);
	fputs("}\n", out);
}

/* 204800 -> "200.0 KiB": sizes in the text report read like pmap's. */
static const char *human(uint64_t bytes, char buf[32])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

/* Regions listed per group in the text report; the JSON lists all. */
#define TEXT_REGIONS_SHOWN 8

static void text_region(FILE *out, const struct placed *p)
{
	const struct region *r = p->r;
	char buf[32];
	fprintf(out, "      0x%" PRIx64 "-0x%" PRIx64 " %9s  pid %" PRIu32, r->start, r->end,
		human(r->end - r->start, buf), r->info.pid);
	if (r->info.tid != r->info.pid)
		fprintf(out, " tid %" PRIu32, r->info.tid);
	if (p->space->owner != (pid_t)r->info.pid)
		fprintf(out, " (inherited by %d)", (int)p->space->owner);
	fprintf(out, "  at %.3fs", seconds(r->info.time_ns));
	if (r->info.stack_of)
		fprintf(out, "  stack of child %" PRIu32 "%s", r->info.stack_of,
			(r->info.flags & REGION_STACK_EXITED) ? ", which has exited" : "");
	fputc('\n', out);
}

static void frame_text(FILE *out, const struct frame *f)
{
	char text[512];
	frame_describe(text, sizeof(text), f);
	fputs(text, out);
}

static void text_group(FILE *out, const struct trace *tr, const struct group *g, size_t nr)
{
	char prot[4], buf[32];
	unsigned n;
	const taddr_t *ids = stackdb_get(tr->stacks, g->site->stack, &n);
	const struct frame *caller = caller_of(tr, g->site->stack);

	prot_string(g->site->prot, prot);
	fprintf(out, "#%zu  %s in %zu region%s: %s of %" PRIu64 " bytes, %s %s, %" PRIu64
		" call%s", nr, human(g->bytes, buf), g->n, g->n == 1 ? "" : "s",
		site_call_name(g->site->call), g->site->size, kind_name(g->site->kind), prot,
		g->site->calls, g->site->calls == 1 ? "" : "s");
	if (caller) {
		fputs(", from ", out);
		frame_text(out, caller);
	}
	fputc('\n', out);
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = frametab_get(tr->frames, (uint32_t)ids[i]);
		fprintf(out, "    #%-2u 0x%012" PRIx64 " ", i, f->pc);
		frame_text(out, f);
		if (f->module && f->function)
			fprintf(out, " in %s", path_base(f->module));
		fputc('\n', out);
	}
	for (size_t i = 0; i < g->n && i < TEXT_REGIONS_SHOWN; i++)
		text_region(out, &g->regions[i]);
	if (g->n > TEXT_REGIONS_SHOWN)
		fprintf(out, "      ... and %zu more\n", g->n - TEXT_REGIONS_SHOWN);
}

/* Processes shown by name in the text header; a clone loop makes thousands. */
#define TEXT_PROCESSES_SHOWN 4

static void text_processes(FILE *out, const struct trace *tr)
{
	size_t n = 0;
	for (const struct image *im = tr->images; im; im = im->next, n++) {
		if (n < TEXT_PROCESSES_SHOWN)
			fprintf(out, "  process %d %s (%s)\n", (int)im->pid, im->exe ? im->exe : "?",
				image_state_name(im->state));
	}
	if (n > TEXT_PROCESSES_SHOWN)
		fprintf(out, "  ... and %zu more processes\n", n - TEXT_PROCESSES_SHOWN);
}

static void text_group_line(FILE *out, const struct group *g, size_t nr)
{
	char prot[4], buf[32];
	prot_string(g->site->prot, prot);
	fprintf(out, "#%-3zu %9s in %zu region%s: %s of %" PRIu64 " bytes, %s %s\n", nr,
		human(g->bytes, buf), g->n, g->n == 1 ? "" : "s", site_call_name(g->site->call),
		g->site->size, kind_name(g->site->kind), prot);
}

static void write_text(FILE *out, const struct report_input *in, const struct gathered *g)
{
	char buf[32];
	fprintf(out, "memstrace: %" PRIu64 " region%s, %s still mapped, in %zu group%s "
		"(%s after %.3f s)\n", g->regions, g->regions == 1 ? "" : "s",
		human(g->bytes, buf), g->ngroups, g->ngroups == 1 ? "" : "s", in->reason,
		in->elapsed);
	text_processes(out, in->trace);

	/* The program's code first; the loader's startup mappings last, one line each. */
	size_t nr = 0, loader = 0;
	for (size_t i = 0; i < g->ngroups; i++) {
		if (by_loader(in->trace, g->groups[i].site->stack)) {
			loader++;
			continue;
		}
		fputc('\n', out);
		text_group(out, in->trace, &g->groups[i], ++nr);
	}
	if (loader)
		fputs("\nMapped by the dynamic loader while loading libraries:\n", out);
	for (size_t i = 0; i < g->ngroups && loader; i++) {
		if (by_loader(in->trace, g->groups[i].site->stack))
			text_group_line(out, &g->groups[i], ++nr);
	}
	if (in->verify) {
		fprintf(out, "\nverify: %u check%s, %zu difference%s\n", in->verify->checks,
			in->verify->checks == 1 ? "" : "s", in->verify->ndiffs,
			in->verify->ndiffs == 1 ? "" : "s");
		for (size_t i = 0; i < in->verify->ndiffs; i++) {
			const struct difference *d = &in->verify->diffs[i];
			fprintf(out, "  pid %d 0x%" PRIx64 "-0x%" PRIx64 ": %s\n", (int)d->pid,
				d->start, d->end, d->problem);
		}
	}
}

/* A folded frame must not contain the separator ';' nor end the line early. */
static void folded_frame(FILE *out, const struct frame *f)
{
	char text[512];
	frame_describe(text, sizeof(text), f);
	for (char *p = text; *p; p++) {
		if (*p == ';' || *p == '\n')
			*p = ':';
	}
	fputs(text, out);
}

/* One "root;...;leaf;[mmap 40960 anon] bytes" line per group, for flame graphs. */
static void write_folded(FILE *out, const struct report_input *in, const struct gathered *g)
{
	const struct trace *tr = in->trace;
	for (size_t i = 0; i < g->ngroups; i++) {
		const struct group *grp = &g->groups[i];
		unsigned n;
		const taddr_t *ids = stackdb_get(tr->stacks, grp->site->stack, &n);
		for (unsigned k = n; k-- > 0;) {
			folded_frame(out, frametab_get(tr->frames, (uint32_t)ids[k]));
			fputc(';', out);
		}
		fprintf(out, "[%s %" PRIu64 " %s] %" PRIu64 "\n", site_call_name(grp->site->call),
			grp->site->size, kind_name(grp->site->kind), grp->bytes);
	}
}

void report_write(FILE *out, const struct report_input *in)
{
	struct gathered g;
	gather(in, &g);
	if (in->opt->format == FORMAT_JSON)
		write_json(out, in, &g);
	else if (in->opt->format == FORMAT_FOLDED)
		write_folded(out, in, &g);
	else
		write_text(out, in, &g);
	fflush(out);
	gathered_finish(&g);
}
