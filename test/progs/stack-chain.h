/* SPDX-License-Identifier: MIT */
/*
 * stack-chain: main -> chain1 -> chain2 -> ... -> chain6 -> mmap, one
 * function per file (stack-chain1.c ... stack-chain6.c), built -O2 with and
 * without frame pointers. Each link is noinline and passes the result through
 * an empty asm after its call, so that no call is a tail call: every function
 * keeps a real frame and return address. test/e2e/stacks.py finds the line of
 * each call by searching these files for it.
 */
#ifndef MEMSTRACE_TEST_STACK_CHAIN_H
#define MEMSTRACE_TEST_STACK_CHAIN_H

/* 17 pages: a size no loader mapping has, so the group is the chain's. */
#define STACK_CHAIN_SIZE (17 * 4096ul)

__attribute__((noinline)) void *chain1(unsigned long size);
__attribute__((noinline)) void *chain2(unsigned long size);
__attribute__((noinline)) void *chain3(unsigned long size);
__attribute__((noinline)) void *chain4(unsigned long size);
__attribute__((noinline)) void *chain5(unsigned long size);
__attribute__((noinline)) void *chain6(unsigned long size);

#endif
