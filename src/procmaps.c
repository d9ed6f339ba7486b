/* SPDX-License-Identifier: MIT */
/* procmaps: /proc/TID/maps parsed into mappings. */
#include "memstrace/procmaps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static bool is_special_name(const char *name)
{
	static const char *const names[] = { "[stack", "[vdso]", "[vvar]", "[vvar_vclock]",
					     "[vsyscall]", "[uprobes]", "[sigpage]" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strncmp(name, names[i], strlen(names[i])))
			return true;
	}
	return false;
}

bool procmaps_parse_line(const char *line, struct mapping *m)
{
	uint64_t start, end, offset, inode;
	char perms[5], dev[16];
	int name_at = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %15s %" SCNu64 " %n",
		   &start, &end, perms, &offset, dev, &inode, &name_at) < 6 || start >= end)
		return false;

	const char *name = name_at ? line + name_at : "";
	*m = (struct mapping){ .start = start, .end = end };
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->special = is_special_name(name);
	m->heap = !strncmp(name, "[heap]", 6);
	m->file = name[0] == '/';
	return true;
}

size_t procmaps_parse(const char *text, struct mapping **out)
{
	size_t n = 0, cap = 64;
	struct mapping *v = xmalloc(cap * sizeof(*v));

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		if (n == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		if (procmaps_parse_line(line, &v[n]))
			n++;
		line = nl ? nl + 1 : NULL;
	}
	*out = v;
	return n;
}

int proc_read_file(const char *path, char **text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	size_t len = 0, cap = 16384;
	char *buf = xmalloc(cap);
	for (;;) {
		if (cap - len < 4096)
			buf = xrealloc(buf, cap *= 2);
		ssize_t got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = -errno;
			close(fd);
			free(buf);
			return err;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	return 0;
}

long procmaps_read(pid_t tid, struct mapping **out)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	int err = proc_read_file(path, &text);
	if (err)
		return err;
	size_t n = procmaps_parse(text, out);
	free(text);
	return (long)n;
}

bool procstat_parse_field(const char *text, unsigned field, uint64_t *value)
{
	/* comm (field 2) may hold spaces and ')': fields from 3 on follow the last ')'. */
	const char *p = strrchr(text, ')');
	if (!p || field < 3)
		return false;
	for (unsigned f = 2; p && f < field; f++)
		p = strchr(p + 1, ' ');
	if (!p || !isdigit((unsigned char)p[1]))
		return false;
	*value = strtoull(p + 1, NULL, 10);
	return true;
}

int proc_stat_field(pid_t pid, unsigned field, uint64_t *value)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int err = proc_read_file(path, &text);
	if (err)
		return err;
	bool found = procstat_parse_field(text, field, value);
	free(text);
	return found ? 0 : -EINVAL;
}
