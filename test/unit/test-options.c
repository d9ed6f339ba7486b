/* SPDX-License-Identifier: MIT */
/* test-options: size specs, size matching and the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memstrace/options.h"
#include "harness.h"

#define K 1024ull
#define M (1024ull * K)
#define G (1024ull * M)

/* Parses a NULL-less list of words as argv; the array lives as long as the block. */
#define PARSE(opt, ...) \
	options_parse((int)ARRAY_SIZE(((char *[]){ __VA_ARGS__ })), \
		      (char *[]){ __VA_ARGS__, NULL }, (opt))

/* The same, keeping the array so that opt->argv can be compared with it. */
#define ARGV(name, ...) char *name[] = { __VA_ARGS__, NULL }; \
	const int name##_c = (int)ARRAY_SIZE(name) - 1

static bool spec_is(const char *spec, uint64_t lo, uint64_t hi)
{
	struct size_range r = { 0x1111, 0x2222 };

	if (!sizespec_parse(spec, &r)) {
		printf("  '%s' rejected\n", spec);
		return false;
	}
	if (r.lo != lo || r.hi != hi) {
		printf("  '%s': %#llx-%#llx, want %#llx-%#llx\n", spec, (unsigned long long)r.lo,
		       (unsigned long long)r.hi, (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	return true;
}

TEST(sizespec_accepts)
{
	ASSERT_TRUE(spec_is("40960", 40960, 40960));
	ASSERT_TRUE(spec_is("40K", 40 * K, 40 * K));
	ASSERT_TRUE(spec_is("40k", 40 * K, 40 * K));
	ASSERT_TRUE(spec_is("1M", M, M));
	ASSERT_TRUE(spec_is("1m", M, M));
	ASSERT_TRUE(spec_is("2G", 2 * G, 2 * G));
	ASSERT_TRUE(spec_is("2g", 2 * G, 2 * G));
	ASSERT_TRUE(spec_is("4K-1M", 4096, 1048576));
	ASSERT_TRUE(spec_is("1M-", M, UINT64_MAX));
	ASSERT_TRUE(spec_is("-64K", 0, 64 * K));
	ASSERT_TRUE(spec_is("0", 0, 0));
	ASSERT_TRUE(spec_is("4K-4K", 4 * K, 4 * K));
	ASSERT_TRUE(spec_is("4096-4K", 4 * K, 4 * K));
	ASSERT_TRUE(spec_is("1-2", 1, 2));
	/* The largest sizes that fit, with and without a suffix. */
	ASSERT_TRUE(spec_is("18446744073709551615", UINT64_MAX, UINT64_MAX));
	ASSERT_TRUE(spec_is("17179869183G", 17179869183ull * G, 17179869183ull * G));
	ASSERT_TRUE(spec_is("17592186044415M", 17592186044415ull * M, 17592186044415ull * M));
	return true;
}

TEST(sizespec_rejects)
{
	static const char *const bad[] = {
		"", "abc", "4X", "10-5", "-", "K", "1M-2K", "18446744073709551616",
		"17179869184G", "4K-1M-2M", "17592186044416M", "18014398509481984K",
		"4KB", "4K ", " 4K", "+4K", "4K--1M", "4K-+1M", "4K-M", "-K", "--1M", "0x10",
		"4K,1M", "1.5M",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct size_range r;

		if (sizespec_parse(bad[i], &r)) {
			printf("  '%s' accepted as %#llx-%#llx\n", bad[i],
			       (unsigned long long)r.lo, (unsigned long long)r.hi);
			return false;
		}
	}
	return true;
}

TEST(size_matches_without_ranges)
{
	struct options opt = { 0 };

	ASSERT_TRUE(options_size_matches(&opt, 0));
	ASSERT_TRUE(options_size_matches(&opt, 4096));
	ASSERT_TRUE(options_size_matches(&opt, UINT64_MAX));
	return true;
}

/*
 * 0   4K    8K  ...  1M   ...   2M    ...   UINT64_MAX
 *     [=====]                                           4K-8K
 *                    [=]                                1M
 *                                 [=====================]  2M-
 */
TEST(size_matches_ranges)
{
	struct size_range r[] = { { 4 * K, 8 * K }, { M, M }, { 2 * M, UINT64_MAX } };
	struct options opt = { .sizes = r, .nsizes = ARRAY_SIZE(r) };

	ASSERT_FALSE(options_size_matches(&opt, 0));
	ASSERT_FALSE(options_size_matches(&opt, 4 * K - 1));
	ASSERT_TRUE(options_size_matches(&opt, 4 * K));
	ASSERT_TRUE(options_size_matches(&opt, 6 * K));
	ASSERT_TRUE(options_size_matches(&opt, 8 * K));
	ASSERT_FALSE(options_size_matches(&opt, 8 * K + 1));
	ASSERT_FALSE(options_size_matches(&opt, M - 1));
	ASSERT_TRUE(options_size_matches(&opt, M));
	ASSERT_FALSE(options_size_matches(&opt, M + 1));
	ASSERT_FALSE(options_size_matches(&opt, 2 * M - 1));
	ASSERT_TRUE(options_size_matches(&opt, 2 * M));
	ASSERT_TRUE(options_size_matches(&opt, UINT64_MAX));

	/* One range of a single size 0: only 0 matches. */
	struct size_range zero = { 0, 0 };
	opt = (struct options){ .sizes = &zero, .nsizes = 1 };
	ASSERT_TRUE(options_size_matches(&opt, 0));
	ASSERT_FALSE(options_size_matches(&opt, 1));
	return true;
}

TEST(parse_everything)
{
	struct options opt;
	ARGV(argv, "memstrace", "-f", "-s", "40K,1M-", "--format=json", "--verify", "-o", "out",
	     "prog", "a", "b");

	ASSERT_EQ(options_parse(argv_c, argv, &opt), PARSE_RUN);
	ASSERT_TRUE(opt.follow);
	ASSERT_TRUE(opt.verify);
	ASSERT_EQ(opt.format, FORMAT_JSON);
	ASSERT_TRUE(opt.output == argv[7]);
	ASSERT_TRUE(!strcmp(opt.output, "out"));
	ASSERT_EQ(opt.nsizes, 2);
	ASSERT_EQ(opt.sizes[0].lo, 40 * K);
	ASSERT_EQ(opt.sizes[0].hi, 40 * K);
	ASSERT_EQ(opt.sizes[1].lo, M);
	ASSERT_EQ(opt.sizes[1].hi, UINT64_MAX);
	ASSERT_TRUE(opt.argv == argv + 8);
	ASSERT_TRUE(!strcmp(opt.argv[0], "prog"));
	ASSERT_TRUE(!strcmp(opt.argv[1], "a"));
	ASSERT_TRUE(!strcmp(opt.argv[2], "b"));
	ASSERT_TRUE(opt.argv[3] == NULL);
	ASSERT_TRUE(options_size_matches(&opt, 40 * K));
	ASSERT_FALSE(options_size_matches(&opt, 40 * K + 1));
	ASSERT_TRUE(options_size_matches(&opt, 2 * M));
	options_finish(&opt);
	ASSERT_EQ(opt.nsizes, 0);
	ASSERT_TRUE(opt.sizes == NULL);
	return true;
}

TEST(parse_defaults)
{
	struct options opt;
	ARGV(argv, "memstrace", "prog");

	ASSERT_EQ(options_parse(argv_c, argv, &opt), PARSE_RUN);
	ASSERT_FALSE(opt.follow);
	ASSERT_FALSE(opt.verify);
	ASSERT_EQ(opt.format, FORMAT_TEXT);
	ASSERT_TRUE(opt.output == NULL);
	ASSERT_EQ(opt.nsizes, 0);
	ASSERT_TRUE(opt.argv == argv + 1);
	ASSERT_TRUE(opt.argv[1] == NULL);
	options_finish(&opt);
	return true;
}

/* Long forms, repeated -s, separate values, "--", a later --format wins. */
TEST(parse_long_forms)
{
	struct options opt;
	ARGV(argv, "memstrace", "--follow-forks", "--size=4K-8K", "-s", "-64K", "--size", "1G",
	     "-s1M", "--output=report.txt", "--format", "json", "--format=text", "--", "-prog",
	     "-f");

	ASSERT_EQ(options_parse(argv_c, argv, &opt), PARSE_RUN);
	ASSERT_TRUE(opt.follow);
	ASSERT_FALSE(opt.verify);
	ASSERT_EQ(opt.format, FORMAT_TEXT);
	ASSERT_TRUE(!strcmp(opt.output, "report.txt"));
	ASSERT_EQ(opt.nsizes, 4);
	ASSERT_EQ(opt.sizes[0].lo, 4 * K);
	ASSERT_EQ(opt.sizes[0].hi, 8 * K);
	ASSERT_EQ(opt.sizes[1].lo, 0);
	ASSERT_EQ(opt.sizes[1].hi, 64 * K);
	ASSERT_EQ(opt.sizes[2].lo, G);
	ASSERT_EQ(opt.sizes[2].hi, G);
	ASSERT_EQ(opt.sizes[3].lo, M);
	ASSERT_EQ(opt.sizes[3].hi, M);
	ASSERT_TRUE(opt.argv == argv + 13);
	options_finish(&opt);

	/* Short options grouped, -o's value attached. */
	ARGV(grouped, "memstrace", "-fs4K", "-oout", "prog");
	ASSERT_EQ(options_parse(grouped_c, grouped, &opt), PARSE_RUN);
	ASSERT_TRUE(opt.follow);
	ASSERT_EQ(opt.nsizes, 1);
	ASSERT_EQ(opt.sizes[0].lo, 4 * K);
	ASSERT_TRUE(!strcmp(opt.output, "out"));
	ASSERT_TRUE(opt.argv == grouped + 3);
	options_finish(&opt);
	return true;
}

/* '+': the first non-option is the program; what follows is its own. */
TEST(parse_stops_at_program)
{
	struct options opt;
	ARGV(argv, "memstrace", "prog", "-f", "--verify", "-s", "bogus", "--format=xml", "-o");

	ASSERT_EQ(options_parse(argv_c, argv, &opt), PARSE_RUN);
	ASSERT_FALSE(opt.follow);
	ASSERT_FALSE(opt.verify);
	ASSERT_EQ(opt.nsizes, 0);
	ASSERT_EQ(opt.format, FORMAT_TEXT);
	ASSERT_TRUE(opt.output == NULL);
	ASSERT_TRUE(opt.argv == argv + 1);
	ASSERT_TRUE(opt.argv[1] == argv[2]);
	options_finish(&opt);

	ARGV(after, "memstrace", "-f", "prog", "-s", "1K");
	ASSERT_EQ(options_parse(after_c, after, &opt), PARSE_RUN);
	ASSERT_TRUE(opt.follow);
	ASSERT_EQ(opt.nsizes, 0);
	ASSERT_TRUE(opt.argv == after + 2);
	options_finish(&opt);
	return true;
}

static bool usage_error(const char *what, enum parse_result r, struct options *opt)
{
	options_finish(opt);
	if (r != PARSE_USAGE_ERROR) {
		printf("  %s: result %d, want PARSE_USAGE_ERROR\n", what, r);
		return false;
	}
	return true;
}

TEST(parse_usage_errors)
{
	struct options opt;

	ASSERT_TRUE(usage_error("unknown short", PARSE(&opt, "memstrace", "-x", "prog"), &opt));
	ASSERT_TRUE(usage_error("unknown long", PARSE(&opt, "memstrace", "--bogus", "prog"), &opt));
	ASSERT_TRUE(usage_error("value to a flag",
				PARSE(&opt, "memstrace", "--verify=yes", "prog"), &opt));
	ASSERT_TRUE(usage_error("bad -s", PARSE(&opt, "memstrace", "-s", "4X", "prog"), &opt));
	ASSERT_TRUE(usage_error("empty -s", PARSE(&opt, "memstrace", "-s", "", "prog"), &opt));
	ASSERT_TRUE(usage_error("bad -s in a list",
				PARSE(&opt, "memstrace", "-s", "4K,10-5", "prog"), &opt));
	ASSERT_TRUE(usage_error("bad --size", PARSE(&opt, "memstrace", "--size=-", "prog"), &opt));
	ASSERT_TRUE(usage_error("bad --format",
				PARSE(&opt, "memstrace", "--format=xml", "prog"), &opt));
	ASSERT_TRUE(usage_error("empty --format",
				PARSE(&opt, "memstrace", "--format=", "prog"), &opt));
	ASSERT_TRUE(usage_error("no program", PARSE(&opt, "memstrace"), &opt));
	ASSERT_TRUE(usage_error("no program after options",
				PARSE(&opt, "memstrace", "-f", "--verify", "-s", "1K"), &opt));
	ASSERT_TRUE(usage_error("no program after --", PARSE(&opt, "memstrace", "--"), &opt));
	ASSERT_TRUE(usage_error("-o without value", PARSE(&opt, "memstrace", "-o"), &opt));
	ASSERT_TRUE(usage_error("-o without value, grouped", PARSE(&opt, "memstrace", "-fo"),
				&opt));
	ASSERT_TRUE(usage_error("--output without value", PARSE(&opt, "memstrace", "--output"),
				&opt));
	ASSERT_TRUE(usage_error("-s without value", PARSE(&opt, "memstrace", "-s"), &opt));
	ASSERT_TRUE(usage_error("--format without value", PARSE(&opt, "memstrace", "--format"),
				&opt));
	return true;
}

/* Runs options_parse() with stderr captured into buf. */
static enum parse_result parse_capturing(int argc, char **argv, struct options *opt,
					 char *buf, size_t cap)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	enum parse_result r;
	size_t n = 0;

	fflush(stderr);
	if (tmp && saved >= 0)
		dup2(fileno(tmp), 2);
	r = options_parse(argc, argv, opt);
	fflush(stderr);
	if (tmp && saved >= 0) {
		dup2(saved, 2);
		rewind(tmp);
		n = fread(buf, 1, cap - 1, tmp);
	}
	buf[n] = '\0';
	if (saved >= 0)
		close(saved);
	if (tmp)
		fclose(tmp);
	return r;
}

/* The one line on stderr names the option as it was given. */
static bool message_names(const char *option, const char *name)
{
	char *argv[] = { "memstrace", (char *)option, "prog", NULL };
	char msg[512];
	struct options opt;
	enum parse_result r = parse_capturing(3, argv, &opt, msg, sizeof(msg));

	options_finish(&opt);
	if (r != PARSE_USAGE_ERROR || !strstr(msg, name) || !strchr(msg, '\n') ||
	    strchr(msg, '\n')[1] != '\0') {
		printf("  '%s': result %d, message '%s', want it to name %s\n", option, r, msg,
		       name);
		return false;
	}
	return true;
}

TEST(usage_error_messages)
{
	bool ok = true;

	ok &= message_names("-x", "'-x'");
	ok &= message_names("--bogus", "'--bogus'");
	ok &= message_names("--format=xml", "'xml'");
	ok &= message_names("-s4X", "'4X'");
	/* long options that take no value, given one */
	ok &= message_names("--verify=yes", "'--verify");
	ok &= message_names("--help=x", "'--help");
	ASSERT_TRUE(ok);
	return true;
}

TEST(parse_help_and_version)
{
	struct options opt;

	ASSERT_EQ(PARSE(&opt, "memstrace", "-h"), PARSE_EXIT_OK);
	options_finish(&opt);
	ASSERT_EQ(PARSE(&opt, "memstrace", "--help", "prog"), PARSE_EXIT_OK);
	options_finish(&opt);
	ASSERT_EQ(PARSE(&opt, "memstrace", "-f", "-V"), PARSE_EXIT_OK);
	options_finish(&opt);
	ASSERT_EQ(PARSE(&opt, "memstrace", "--version"), PARSE_EXIT_OK);
	options_finish(&opt);
	/* After the program, -h is the program's. */
	ASSERT_EQ(PARSE(&opt, "memstrace", "prog", "-h"), PARSE_RUN);
	options_finish(&opt);
	fflush(stdout);
	return true;
}

/* Parsing twice in a row gives the same result: the first leaves no state behind. */
TEST(parse_again)
{
	struct options opt;
	ARGV(argv, "memstrace", "-s", "1K", "-f", "prog", "x");

	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(options_parse(argv_c, argv, &opt), PARSE_RUN);
		ASSERT_TRUE(opt.follow);
		ASSERT_EQ(opt.nsizes, 1);
		ASSERT_TRUE(opt.argv == argv + 4);
		options_finish(&opt);
	}
	return true;
}

/*
 * A parse that stops inside a group of short options ("-Vf": -V returns at
 * once, "-xf": -x is unknown) must not leak the rest of the group into the
 * next parse. Both parses run before any assertion, so that whatever state
 * getopt is left in has been consumed when this test returns.
 */
TEST(parse_again_after_stopping_in_a_group)
{
	struct options opt1, opt2, opt3, opt4;
	ARGV(first, "memstrace", "-Vf", "prog");
	ARGV(second, "memstrace", "prog");
	ARGV(third, "memstrace", "-xf", "prog");
	ARGV(fourth, "memstrace", "-s", "4K", "prog");
	enum parse_result r1, r2, r3, r4;

	r1 = options_parse(first_c, first, &opt1);
	r2 = options_parse(second_c, second, &opt2);
	r3 = options_parse(third_c, third, &opt3);
	r4 = options_parse(fourth_c, fourth, &opt4);
	fflush(stdout);

	bool follow2 = opt2.follow, follow4 = opt4.follow;
	char **argv2 = opt2.argv, **argv4 = opt4.argv;
	size_t nsizes4 = opt4.nsizes;

	options_finish(&opt1);
	options_finish(&opt2);
	options_finish(&opt3);
	options_finish(&opt4);
	ASSERT_EQ(r1, PARSE_EXIT_OK);
	ASSERT_EQ(r2, PARSE_RUN);
	ASSERT_FALSE(follow2);
	ASSERT_TRUE(argv2 == second + 1);
	ASSERT_EQ(r3, PARSE_USAGE_ERROR);
	ASSERT_EQ(r4, PARSE_RUN);
	ASSERT_FALSE(follow4);
	ASSERT_EQ(nsizes4, 1);
	ASSERT_TRUE(argv4 == fourth + 3);
	return true;
}

int main(void)
{
	RUN_TEST(sizespec_accepts);
	RUN_TEST(sizespec_rejects);
	RUN_TEST(size_matches_without_ranges);
	RUN_TEST(size_matches_ranges);
	RUN_TEST(parse_everything);
	RUN_TEST(parse_defaults);
	RUN_TEST(parse_long_forms);
	RUN_TEST(parse_stops_at_program);
	RUN_TEST(parse_usage_errors);
	RUN_TEST(usage_error_messages);
	RUN_TEST(parse_help_and_version);
	RUN_TEST(parse_again);
	RUN_TEST(parse_again_after_stopping_in_a_group);
	return HARNESS_RESULT();
}
