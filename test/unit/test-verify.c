/* SPDX-License-Identifier: MIT */
/* test-verify: the model held against the kernel's maps, by pictures and at random. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memstrace/verify.h"
#include "harness.h"

#define PG PAGE_SIZE_X86
#define BASE 0x10000000ull
/* Column i of a picture. */
#define PAGE(i) (BASE + (taddr_t)(i) * PG)
#define WIDTH_MAX 64

#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)

/*
 * Pictures: column i is page i; an upper-case letter starts a record (or a
 * line of the maps file), the same letter in lower case continues it, '.'
 * is a hole.
 *
 * Model letters are calls: A..E plain records, G a MAP_GROWSDOWN record,
 * P a REGION_SPECIAL record (seeded from a kernel-made mapping). The letter
 * is info.tid, from which info_of() derives every other field.
 *
 * Kernel letters are lines of /proc/PID/maps: K anonymous rw-p, F a file
 * r-xp, H [heap], S [stack] and V [vdso] (both special). In the model after
 * verify_reconcile() or verify_seed(), a record that no call made (site
 * NULL, tid 0) is drawn with the letter of the kernel line it came from.
 *
 * Differences: M..m mapped in the model only, K..k in the kernel only.
 */

static const char site_tags[128];

static struct region_info info_of(char owner)
{
	unsigned o = (unsigned char)owner;

	return (struct region_info){
		.site = (const struct site *)&site_tags[o % 128],
		.time_ns = o * 1000003ull,
		.pid = 100,
		.tid = o,
		.stack_of = owner == 'E' ? 777 : 0,
		.prot = o & 7,
		.kind = o % 4,
		.flags = owner == 'G' ? REGION_GROWSDOWN : owner == 'P' ? REGION_SPECIAL : 0,
	};
}

static bool info_eq(const struct region_info *a, const struct region_info *b)
{
	return a->site == b->site && a->time_ns == b->time_ns && a->pid == b->pid &&
	       a->tid == b->tid && a->stack_of == b->stack_of && a->prot == b->prot &&
	       a->kind == b->kind && a->flags == b->flags;
}

/* The mapping a kernel letter stands for, at pages [from, to). */
static struct mapping kernel_mapping(char letter, unsigned from, unsigned to)
{
	struct mapping m = { .start = PAGE(from), .end = PAGE(to) };

	switch (letter) {
	case 'K': m.prot = RW; break;
	case 'F': m.prot = RX; m.file = true; break;
	case 'H': m.prot = RW; m.heap = true; break;
	case 'S': m.prot = RW; m.special = true; break;
	case 'V': m.prot = RX; m.special = true; break;
	}
	return m;
}

/* The info verify gives a record it adds for the kernel letter. */
static struct region_info known_info(char letter)
{
	struct mapping m = kernel_mapping(letter, 0, 1);

	return (struct region_info){
		.prot = m.prot,
		.kind = m.heap ? KIND_HEAP : m.file ? KIND_FILE : KIND_ANON,
		.flags = m.special ? REGION_SPECIAL : 0,
	};
}

/* Runs of a picture: calls fn(from, to, letter) for each. */
static void runs(const char *pic, void (*fn)(unsigned, unsigned, char, void *), void *ctx)
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
		fn((unsigned)i, (unsigned)j, pic[i], ctx);
		i = j;
	}
}

static void map_run(unsigned from, unsigned to, char letter, void *ctx)
{
	struct region_info info = info_of(letter);

	aspace_map(ctx, PAGE(from), PAGE(to), &info);
}

static struct aspace *model_of(const char *pic)
{
	struct aspace *as = aspace_create();

	runs(pic, map_run, as);
	return as;
}

struct maps {
	struct mapping v[WIDTH_MAX];
	size_t n;
};

static void maps_run(unsigned from, unsigned to, char letter, void *ctx)
{
	struct maps *k = ctx;

	k->v[k->n++] = kernel_mapping(letter, from, to);
}

static struct maps kernel_of(const char *pic)
{
	struct maps k = { .n = 0 };

	runs(pic, maps_run, &k);
	return k;
}

struct drawing {
	char *buf;
	size_t width;
	bool ok;
};

/* Paints [start, end) with letter; false if it cannot be drawn. */
static bool paint(struct drawing *d, taddr_t start, taddr_t end, char letter)
{
	if (start < BASE || end > PAGE(d->width) || start >= end || start % PG || end % PG) {
		printf("  cannot draw %#llx..%#llx\n", (unsigned long long)start,
		       (unsigned long long)end);
		return false;
	}
	for (taddr_t a = start; a < end; a += PG) {
		char *c = &d->buf[(a - BASE) / PG];

		if (*c != '.') {
			printf("  page %llu drawn twice\n", (unsigned long long)((a - BASE) / PG));
			return false;
		}
		*c = (char)(a == start ? letter : letter - 'A' + 'a');
	}
	return true;
}

static bool draw_record(struct region *r, void *ctx)
{
	struct drawing *d = ctx;
	char letter = (char)r->info.tid;

	if (r->info.site == NULL && r->info.tid == 0) {
		/* added from the kernel: which line does the info stand for? */
		letter = 0;
		for (const char *k = "KFHSV"; *k && !letter; k++) {
			struct region_info want = known_info(*k);

			if (info_eq(&r->info, &want))
				letter = *k;
		}
	} else {
		struct region_info want = info_of(letter);

		if (!info_eq(&r->info, &want))
			letter = 0;
	}
	if (!letter) {
		printf("  record %#llx..%#llx has info nobody gave it\n",
		       (unsigned long long)r->start, (unsigned long long)r->end);
		d->ok = false;
	}
	d->ok = d->ok && paint(d, r->start, r->end, letter);
	return d->ok;
}

static bool model_is(const struct aspace *as, const char *want)
{
	char got[WIDTH_MAX + 1];
	struct drawing d = { got, strlen(want), true };

	memset(got, '.', d.width);
	got[d.width] = '\0';
	aspace_foreach(as, draw_record, &d);
	if (!d.ok)
		return false;
	if (strcmp(got, want)) {
		printf("  model got  %s\n  model want %s\n", got, want);
		return false;
	}
	return true;
}

#define MODEL_ONLY "mapped in the model"
#define KERNEL_ONLY "mapped in the kernel"

/* Draws log->diffs[from..] (all of pid), compares with want. */
static bool diffs_are(const struct verify_log *log, size_t from, pid_t pid, const char *want)
{
	char got[WIDTH_MAX + 1];
	struct drawing d = { got, strlen(want), true };

	memset(got, '.', d.width);
	got[d.width] = '\0';
	for (size_t i = from; i < log->ndiffs; i++) {
		const struct difference *x = &log->diffs[i];
		char letter;

		if (!strncmp(x->problem, MODEL_ONLY, strlen(MODEL_ONLY))) {
			letter = 'M';
		} else if (!strncmp(x->problem, KERNEL_ONLY, strlen(KERNEL_ONLY))) {
			letter = 'K';
		} else {
			printf("  unknown problem '%s'\n", x->problem);
			return false;
		}
		if (x->pid != pid) {
			printf("  difference %zu has pid %d, want %d\n", i, (int)x->pid, (int)pid);
			return false;
		}
		if (!paint(&d, x->start, x->end, letter))
			return false;
	}
	if (strcmp(got, want)) {
		printf("  differences got  %s\n  differences want %s\n", got, want);
		return false;
	}
	return true;
}

/* One verify_compare of a model picture against a kernel picture. */
static bool compare_is(const char *model_pic, const char *kernel_pic, const char *want)
{
	struct aspace *as = model_of(model_pic);
	struct maps k = kernel_of(kernel_pic);
	struct verify_log log = { 0 };
	bool ok;

	verify_compare(&log, 4242, as, k.v, k.n);
	ok = log.checks == 1 && diffs_are(&log, 0, 4242, want);
	if (!ok)
		printf("  model  %s\n  kernel %s\n", model_pic, kernel_pic);
	verify_log_finish(&log);
	aspace_destroy(as);
	return ok;
}

#define ASSERT_COMPARE(model, kernel, diffs) ASSERT_TRUE(compare_is(model, kernel, diffs))

TEST(compare_empty)
{
	ASSERT_COMPARE("......", "......", "......");
	ASSERT_COMPARE("Aa....", "......", "Mm....");
	ASSERT_COMPARE("......", "..Kk..", "..Kk..");
	return true;
}

/*
 * The kernel merges adjacent mappings of the same kind into one line, and
 * splits one mapping into several lines (mprotect); only coverage counts.
 *
 * 0123456789
 * AaaBbb....   model: two adjacent mmaps
 * Kkkkkk....   kernel: one line
 * ..........   no difference
 */
TEST(compare_same_coverage_other_boundaries)
{
	ASSERT_COMPARE("AaaBbb....", "Kkkkkk....", "..........");
	/*
	 * Aaaaaa....   one mmap
	 * KkFfHh....   three lines
	 */
	ASSERT_COMPARE("Aaaaaa....", "KkFfHh....", "..........");
	/*
	 * AaBCcDdd.E   many records
	 * KkkkKkkk.K   other cuts
	 */
	ASSERT_COMPARE("AaBCcDdd.E", "KkkkKkkk.K", "..........");
	return true;
}

/*
 * 0123456789ab
 * AaaBb..Cc...   model
 * Kkk....Kk...   kernel: B was unmapped behind the model's back
 * ...Mm.......   B's pages, mapped in the model only
 */
TEST(compare_model_only)
{
	ASSERT_COMPARE("AaaBb..Cc...", "Kkk....Kk...", "...Mm.......");
	/*
	 * Aa..Bb......
	 * Kk..........
	 * ....Mm......   a whole record
	 */
	ASSERT_COMPARE("Aa..Bb......", "Kk..........", "....Mm......");
	/*
	 * Aaaaaa......
	 * .Kk..K......
	 * M..Mm.......   pieces on both sides of and between kernel lines
	 */
	ASSERT_COMPARE("Aaaaaa......", ".Kk..K......", "M..Mm.......");
	return true;
}

/*
 * 01234567
 * Aa......   model
 * KkkkFf..   kernel: two lines the model does not know, touching A
 * ..Kkkk..   one range mapped in the kernel only
 */
TEST(compare_kernel_only)
{
	ASSERT_COMPARE("Aa......", "KkkkFf..", "..Kkkk..");
	/*
	 * ..Aa..Bb
	 * KkkkkkkK   around and between the model's records
	 * Kk..Kk..
	 */
	ASSERT_COMPARE("..Aa..Bb", "KkkkkkkK", "Kk..Kk..");
	return true;
}

/*
 * 0123456789ab
 * AaaaBb..Cc..   model
 * ..KkkkFf..Kk   kernel
 * Mm....KkMmKk   both kinds at once
 */
TEST(compare_both)
{
	ASSERT_COMPARE("AaaaBb..Cc..", "..KkkkFf..Kk", "Mm....KkMmKk");
	/*
	 * Aa.Bb.Cc.Dd.
	 * .Kk.Kk.Kk.Kk   every record half in the kernel
	 * M.KM.KM.KM.K
	 */
	ASSERT_COMPARE("Aa.Bb.Cc.Dd.", ".Kk.Kk.Kk.Kk", "M.KM.KM.KM.K");
	return true;
}

/*
 * Kernel-made mappings and REGION_SPECIAL records are nobody's calls.
 *
 * 0123456789ab
 * Pp.Aa...Pp..   model: [stack] seeded at 0..2, A, a stale special record at 8..10
 * SssKk.Vv....   kernel: the stack grew to 0..3, a vdso at 6..8, K = A
 * ............   no difference
 */
TEST(compare_ignores_special)
{
	ASSERT_COMPARE("Pp.Aa...Pp..", "SssKk.Vv....", "............");
	/*
	 * ..Aa..Pp....
	 * SsKkVvFf..Ss   special lines beside plain ones that do differ
	 * ......Kk....   F where the model has only a special record
	 */
	ASSERT_COMPARE("..Aa..Pp....", "SsKkVvFf..Ss", "......Kk....");
	return true;
}

/*
 * A MAP_GROWSDOWN mapping grows downwards by faults, without a syscall.
 *
 * 0123456789
 * ....Ggg...   model: G at 4..7, MAP_GROWSDOWN
 * ..Kkkkk...   kernel: it grew by two pages, one line
 * ..........   the growth ends exactly at G: no difference
 */
TEST(compare_growsdown)
{
	ASSERT_COMPARE("....Ggg...", "..Kkkkk...", "..........");
	/* ..KkKkk...   the same as two lines */
	ASSERT_COMPARE("....Ggg...", "..KkKkk...", "..........");
	/*
	 * Aa..Ggg...   a record below, the kernel line merged across
	 * Kkkkkkk...
	 * ..........
	 */
	ASSERT_COMPARE("Aa..Ggg...", "Kkkkkkk...", "..........");
	/*
	 * .....Gg...
	 * ..Kk.Kk...   a range that does not touch G is a difference
	 * ..Kk......
	 */
	ASSERT_COMPARE(".....Gg...", "..Kk.Kk...", "..Kk......");
	/*
	 * ....Aaa...
	 * ..Kkkkk...   touching a record that is not MAP_GROWSDOWN
	 * ..Kk......
	 */
	ASSERT_COMPARE("....Aaa...", "..Kkkkk...", "..Kk......");
	/*
	 * ..Gg......
	 * ..KkKk....   above G: growth is only downwards
	 * ....Kk....
	 */
	ASSERT_COMPARE("..Gg......", "..KkKk....", "....Kk....");
	/*
	 * AaGg......
	 * ..Kk......   A, below G and not in the kernel, is still a difference
	 * Mm........
	 */
	ASSERT_COMPARE("AaGg......", "..Kk......", "Mm........");
	return true;
}

/* Every call counts a check; differences accumulate with their pid. */
TEST(compare_log_accumulates)
{
	struct aspace *as = model_of("Aa..Bb..");
	struct maps k1 = kernel_of("Kk......"), k2 = kernel_of("KkKkKk..");
	struct verify_log log = { 0 };

	verify_compare(&log, 10, as, k1.v, k1.n);
	ASSERT_EQ(log.checks, 1);
	ASSERT_EQ(log.ndiffs, 1);
	verify_compare(&log, 20, as, k2.v, k2.n);
	ASSERT_EQ(log.checks, 2);
	ASSERT_EQ(log.ndiffs, 2);
	verify_compare(&log, 30, as, k1.v, k1.n);
	verify_compare(&log, 40, as, k2.v, 0);
	ASSERT_EQ(log.checks, 4);
	ASSERT_TRUE(log.ndiffs <= log.cap);
	/* each call's differences, in the order of the calls */
	ASSERT_EQ(log.diffs[0].pid, 10);
	ASSERT_TRUE(diffs_are(&(struct verify_log){ .diffs = log.diffs, .ndiffs = 1 }, 0, 10,
			      "....Mm.."));
	ASSERT_TRUE(diffs_are(&(struct verify_log){ .diffs = log.diffs, .ndiffs = 2 }, 1, 20,
			      "..Kk...."));
	ASSERT_TRUE(diffs_are(&(struct verify_log){ .diffs = log.diffs, .ndiffs = 3 }, 2, 30,
			      "....Mm.."));
	ASSERT_TRUE(diffs_are(&log, 3, 40, "Mm..Mm.."));
	/* many more, to grow the array */
	for (int i = 0; i < 100; i++)
		verify_compare(&log, 50, as, k2.v, 0);
	ASSERT_EQ(log.checks, 104);
	ASSERT_EQ(log.ndiffs, 205);
	ASSERT_TRUE(diffs_are(&log, 203, 50, "Mm..Mm.."));
	verify_log_finish(&log);
	ASSERT_EQ(log.checks, 0);
	ASSERT_EQ(log.ndiffs, 0);
	ASSERT_TRUE(log.diffs == NULL);
	aspace_destroy(as);
	return true;
}

/* verify_reconcile, then: the model is as drawn and verify_compare finds nothing. */
static bool reconcile_is(const char *model_pic, const char *kernel_pic, const char *want)
{
	struct aspace *as = model_of(model_pic);
	struct maps k = kernel_of(kernel_pic);
	struct verify_log log = { 0 };
	bool ok;

	verify_reconcile(as, k.v, k.n);
	ok = model_is(as, want);
	verify_compare(&log, 1, as, k.v, k.n);
	if (ok && log.ndiffs) {
		printf("  %zu differences after reconcile\n", log.ndiffs);
		ok = false;
	}
	/* A second reconcile changes nothing. */
	verify_reconcile(as, k.v, k.n);
	ok = ok && model_is(as, want);
	if (!ok)
		printf("  model  %s\n  kernel %s\n", model_pic, kernel_pic);
	verify_log_finish(&log);
	aspace_destroy(as);
	return ok;
}

#define ASSERT_RECONCILE(model, kernel, after) ASSERT_TRUE(reconcile_is(model, kernel, after))

/*
 * 0123456789abcdef
 * AaaaBb..Cc..Pp..   model
 * Kk..KkkkFfHh..Ss   kernel
 * Aa..BbKkCcHh..Ss   A cut, B and C kept with their calls, K and H added
 *                    as known anonymous/heap, P (not in the kernel) cut,
 *                    S added as special
 */
TEST(reconcile_mixed)
{
	ASSERT_RECONCILE("AaaaBb..Cc..Pp..", "Kk..KkkkFfHh..Ss", "Aa..BbKkCcHh..Ss");
	return true;
}

/*
 * 01234567
 * Aaaaaaaa   model
 * Kk..Kk.K   kernel
 * Aa..Aa.A   A cut in three: every piece keeps A's call
 */
TEST(reconcile_cut_keeps_info)
{
	ASSERT_RECONCILE("Aaaaaaaa", "Kk..Kk.K", "Aa..Aa.A");
	/*
	 * AaaBbbCc
	 * .FfffffH   pieces cut at both ends of several records
	 * .AaBbbCc
	 */
	ASSERT_RECONCILE("AaaBbbCc", ".FfffffH", ".AaBbbCc");
	return true;
}

/*
 * 01234567
 * ..Aa....   model
 * Kkkkkkkk   kernel: one line around A
 * KkAaKkkk   two known pieces of the one line
 */
TEST(reconcile_adds_known)
{
	ASSERT_RECONCILE("..Aa....", "Kkkkkkkk", "KkAaKkkk");
	/* ........   an empty model takes every line, each with its attributes */
	ASSERT_RECONCILE("........", "KkFfSsVv", "KkFfSsVv");
	/* .Aa.....   a kernel-only range across lines of different kinds */
	ASSERT_RECONCILE(".Aa.....", "KkkHhSsV", "KAaHhSsV");
	/* ....Ggg.   the growth of a MAP_GROWSDOWN mapping comes in as known */
	ASSERT_RECONCILE("....Ggg.", "..Kkkkk.", "..KkGgg.");
	/* PpPp....   special records the kernel still has stay as they were */
	ASSERT_RECONCILE("PpPp....", "Sssss...", "PpPpS...");
	/* Aa..Bb..   the kernel maps nothing: the model is emptied */
	ASSERT_RECONCILE("Aa..Bb..", "........", "........");
	return true;
}

/* The info of kept pieces, field by field, and of added ones. */
TEST(reconcile_info_fields)
{
	struct aspace *as = aspace_create();
	struct region_info x = {
		.site = (const struct site *)&site_tags[99], .time_ns = 0xabcdef,
		.pid = 4242, .tid = 4243, .stack_of = 0, .prot = PROT_READ, .kind = KIND_FILE,
		.flags = 0,
	};
	struct mapping k[] = { kernel_mapping('F', 0, 2), kernel_mapping('S', 3, 5),
			       kernel_mapping('H', 5, 6) };
	struct region *r;

	/*
	 * 012345
	 * Xxxxx.   model: X at 0..5
	 * Ff.SsH   kernel
	 * Xx.XxH   X cut in two; H added
	 */
	aspace_map(as, PAGE(0), PAGE(5), &x);
	verify_reconcile(as, k, ARRAY_SIZE(k));
	ASSERT_EQ(aspace_count(as), 3);
	r = aspace_find(as, PAGE(0));
	ASSERT_TRUE(r && r->start == PAGE(0) && r->end == PAGE(2) && info_eq(&r->info, &x));
	r = aspace_find(as, PAGE(3));
	ASSERT_TRUE(r && r->start == PAGE(3) && r->end == PAGE(5) && info_eq(&r->info, &x));
	r = aspace_find(as, PAGE(5));
	ASSERT_TRUE(r && r->start == PAGE(5) && r->end == PAGE(6));
	ASSERT_TRUE(r->info.site == NULL);
	ASSERT_EQ(r->info.tid, 0);
	ASSERT_EQ(r->info.kind, KIND_HEAP);
	ASSERT_EQ(r->info.prot, RW);
	ASSERT_EQ(r->info.flags, 0);
	aspace_destroy(as);
	return true;
}

/*
 * 0123456789ab
 * KkFfH.SsVvKK   kernel, two adjacent one-page lines at the end
 * KkFfH.SsVvKK   the seeded model: one record per line, none from a call
 */
TEST(seed)
{
	struct aspace *as = aspace_create();
	struct maps k = kernel_of("KkFfH.SsVvKK");
	struct verify_log log = { 0 };

	verify_seed(as, k.v, k.n);
	ASSERT_EQ(aspace_count(as), k.n);
	ASSERT_TRUE(model_is(as, "KkFfH.SsVvKK"));
	verify_compare(&log, 1, as, k.v, k.n);
	ASSERT_EQ(log.ndiffs, 0);
	verify_log_finish(&log);
	aspace_destroy(as);

	as = aspace_create();
	verify_seed(as, k.v, 0);
	ASSERT_EQ(aspace_count(as), 0);
	aspace_destroy(as);
	return true;
}

/*
 * At random: a model and a kernel of WIDTH pages, checked against a page by
 * page reference of what verify_compare, verify_reconcile and verify_seed
 * should do.
 */
#define WIDTH 40
#define RANDOM_CASES 20000

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

struct page_ref {
	bool model;          /* some record covers the page */
	bool model_plain;    /* ... and it is not REGION_SPECIAL */
	bool grows_here;     /* a plain MAP_GROWSDOWN record covers it */
	struct region_info info;
	int kernel;          /* index of the kernel line, or -1 */
};

static bool random_case(unsigned seq, char *model_pic, char *kernel_pic)
{
	static const char model_letters[] = "ABCDEGGPP";
	static const char kernel_letters[] = "KKKFFHSV";
	struct aspace *as = aspace_create(), *rec;
	struct maps k = { .n = 0 };
	struct page_ref ref[WIDTH];
	struct verify_log log = { 0 };
	char got[WIDTH], k_letter[WIDTH];
	bool ok = true;

	/* The model: a few maps and unmaps. */
	for (unsigned i = below(10); i-- > 0;) {
		unsigned from = below(WIDTH), len = 1 + below(8);
		unsigned to = from + len < WIDTH ? from + len : WIDTH;

		if (below(5)) {
			struct region_info info =
				info_of(model_letters[below(sizeof(model_letters) - 1)]);

			aspace_map(as, PAGE(from), PAGE(to), &info);
		} else {
			aspace_unmap(as, PAGE(from), PAGE(to), NULL);
		}
	}
	/* The kernel: lines that go on, stop, or start anew. */
	for (unsigned p = 0, open = 0; p < WIDTH; p++) {
		unsigned r = below(10);

		if (open && r < 5) {
			k.v[k.n - 1].end = PAGE(p + 1);
		} else if (r < 7) {
			open = 0;
		} else {
			k_letter[k.n] = kernel_letters[below(sizeof(kernel_letters) - 1)];
			k.v[k.n] = kernel_mapping(k_letter[k.n], p, p + 1);
			k.n++;
			open = 1;
		}
	}
	/* The reference, and the pictures to print on failure. */
	for (unsigned p = 0; p < WIDTH; p++) {
		struct region *r = aspace_find(as, PAGE(p));

		ref[p] = (struct page_ref){ .kernel = -1 };
		if (r) {
			ref[p].model = true;
			ref[p].model_plain = !(r->info.flags & REGION_SPECIAL);
			ref[p].grows_here = ref[p].model_plain &&
					    (r->info.flags & REGION_GROWSDOWN);
			ref[p].info = r->info;
		}
		model_pic[p] = r ? (char)(r->start == PAGE(p) ? r->info.tid
							       : r->info.tid - 'A' + 'a') : '.';
		kernel_pic[p] = '.';
	}
	for (size_t i = 0; i < k.n; i++) {
		for (taddr_t a = k.v[i].start; a < k.v[i].end; a += PG)
			ref[(a - BASE) / PG].kernel = (int)i;
		kernel_pic[(k.v[i].start - BASE) / PG] = k_letter[i];
		for (taddr_t a = k.v[i].start + PG; a < k.v[i].end; a += PG)
			kernel_pic[(a - BASE) / PG] = (char)(k_letter[i] - 'A' + 'a');
	}
	model_pic[WIDTH] = kernel_pic[WIDTH] = '\0';

	/* verify_compare: the pages of each kind of difference. */
	verify_compare(&log, (pid_t)seq, as, k.v, k.n);
	memset(got, '.', sizeof(got));
	for (size_t i = 0; ok && i < log.ndiffs; i++) {
		const struct difference *x = &log.diffs[i];
		bool model_only = !strncmp(x->problem, MODEL_ONLY, strlen(MODEL_ONLY));

		if (x->pid != (pid_t)seq || x->start < BASE || x->end > PAGE(WIDTH) ||
		    x->start >= x->end || x->start % PG || x->end % PG ||
		    (!model_only && strncmp(x->problem, KERNEL_ONLY, strlen(KERNEL_ONLY)))) {
			printf("  bad difference %#llx..%#llx\n", (unsigned long long)x->start,
			       (unsigned long long)x->end);
			ok = false;
		}
		for (taddr_t a = x->start; ok && a < x->end; a += PG) {
			if (got[(a - BASE) / PG] != '.') {
				printf("  page %llu in two differences\n",
				       (unsigned long long)((a - BASE) / PG));
				ok = false;
			}
			got[(a - BASE) / PG] = model_only ? 'M' : 'K';
		}
	}
	for (unsigned p = 0; ok && p < WIDTH;) {
		bool kernel_plain = ref[p].kernel >= 0 && !k.v[ref[p].kernel].special;

		if (ref[p].model_plain && !kernel_plain) {
			ok = got[p] == 'M';
			p++;
		} else if (kernel_plain && !ref[p].model_plain) {
			/* a run of kernel-only pages; exempt when a growsdown record is right above */
			unsigned e = p;

			while (e < WIDTH && !ref[e].model_plain && ref[e].kernel >= 0 &&
			       !k.v[ref[e].kernel].special)
				e++;
			for (bool exempt = e < WIDTH && ref[e].grows_here; ok && p < e; p++)
				ok = got[p] == (exempt ? '.' : 'K');
		} else {
			ok = got[p] == '.';
			p++;
		}
		if (!ok)
			printf("  compare: page %u is '%c'\n", p - 1, got[p - 1]);
	}
	verify_log_finish(&log);

	/* verify_reconcile on a copy: kernel coverage; kept pages keep their call. */
	rec = aspace_copy(as);
	verify_reconcile(rec, k.v, k.n);
	for (unsigned p = 0; ok && p < WIDTH; p++) {
		struct region *r = aspace_find(rec, PAGE(p));

		if (ref[p].kernel < 0) {
			ok = r == NULL;
		} else if (!r) {
			ok = false;
		} else if (ref[p].model) {
			ok = info_eq(&r->info, &ref[p].info);
		} else {
			const struct mapping *m = &k.v[ref[p].kernel];
			struct region_info want = {
				.prot = m->prot,
				.kind = m->heap ? KIND_HEAP : m->file ? KIND_FILE : KIND_ANON,
				.flags = m->special ? REGION_SPECIAL : 0,
			};

			/* an added record lies within its kernel line */
			ok = info_eq(&r->info, &want) && r->start >= m->start && r->end <= m->end;
		}
		if (!ok)
			printf("  reconcile: page %u wrong\n", p);
	}
	/*
	 * Then nothing differs, unless a page both cover is kernel-made on one
	 * side only: reconcile goes by coverage and leaves such a page as it is.
	 */
	bool agree = true;

	for (unsigned p = 0; p < WIDTH; p++) {
		if (ref[p].model && ref[p].kernel >= 0 &&
		    ref[p].model_plain == k.v[ref[p].kernel].special)
			agree = false;
	}
	verify_compare(&log, 1, rec, k.v, k.n);
	if (ok && agree && log.ndiffs) {
		printf("  %zu differences after reconcile\n", log.ndiffs);
		for (size_t i = 0; i < log.ndiffs; i++)
			printf("    %llu..%llu %s\n",
			       (unsigned long long)((log.diffs[i].start - BASE) / PG),
			       (unsigned long long)((log.diffs[i].end - BASE) / PG),
			       log.diffs[i].problem);
		ok = false;
	}
	verify_log_finish(&log);
	aspace_destroy(rec);

	/* verify_seed: one record per line. */
	rec = aspace_create();
	verify_seed(rec, k.v, k.n);
	if (ok && aspace_count(rec) != k.n) {
		printf("  seed: %zu records for %zu lines\n", aspace_count(rec), k.n);
		ok = false;
	}
	for (size_t i = 0; ok && i < k.n; i++) {
		struct region *r = aspace_find(rec, k.v[i].start);

		ok = r && r->start == k.v[i].start && r->end == k.v[i].end &&
		     r->info.site == NULL && r->info.prot == k.v[i].prot &&
		     !!(r->info.flags & REGION_SPECIAL) == k.v[i].special;
		if (!ok)
			printf("  seed: line %zu wrong\n", i);
	}
	aspace_destroy(rec);
	aspace_destroy(as);
	return ok;
}

TEST(random_against_pages)
{
	char model_pic[WIDTH + 1], kernel_pic[WIDTH + 1];

	rng_state = 0x5eed;
	for (unsigned i = 0; i < RANDOM_CASES; i++) {
		if (!random_case(i, model_pic, kernel_pic)) {
			printf("  case %u\n  model  %s\n  kernel %s\n", i, model_pic, kernel_pic);
			return false;
		}
	}
	return true;
}

int main(void)
{
	RUN_TEST(compare_empty);
	RUN_TEST(compare_same_coverage_other_boundaries);
	RUN_TEST(compare_model_only);
	RUN_TEST(compare_kernel_only);
	RUN_TEST(compare_both);
	RUN_TEST(compare_ignores_special);
	RUN_TEST(compare_growsdown);
	RUN_TEST(compare_log_accumulates);
	RUN_TEST(reconcile_mixed);
	RUN_TEST(reconcile_cut_keeps_info);
	RUN_TEST(reconcile_adds_known);
	RUN_TEST(reconcile_info_fields);
	RUN_TEST(seed);
	RUN_TEST(random_against_pages);
	return HARNESS_RESULT();
}
