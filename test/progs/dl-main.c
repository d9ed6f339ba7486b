/* SPDX-License-Identifier: MIT */
/*
 * dl-main: dlopens LIBRARY (dl-lib.c), calls its dl_lib_map() to map a
 * region, dlcloses the library (and makes sure it is gone), then exits with
 * the region still mapped. The library's code is unmapped long before the
 * report: its frame must have been symbolized when the call was made.
 *
 * Usage: dl-main LIBRARY   (a path with a '/')
 */
#include <dlfcn.h>
#include <sys/mman.h>

#include "truth.h"

/* 19 pages: a size no loader mapping has, so the group is the library's. */
#define DL_SIZE (19 * 4096ul)

int main(int argc, char **argv)
{
	void *(*map_fn)(unsigned long);
	void *lib;

	if (argc != 2 || !strchr(argv[1], '/'))
		truth_die("usage: dl-main LIBRARY (a path with a '/')");
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		truth_die("dlopen %s: %s", argv[1], dlerror());
	*(void **)&map_fn = dlsym(lib, "dl_lib_map");
	if (!map_fn)
		truth_die("dlsym dl_lib_map: %s", dlerror());

	char *p = map_fn(DL_SIZE); int line = __LINE__;

	if (p == MAP_FAILED)
		truth_die("mmap: %m");
	if (dlclose(lib) != 0)
		truth_die("dlclose: %s", dlerror());
	if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD))
		truth_die("%s is still loaded after dlclose", argv[1]);
	truth_region(p, p + DL_SIZE, "mmap", DL_SIZE, "anon", line);
	truth_groupcount("mmap", DL_SIZE, 1);
	truth_check();
	return 0;
}
