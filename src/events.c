/* SPDX-License-Identifier: MIT */
/* events: strace 6's syntax for mmap, munmap, mremap and brk. */
#include "memstrace/events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include <linux/mman.h>

/* strace's default -a: the column where "= " of the result starts. */
#define RESULT_COLUMN 40

struct flag_name {
	uint64_t bit;
	const char *name;
};

static const struct flag_name prot_names[] = {
	{ PROT_READ, "PROT_READ" },
	{ PROT_WRITE, "PROT_WRITE" },
	{ PROT_EXEC, "PROT_EXEC" },
	{ 0x8, "PROT_SEM" },
	{ 0x01000000, "PROT_GROWSDOWN" },
	{ 0x02000000, "PROT_GROWSUP" },
};

/* MAP_* after the type, in the order of strace's table (which is not by value). */
static const struct flag_name map_names[] = {
	{ 0x10, "MAP_FIXED" },
	{ 0x20, "MAP_ANONYMOUS" },
	{ 0x40, "MAP_32BIT" },
	{ 0x4000, "MAP_NORESERVE" },
	{ 0x8000, "MAP_POPULATE" },
	{ 0x10000, "MAP_NONBLOCK" },
	{ 0x100, "MAP_GROWSDOWN" },
	{ 0x800, "MAP_DENYWRITE" },
	{ 0x1000, "MAP_EXECUTABLE" },
	{ 0x2000, "MAP_LOCKED" },
	{ 0x20000, "MAP_STACK" },
	{ 0x40000, "MAP_HUGETLB" },
	{ 0x80000, "MAP_SYNC" },
	{ 0x100000, "MAP_FIXED_NOREPLACE" },
};

static const struct flag_name mremap_names[] = {
	{ 0x1, "MREMAP_MAYMOVE" },
	{ 0x2, "MREMAP_FIXED" },
	{ 0x4, "MREMAP_DONTUNMAP" },
};

/* A bounded writer: output past the end is dropped, the length still counts. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
			  o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_addr(struct out *o, uint64_t a)
{
	if (a)
		put(o, "0x%" PRIx64, a);
	else
		put(o, "NULL");
}

/* "A|B|0x40": known bits by name, the rest in hex; what is left of value is returned. */
static uint64_t put_flags(struct out *o, uint64_t value, const struct flag_name *names,
			  size_t n, bool *any)
{
	for (size_t i = 0; i < n; i++) {
		if (value & names[i].bit) {
			put(o, "%s%s", *any ? "|" : "", names[i].name);
			value &= ~names[i].bit;
			*any = true;
		}
	}
	return value;
}

static void put_flag_set(struct out *o, uint64_t value, const struct flag_name *names,
			 size_t n, const char *none, const char *unknown)
{
	bool any = false;
	uint64_t rest = put_flags(o, value, names, n, &any);
	if (rest && any)
		put(o, "|%#" PRIx64, rest);
	else if (rest)
		put(o, "%#" PRIx64 " /* %s */", rest, unknown);
	else if (!any)
		put(o, "%s", none);
}

/* strace reads the flags as an int: the type (MAP_FILE for 0), flags, unknown bits, huge size. */
static void put_map_flags(struct out *o, uint64_t arg)
{
	static const char *const types[] = { "MAP_FILE", "MAP_SHARED", "MAP_PRIVATE",
					     "MAP_SHARED_VALIDATE" };
	uint64_t flags = (uint32_t)arg;
	uint64_t type = flags & 0xf;
	uint64_t huge = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
	bool any = false;

	if (type < ARRAY_SIZE(types) && types[type]) {
		put(o, "%s", types[type]);
		any = true;
	} else {
		put(o, "%#" PRIx64 " /* MAP_??? */", type);
		any = true;
	}
	uint64_t rest = put_flags(o, flags & ~(uint64_t)0xf &
				  ~((uint64_t)MAP_HUGE_MASK << MAP_HUGE_SHIFT),
				  map_names, ARRAY_SIZE(map_names), &any);
	if (rest) {
		put(o, "%s%#" PRIx64, any ? "|" : "", rest);
		any = true;
	}
	if (huge)
		put(o, "%s%" PRIu64 "<<MAP_HUGE_SHIFT", any ? "|" : "", huge);
}

static void put_call(struct out *o, int nr, const uint64_t *a)
{
	switch (nr) {
	case SYS_mmap:
		put(o, "mmap(");
		put_addr(o, a[0]);
		put(o, ", %" PRIu64 ", ", a[1]);
		put_flag_set(o, a[2], prot_names, ARRAY_SIZE(prot_names), "PROT_NONE", "PROT_???");
		put(o, ", ");
		put_map_flags(o, a[3]);
		put(o, ", %d, ", (int)a[4]);
		if (a[5])
			put(o, "%#" PRIx64 ")", a[5]);
		else
			put(o, "0)");
		break;
	case SYS_munmap:
		put(o, "munmap(");
		put_addr(o, a[0]);
		put(o, ", %" PRIu64 ")", a[1]);
		break;
	case SYS_mremap:
		put(o, "mremap(");
		put_addr(o, a[0]);
		put(o, ", %" PRIu64 ", %" PRIu64 ", ", a[1], a[2]);
		put_flag_set(o, a[3], mremap_names, ARRAY_SIZE(mremap_names), "0", "MREMAP_???");
		if ((a[3] & (MREMAP_MAYMOVE | MREMAP_FIXED)) == (MREMAP_MAYMOVE | MREMAP_FIXED)) {
			put(o, ", ");
			put_addr(o, a[4]);
		}
		put(o, ")");
		break;
	case SYS_brk:
		put(o, "brk(");
		put_addr(o, a[0]);
		put(o, ")");
		break;
	default:
		put(o, "syscall_%d(...)", nr);
		break;
	}
}

size_t events_format(char *buf, size_t size, size_t column, int nr, const uint64_t args[6],
		     int64_t rval, bool is_error)
{
	struct out o = { buf, size, 0 };
	if (size)
		buf[0] = '\0';

	put_call(&o, nr, args);
	if (column + o.len < RESULT_COLUMN)
		put(&o, "%*s= ", (int)(RESULT_COLUMN - column - o.len), "");
	else
		put(&o, " = ");

	if (is_error) {
		int err = (int)-rval;
		const char *name = strerrorname_np(err);
		if (name)
			put(&o, "-1 %s (%s)", name, strerror(err));
		else
			put(&o, "-1 (errno %d)", err);
	} else if (nr == SYS_munmap) {
		put(&o, "%" PRId64, rval);
	} else {
		put(&o, "%#" PRIx64, (uint64_t)rval);
	}
	return o.len < size ? o.len : (size ? size - 1 : 0);
}

size_t events_prefix(char *buf, size_t size, const struct event_sink *sink, int tid,
		     bool several_tasks, uint64_t wall_ns)
{
	struct out o = { buf, size, 0 };
	if (size)
		buf[0] = '\0';

	if (sink->to_file)
		put(&o, "%-5d ", tid);
	else if (several_tasks)
		put(&o, "[pid %5d] ", tid);

	if (sink->time != EVENT_TIME_NONE) {
		time_t secs = (time_t)(wall_ns / 1000000000u);
		struct tm tm;
		localtime_r(&secs, &tm);
		put(&o, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (sink->time == EVENT_TIME_MICROS)
			put(&o, ".%06u", (unsigned)(wall_ns % 1000000000u / 1000u));
		put(&o, " ");
	}
	return o.len < size ? o.len : (size ? size - 1 : 0);
}
