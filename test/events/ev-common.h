/* SPDX-License-Identifier: MIT */
/*
 * ev-common: raw memory syscalls and checks shared by the event-line test
 * programs. Everything goes through syscall(2) and write(2): no stdio
 * buffer or allocation may add a mapping call of its own to the lines
 * being compared with strace's.
 */
#ifndef MEMSTRACE_TEST_EV_COMMON_H
#define MEMSTRACE_TEST_EV_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/mman.h>

#include <linux/mman.h>

#define FAILED ((unsigned long)-1)
#define PAGE 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

__attribute__((format(printf, 1, 2), noreturn, unused))
static void die(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (write(2, program_invocation_short_name, strlen(program_invocation_short_name)) < 0 ||
	    write(2, ": ", 2) < 0 || write(2, msg, strlen(msg)) < 0 || write(2, "\n", 1) < 0)
		_exit(99);
	_exit(99);
}

__attribute__((unused))
static unsigned long sys_mmap(unsigned long addr, unsigned long len, unsigned long prot,
			      unsigned long flags, long fd, unsigned long off)
{
	return (unsigned long)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

__attribute__((unused))
static long sys_munmap(unsigned long addr, unsigned long len)
{
	return syscall(SYS_munmap, addr, len);
}

__attribute__((unused))
static unsigned long sys_mremap(unsigned long old, unsigned long old_len, unsigned long new_len,
				unsigned long flags, unsigned long new_addr)
{
	return (unsigned long)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

__attribute__((unused))
static unsigned long sys_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

/* A call that must succeed. */
__attribute__((unused))
static unsigned long ok(const char *what, unsigned long r)
{
	if (r == FAILED || (r > -4096ul && r != 0))
		die("%s failed: %s", what, strerror(errno));
	return r;
}

/* A call that must fail with errno want. */
__attribute__((unused))
static void fails(const char *what, unsigned long r, int want)
{
	if (r != FAILED || errno != want)
		die("%s: got %#lx (%s), want %s", what, r, strerror(errno), strerrorname_np(want));
}

#endif
