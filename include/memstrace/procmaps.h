/* SPDX-License-Identifier: MIT */
/*
 * procmaps: the kernel's view of an address space, from /proc/TID/maps.
 * The parser is pure; procmaps_read() is the one function that does I/O.
 */
#ifndef MEMSTRACE_PROCMAPS_H
#define MEMSTRACE_PROCMAPS_H

#include <sys/types.h>

#include "memstrace/common.h"

struct mapping {
	taddr_t start, end;
	uint8_t prot;    /* PROT_* */
	bool special;    /* made by the kernel, never by a syscall: [stack], [vdso]... */
	bool file;       /* backed by a file (a path that is not [bracketed]) */
	bool heap;       /* [heap] */
};

/* Parses one line of a maps file. Returns false if it is not one. */
bool procmaps_parse_line(const char *line, struct mapping *m);

/* Parses a whole maps text. *out is allocated; returns the number of mappings. */
size_t procmaps_parse(const char *text, struct mapping **out);

/* Reads /proc/TID/maps. Returns the number of mappings (>= 0) or -errno. */
long procmaps_read(pid_t tid, struct mapping **out);

/* Reads a whole small /proc file into a NUL-terminated buffer. Returns 0 or -errno. */
int proc_read_file(const char *path, char **text);

/*
 * Field number field (as proc(5) counts, from 1) of a /proc/PID/stat text.
 * Returns false if there is no such numeric field.
 */
bool procstat_parse_field(const char *text, unsigned field, uint64_t *value);
/* The same, read from /proc/PID/stat. Returns 0 or -errno. */
int proc_stat_field(pid_t pid, unsigned field, uint64_t *value);

#endif
