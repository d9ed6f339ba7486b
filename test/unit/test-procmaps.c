/* SPDX-License-Identifier: MIT */
/* test-procmaps: lines of /proc/PID/maps, whole texts, and this process's own maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memstrace/procmaps.h"
#include "harness.h"

#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)

/* What one line should parse to; the flags spelled out for readable tables. */
struct want {
	const char *line;
	taddr_t start, end;
	uint8_t prot;
	bool special, file, heap;
};

/* Lines as the kernel writes them (anonymous lines end in a space). */
static const struct want lines[] = {
	{ "7f14ac8ec000-7f14ac90e000 rw-p 00000000 00:00 0 ",
	  0x7f14ac8ec000, 0x7f14ac90e000, RW, false, false, false },
	/* the same without the trailing space, as a test might write it */
	{ "7f14ac8ec000-7f14ac90e000 rw-p 00000000 00:00 0",
	  0x7f14ac8ec000, 0x7f14ac90e000, RW, false, false, false },
	{ "55f3df8de000-55f3df8e3000 r-xp 00002000 fe:00 247134                     /usr/bin/cat",
	  0x55f3df8de000, 0x55f3df8e3000, RX, false, true, false },
	{ "7f0000001000-7f0000003000 r--p 00001000 08:02 42                         "
	  "/home/user/My Documents/lib odd name.so (deleted)",
	  0x7f0000001000, 0x7f0000003000, PROT_READ, false, true, false },
	{ "7f14acb54000-7f14acb5b000 r--s 00000000 fe:00 332280                     "
	  "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache",
	  0x7f14acb54000, 0x7f14acb5b000, PROT_READ, false, true, false },
	{ "55f3fbc71000-55f3fbc92000 rw-p 00000000 00:00 0                          [heap]",
	  0x55f3fbc71000, 0x55f3fbc92000, RW, false, false, true },
	{ "7ffc1c3d5000-7ffc1c3f6000 rw-p 00000000 00:00 0                          [stack]",
	  0x7ffc1c3d5000, 0x7ffc1c3f6000, RW, true, false, false },
	{ "7ffc1c3f9000-7ffc1c3fd000 r--p 00000000 00:00 0                          [vvar]",
	  0x7ffc1c3f9000, 0x7ffc1c3fd000, PROT_READ, true, false, false },
	{ "7f14acb62000-7f14acb64000 r--p 00000000 00:00 0                          [vvar_vclock]",
	  0x7f14acb62000, 0x7f14acb64000, PROT_READ, true, false, false },
	{ "7ffc1c3fd000-7ffc1c3ff000 r-xp 00000000 00:00 0                          [vdso]",
	  0x7ffc1c3fd000, 0x7ffc1c3ff000, RX, true, false, false },
	{ "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
	  0xffffffffff600000, 0xffffffffff601000, PROT_EXEC, true, false, false },
	{ "7f2a5c000000-7f2a5c021000 rw-p 00000000 00:00 0                          "
	  "[anon:glibc: malloc]",
	  0x7f2a5c000000, 0x7f2a5c021000, RW, false, false, false },
	{ "00400000-00401000 rwxp 00000000 00:00 0 ",
	  0x400000, 0x401000, PROT_READ | PROT_WRITE | PROT_EXEC, false, false, false },
	{ "7f2a5c021000-7f2a60000000 ---p 00000000 00:00 0 ",
	  0x7f2a5c021000, 0x7f2a60000000, PROT_NONE, false, false, false },
	{ "7f2a60000000-7f2a60001000 -w-s 00000000 00:01 1234                       /SYSV00000000 (deleted)",
	  0x7f2a60000000, 0x7f2a60001000, PROT_WRITE, false, true, false },
};

static bool mapping_is(const struct mapping *m, const struct want *w)
{
	if (m->start != w->start || m->end != w->end || m->prot != w->prot ||
	    m->special != w->special || m->file != w->file || m->heap != w->heap) {
		printf("  '%s':\n    got  %#llx-%#llx prot %u special %d file %d heap %d\n"
		       "    want %#llx-%#llx prot %u special %d file %d heap %d\n", w->line,
		       (unsigned long long)m->start, (unsigned long long)m->end, m->prot,
		       m->special, m->file, m->heap, (unsigned long long)w->start,
		       (unsigned long long)w->end, w->prot, w->special, w->file, w->heap);
		return false;
	}
	return true;
}

TEST(parse_line_kinds)
{
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct mapping m;

		memset(&m, 0xa5, sizeof(m));
		ASSERT_TRUE(procmaps_parse_line(lines[i].line, &m));
		ASSERT_TRUE(mapping_is(&m, &lines[i]));
	}
	return true;
}

/* A line followed by a newline, as procmaps_parse() hands them over. */
TEST(parse_line_with_newline)
{
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		char buf[256];
		struct mapping m;

		snprintf(buf, sizeof(buf), "%s\n", lines[i].line);
		ASSERT_TRUE(procmaps_parse_line(buf, &m));
		ASSERT_TRUE(mapping_is(&m, &lines[i]));
	}
	return true;
}

TEST(parse_line_rejects)
{
	static const char *const bad[] = {
		"",
		"\n",
		"hello",
		"00400000-00401000",
		"00400000-00401000 r-xp",
		"00400000-00401000 r-xp 00000000 08:02",
		"00400000 00401000 r-xp 00000000 08:02 42 /bin/true",
		"00401000-00400000 r-xp 00000000 08:02 42 /bin/true",   /* end before start */
		"00400000-00400000 r-xp 00000000 08:02 42 /bin/true",   /* empty */
		"zz400000-00401000 r-xp 00000000 08:02 42 /bin/true",
		"00400000-00401000 r-xp zzzz 08:02 42 /bin/true",
		"00400000-00401000 r-xp 00000000 08:02 inode /bin/true",
		"Name:\tcat",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mapping m;

		if (procmaps_parse_line(bad[i], &m)) {
			printf("  accepted '%s'\n", bad[i]);
			return false;
		}
	}
	return true;
}

/*
 * A whole text: each line's name belongs to it alone, so an anonymous line
 * (no name) before [heap], [stack] or a file does not take the next name.
 */
static const char text[] =
	"55f3df8dc000-55f3df8de000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
	"55f3df8de000-55f3df8e3000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
	"55f3fbc70000-55f3fbc71000 rw-p 00000000 00:00 0 \n"
	"55f3fbc71000-55f3fbc92000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f14ac8ec000-7f14ac90e000 rw-p 00000000 00:00 0\n"
	"7f14ac90e000-7f14ac965000 r--p 00000000 fe:00 320475                     /usr/lib/a b\n"
	"7ffc1c3d4000-7ffc1c3d5000 ---p 00000000 00:00 0 \n"
	"7ffc1c3d5000-7ffc1c3f6000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffc1c3fd000-7ffc1c3ff000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static const struct want text_want[] = {
	{ "cat r", 0x55f3df8dc000, 0x55f3df8de000, PROT_READ, false, true, false },
	{ "cat rx", 0x55f3df8de000, 0x55f3df8e3000, RX, false, true, false },
	{ "anon before heap", 0x55f3fbc70000, 0x55f3fbc71000, RW, false, false, false },
	{ "heap", 0x55f3fbc71000, 0x55f3fbc92000, RW, false, false, true },
	{ "anon before file", 0x7f14ac8ec000, 0x7f14ac90e000, RW, false, false, false },
	{ "file", 0x7f14ac90e000, 0x7f14ac965000, PROT_READ, false, true, false },
	{ "guard before stack", 0x7ffc1c3d4000, 0x7ffc1c3d5000, PROT_NONE, false, false, false },
	{ "stack", 0x7ffc1c3d5000, 0x7ffc1c3f6000, RW, true, false, false },
	{ "vdso", 0x7ffc1c3fd000, 0x7ffc1c3ff000, RX, true, false, false },
	{ "vsyscall", 0xffffffffff600000, 0xffffffffff601000, PROT_EXEC, true, false, false },
};

static bool parsed_is(const char *t, const struct want *w, size_t n)
{
	struct mapping *m = NULL;
	size_t got = procmaps_parse(t, &m);
	bool ok = got == n;

	if (!ok)
		printf("  %zu mappings, want %zu\n", got, n);
	for (size_t i = 0; ok && i < n; i++)
		ok = mapping_is(&m[i], &w[i]);
	free(m);
	return ok;
}

TEST(parse_text)
{
	char with_nl[sizeof(text) + 1];

	/* without the trailing newline */
	ASSERT_TRUE(parsed_is(text, text_want, ARRAY_SIZE(text_want)));
	/* with it */
	snprintf(with_nl, sizeof(with_nl), "%s\n", text);
	ASSERT_TRUE(parsed_is(with_nl, text_want, ARRAY_SIZE(text_want)));
	/* one line, both ways */
	ASSERT_TRUE(parsed_is(lines[5].line, &lines[5], 1));
	snprintf(with_nl, sizeof(with_nl), "%s\n", lines[6].line);
	ASSERT_TRUE(parsed_is(with_nl, &lines[6], 1));
	return true;
}

TEST(parse_text_empty)
{
	struct mapping *m = NULL;

	ASSERT_EQ(procmaps_parse("", &m), 0);
	free(m);
	m = NULL;
	ASSERT_EQ(procmaps_parse("\n", &m), 0);
	free(m);
	return true;
}

/* More lines than the first allocation holds. */
TEST(parse_text_many)
{
	enum { N = 1000 };
	size_t len = 0, cap = N * 80 + 1;
	char *t = malloc(cap);
	struct mapping *m = NULL;
	bool ok = true;

	ASSERT_TRUE(t != NULL);
	for (unsigned i = 0; i < N; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"%llx-%llx %s 00000000 00:00 0 %s\n",
					0x10000000ull + i * 0x2000ull,
					0x10000000ull + i * 0x2000ull + 0x1000,
					i % 2 ? "r-xp" : "rw-p", i % 3 ? "" : "/lib/x.so");
	ASSERT_EQ(procmaps_parse(t, &m), N);
	for (unsigned i = 0; ok && i < N; i++) {
		ok = m[i].start == 0x10000000ull + i * 0x2000ull &&
		     m[i].end == m[i].start + 0x1000 && m[i].prot == (i % 2 ? RX : RW) &&
		     m[i].file == !(i % 3) && !m[i].special && !m[i].heap;
		if (!ok)
			printf("  mapping %u wrong\n", i);
	}
	free(m);
	free(t);
	return ok;
}

static int marker_function(int x)
{
	return x * 3 + 1;
}

/*
 * This process's own maps. Not address-sanitized: the local variable must
 * live on the thread's real stack, not on a sanitizer's fake stack.
 */
__attribute__((no_sanitize_address, noinline))
static bool check_own_maps(void)
{
	volatile int local = marker_function(1);
	taddr_t var = (taddr_t)(uintptr_t)&local;
	taddr_t fn = (taddr_t)(uintptr_t)&marker_function;
	struct mapping *m = NULL;
	long n = procmaps_read(getpid(), &m);
	bool ok = n > 0, found_var = false, found_fn = false;

	if (!ok)
		printf("  procmaps_read: %ld\n", n);
	for (long i = 0; ok && i < n; i++) {
		if (m[i].start >= m[i].end || m[i].start % 4096 || m[i].end % 4096 ||
		    (i && m[i].start < m[i - 1].end)) {
			printf("  mapping %ld: %#llx-%#llx out of order\n", i,
			       (unsigned long long)m[i].start, (unsigned long long)m[i].end);
			ok = false;
		}
		if (m[i].start <= var && var < m[i].end) {
			found_var = true;
			if (!m[i].special || m[i].file || m[i].heap || !(m[i].prot & PROT_WRITE)) {
				printf("  the stack's mapping is not [stack]\n");
				ok = false;
			}
		}
		if (m[i].start <= fn && fn < m[i].end) {
			found_fn = true;
			if (m[i].special || !m[i].file || m[i].heap || !(m[i].prot & PROT_EXEC)) {
				printf("  the test's code is not in an executable file mapping\n");
				ok = false;
			}
		}
	}
	if (ok && (!found_var || !found_fn)) {
		printf("  stack found %d, code found %d\n", found_var, found_fn);
		ok = false;
	}
	free(m);
	return ok && local == 4;
}

TEST(read_own_maps)
{
	ASSERT_TRUE(check_own_maps());
	return true;
}

TEST(read_errors)
{
	struct mapping *m = NULL;
	char *t = NULL;

	/* There is no process 0 in /proc. */
	ASSERT_EQ(procmaps_read(0, &m), -ENOENT);
	ASSERT_EQ(proc_read_file("/proc/self/no-such-file", &t), -ENOENT);
	ASSERT_EQ(proc_read_file("/proc/self/status", &t), 0);
	ASSERT_TRUE(t != NULL && !strncmp(t, "Name:", 5));
	free(t);
	return true;
}

/* /proc/PID/stat: a comm with spaces and ')' must not shift the fields. */
TEST(stat_fields)
{
	const char *text = "1234 (a b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 "
			   "3 4 0 0 20 0 1 0 500 1000 200 18446744073709551615 "
			   "1 2 3 4 5 6 7 8 9 10 0 0 0 17 1 0 0 0 0 "
			   "93824992235520 93824992239616 93824994803712 140 150 160 170 180 0\n";
	uint64_t v;

	ASSERT_TRUE(procstat_parse_field(text, 3, &v) == false); /* 'S' is not a number */
	ASSERT_TRUE(procstat_parse_field(text, 4, &v));
	ASSERT_EQ(v, 1);
	ASSERT_TRUE(procstat_parse_field(text, 9, &v));
	ASSERT_EQ(v, 4194560);
	ASSERT_TRUE(procstat_parse_field(text, 47, &v));
	ASSERT_EQ(v, 93824994803712ull);
	ASSERT_FALSE(procstat_parse_field(text, 2, &v));
	ASSERT_FALSE(procstat_parse_field(text, 99, &v));
	ASSERT_FALSE(procstat_parse_field("no parenthesis", 4, &v));
	return true;
}

/* This process's own start_brk is where its heap begins. */
TEST(stat_own_start_brk)
{
	uint64_t start_brk;
	ASSERT_EQ(proc_stat_field(getpid(), 47, &start_brk), 0);
	ASSERT_TRUE(start_brk != 0);
	ASSERT_TRUE(start_brk <= (uint64_t)(uintptr_t)sbrk(0));
	ASSERT_TRUE(proc_stat_field(0x7fffffff, 47, &start_brk) < 0);
	return true;
}

int main(void)
{
	RUN_TEST(parse_line_kinds);
	RUN_TEST(parse_line_with_newline);
	RUN_TEST(parse_line_rejects);
	RUN_TEST(parse_text);
	RUN_TEST(parse_text_empty);
	RUN_TEST(parse_text_many);
	RUN_TEST(read_own_maps);
	RUN_TEST(read_errors);
	RUN_TEST(stat_fields);
	RUN_TEST(stat_own_start_brk);
	return HARNESS_RESULT();
}
