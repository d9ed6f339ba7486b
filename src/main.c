/* SPDX-License-Identifier: MIT */
/* main: the command line, the output file, then the tracer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memstrace/options.h"
#include "memstrace/tracer.h"

int main(int argc, char **argv)
{
	struct options opt;

	switch (options_parse(argc, argv, &opt)) {
	case PARSE_EXIT_OK:
		options_finish(&opt);
		return 0;
	case PARSE_USAGE_ERROR:
		options_finish(&opt);
		return 2;
	case PARSE_RUN:
		break;
	}

	FILE *out = stderr;
	if (opt.output) {
		/* "e": the program we start must not inherit the report file. */
		out = fopen(opt.output, "we");
		if (!out) {
			warnx_("cannot open '%s': %s", opt.output, strerror(errno));
			options_finish(&opt);
			return 1;
		}
	}

	int code = opt.npids ? tracer_attach(&opt, out) : tracer_launch(&opt, out);

	if (out != stderr && fclose(out) != 0) {
		warnx_("cannot write '%s': %s", opt.output, strerror(errno));
		code = code ? code : 1;
	}
	options_finish(&opt);
	return code;
}
