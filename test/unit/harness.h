/* SPDX-License-Identifier: MIT */
/* harness: a minimal unit-test harness, in the spirit of linux tools/testing/vma. */
#ifndef MEMSTRACE_TEST_HARNESS_H
#define MEMSTRACE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A test is a function returning false at its first failed assertion. */
#define TEST(name) static bool test_##name(void)

#define ASSERT_TRUE(e) do { if (!(e)) { \
	printf("  %s:%d: %s: not true: %s\n", __FILE__, __LINE__, __func__, #e); \
	return false; } } while (0)
#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))
#define ASSERT_EQ(a, b) do { uintmax_t a_ = (uintmax_t)(a), b_ = (uintmax_t)(b); \
	if (a_ != b_) { printf("  %s:%d: %s: %s == %s: %#jx != %#jx\n", \
			       __FILE__, __LINE__, __func__, #a, #b, a_, b_); \
		return false; } } while (0)

static unsigned harness_run __attribute__((unused));
static unsigned harness_failed __attribute__((unused));

#define RUN_TEST(name) do { bool ok_ = test_##name(); harness_run++; harness_failed += !ok_; \
	printf("%s %s\n", ok_ ? "ok  " : "FAIL", #name); fflush(stdout); } while (0)

/* What main returns: non-zero when a test failed. */
#define HARNESS_RESULT() (printf("%u tests, %u failed\n", harness_run, harness_failed), \
			  harness_failed ? 1 : 0)

#endif
